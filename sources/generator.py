"""Seeded synthetic Chinese customs import activity with planted, documented risk.

The world: consignees with a hidden risk propensity and Order No. 282 credit levels that
change over time; brokers; overseas traders with sticky relationships; goods from a
reference table (``sources.goods``) with HS × origin reference prices; outbreaks per HS
chapter × origin that raise violation rates *and* produce monitoring records. Every Art. 2
category has a planted mechanism (``docs/synthetic-data.md`` describes each), blurred by
noise so that a good model is far from perfect.

Labels exist only for inspected goods items, selected by a legacy rule policy that
favours low credit levels (selection bias), plus a random share (unbiased) and a
planned sampling programme; outcomes become known days to weeks after inspection.

Everything is vectorised; the same config gives the same frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import expit

from sources.contracts import (
    CONTRACTS,
    CREDIT_LEVELS,
    RISK_CATEGORIES,
    conform,
)
from sources.goods import FX_TO_CNY, OFFICES, ORIGINS, SECTORS, TRANSSHIPMENT_HUBS, goods_table

if TYPE_CHECKING:
    from config.settings import Settings

USCC_ALPHABET = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
DAY = np.timedelta64(1, "D")
SECOND = np.timedelta64(1, "s")

# Planted effects, in log-odds (documented in docs/synthetic-data.md).
PROPENSITY_EFFECT = 0.55  # per standard deviation of a consignee's hidden propensity
SELF_REPORT_EFFECT = -0.8  # after an enterprise's voluntary self-report
ITEM_NOISE_SD = 0.6
DETECTION_RATE = 0.9  # an inspection finds an existing violation this often
IPR_NEW_RELATIONSHIP_DAYS = 60
SHIFT_ORIGIN = "VN"
SHIFT_SECTOR = "electronics"
SHIFT_SHARE = 0.12  # share of goods items on the new route after the shift date
STANDING_ORDER_SHARE = 0.25  # single-item declarations that repeat an earlier one exactly
CHAPTER_WARNING_SHARE = 0.3  # outbreaks that also bring an HS-chapter-wide warning
CREDIT_SHARES = (0.05, 0.10, 0.825, 0.02, 0.005)  # Order No. 282 levels, best to worst
# Legacy inspection policy: rate by credit level relative to a regular enterprise, and
# the absolute rate for dishonest ones (Order No. 251: ≥ 80 %).
CREDIT_INSPECTION_FACTOR = (0.0, 0.5, 1.0)
DISHONEST_INSPECTION_RATE = (0.8, 0.9)


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. ``shift_date`` switches on the documented new undervaluation route.

    Size, period and seed have no defaults here: ``Settings`` declares ``make run``'s, and
    :meth:`for_settings` takes them from there. The world's own parameters default here.
    """

    n_declarations: int
    months: int
    start: str
    seed: int
    inspection_rate: float = 0.09
    random_share: float = 0.01
    shift_date: str | None = None

    @classmethod
    def for_settings(cls, settings: Settings, **overrides: Any) -> GeneratorConfig:
        """The generator of ``settings`` (declarations, months, start date, seed); any field
        given in ``overrides`` replaces the settings' value."""
        sized = {
            "n_declarations": settings.declarations,
            "months": settings.months,
            "start": settings.start_date,
            "seed": settings.seed,
        }
        return cls(**{**sized, **overrides})

    def __post_init__(self) -> None:
        if not 1_000 <= self.n_declarations <= 5_000_000:
            raise ValueError("n_declarations must be between 1,000 and 5,000,000")
        if not 1 <= self.months <= 60:
            raise ValueError("months must be between 1 and 60")
        if not 0 < self.random_share < self.inspection_rate < 0.5:
            raise ValueError("need 0 < random_share < inspection_rate < 0.5")
        start = pd.Timestamp(self.start)
        if self.shift_date is not None:
            shift = pd.Timestamp(self.shift_date)
            if not start < shift < start + pd.DateOffset(months=self.months):
                raise ValueError("shift_date must fall inside the generated period")

    @property
    def period(self) -> tuple[np.datetime64, np.datetime64]:
        start = pd.Timestamp(self.start)
        return np.datetime64(start, "s"), np.datetime64(
            start + pd.DateOffset(months=self.months), "s"
        )


@dataclass
class GeneratedData:
    """The four sources, each conforming to its contract."""

    declarations: pd.DataFrame
    credit_history: pd.DataFrame
    monitoring: pd.DataFrame
    inspection_outcomes: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        return {
            "declarations": self.declarations,
            "credit_history": self.credit_history,
            "monitoring": self.monitoring,
            "inspection_outcomes": self.inspection_outcomes,
        }


