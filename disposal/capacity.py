"""Reports on a ``dispose_frame`` result: capacity used against the policy's targets, the
random selection against its configuration, inspection rates by credit level.

- ``capacity_report``: per day and measure kind, the share of goods items the model
  policy sent to that kind against its target share (the sum of its rules' targets), and
  the share from every source (instructions and random picks come on top of the targets).
- ``random_selection_report``: per credit level, the configured probability, the observed
  share and its exact binomial (Clopper-Pearson) interval: a share outside the interval
  means the draw is not doing what the configuration says.
- ``inspection_by_credit``: per credit level, the share of items physically inspected (a
  measure of an inspecting kind, any source), against regular enterprises' rate — the
  Order No. 251 yardstick.
"""

from __future__ import annotations

import pandas as pd
from scipy.stats import beta

from disposal.catalogue import MeasureCatalogue, MeasureKind
from disposal.disposition import items_of
from disposal.policy import DisposalPolicy, PolicyThresholds
from sources.contracts import CREDIT_LEVELS

ITEM_KEY = ["declaration_id", "item_no"]


def _applied(disposed: pd.DataFrame) -> pd.DataFrame:
    return disposed[~disposed["overridden"]]


def capacity_report(
    disposed: pd.DataFrame,
    policy: DisposalPolicy,
    catalogue: MeasureCatalogue,
    thresholds: PolicyThresholds | None = None,
) -> pd.DataFrame:
    """Per day (of ``declared_at``) and measure kind: items that day, the target share,
    items (count and share) reaching the kind through the model policy and through any
    source. Kinds with neither a target nor an item are left out. With ``thresholds``,
    the targets of rules that are inactive for the model (none of their categories
    scored) are left out: no threshold can meet them."""
    inactive = {r.rule for r in thresholds.rules if not r.active} if thresholds else set()
    targets: dict[str, float] = {}
    for rule in policy.rules:
        if rule.name in inactive:
            continue
        kind = catalogue.measure(rule.measure).kind.value
        targets[kind] = targets.get(kind, 0.0) + rule.target_share
    applied = _applied(disposed).assign(
        day=lambda f: pd.to_datetime(f["declared_at"]).dt.floor("D")
    )
    items = applied.drop_duplicates(ITEM_KEY).groupby("day").size().rename("items")
    any_source = applied.drop_duplicates([*ITEM_KEY, "kind"]).groupby(["day", "kind"]).size()
    model = (
        applied[applied["source"] == "model"]
        .drop_duplicates([*ITEM_KEY, "kind"])
        .groupby(["day", "kind"])
        .size()
    )
    present = set(applied["kind"]) | set(targets)
    kinds = [k.value for k in MeasureKind if k.value in present]
    grid = pd.MultiIndex.from_product([items.index, kinds], names=["day", "kind"])
    report = pd.DataFrame(index=grid).reset_index()
    report["items"] = report["day"].map(items)
    report["target_share"] = report["kind"].map(targets).fillna(0.0)
    report["model_count"] = model.reindex(grid, fill_value=0).to_numpy()
    report["model_share"] = report["model_count"] / report["items"]
    report["count"] = any_source.reindex(grid, fill_value=0).to_numpy()
    report["share"] = report["count"] / report["items"]
    return report


def binomial_interval(selected: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a share of ``selected`` out of ``n``."""
    alpha = 1 - confidence
    low = 0.0 if selected == 0 else float(beta.ppf(alpha / 2, selected, n - selected + 1))
    high = 1.0 if selected == n else float(beta.ppf(1 - alpha / 2, selected + 1, n - selected))
    return low, high


def random_selection_report(
    disposed: pd.DataFrame, policy: DisposalPolicy, confidence: float = 0.95
) -> pd.DataFrame:
    """Per credit level present: items, configured probability, items selected at random,
    observed share, its interval and whether the configured probability lies inside."""
    items = items_of(disposed)
    rows = []
    for level in CREDIT_LEVELS:
        of_level = items[items["credit_level"] == level]
        if of_level.empty:
            continue
        n, selected = len(of_level), int(of_level["random"].sum())
        low, high = binomial_interval(selected, n, confidence)
        probability = policy.credit[level].random_share
        rows.append(
            {
                "credit_level": level,
                "items": n,
                "probability": probability,
                "selected": selected,
                "share": selected / n,
                "low": low,
                "high": high,
                "within": low <= probability <= high,
            }
        )
    columns = ["credit_level", "items", "probability", "selected", "share", "low", "high"]
    return pd.DataFrame(rows, columns=[*columns, "within"])


def inspection_by_credit(disposed: pd.DataFrame) -> pd.DataFrame:
    """Per credit level present: items, items inspected (scan, manual or sampling, from any
    source), the inspection rate and its ratio to regular enterprises' rate."""
    inspecting = {k.value for k in MeasureKind if k.inspects}
    applied = _applied(disposed)
    inspected = applied[applied["kind"].isin(inspecting)].drop_duplicates(ITEM_KEY)
    items = items_of(disposed).merge(
        inspected[ITEM_KEY].assign(inspected=True), on=ITEM_KEY, how="left"
    )
    items["inspected"] = items["inspected"].fillna(False).astype(bool)
    report = (
        items.groupby("credit_level")["inspected"]
        .agg(items="size", inspected="sum")
        .reindex([c for c in CREDIT_LEVELS if c in set(items["credit_level"])])
    )
    report["rate"] = report["inspected"] / report["items"]
    regular = report["rate"].get("regular", float("nan"))
    report["relative_to_regular"] = report["rate"] / regular
    return report.reset_index()
