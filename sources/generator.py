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

from dataclasses import dataclass, field
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
# Categories with outbreaks, and the sectors an outbreak of each can hit.
OUTBREAK_SECTORS = {
    "biosecurity": ("animal", "plant", "wood"),
    "food_safety": ("animal", "food", "beverage"),
    "public_health": ("pharma", "medical"),
}
SECTOR_NAMES = np.array(list(SECTORS))
ORIGIN_CODES = np.array(list(ORIGINS))


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
    """The four sources, each conforming to its contract, and the world's truth beside them.

    ``truth`` is what only the generator knows (see :func:`truth_frame`). It is no source:
    ``frames()`` leaves it out, so it never reaches the lake, features, training,
    monitoring or the API; only the backtest reads it, to reveal the outcome of an
    inspection its simulated policy chose and to score the run afterwards.
    """

    declarations: pd.DataFrame
    credit_history: pd.DataFrame
    monitoring: pd.DataFrame
    inspection_outcomes: pd.DataFrame
    truth: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {
            "declarations": self.declarations,
            "credit_history": self.credit_history,
            "monitoring": self.monitoring,
            "inspection_outcomes": self.inspection_outcomes,
        }


def generate(config: GeneratorConfig) -> GeneratedData:
    """Generate the four sources for ``config``.

    The steps take turns drawing from one seeded random stream, so their order is part of
    the output: reordering them (or the draws inside one) changes every frame.
    """
    rng = np.random.default_rng(config.seed)
    period = Period(*config.period)
    goods = goods_table()
    parties = _draw_parties(rng, config, period)
    consignees = parties.consignees
    headers = _draw_headers(rng, config, period, parties)
    items = _draw_goods_items(rng, goods, headers, consignees)
    market = _draw_market_values(rng, goods, items)
    declared = _draw_declared_values(rng, items, market, consignees)
    licences = _draw_licences(rng, goods, items, consignees)
    credit = _draw_credit_changes(rng, period, consignees, items)
    self_reports = _draw_self_reports(rng, period, consignees, items)
    outbreaks = _draw_outbreaks(rng, config, period, goods, items)
    trade_modes = _trade_modes(rng, SECTOR_NAMES[headers.home_sector])
    logits = _category_log_odds(
        rng, items, headers, market, declared, licences, consignees, outbreaks.hazards, trade_modes
    )
    shared = _shared_log_odds(items, headers, parties, credit, self_reports)
    violations = _draw_violations(rng, logits, shared)
    monitoring = [
        *outbreaks.records,
        *_sampling_results(rng, items, consignees),
        *_self_report_records(rng, consignees, self_reports),
        *_background_lab_results(rng, config, period, items),
    ]
    inspections = _draw_inspections(
        rng, config, period, items, market, declared, credit.level_at_item, violations
    )
    logistics = _draw_logistics(rng, headers, trade_modes)
    declarations = _declarations_frame(
        rng, headers, items, logistics, parties, market, declared, licences
    )
    credit_history = _credit_history(rng, consignees, credit, parties.brokers.ids, period)
    truth = truth_frame(items, logistics, violations, inspections)
    return GeneratedData(
        conform(declarations, CONTRACTS["declarations"]),
        conform(credit_history, CONTRACTS["credit_history"]),
        conform(_monitoring_frame(monitoring, period.end), CONTRACTS["monitoring"]),
        conform(
            _outcomes_frame(items, logistics, inspections, period.end, config.random_share),
            CONTRACTS["inspection_outcomes"],
        ),
        truth,
    )