def _uscc(rng: np.random.Generator, n: int, prefix: str = "91") -> np.ndarray:
    """Unique 18-character unified social credit codes."""
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < n:
        body = rng.choice(USCC_ALPHABET, size=(n, 16))
        for row in body:
            code = prefix + "".join(row)
            if code not in seen:
                seen.add(code)
                codes.append(code)
    return np.array(codes[:n], dtype=object)


def _day_times(rng, n: int, start: np.datetime64, end: np.datetime64, lower: np.ndarray):
    """Times between ``lower`` (per row) and ``end``: weekdays busier, office hours busier."""
    days = np.arange(start.astype("datetime64[D]"), end.astype("datetime64[D]"))
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    weight = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.35, 0.2))
    weight *= np.linspace(1.0, 1.25, len(days))  # trade grows
    cdf = np.cumsum(weight) / weight.sum()
    lower_day = np.clip(((lower - start) / DAY).astype(np.int64), 0, len(days) - 1)
    floor = np.where(lower_day > 0, cdf[lower_day - 1], 0.0)
    u = floor + rng.random(n) * (1.0 - floor)
    day = np.minimum(np.searchsorted(cdf, u), len(days) - 1)
    # China office hours 09:00-18:00 (UTC+8) are 01:00-10:00 UTC.
    office = rng.random(n) < 0.8
    seconds = np.where(office, rng.uniform(3_600, 36_000, n), rng.uniform(0, 86_400, n))
    return days[day].astype("datetime64[s]") + seconds.astype(np.int64) * SECOND


def generate(config: GeneratorConfig) -> GeneratedData:
    """Generate the four sources for ``config``."""
    rng = np.random.default_rng(config.seed)
    start, end = config.period
    goods = goods_table()
    sector_names = np.array(list(SECTORS))
    origin_codes = np.array(list(ORIGINS))

    # --- enterprises -------------------------------------------------------------------
    # Regular consignees first; with a shift, new consignees of the shifted route follow.
    n_regular = max(60, config.n_declarations // 50)
    n_shift = max(10, n_regular // 100) if config.shift_date is not None else 0
    n_consignees = n_regular + n_shift
    shift_consignees = np.arange(n_regular, n_consignees)
    consignee_id = np.concatenate([_uscc(rng, n_regular), _uscc(rng, n_shift, prefix="93")])
    propensity = rng.normal(size=n_consignees)
    propensity[shift_consignees] = rng.normal(1.0, 0.5, n_shift)
    activity = 1.0 / np.arange(1, n_consignees + 1) ** 0.9
    rng.shuffle(activity)
    activity[shift_consignees] = 0.0  # they only trade on the shifted route
    new_entrant = rng.random(n_consignees) < 0.35
    consignee_start = np.where(
        new_entrant,
        start
        + (rng.random(n_consignees) * (end - start).astype(np.int64)).astype(np.int64) * SECOND,
        start,
    )
    if n_shift:
        consignee_start[shift_consignees] = np.datetime64(pd.Timestamp(config.shift_date), "s")
    # Credit level follows the hidden propensity, with noise (an imperfect rating).
    rating = propensity + rng.normal(scale=0.8, size=n_consignees)
    cuts = np.quantile(rating, np.cumsum(CREDIT_SHARES)[:-1])
    credit_level = np.searchsorted(cuts, rating)  # 0 advanced_certified … 4 seriously_dishonest
    credit_level[shift_consignees] = CREDIT_LEVELS.index("regular")
    undervaluer = rng.random(n_consignees) < expit(-2.2 + 1.0 * propensity)
    undervaluer[shift_consignees] = True
    quality_lax = rng.random(n_consignees) < expit(-2.4 + 0.8 * propensity)
    home_sector = rng.integers(0, len(sector_names), size=(n_consignees, 2))
    sector_share = rng.uniform(0.6, 0.95, n_consignees)

    n_declarants = max(20, min(300, config.n_declarations // 600))
    declarant_id = _uscc(rng, n_declarants, prefix="92")
    declarant_effect = np.where(rng.random(n_declarants) < 0.05, 0.7, 0.0)  # complicit brokers
    consignee_declarants = rng.integers(0, n_declarants, size=(n_consignees, 2))

    n_traders = max(100, config.n_declarations // 30)
    trader_id = np.array([f"OT-{i:06d}" for i in range(n_traders)], dtype=object)
    regular_traders = rng.integers(0, n_traders, size=(n_consignees, 3))

    # Each sector's typical origins; a consignee buys from two of them.
    sector_origins = {
        s: np.array([o for o in origin_codes if s in ORIGINS[o][2]]) for s in sector_names
    }

    # --- declarations (headers), then goods items ----------------------------------------
    n_items = config.n_declarations
    items_per = rng.choice([1, 2, 3], size=n_items, p=[0.8, 0.15, 0.05])
    n_headers = int(np.searchsorted(np.cumsum(items_per), n_items) + 1)
    items_per = items_per[:n_headers]
    items_per[-1] -= items_per.sum() - n_items
    header_consignee = rng.choice(n_consignees, size=n_headers, p=activity / activity.sum())
    header_time = _day_times(rng, n_headers, start, end, consignee_start[header_consignee])

    shifted = np.zeros(n_headers, dtype=bool)
    if n_shift:
        shift_at = np.datetime64(pd.Timestamp(config.shift_date), "s")
        shifted = (header_time >= shift_at) & (rng.random(n_headers) < SHIFT_SHARE)
        header_consignee[shifted] = rng.choice(shift_consignees, size=shifted.sum())

    home = np.where(rng.random(n_headers) < 0.7, 0, 1)
    header_home_sector = home_sector[header_consignee, home]
    header_declarant = consignee_declarants[header_consignee, rng.integers(0, 2, n_headers)]
    casual = rng.random(n_headers) < 0.15
    header_trader = np.where(
        casual,
        rng.integers(0, n_traders, n_headers),
        regular_traders[header_consignee, rng.integers(0, 3, n_headers)],
    )
    header_trader_id = trader_id[header_trader].copy()
    if shifted.any():
        header_trader_id[shifted] = np.array(
            [f"OT-S{i:05d}" for i in rng.integers(0, max(20, shifted.sum() // 40), shifted.sum())],
            dtype=object,
        )

    # origin: one of the sector's supplier countries, weighted by trade
    header_origin = np.empty(n_headers, dtype=object)
    for s_index, sector in enumerate(sector_names):
        rows = np.flatnonzero(header_home_sector == s_index)
        candidates = sector_origins[sector]
        weights = np.array([ORIGINS[o][0] for o in candidates])
        # a consignee keeps to its favourite origins: seed the choice with its id
        favourite = (header_consignee[rows] * 7 + s_index) % len(candidates)
        pick = np.where(
            rng.random(len(rows)) < 0.7,
            favourite,
            rng.choice(len(candidates), size=len(rows), p=weights / weights.sum()),
        )
        header_origin[rows] = candidates[pick]
    header_origin[shifted] = SHIFT_ORIGIN

    # Standing orders: a consignee re-orders goods it has declared before, on the same
    # terms — same goods, origin, overseas trader, currency, net weight and declared value
    # (a misdeclared line stays misdeclared). Root = the first declaration of the line.
    root = _standing_order_roots(rng, header_consignee, header_time, (items_per == 1) & ~shifted)
    repeat = root >= 0
    header_origin[repeat] = header_origin[root[repeat]]
    header_trader_id[repeat] = header_trader_id[root[repeat]]
    casual[repeat] = casual[root[repeat]]
    header_home_sector[repeat] = header_home_sector[root[repeat]]

    # --- items --------------------------------------------------------------------------
    item_header = np.repeat(np.arange(n_headers), items_per)
    item_no = np.concatenate([np.arange(1, k + 1) for k in items_per]) if n_headers else item_header
    consignee = header_consignee[item_header]
    t = header_time[item_header]
    origin = header_origin[item_header]
    in_home = rng.random(n_items) < sector_share[consignee]
    item_sector = np.where(
        in_home, header_home_sector[item_header], rng.integers(0, len(sector_names), n_items)
    )
    item_sector[shifted[item_header]] = list(sector_names).index(SHIFT_SECTOR)
    sector_goods = {s: np.flatnonzero(goods["sector"].to_numpy() == s) for s in sector_names}
    goods_index = np.empty(n_items, dtype=np.int64)
    for s_index, sector in enumerate(sector_names):
        rows = np.flatnonzero(item_sector == s_index)
        goods_index[rows] = rng.choice(sector_goods[sector], size=len(rows))
    # single-item headers: header h's item is the last of the first h + 1 headers' items
    first_item = np.cumsum(items_per) - 1
    repeat_item, root_item = first_item[repeat], first_item[root[repeat]]
    goods_index[repeat_item] = goods_index[root_item]
    item_sector[repeat_item] = item_sector[root_item]
    hs_code = goods["hs_code"].to_numpy()[goods_index]
    duty_rate = goods["duty_rate"].to_numpy()[goods_index]
    sector = goods["sector"].to_numpy()[goods_index]

    # reference price per HS × origin (the market), and the item's true unit value
    pair_key = pd.factorize(pd.Series(hs_code) + "|" + pd.Series(origin))[0]
    pair_factor = np.exp(rng.normal(0, 0.25, pair_key.max() + 1))
    reference = goods["reference_cny_per_kg"].to_numpy()[goods_index] * pair_factor[pair_key]
    true_unit_value = reference * np.exp(rng.normal(0, 0.3, n_items))
    typical_kg = np.array([SECTORS[s][1] for s in sector])
    net_kg = np.round(typical_kg * np.exp(rng.normal(0, 1.0, n_items)) + 0.1, 2)
    true_unit_value[repeat_item] = true_unit_value[root_item]
    net_kg[repeat_item] = net_kg[root_item]
    true_value = net_kg * true_unit_value

    # revenue mechanism: undervaluation by some consignees; legitimate discounts as noise
    dutiable = duty_rate > 0.0
    undervalued = undervaluer[consignee] & dutiable & (rng.random(n_items) < 0.6)
    shifted_item = shifted[item_header]
    declared_share = np.ones(n_items)
    declared_share[undervalued] = rng.uniform(0.3, 0.7, undervalued.sum())
    declared_share[shifted_item] = rng.uniform(0.35, 0.55, shifted_item.sum())
    undervalued |= shifted_item
    discount = ~undervalued & (rng.random(n_items) < 0.06)
    declared_share[discount] = rng.uniform(0.5, 0.8, discount.sum())
    for terms in (undervalued, discount, declared_share):
        terms[repeat_item] = terms[root_item]
    value_cny = np.round(true_value * declared_share, 2)

    # licences: required codes are sometimes missing, more often for risky consignees
    required = goods["required_licences"].to_numpy()[goods_index]
    needs = required != ""
    missing = needs & (rng.random(n_items) < expit(-2.8 + 0.9 * propensity[consignee]))
    exempt = missing & (rng.random(n_items) < 0.25)  # e.g. samples below thresholds
    licence_codes = np.where(needs & ~missing, required, "")

    # --- relationships, credit over time, self-reports -----------------------------------
    trader = header_trader_id[item_header]
    pair = pd.Series(consignee_id[consignee]) + "|" + pd.Series(trader)
    first_seen = pd.Series(t).groupby(pair.to_numpy()).transform("min").to_numpy()
    new_relationship = (t - first_seen) < IPR_NEW_RELATIONSHIP_DAYS * DAY

    changes = rng.random(n_consignees) < 0.15
    change_at = (
        start
        + (rng.random(n_consignees) * (end - start).astype(np.int64)).astype(np.int64) * SECOND
    )
    change_at = np.maximum(change_at, consignee_start + 30 * DAY)
    step = np.where(rng.random(n_consignees) < expit(propensity), 1, -1)
    later_level = np.clip(credit_level + step, 0, len(CREDIT_LEVELS) - 1)
    level_at_item = np.where(
        changes[consignee] & (t >= change_at[consignee]),
        later_level[consignee],
        credit_level[consignee],
    )
    self_reporter = rng.random(n_consignees) < 0.03
    self_report_at = (
        start
        + (rng.random(n_consignees) * (end - start).astype(np.int64)).astype(np.int64) * SECOND
    )
    after_self_report = self_reporter[consignee] & (t > self_report_at[consignee])

    # --- outbreaks: hidden hazard per HS chapter × origin, and what monitoring sees ------
    chapter = np.array([h[:2] for h in hs_code], dtype=object)
    hazards = {c: np.zeros(n_items) for c in ("biosecurity", "food_safety", "public_health")}
    outbreak_sectors = {
        "biosecurity": ("animal", "plant", "wood"),
        "food_safety": ("animal", "food", "beverage"),
        "public_health": ("pharma", "medical"),
    }
    monitoring_rows: list[dict] = []
    group_rows = (
        pd.Series(np.arange(n_items)).groupby(pd.Series(chapter) + "|" + pd.Series(origin)).indices
    )
    span_days = (end - start) / DAY
    for category, sectors in outbreak_sectors.items():
        chapters = sorted(
            {h[:2] for h, s in zip(goods["hs_code"], goods["sector"], strict=True) if s in sectors}
        )
        n_outbreaks = int(config.months * 5)
        for _ in range(n_outbreaks):
            ch = chapters[rng.integers(len(chapters))]
            candidates = [o for o in origin_codes if any(s in ORIGINS[o][2] for s in sectors)]
            org = candidates[rng.integers(len(candidates))]
            begin = start + int(rng.uniform(-30, span_days) * 86_400) * SECOND
            duration = rng.uniform(30, 120)
            intensity = rng.uniform(1.5, 3.2)
            rows = group_rows.get(f"{ch}|{org}")
            if rows is not None:
                active = (t[rows] >= begin) & (t[rows] < begin + int(duration * 86_400) * SECOND)
                hazards[category][rows[active]] += intensity
            # monitoring: interceptions / failed lab tests while it lasts, seen with a lag
            n_events = rng.poisson(0.08 * duration * intensity / 2)
            for _ in range(n_events):
                seen = begin + int(rng.uniform(3, duration + 10) * 86_400) * SECOND
                kind = "port_interception" if category == "biosecurity" else "lab_result"
                monitoring_rows.append(
                    {
                        "event_type": kind,
                        "observed_at": seen,
                        "enterprise_id": None,
                        "hs_prefix": ch if rng.random() < 0.6 else f"{ch}{rng.integers(1, 99):02d}",
                        "origin_country": org,
                        "risk_category": category,
                        "outcome": "adverse",
                        "provenance_channel": "monitoring",
                    }
                )
            if rng.random() < CHAPTER_WARNING_SHARE:  # a warning on the goods, any origin
                monitoring_rows.append(
                    {
                        "event_type": "domestic_alert",
                        "observed_at": begin + int(rng.uniform(10, 40) * 86_400) * SECOND,
                        "enterprise_id": None,
                        "hs_prefix": ch,
                        "origin_country": None,
                        "risk_category": category,
                        "outcome": "adverse",
                        "provenance_channel": "monitoring",
                    }
                )
            if rng.random() < 0.35:  # foreign authorities sometimes warn of the outbreak
                monitoring_rows.append(
                    {
                        "event_type": "foreign_alert",
                        "observed_at": begin + int(rng.uniform(0, 15) * 86_400) * SECOND,
                        "enterprise_id": None,
                        "hs_prefix": None,
                        "origin_country": org,
                        "risk_category": category,
                        "outcome": "adverse",
                        "provenance_channel": "international_sharing",
                    }
                )

    # --- violations ----------------------------------------------------------------------
    z = propensity[consignee] + (level_at_item - credit_level[consignee]) * 0.4
    common = (
        PROPENSITY_EFFECT * z
        + declarant_effect[header_declarant[item_header]]
        + SELF_REPORT_EFFECT * after_self_report
    )
    cheap = (value_cny / net_kg) < 0.6 * reference
    unfamiliar_trader = casual[item_header] | shifted_item
    header_trade_mode = _trade_modes(rng, sector_names[header_home_sector])
    trade_mode = header_trade_mode[item_header]
    is_ecommerce = np.isin(trade_mode, ["9610", "1210"])
    branded = np.isin(sector, ["fashion", "watches", "cosmetics"])
    in_sector = {
        c: np.isin(sector, [s for s, v in SECTORS.items() if c in v[0]]) for c in RISK_CATEGORIES
    }
    transshipped = rng.random(n_items) < 0.08
    logits = {
        "revenue": np.where(dutiable, -4.7 + 3.8 * undervalued + 0.4 * discount, -9.0),
        "ipr": np.where(
            branded | (sector == "electronics") | (sector == "toys"),
            -4.4
            + 1.2 * new_relationship
            + 1.2 * cheap
            + 1.4 * (new_relationship & cheap)
            - 1.0 * ~branded,
            -9.0,
        ),
        "biosecurity": np.where(
            in_sector["biosecurity"], -4.1 + hazards["biosecurity"] + 0.5 * transshipped, -9.0
        ),
        "food_safety": np.where(
            in_sector["food_safety"], -4.1 + hazards["food_safety"] + 0.4 * is_ecommerce, -9.0
        ),
        "prohibited_restricted": np.where(needs, -5.5 + 4.2 * (missing & ~exempt), -8.0),
        "public_health": np.where(
            in_sector["public_health"], -4.4 + hazards["public_health"] + 1.4 * is_ecommerce, -9.0
        ),
        "product_quality": np.where(
            in_sector["product_quality"],
            -4.2 + 1.3 * quality_lax[consignee] + 0.6 * unfamiliar_trader,
            -9.0,
        ),
    }
    violation = {
        c: rng.random(n_items) < expit(logit + common + rng.normal(0, ITEM_NOISE_SD, n_items))
        for c, logit in logits.items()
    }

    # enterprise-level monitoring: sampling results; lax ones fail more often
    n_samples = max(50, n_items // 60)
    sampled = rng.integers(0, n_items, n_samples)
    fail = rng.random(n_samples) < np.where(quality_lax[consignee[sampled]], 0.35, 0.05)
    for row, failed in zip(sampled, fail, strict=True):
        monitoring_rows.append(
            {
                "event_type": "sampling_result",
                "observed_at": t[row] + int(rng.uniform(5, 30) * 86_400) * SECOND,
                "enterprise_id": consignee_id[consignee[row]],
                "hs_prefix": hs_code[row][:4],
                "origin_country": None,
                "risk_category": "product_quality",
                "outcome": "adverse" if failed else "clear",
                "provenance_channel": "monitoring",
            }
        )
    for enterprise in np.flatnonzero(self_reporter):
        monitoring_rows.append(
            {
                "event_type": "self_report",
                "observed_at": self_report_at[enterprise],
                "enterprise_id": consignee_id[enterprise],
                "hs_prefix": None,
                "origin_country": None,
                "risk_category": RISK_CATEGORIES[rng.integers(len(RISK_CATEGORIES))],
                "outcome": "adverse",
                "provenance_channel": "self_report",
            }
        )
    for _ in range(max(20, config.months * 6)):  # clear lab results and false alarms
        monitoring_rows.append(
            {
                "event_type": "lab_result",
                "observed_at": start + int(rng.uniform(0, span_days) * 86_400) * SECOND,
                "enterprise_id": None,
                "hs_prefix": chapter[rng.integers(n_items)],
                "origin_country": origin_codes[rng.integers(len(origin_codes))],
                "risk_category": ("food_safety", "biosecurity")[rng.integers(2)],
                "outcome": "adverse" if rng.random() < 0.25 else "clear",
                "provenance_channel": "monitoring",
            }
        )

    # --- inspections: legacy rules + random + planned sampling ---------------------------
    duty_at_stake = value_cny * duty_rate
    high_stake = duty_at_stake > np.quantile(duty_at_stake, 0.9)
    sensitive = np.isin(sector, ["animal", "plant", "pharma", "chemical", "wood"])
    factor = np.array([*CREDIT_INSPECTION_FACTOR, 0.0, 0.0])[level_at_item]
    rule_weight = factor * (1.0 + 1.0 * high_stake + 0.8 * sensitive)
    dishonest = level_at_item >= 3
    fixed_rate = (
        np.where(level_at_item == 4, DISHONEST_INSPECTION_RATE[1], DISHONEST_INSPECTION_RATE[0])
        * dishonest
    )
    planned = np.zeros(n_items, dtype=bool)
    month = ((t - start) / DAY / 30.44).astype(int)
    for m in range(config.months + 1):
        plan = rng.choice(sorted(set(chapter)), size=3, replace=False)
        in_plan = (month == m) & np.isin(chapter, plan)
        planned |= in_plan & (rng.random(n_items) < 0.03)
    planned &= level_at_item > 0  # advanced certified enterprises are spared planned sampling
    random_pick = rng.random(n_items) < config.random_share
    budget = config.inspection_rate * n_items - random_pick.sum() - planned.sum() - fixed_rate.sum()
    scale = max(budget, 0.0) / max(rule_weight.sum(), 1e-9)
    rule_pick = rng.random(n_items) < np.minimum(fixed_rate + scale * rule_weight, 1.0)
    inspected = rule_pick | random_pick | planned
    reason = np.where(random_pick, "random", np.where(planned, "planned_sampling", "rule"))

    found = {
        c: violation[c] & inspected & (rng.random(n_items) < DETECTION_RATE)
        for c in RISK_CATEGORIES
    }
    lab = np.isin(
        sector,
        ["animal", "plant", "food", "beverage", "pharma", "medical", "toys", "electrical", "wood"],
    )
    inspected_at = t + (rng.uniform(0.1, 3.0, n_items) * 86_400).astype(np.int64) * SECOND
    delay_days = np.exp(rng.normal(np.log(np.where(lab, 14.0, 4.0)), 0.5))
    known_at = inspected_at + (delay_days * 86_400).astype(np.int64) * SECOND
    # undervaluation recovers the duty on the hidden value; other revenue findings
    # (misclassification, wrong origin) a share of the item's value
    misclassified = true_value * rng.uniform(0.05, 0.3, n_items) * ~undervalued
    recovered = np.where(
        found["revenue"], (np.maximum(true_value - value_cny, 0) + misclassified) * duty_rate, 0.0
    )

    # --- assemble ------------------------------------------------------------------------
    header_office = np.array(list(OFFICES))[rng.integers(0, len(OFFICES), n_headers)]
    header_port = np.array([OFFICES[o][rng.integers(len(OFFICES[o]))] for o in header_office])
    header_transport = _transport_modes(rng, sector_names[header_home_sector], header_trade_mode)
    departure = np.where(
        rng.random(n_headers) < 0.08,
        np.array(TRANSSHIPMENT_HUBS)[rng.integers(0, len(TRANSSHIPMENT_HUBS), n_headers)],
        header_origin,
    )
    currency = np.array([ORIGINS[o][1] if rng.random() < 0.7 else "USD" for o in header_origin])
    currency[repeat] = currency[root[repeat]]
    incoterm = rng.choice(
        ["FOB", "CIF", "EXW", "CFR", "DAP", "FCA"],
        size=n_headers,
        p=[0.45, 0.30, 0.10, 0.08, 0.04, 0.03],
    )
    sequence = rng.permutation(n_headers) + 10_000_000
    year = header_time.astype("datetime64[Y]").astype(int) + 1970
    declaration_id = np.array(
        [f"{o}{y}0{s:09d}" for o, y, s in zip(header_office, year, sequence, strict=True)],
        dtype=object,
    )
    item_currency = currency[item_header]
    fx = np.array([FX_TO_CNY[c] for c in item_currency])
    unit = goods["unit"].to_numpy()[goods_index]
    piece_kg = np.where(unit == "pcs", np.exp(rng.normal(-0.5, 0.8, n_items)), 1.0)
    quantity = np.where(
        unit == "kg",
        net_kg,
        np.where(
            unit == "m3",
            net_kg / 600.0,
            np.where(
                unit == "l",
                net_kg,
                np.where(
                    unit == "set",
                    np.maximum(np.round(net_kg / 1500.0), 1),
                    np.maximum(np.round(net_kg / piece_kg), 1),
                ),
            ),
        ),
    )
    declarations = pd.DataFrame(
        {
            "declaration_id": declaration_id[item_header],
            "item_no": item_no,
            "declared_at": t,
            "customs_office": header_office[item_header],
            "port_code": header_port[item_header],
            "trade_mode": trade_mode,
            "transport_mode": header_transport[item_header],
            "consignee_id": consignee_id[consignee],
            "declarant_id": declarant_id[header_declarant[item_header]],
            "overseas_trader_id": trader,
            "hs_code": hs_code,
            "origin_country": origin,
            "departure_country": departure[item_header],
            "incoterm": incoterm[item_header],
            "currency": item_currency,
            "declared_value": np.round(value_cny / fx, 2),
            "value_cny": value_cny,
            "quantity": np.round(quantity, 3),
            "quantity_unit": unit,
            "net_weight_kg": net_kg,
            "gross_weight_kg": np.round(net_kg * rng.uniform(1.02, 1.25, n_items), 2),
            "duty_rate": duty_rate,
            "licence_codes": licence_codes,
            "provenance_channel": "single_window",
        }
    )
    declarations = declarations.sort_values(
        ["declared_at", "declaration_id", "item_no"], kind="stable"
    ).reset_index(drop=True)
    picked = np.flatnonzero(inspected)
    outcomes = (
        pd.DataFrame(
            {
                "declaration_id": declaration_id[item_header[picked]],
                "item_no": item_no[picked],
                "selection_reason": reason[picked],
                "inspected_at": inspected_at[picked],
                "outcome_known_at": known_at[picked],
                **{f"finding_{c}": found[c][picked] for c in RISK_CATEGORIES},
                "duty_recovered_cny": np.round(recovered[picked], 2),
            }
        )
        .sort_values("outcome_known_at", kind="stable")
        .reset_index(drop=True)
    )
    # The data are a snapshot at the period's end: outcomes not known by then are not in
    # it yet (the label delay), nor are later credit changes or monitoring records.
    outcomes = outcomes[outcomes["outcome_known_at"] < end].reset_index(drop=True)
    credit = _credit_history(
        rng,
        consignee_id,
        credit_level,
        later_level,
        changes & (change_at < end),
        change_at,
        consignee_start,
        start,
        declarant_id,
    )
    monitoring = pd.DataFrame(monitoring_rows).sort_values("observed_at", kind="stable")
    monitoring = monitoring[monitoring["observed_at"] < end].reset_index(drop=True)
    monitoring.insert(0, "event_id", [f"MON-{i:07d}" for i in range(len(monitoring))])
    return GeneratedData(
        conform(declarations, CONTRACTS["declarations"]),
        conform(credit, CONTRACTS["credit_history"]),
        conform(monitoring, CONTRACTS["monitoring"]),
        conform(outcomes, CONTRACTS["inspection_outcomes"]),
    )


def _standing_order_roots(
    rng, consignee: np.ndarray, time: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """Per declaration, the earlier declaration it repeats as a standing order (-1: none).

    Among a consignee's eligible declarations in time order, each after the first repeats
    one of the earlier ones with probability ``STANDING_ORDER_SHARE``; the root is always
    a declaration that is not itself a repeat, so every repeat of a line is identical.
    """
    root = np.full(len(consignee), -1)
    rows = np.flatnonzero(eligible)
    rows = rows[np.lexsort((time[rows], consignee[rows]))]
    repeats = rng.random(len(rows)) < STANDING_ORDER_SHARE
    pick = rng.random(len(rows))
    start = 0
    for k in range(len(rows)):
        if k == 0 or consignee[rows[k]] != consignee[rows[k - 1]]:
            start = k
        if repeats[k] and k > start:
            source = rows[start + int(pick[k] * (k - start))]
            root[rows[k]] = source if root[source] < 0 else root[source]
    return root


def _trade_modes(rng, sectors: np.ndarray) -> np.ndarray:
    """Supervision modes: mostly general trade; cross-border e-commerce for consumer goods."""
    modes = np.full(len(sectors), "0110", dtype=object)
    consumer = np.isin(sectors, ["cosmetics", "food", "fashion", "pharma", "watches", "toys"])
    u = rng.random(len(sectors))
    modes[consumer & (u < 0.12)] = "9610"
    modes[consumer & (u >= 0.12) & (u < 0.22)] = "1210"
    processing = np.isin(sectors, ["chemical", "electrical", "electronics", "machinery"])
    modes[processing & (u < 0.08)] = "0615"
    modes[(modes == "0110") & (u > 0.98)] = "1233"
    return modes


def _transport_modes(rng, sectors: np.ndarray, trade_modes: np.ndarray) -> np.ndarray:
    """Sea for bulk, air for light valuable goods, post for direct e-commerce parcels."""
    u = rng.random(len(sectors))
    light = np.isin(sectors, ["watches", "cosmetics", "pharma", "electronics", "medical"])
    modes = np.where(light & (u < 0.5), "air", "sea").astype(object)
    modes[(u > 0.93) & (u <= 0.97)] = "rail"
    modes[u > 0.97] = "road"
    modes[trade_modes == "9610"] = np.where(
        rng.random((trade_modes == "9610").sum()) < 0.7, "post", "air"
    )
    return modes


def _credit_history(
    rng, consignee_id, level, later_level, changes, change_at, entered, start, declarant_id
) -> pd.DataFrame:
    """Credit periods: one per enterprise, a second from the change date for some."""
    first_from = (
        np.minimum(entered, start)
        - (rng.uniform(30, 1500, len(consignee_id)) * 86_400).astype(np.int64) * SECOND
    )
    first = pd.DataFrame(
        {
            "enterprise_id": consignee_id,
            "credit_level": np.array(CREDIT_LEVELS)[level],
            "valid_from": first_from,
            "valid_to": np.where(changes, change_at, np.datetime64("NaT")),
        }
    )
    second = pd.DataFrame(
        {
            "enterprise_id": consignee_id[changes],
            "credit_level": np.array(CREDIT_LEVELS)[later_level[changes]],
            "valid_from": change_at[changes],
            "valid_to": np.datetime64("NaT"),
        }
    )
    brokers = pd.DataFrame(
        {
            "enterprise_id": declarant_id,
            "credit_level": rng.choice(
                CREDIT_LEVELS[:3], size=len(declarant_id), p=[0.3, 0.4, 0.3]
            ),
            "valid_from": start - 365 * DAY,
            "valid_to": np.datetime64("NaT"),
        }
    )
    credit = pd.concat([first, second, brokers], ignore_index=True)
    credit["valid_to"] = pd.to_datetime(credit["valid_to"])
    credit["provenance_channel"] = "interagency_sharing"
    return credit.sort_values(["enterprise_id", "valid_from"], kind="stable").reset_index(drop=True)