# --- the period ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """The generated period [start, end), in seconds."""

    start: np.datetime64
    end: np.datetime64

    @property
    def days(self) -> float:
        return (self.end - self.start) / DAY

    def uniform_times(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` times drawn uniformly over the period."""
        seconds = (self.end - self.start).astype(np.int64)
        return self.start + (rng.random(n) * seconds).astype(np.int64) * SECOND


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


# --- enterprises ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Consignees:
    """Importing enterprises, with the hidden traits their risk is planted in."""

    ids: np.ndarray
    propensity: np.ndarray  # hidden risk propensity z
    activity: np.ndarray  # relative number of declarations
    entered: np.ndarray  # first possible trade: the period's start, later for new entrants
    credit_level: np.ndarray  # index into CREDIT_LEVELS at the period's start
    undervaluer: np.ndarray
    quality_lax: np.ndarray
    home_sectors: np.ndarray  # two sector indices (into SECTOR_NAMES) each
    home_share: np.ndarray  # share of goods items from the declaration's home sector
    shift_route: np.ndarray  # indices of the shifted route's consignees (none without a shift)

    @property
    def count(self) -> int:
        return len(self.ids)


def _draw_consignees(rng, config: GeneratorConfig, period: Period) -> Consignees:
    """Consignees (n/50): activity Zipf-like, 35 % entering during the period, a hidden
    propensity, an imperfect credit rating of it, and the traits behind the revenue and
    quality mechanisms, likelier for a high propensity.

    Regular consignees come first; with a shift, the shifted route's new consignees follow:
    riskier, rated regular, all undervaluing, and trading only on that route.
    """
    n_regular = max(60, config.n_declarations // 50)
    n_shift = max(10, n_regular // 100) if config.shift_date is not None else 0
    n = n_regular + n_shift
    shift_route = np.arange(n_regular, n)
    ids = np.concatenate([_uscc(rng, n_regular), _uscc(rng, n_shift, prefix="93")])
    propensity = rng.normal(size=n)
    propensity[shift_route] = rng.normal(1.0, 0.5, n_shift)
    activity = 1.0 / np.arange(1, n + 1) ** 0.9
    rng.shuffle(activity)
    activity[shift_route] = 0.0  # they only trade on the shifted route
    new_entrant = rng.random(n) < 0.35
    entered = np.where(new_entrant, period.uniform_times(rng, n), period.start)
    if n_shift:
        entered[shift_route] = np.datetime64(pd.Timestamp(config.shift_date), "s")
    credit_level = _rate_credit(rng, propensity)
    credit_level[shift_route] = CREDIT_LEVELS.index("regular")
    undervaluer = rng.random(n) < expit(-2.2 + 1.0 * propensity)
    undervaluer[shift_route] = True
    quality_lax = rng.random(n) < expit(-2.4 + 0.8 * propensity)
    home_sectors = rng.integers(0, len(SECTOR_NAMES), size=(n, 2))
    home_share = rng.uniform(0.6, 0.95, n)
    return Consignees(
        ids=ids,
        propensity=propensity,
        activity=activity,
        entered=entered,
        credit_level=credit_level,
        undervaluer=undervaluer,
        quality_lax=quality_lax,
        home_sectors=home_sectors,
        home_share=home_share,
        shift_route=shift_route,
    )


def _rate_credit(rng, propensity: np.ndarray) -> np.ndarray:
    """Order No. 282 levels (0 advanced certified … 4 seriously dishonest) in the shares
    ``CREDIT_SHARES``, ranked by propensity plus noise: the rating is imperfect."""
    rating = propensity + rng.normal(scale=0.8, size=len(propensity))
    cuts = np.quantile(rating, np.cumsum(CREDIT_SHARES)[:-1])
    return np.searchsorted(cuts, rating)


@dataclass(frozen=True)
class Brokers:
    """Customs brokers (declarants) declaring for the consignees."""

    ids: np.ndarray
    effect: np.ndarray  # log-odds added to every violation on their declarations
    of_consignee: np.ndarray  # the two brokers (indices) each consignee uses


def _draw_brokers(rng, config: GeneratorConfig, n_consignees: int) -> Brokers:
    """Up to 300 brokers, 5 % of them complicit; each consignee works with two."""
    n = max(20, min(300, config.n_declarations // 600))
    ids = _uscc(rng, n, prefix="92")
    effect = np.where(rng.random(n) < 0.05, 0.7, 0.0)
    return Brokers(ids, effect, rng.integers(0, n, size=(n_consignees, 2)))


@dataclass(frozen=True)
class OverseasTraders:
    """Overseas sellers, and the regular suppliers of each consignee."""

    ids: np.ndarray
    regular: np.ndarray  # the three traders (indices) each consignee usually buys from


def _draw_overseas_traders(rng, config: GeneratorConfig, n_consignees: int) -> OverseasTraders:
    """Overseas traders (n/30); each consignee has three regular ones."""
    n = max(100, config.n_declarations // 30)
    ids = np.array([f"OT-{i:06d}" for i in range(n)], dtype=object)
    return OverseasTraders(ids, rng.integers(0, n, size=(n_consignees, 3)))


@dataclass(frozen=True)
class Parties:
    """Who trades: consignees, the brokers declaring for them, their overseas suppliers."""

    consignees: Consignees
    brokers: Brokers
    traders: OverseasTraders


def _draw_parties(rng, config: GeneratorConfig, period: Period) -> Parties:
    """The enterprises of the world: consignees first, then brokers and overseas traders."""
    consignees = _draw_consignees(rng, config, period)
    brokers = _draw_brokers(rng, config, consignees.count)
    return Parties(consignees, brokers, _draw_overseas_traders(rng, config, consignees.count))


# --- declarations (headers) -----------------------------------------------------------------


@dataclass(frozen=True)
class Headers:
    """Declaration headers: who declares, when, bought from whom, from where."""

    items_per: np.ndarray  # goods items on the declaration
    consignee: np.ndarray
    time: np.ndarray
    shifted: np.ndarray  # on the shifted route
    home_sector: np.ndarray  # sector (index) most of its goods come from
    declarant: np.ndarray  # broker index
    casual: np.ndarray  # bought from a trader outside the consignee's regular ones
    trader_id: np.ndarray
    origin: np.ndarray
    root: np.ndarray  # the earlier declaration a standing order repeats (-1: none)

    @property
    def count(self) -> int:
        return len(self.items_per)

    @property
    def repeat(self) -> np.ndarray:
        return self.root >= 0


def _draw_headers(rng, config: GeneratorConfig, period: Period, parties: Parties) -> Headers:
    """Declarations of 1-3 goods items by consignees in proportion to their activity, at
    busy times after they entered; their broker, overseas trader and origin.

    Standing orders: a consignee re-orders goods it has declared before, on the same terms
    (a misdeclared line stays misdeclared), so a repeat copies its root's terms.
    """
    consignees = parties.consignees
    items_per = _items_per_declaration(rng, config.n_declarations)
    n = len(items_per)
    activity = consignees.activity / consignees.activity.sum()
    consignee = rng.choice(consignees.count, size=n, p=activity)
    time = _day_times(rng, n, period.start, period.end, consignees.entered[consignee])
    shifted, consignee = _shifted_route(rng, config, consignees.shift_route, consignee, time)
    home = np.where(rng.random(n) < 0.7, 0, 1)
    home_sector = consignees.home_sectors[consignee, home]
    declarant = parties.brokers.of_consignee[consignee, rng.integers(0, 2, n)]
    casual, trader_id = _header_traders(rng, parties.traders, consignee, shifted)
    origin = _header_origins(rng, consignee, home_sector, shifted)
    root = _standing_order_roots(rng, consignee, time, (items_per == 1) & ~shifted)
    repeat = root >= 0
    for terms in (origin, trader_id, casual, home_sector):
        terms[repeat] = terms[root[repeat]]
    return Headers(
        items_per=items_per,
        consignee=consignee,
        time=time,
        shifted=shifted,
        home_sector=home_sector,
        declarant=declarant,
        casual=casual,
        trader_id=trader_id,
        origin=origin,
        root=root,
    )


def _items_per_declaration(rng, n_items: int) -> np.ndarray:
    """Goods items per declaration (80 % one, 15 % two, 5 % three), ``n_items`` in all."""
    items_per = rng.choice([1, 2, 3], size=n_items, p=[0.8, 0.15, 0.05])
    n_headers = int(np.searchsorted(np.cumsum(items_per), n_items) + 1)
    items_per = items_per[:n_headers]
    items_per[-1] -= items_per.sum() - n_items
    return items_per


def _shifted_route(
    rng, config: GeneratorConfig, shift_route: np.ndarray, consignee: np.ndarray, time
) -> tuple[np.ndarray, np.ndarray]:
    """From the shift date, ``SHIFT_SHARE`` of the declarations are the new route's: returns
    which, and the consignees with theirs replaced by one of the route's."""
    shifted = np.zeros(len(consignee), dtype=bool)
    if len(shift_route):
        shift_at = np.datetime64(pd.Timestamp(config.shift_date), "s")
        shifted = (time >= shift_at) & (rng.random(len(consignee)) < SHIFT_SHARE)
        consignee = consignee.copy()
        consignee[shifted] = rng.choice(shift_route, size=shifted.sum())
    return shifted, consignee


def _header_traders(
    rng, traders: OverseasTraders, consignee: np.ndarray, shifted: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each declaration's overseas trader: one of the consignee's regular three, or a
    casual one (15 %); the shifted route buys from its own new traders. Returns
    (casual, trader ids)."""
    n = len(consignee)
    casual = rng.random(n) < 0.15
    trader = np.where(
        casual,
        rng.integers(0, len(traders.ids), n),
        traders.regular[consignee, rng.integers(0, 3, n)],
    )
    trader_id = traders.ids[trader].copy()
    if shifted.any():
        n_shifted = shifted.sum()
        new = rng.integers(0, max(20, n_shifted // 40), n_shifted)
        trader_id[shifted] = np.array([f"OT-S{i:05d}" for i in new], dtype=object)
    return casual, trader_id


def _header_origins(
    rng, consignee: np.ndarray, home_sector: np.ndarray, shifted: np.ndarray
) -> np.ndarray:
    """Origin: one of the home sector's supplier countries, 70 % the consignee's favourite,
    else weighted by trade; the shifted route's is ``SHIFT_ORIGIN``."""
    origin = np.empty(len(consignee), dtype=object)
    for s_index, sector in enumerate(SECTOR_NAMES):
        rows = np.flatnonzero(home_sector == s_index)
        candidates = np.array([o for o in ORIGIN_CODES if sector in ORIGINS[o][2]])
        weights = np.array([ORIGINS[o][0] for o in candidates])
        # a consignee keeps to its favourite origins: seed the choice with its id
        favourite = (consignee[rows] * 7 + s_index) % len(candidates)
        pick = np.where(
            rng.random(len(rows)) < 0.7,
            favourite,
            rng.choice(len(candidates), size=len(rows), p=weights / weights.sum()),
        )
        origin[rows] = candidates[pick]
    origin[shifted] = SHIFT_ORIGIN
    return origin


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


# --- goods items, their value and licences --------------------------------------------------


@dataclass(frozen=True)
class GoodsItems:
    """Goods items, one per item of a declaration, and what their goods code implies."""

    header: np.ndarray  # the item's declaration (index)
    item_no: np.ndarray
    consignee: np.ndarray
    time: np.ndarray
    origin: np.ndarray
    on_shifted_route: np.ndarray
    goods_index: np.ndarray  # row of the goods table
    hs_code: np.ndarray
    chapter: np.ndarray  # HS chapter (two digits)
    duty_rate: np.ndarray
    sector: np.ndarray  # sector name
    unit: np.ndarray  # the goods' declared quantity unit
    repeat_item: np.ndarray  # items of standing orders …
    root_item: np.ndarray  # … and the items they repeat

    @property
    def count(self) -> int:
        return len(self.header)


def _draw_goods_items(
    rng, goods: pd.DataFrame, headers: Headers, consignees: Consignees
) -> GoodsItems:
    """Each declaration's goods: from its home sector, or for the consignee's share of
    other trade any sector; the shifted route's are ``SHIFT_SECTOR`` goods. A standing
    order's single item repeats its root's goods."""
    header = np.repeat(np.arange(headers.count), headers.items_per)
    n = len(header)
    item_no = (
        np.concatenate([np.arange(1, k + 1) for k in headers.items_per])
        if headers.count
        else header
    )
    consignee = headers.consignee[header]
    in_home = rng.random(n) < consignees.home_share[consignee]
    sector = np.where(in_home, headers.home_sector[header], rng.integers(0, len(SECTOR_NAMES), n))
    sector[headers.shifted[header]] = list(SECTOR_NAMES).index(SHIFT_SECTOR)
    goods_index = np.empty(n, dtype=np.int64)
    for s_index, name in enumerate(SECTOR_NAMES):
        rows = np.flatnonzero(sector == s_index)
        in_sector = np.flatnonzero(goods["sector"].to_numpy() == name)
        goods_index[rows] = rng.choice(in_sector, size=len(rows))
    # single-item declarations: declaration h's item is the last of the first h + 1 ones'
    first_item = np.cumsum(headers.items_per) - 1
    repeat_item, root_item = first_item[headers.repeat], first_item[headers.root[headers.repeat]]
    goods_index[repeat_item] = goods_index[root_item]
    hs_code = goods["hs_code"].to_numpy()[goods_index]
    return GoodsItems(
        header=header,
        item_no=item_no,
        consignee=consignee,
        time=headers.time[header],
        origin=headers.origin[header],
        on_shifted_route=headers.shifted[header],
        goods_index=goods_index,
        hs_code=hs_code,
        chapter=np.array([h[:2] for h in hs_code], dtype=object),
        duty_rate=goods["duty_rate"].to_numpy()[goods_index],
        sector=goods["sector"].to_numpy()[goods_index],
        unit=goods["unit"].to_numpy()[goods_index],
        repeat_item=repeat_item,
        root_item=root_item,
    )


@dataclass(frozen=True)
class MarketValues:
    """What the goods are really worth."""

    reference: np.ndarray  # market CNY per kg of the item's HS code × origin
    net_kg: np.ndarray
    true_value: np.ndarray  # CNY


def _draw_market_values(rng, goods: pd.DataFrame, items: GoodsItems) -> MarketValues:
    """A reference price per HS × origin (the market), the item's true unit value around
    it, and a net weight around the sector's typical one; a standing order keeps its
    root's."""
    pair_key = pd.factorize(pd.Series(items.hs_code) + "|" + pd.Series(items.origin))[0]
    pair_factor = np.exp(rng.normal(0, 0.25, pair_key.max() + 1))
    reference = goods["reference_cny_per_kg"].to_numpy()[items.goods_index] * pair_factor[pair_key]
    true_unit_value = reference * np.exp(rng.normal(0, 0.3, items.count))
    typical_kg = np.array([SECTORS[s][1] for s in items.sector])
    net_kg = np.round(typical_kg * np.exp(rng.normal(0, 1.0, items.count)) + 0.1, 2)
    true_unit_value[items.repeat_item] = true_unit_value[items.root_item]
    net_kg[items.repeat_item] = net_kg[items.root_item]
    return MarketValues(reference, net_kg, net_kg * true_unit_value)


@dataclass(frozen=True)
class DeclaredValues:
    """What the consignee declares the goods are worth."""

    undervalued: np.ndarray
    discount: np.ndarray  # a legitimate discount
    value_cny: np.ndarray


def _draw_declared_values(
    rng, items: GoodsItems, market: MarketValues, consignees: Consignees
) -> DeclaredValues:
    """The revenue mechanism: undervaluers declare 60 % of their dutiable items at 30-70 %
    of the true value, the shifted route all of its items at 35-55 %; 6 % of the other
    items carry a legitimate discount, so that cheap is not always fraud. A standing order
    keeps its root's terms."""
    n = items.count
    shifted = items.on_shifted_route
    dutiable = items.duty_rate > 0.0
    undervalued = consignees.undervaluer[items.consignee] & dutiable & (rng.random(n) < 0.6)
    declared_share = np.ones(n)
    declared_share[undervalued] = rng.uniform(0.3, 0.7, undervalued.sum())
    declared_share[shifted] = rng.uniform(0.35, 0.55, shifted.sum())
    undervalued |= shifted
    discount = ~undervalued & (rng.random(n) < 0.06)
    declared_share[discount] = rng.uniform(0.5, 0.8, discount.sum())
    for terms in (undervalued, discount, declared_share):
        terms[items.repeat_item] = terms[items.root_item]
    return DeclaredValues(undervalued, discount, np.round(market.true_value * declared_share, 2))


@dataclass(frozen=True)
class Licences:
    """Licences (监管证件) the goods require, and those the declaration gives."""

    needed: np.ndarray
    missing: np.ndarray
    exempt: np.ndarray  # missing legitimately, e.g. samples below thresholds
    codes: np.ndarray  # as declared


def _draw_licences(rng, goods: pd.DataFrame, items: GoodsItems, consignees: Consignees) -> Licences:
    """Required licences are sometimes missing, more often for risky consignees; a quarter
    of the missing ones are legitimately exempt."""
    required = goods["required_licences"].to_numpy()[items.goods_index]
    needed = required != ""
    risky = expit(-2.8 + 0.9 * consignees.propensity[items.consignee])
    missing = needed & (rng.random(items.count) < risky)
    exempt = missing & (rng.random(items.count) < 0.25)
    return Licences(needed, missing, exempt, np.where(needed & ~missing, required, ""))


# --- credit over time, self-reports -----------------------------------------------------------


@dataclass(frozen=True)
class CreditChanges:
    """Consignees whose credit level changes by one step during the period."""

    changes: np.ndarray  # per consignee
    change_at: np.ndarray
    later_level: np.ndarray
    level_at_item: np.ndarray  # the consignee's level when the item was declared


def _draw_credit_changes(
    rng, period: Period, consignees: Consignees, items: GoodsItems
) -> CreditChanges:
    """15 % of consignees change level by one step, at least 30 days after they entered;
    downgrades are likelier for a high propensity."""
    n = consignees.count
    changes = rng.random(n) < 0.15
    change_at = np.maximum(period.uniform_times(rng, n), consignees.entered + 30 * DAY)
    step = np.where(rng.random(n) < expit(consignees.propensity), 1, -1)
    later_level = np.clip(consignees.credit_level + step, 0, len(CREDIT_LEVELS) - 1)
    c = items.consignee
    level_at_item = np.where(
        changes[c] & (items.time >= change_at[c]), later_level[c], consignees.credit_level[c]
    )
    return CreditChanges(changes, change_at, later_level, level_at_item)


@dataclass(frozen=True)
class SelfReports:
    """Voluntary self-reports of a violation (one at most per consignee)."""

    reporter: np.ndarray  # per consignee
    at: np.ndarray
    after: np.ndarray  # per item: declared after its consignee's self-report


def _draw_self_reports(
    rng, period: Period, consignees: Consignees, items: GoodsItems
) -> SelfReports:
    """3 % of consignees report themselves once during the period, and are less risky after."""
    reporter = rng.random(consignees.count) < 0.03
    at = period.uniform_times(rng, consignees.count)
    after = reporter[items.consignee] & (items.time > at[items.consignee])
    return SelfReports(reporter, at, after)


# --- monitoring records and outbreaks --------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MonitoringRecord:
    """One monitoring record, before it gets its event id (the monitoring contract)."""

    event_type: str
    observed_at: np.datetime64
    enterprise_id: str | None = None
    hs_prefix: str | None = None
    origin_country: str | None = None
    risk_category: str
    outcome: str
    provenance_channel: str = "monitoring"


@dataclass(frozen=True)
class Outbreak:
    """A hidden hazard on one HS chapter from one origin, for a while."""

    category: str
    chapter: str
    origin: str
    begin: np.datetime64
    duration_days: float
    intensity: float  # log-odds added to the items declared while it lasts

    @property
    def end(self) -> np.datetime64:
        return self.begin + int(self.duration_days * 86_400) * SECOND


@dataclass(frozen=True)
class Outbreaks:
    """The outbreaks' hidden hazards, and what monitoring saw of them."""

    hazards: dict[str, np.ndarray]  # category → log-odds added to each item
    records: list[MonitoringRecord]


def _draw_outbreaks(
    rng, config: GeneratorConfig, period: Period, goods: pd.DataFrame, items: GoodsItems
) -> Outbreaks:
    """Five outbreaks a month per category, each on an HS chapter × origin of the
    category's sectors: a hidden hazard on the items declared while it lasts, and the
    monitoring records it produces."""
    hazards = {c: np.zeros(items.count) for c in OUTBREAK_SECTORS}
    records: list[MonitoringRecord] = []
    pair = pd.Series(items.chapter) + "|" + pd.Series(items.origin)
    rows_of_pair = pd.Series(np.arange(items.count)).groupby(pair).indices
    for category, sectors in OUTBREAK_SECTORS.items():
        chapters = sorted(
            {h[:2] for h, s in zip(goods["hs_code"], goods["sector"], strict=True) if s in sectors}
        )
        origins = [o for o in ORIGIN_CODES if any(s in ORIGINS[o][2] for s in sectors)]
        for _ in range(int(config.months * 5)):
            outbreak = _draw_outbreak(rng, period, category, chapters, origins)
            rows = rows_of_pair.get(f"{outbreak.chapter}|{outbreak.origin}")
            if rows is not None:
                during = (items.time[rows] >= outbreak.begin) & (items.time[rows] < outbreak.end)
                hazards[category][rows[during]] += outbreak.intensity
            records += _outbreak_records(rng, outbreak)
    return Outbreaks(hazards, records)


def _draw_outbreak(
    rng, period: Period, category: str, chapters: list[str], origins: list[str]
) -> Outbreak:
    """One outbreak: 30-120 days, starting up to a month before the period or any time in
    it, adding 1.5-3.2 to the log-odds."""
    chapter = chapters[rng.integers(len(chapters))]
    origin = origins[rng.integers(len(origins))]
    begin = period.start + int(rng.uniform(-30, period.days) * 86_400) * SECOND
    duration = rng.uniform(30, 120)
    intensity = rng.uniform(1.5, 3.2)
    return Outbreak(category, chapter, origin, begin, duration, intensity)


def _outbreak_records(rng, outbreak: Outbreak) -> list[MonitoringRecord]:
    """What monitoring sees of an outbreak: interceptions or failed lab tests while it
    lasts, in proportion to its intensity and seen with a lag; sometimes a domestic alert
    on the whole HS chapter and a foreign authority's alert on the origin."""
    o = outbreak
    kind = "port_interception" if o.category == "biosecurity" else "lab_result"
    records = []
    for _ in range(rng.poisson(0.08 * o.duration_days * o.intensity / 2)):
        seen = o.begin + int(rng.uniform(3, o.duration_days + 10) * 86_400) * SECOND
        heading = o.chapter if rng.random() < 0.6 else f"{o.chapter}{rng.integers(1, 99):02d}"
        records.append(
            MonitoringRecord(
                event_type=kind,
                observed_at=seen,
                hs_prefix=heading,
                origin_country=o.origin,
                risk_category=o.category,
                outcome="adverse",
            )
        )
    if rng.random() < CHAPTER_WARNING_SHARE:  # a warning on the goods, any origin
        records.append(
            MonitoringRecord(
                event_type="domestic_alert",
                observed_at=o.begin + int(rng.uniform(10, 40) * 86_400) * SECOND,
                hs_prefix=o.chapter,
                risk_category=o.category,
                outcome="adverse",
            )
        )
    if rng.random() < 0.35:  # foreign authorities sometimes warn of the outbreak
        records.append(
            MonitoringRecord(
                event_type="foreign_alert",
                observed_at=o.begin + int(rng.uniform(0, 15) * 86_400) * SECOND,
                origin_country=o.origin,
                risk_category=o.category,
                outcome="adverse",
                provenance_channel="international_sharing",
            )
        )
    return records


def _sampling_results(rng, items: GoodsItems, consignees: Consignees) -> list[MonitoringRecord]:
    """Enterprise sampling of one item in 60: 35 % of lax consignees' samples fail, 5 % of
    the others'; results come 5-30 days after the declaration."""
    n_samples = max(50, items.count // 60)
    sampled = rng.integers(0, items.count, n_samples)
    lax = consignees.quality_lax[items.consignee[sampled]]
    fail = rng.random(n_samples) < np.where(lax, 0.35, 0.05)
    return [
        MonitoringRecord(
            event_type="sampling_result",
            observed_at=items.time[row] + int(rng.uniform(5, 30) * 86_400) * SECOND,
            enterprise_id=consignees.ids[items.consignee[row]],
            hs_prefix=items.hs_code[row][:4],
            risk_category="product_quality",
            outcome="adverse" if failed else "clear",
        )
        for row, failed in zip(sampled, fail, strict=True)
    ]


def _self_report_records(
    rng, consignees: Consignees, self_reports: SelfReports
) -> list[MonitoringRecord]:
    """The self-reports as monitoring sees them, each on one category."""
    return [
        MonitoringRecord(
            event_type="self_report",
            observed_at=self_reports.at[enterprise],
            enterprise_id=consignees.ids[enterprise],
            risk_category=RISK_CATEGORIES[rng.integers(len(RISK_CATEGORIES))],
            outcome="adverse",
            provenance_channel="self_report",
        )
        for enterprise in np.flatnonzero(self_reports.reporter)
    ]


def _background_lab_results(
    rng, config: GeneratorConfig, period: Period, items: GoodsItems
) -> list[MonitoringRecord]:
    """Lab results without an outbreak, six a month: clear, or (25 %) false alarms."""
    # The keyword arguments draw from the stream in the order they are written.
    return [
        MonitoringRecord(
            event_type="lab_result",
            observed_at=period.start + int(rng.uniform(0, period.days) * 86_400) * SECOND,
            hs_prefix=items.chapter[rng.integers(items.count)],
            origin_country=ORIGIN_CODES[rng.integers(len(ORIGIN_CODES))],
            risk_category=("food_safety", "biosecurity")[rng.integers(2)],
            outcome="adverse" if rng.random() < 0.25 else "clear",
        )
        for _ in range(max(20, config.months * 6))
    ]


# --- violations -------------------------------------------------------------------------------


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


def _new_relationships(items: GoodsItems, headers: Headers, consignees: Consignees) -> np.ndarray:
    """Items whose consignee first traded with their overseas trader (in these data) less
    than ``IPR_NEW_RELATIONSHIP_DAYS`` before."""
    trader = headers.trader_id[items.header]
    pair = pd.Series(consignees.ids[items.consignee]) + "|" + pd.Series(trader)
    first_seen = pd.Series(items.time).groupby(pair.to_numpy()).transform("min").to_numpy()
    return (items.time - first_seen) < IPR_NEW_RELATIONSHIP_DAYS * DAY


def _category_log_odds(
    rng,
    items: GoodsItems,
    headers: Headers,
    market: MarketValues,
    declared: DeclaredValues,
    licences: Licences,
    consignees: Consignees,
    hazards: dict[str, np.ndarray],
    trade_modes: np.ndarray,
) -> dict[str, np.ndarray]:
    """Each category's planted mechanism (docs/synthetic-data.md) as log-odds per item;
    -8 or -9 where the category does not apply."""
    sector = items.sector
    new_relationship = _new_relationships(items, headers, consignees)
    cheap = (declared.value_cny / market.net_kg) < 0.6 * market.reference
    unfamiliar_trader = headers.casual[items.header] | items.on_shifted_route
    is_ecommerce = np.isin(trade_modes[items.header], ["9610", "1210"])
    branded = np.isin(sector, ["fashion", "watches", "cosmetics"])
    in_sector = {
        c: np.isin(sector, [s for s, v in SECTORS.items() if c in v[0]]) for c in RISK_CATEGORIES
    }
    transshipped = rng.random(items.count) < 0.08
    return {
        "revenue": np.where(
            items.duty_rate > 0.0, -4.7 + 3.8 * declared.undervalued + 0.4 * declared.discount, -9.0
        ),
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
        "prohibited_restricted": np.where(
            licences.needed, -5.5 + 4.2 * (licences.missing & ~licences.exempt), -8.0
        ),
        "public_health": np.where(
            in_sector["public_health"], -4.4 + hazards["public_health"] + 1.4 * is_ecommerce, -9.0
        ),
        "product_quality": np.where(
            in_sector["product_quality"],
            -4.2 + 1.3 * consignees.quality_lax[items.consignee] + 0.6 * unfamiliar_trader,
            -9.0,
        ),
    }


def _shared_log_odds(
    items: GoodsItems,
    headers: Headers,
    parties: Parties,
    credit: CreditChanges,
    self_reports: SelfReports,
) -> np.ndarray:
    """Log-odds every category shares: the consignee's propensity (moved 0.4 per credit
    level it changed by), a complicit broker, and less after a self-report."""
    consignees, c = parties.consignees, items.consignee
    z = consignees.propensity[c] + (credit.level_at_item - consignees.credit_level[c]) * 0.4
    return (
        PROPENSITY_EFFECT * z
        + parties.brokers.effect[headers.declarant[items.header]]
        + SELF_REPORT_EFFECT * self_reports.after
    )


def _draw_violations(
    rng, logits: dict[str, np.ndarray], shared: np.ndarray
) -> dict[str, np.ndarray]:
    """Whether each item violates each category, with item-level noise on the log-odds."""
    n = len(shared)
    return {
        c: rng.random(n) < expit(logit + shared + rng.normal(0, ITEM_NOISE_SD, n))
        for c, logit in logits.items()
    }


# --- inspections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspections:
    """Items selected for inspection, and what inspection found, when."""

    inspected: np.ndarray
    reason: np.ndarray  # rule, random or planned_sampling
    found: dict[str, np.ndarray]  # category → finding per item
    inspected_at: np.ndarray
    known_at: np.ndarray  # when the outcome is known (lab tests take longer)
    recovered: np.ndarray  # duty recovered, CNY
    # What an inspection of *any* item would find and recover, drawn for every item
    # whether inspected or not (the truth frame's; the sources read only the above).
    detectable: dict[str, np.ndarray]  # category → violation an inspection would find
    at_stake: np.ndarray  # duty an inspection finding the revenue violation recovers, CNY


def _draw_inspections(
    rng,
    config: GeneratorConfig,
    period: Period,
    items: GoodsItems,
    market: MarketValues,
    declared: DeclaredValues,
    level_at_item: np.ndarray,
    violations: dict[str, np.ndarray],
) -> Inspections:
    """Inspection finds an existing violation with ``DETECTION_RATE``; outcomes are known
    days later (about 4, 14 for lab sectors). Undervaluation recovers the duty on the
    hidden value, other revenue findings (misclassification, wrong origin) a share of the
    item's value."""
    inspected, reason = _select_for_inspection(rng, config, period, items, declared, level_at_item)
    n = items.count
    # One detection draw per item and category, inspected or not, in the stream's order:
    # the truth frame says what inspecting any item would have found.
    detectable = {c: violations[c] & (rng.random(n) < DETECTION_RATE) for c in RISK_CATEGORIES}
    found = {c: detectable[c] & inspected for c in RISK_CATEGORIES}
    lab = np.isin(
        items.sector,
        ["animal", "plant", "food", "beverage", "pharma", "medical", "toys", "electrical", "wood"],
    )
    inspected_at = items.time + (rng.uniform(0.1, 3.0, n) * 86_400).astype(np.int64) * SECOND
    delay_days = np.exp(rng.normal(np.log(np.where(lab, 14.0, 4.0)), 0.5))
    known_at = inspected_at + (delay_days * 86_400).astype(np.int64) * SECOND
    misclassified = market.true_value * rng.uniform(0.05, 0.3, n) * ~declared.undervalued
    hidden = np.maximum(market.true_value - declared.value_cny, 0)
    at_stake = np.where(detectable["revenue"], (hidden + misclassified) * items.duty_rate, 0.0)
    recovered = np.where(inspected, at_stake, 0.0)
    return Inspections(
        inspected, reason, found, inspected_at, known_at, recovered, detectable, at_stake
    )


def _select_for_inspection(
    rng,
    config: GeneratorConfig,
    period: Period,
    items: GoodsItems,
    declared: DeclaredValues,
    level_at_item: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The legacy selection (biased towards low credit levels), plus planned sampling and
    a random share: dishonest consignees at fixed rates, the others by rule weight (credit
    level, duty at stake, sensitive sectors) scaled to ``inspection_rate`` in all.
    Returns (inspected, reason)."""
    duty_at_stake = declared.value_cny * items.duty_rate
    high_stake = duty_at_stake > np.quantile(duty_at_stake, 0.9)
    sensitive = np.isin(items.sector, ["animal", "plant", "pharma", "chemical", "wood"])
    factor = np.array([*CREDIT_INSPECTION_FACTOR, 0.0, 0.0])[level_at_item]
    rule_weight = factor * (1.0 + 1.0 * high_stake + 0.8 * sensitive)
    dishonest = level_at_item >= 3
    fixed_rate = (
        np.where(level_at_item == 4, DISHONEST_INSPECTION_RATE[1], DISHONEST_INSPECTION_RATE[0])
        * dishonest
    )
    planned = _planned_sampling(rng, config, period, items, level_at_item)
    n = items.count
    random_pick = rng.random(n) < config.random_share
    budget = config.inspection_rate * n - random_pick.sum() - planned.sum() - fixed_rate.sum()
    scale = max(budget, 0.0) / max(rule_weight.sum(), 1e-9)
    rule_pick = rng.random(n) < np.minimum(fixed_rate + scale * rule_weight, 1.0)
    inspected = rule_pick | random_pick | planned
    reason = np.where(random_pick, "random", np.where(planned, "planned_sampling", "rule"))
    return inspected, reason


def _planned_sampling(
    rng, config: GeneratorConfig, period: Period, items: GoodsItems, level_at_item: np.ndarray
) -> np.ndarray:
    """The planned sampling programme: each month 3 % of the items of three HS chapters;
    advanced certified enterprises are spared."""
    planned = np.zeros(items.count, dtype=bool)
    month = ((items.time - period.start) / DAY / 30.44).astype(int)
    chapters = sorted(set(items.chapter))
    for m in range(config.months + 1):
        plan = rng.choice(chapters, size=3, replace=False)
        in_plan = (month == m) & np.isin(items.chapter, plan)
        planned |= in_plan & (rng.random(items.count) < 0.03)
    return planned & (level_at_item > 0)


# --- the frames -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Logistics:
    """Per declaration: its number, where and how the goods arrive, on which terms."""

    declaration_id: np.ndarray
    trade_mode: np.ndarray  # supervision mode, drawn earlier (it drives some violations)
    office: np.ndarray
    port: np.ndarray
    transport: np.ndarray
    departure: np.ndarray
    currency: np.ndarray
    incoterm: np.ndarray


def _draw_logistics(rng, headers: Headers, trade_modes: np.ndarray) -> Logistics:
    """Customs office and port, transport mode, departure country (8 % via a transshipment
    hub), invoice currency (70 % the origin's, else USD; a standing order keeps its
    root's), incoterm, and a declaration number of office, year and sequence."""
    n = headers.count
    office = np.array(list(OFFICES))[rng.integers(0, len(OFFICES), n)]
    port = np.array([OFFICES[o][rng.integers(len(OFFICES[o]))] for o in office])
    transport = _transport_modes(rng, SECTOR_NAMES[headers.home_sector], trade_modes)
    departure = np.where(
        rng.random(n) < 0.08,
        np.array(TRANSSHIPMENT_HUBS)[rng.integers(0, len(TRANSSHIPMENT_HUBS), n)],
        headers.origin,
    )
    currency = np.array([ORIGINS[o][1] if rng.random() < 0.7 else "USD" for o in headers.origin])
    currency[headers.repeat] = currency[headers.root[headers.repeat]]
    incoterm = rng.choice(
        ["FOB", "CIF", "EXW", "CFR", "DAP", "FCA"],
        size=n,
        p=[0.45, 0.30, 0.10, 0.08, 0.04, 0.03],
    )
    sequence = rng.permutation(n) + 10_000_000
    year = headers.time.astype("datetime64[Y]").astype(int) + 1970
    declaration_id = np.array(
        [f"{o}{y}0{s:09d}" for o, y, s in zip(office, year, sequence, strict=True)],
        dtype=object,
    )
    return Logistics(
        declaration_id, trade_modes, office, port, transport, departure, currency, incoterm
    )


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


def _draw_quantities(rng, unit: np.ndarray, net_kg: np.ndarray) -> np.ndarray:
    """Quantity in the goods' declared unit: kg and litres as the net weight, m³ at
    600 kg, sets of about 1.5 t, pieces of a random weight each."""
    piece_kg = np.where(unit == "pcs", np.exp(rng.normal(-0.5, 0.8, len(unit))), 1.0)
    return np.select(
        [unit == "kg", unit == "m3", unit == "l", unit == "set"],
        [net_kg, net_kg / 600.0, net_kg, np.maximum(np.round(net_kg / 1500.0), 1)],
        default=np.maximum(np.round(net_kg / piece_kg), 1),
    )


def _declarations_frame(
    rng,
    headers: Headers,
    items: GoodsItems,
    logistics: Logistics,
    parties: Parties,
    market: MarketValues,
    declared: DeclaredValues,
    licences: Licences,
) -> pd.DataFrame:
    """The declarations source: one row per goods item, in time order."""
    h = items.header
    currency = logistics.currency[h]
    fx = np.array([FX_TO_CNY[c] for c in currency])
    quantity = _draw_quantities(rng, items.unit, market.net_kg)
    gross_kg = np.round(market.net_kg * rng.uniform(1.02, 1.25, items.count), 2)
    declarations = pd.DataFrame(
        {
            "declaration_id": logistics.declaration_id[h],
            "item_no": items.item_no,
            "declared_at": items.time,
            "customs_office": logistics.office[h],
            "port_code": logistics.port[h],
            "trade_mode": logistics.trade_mode[h],
            "transport_mode": logistics.transport[h],
            "consignee_id": parties.consignees.ids[items.consignee],
            "declarant_id": parties.brokers.ids[headers.declarant[h]],
            "overseas_trader_id": headers.trader_id[h],
            "hs_code": items.hs_code,
            "origin_country": items.origin,
            "departure_country": logistics.departure[h],
            "incoterm": logistics.incoterm[h],
            "currency": currency,
            "declared_value": np.round(declared.value_cny / fx, 2),
            "value_cny": declared.value_cny,
            "quantity": np.round(quantity, 3),
            "quantity_unit": items.unit,
            "net_weight_kg": market.net_kg,
            "gross_weight_kg": gross_kg,
            "duty_rate": items.duty_rate,
            "licence_codes": licences.codes,
            "provenance_channel": "single_window",
        }
    )
    return declarations.sort_values(
        ["declared_at", "declaration_id", "item_no"], kind="stable"
    ).reset_index(drop=True)


def _outcomes_frame(
    items: GoodsItems,
    logistics: Logistics,
    inspections: Inspections,
    end: np.datetime64,
    random_share: float,
) -> pd.DataFrame:
    """The inspection outcomes source: the inspected items whose outcome is known by the
    period's end. The data are a snapshot then: outcomes still pending (the label delay)
    are not in it yet."""
    picked = np.flatnonzero(inspections.inspected)
    outcomes = (
        pd.DataFrame(
            {
                "declaration_id": logistics.declaration_id[items.header[picked]],
                "item_no": items.item_no[picked],
                "selection_reason": inspections.reason[picked],
                "inspected_at": inspections.inspected_at[picked],
                "outcome_known_at": inspections.known_at[picked],
                **{f"finding_{c}": inspections.found[c][picked] for c in RISK_CATEGORIES},
                "duty_recovered_cny": np.round(inspections.recovered[picked], 2),
                "selection_probability": np.where(
                    inspections.reason[picked] == "random", random_share, np.nan
                ),
            }
        )
        .sort_values("outcome_known_at", kind="stable")
        .reset_index(drop=True)
    )
    return outcomes[outcomes["outcome_known_at"] < end].reset_index(drop=True)


def truth_frame(
    items: GoodsItems,
    logistics: Logistics,
    violations: dict[str, np.ndarray],
    inspections: Inspections,
) -> pd.DataFrame:
    """The world's truth per goods item, inspected or not: ``violation_<category>`` (a
    violation is there), ``detectable_<category>`` (an inspection would find it: the
    generator's own detection draw), ``duty_at_stake_cny`` (duty an inspection would
    recover, as ``duty_recovered_cny`` of a found revenue violation) and
    ``outcome_delay_s`` (seconds from declaration to a known outcome, if inspected).
    Items in the declarations' order (time, declaration, item)."""
    truth = pd.DataFrame(
        {
            "declaration_id": logistics.declaration_id[items.header],
            "item_no": items.item_no,
            "declared_at": items.time,
            **{f"violation_{c}": violations[c] for c in RISK_CATEGORIES},
            **{f"detectable_{c}": inspections.detectable[c] for c in RISK_CATEGORIES},
            "duty_at_stake_cny": np.round(inspections.at_stake, 2),
            "outcome_delay_s": (inspections.known_at - items.time) / SECOND,
        }
    )
    return truth.sort_values(
        ["declared_at", "declaration_id", "item_no"], kind="stable"
    ).reset_index(drop=True)


def _credit_history(
    rng, consignees: Consignees, credit: CreditChanges, broker_ids: np.ndarray, period: Period
) -> pd.DataFrame:
    """The credit history source: one period per enterprise, a second from the change date
    for those whose level changed before the period's end (later changes are not known
    yet), and the brokers' levels."""
    changes = credit.changes & (credit.change_at < period.end)
    first_from = (
        np.minimum(consignees.entered, period.start)
        - (rng.uniform(30, 1500, consignees.count) * 86_400).astype(np.int64) * SECOND
    )
    first = pd.DataFrame(
        {
            "enterprise_id": consignees.ids,
            "credit_level": np.array(CREDIT_LEVELS)[consignees.credit_level],
            "valid_from": first_from,
            "valid_to": np.where(changes, credit.change_at, np.datetime64("NaT")),
        }
    )
    second = pd.DataFrame(
        {
            "enterprise_id": consignees.ids[changes],
            "credit_level": np.array(CREDIT_LEVELS)[credit.later_level[changes]],
            "valid_from": credit.change_at[changes],
            "valid_to": np.datetime64("NaT"),
        }
    )
    brokers = pd.DataFrame(
        {
            "enterprise_id": broker_ids,
            "credit_level": rng.choice(CREDIT_LEVELS[:3], size=len(broker_ids), p=[0.3, 0.4, 0.3]),
            "valid_from": period.start - 365 * DAY,
            "valid_to": np.datetime64("NaT"),
        }
    )
    credit_history = pd.concat([first, second, brokers], ignore_index=True)
    credit_history["valid_to"] = pd.to_datetime(credit_history["valid_to"])
    credit_history["provenance_channel"] = "interagency_sharing"
    return credit_history.sort_values(["enterprise_id", "valid_from"], kind="stable").reset_index(
        drop=True
    )


def _monitoring_frame(records: list[MonitoringRecord], end: np.datetime64) -> pd.DataFrame:
    """The monitoring source: records observed by the period's end, numbered in time order."""
    monitoring = pd.DataFrame(records).sort_values("observed_at", kind="stable")
    monitoring = monitoring[monitoring["observed_at"] < end].reset_index(drop=True)
    monitoring.insert(0, "event_id", [f"MON-{i:07d}" for i in range(len(monitoring))])
    return monitoring
