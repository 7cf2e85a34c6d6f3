"""Effectiveness of risk management (Art. 18, second paragraph), per window.

For each period of declarations: how many goods items were inspected (inspection rate),
how often an inspection found something (hit rate) by selection reason and by the
consignee's credit level, the duty recovered, and how well the served model's calibrated
probabilities matched what inspections found. Only outcomes known by ``as_of`` count;
the others are reported as pending.

Definitions: an inspection *hits* when it found a violation in any Art. 2 category; the
random selection's hit rate is the unbiased base rate, so ``lift`` = hit rate / random
hit rate of the same window shows what targeting adds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.metrics import expected_calibration_error, observed_expected, relative_ece
from sources.contracts import CREDIT_LEVELS, FINDING_COLUMNS, SELECTION_REASONS

UNRATED = "unrated"


def credit_names(ordinal: pd.Series) -> pd.Series:
    """Credit level ordinal (feature ``consignee_credit_level``) → Order No. 282 name."""
    names = dict(enumerate(CREDIT_LEVELS))
    return ordinal.map(lambda v: names.get(int(v), UNRATED) if v == v else UNRATED)


def _rate(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else float("nan")


def effectiveness(
    declarations: pd.DataFrame,
    outcomes: pd.DataFrame,
    as_of: pd.Timestamp,
    freq: str = "M",
    probabilities: pd.DataFrame | None = None,
    model_as_of: pd.Timestamp | None = None,
) -> list[dict]:
    """Effectiveness per period (``freq``: "W" weeks, "M" months) of declaration time.

    ``declarations``: one row per goods item with ``declaration_id``, ``item_no``,
    ``declared_at`` and ``consignee_credit_level`` (the feature table has them).
    ``outcomes``: inspection outcomes. ``probabilities`` (optional): keys plus
    ``probability_<category>`` of a model, for the calibration columns; windows that start
    before ``model_as_of`` are marked in-sample.
    """
    keys = ["declaration_id", "item_no"]
    items = declarations[[*keys, "declared_at", "consignee_credit_level"]].copy()
    items = items[items["declared_at"] < as_of]
    items["credit"] = credit_names(items["consignee_credit_level"])
    items["period"] = items["declared_at"].dt.to_period(freq)
    inspected = outcomes[outcomes["inspected_at"] < as_of]
    inspected = items.merge(inspected, on=keys, how="inner")
    inspected["matured"] = inspected["outcome_known_at"] < as_of
    findings = inspected[list(FINDING_COLUMNS)].to_numpy(dtype=bool)
    inspected["hit"] = findings.any(axis=1) & inspected["matured"].to_numpy()
    inspected["duty"] = np.where(inspected["matured"], inspected["duty_recovered_cny"], 0.0)
    if probabilities is not None:
        inspected = inspected.merge(probabilities, on=keys, how="left")

    windows = []
    for period, declared in items.groupby("period", sort=True):
        rows = inspected[inspected["period"] == period]
        matured = rows[rows["matured"]]
        entry = {
            "window": str(period),
            "start": str(period.start_time),
            "end": str(period.end_time.ceil("s")),
            "declared": len(declared),
            "inspected": len(rows),
            "inspection_rate": _rate(len(rows), len(declared)),
            "matured": len(matured),
            "pending": len(rows) - len(matured),
            "hits": int(matured["hit"].sum()),
            "hit_rate": _rate(matured["hit"].sum(), len(matured)),
            "duty_recovered_cny": float(matured["duty"].sum()),
            "by_reason": _by_reason(rows, len(declared)),
            "by_credit_level": _by_credit(declared, rows),
        }
        if probabilities is not None:
            entry["calibration"] = _calibration(matured)
            entry["out_of_sample"] = bool(
                model_as_of is not None and period.start_time >= model_as_of
            )
        windows.append(entry)
    return windows


def _by_reason(rows: pd.DataFrame, declared: int) -> dict[str, dict]:
    out = {}
    random_rows = rows[(rows["selection_reason"] == "random") & rows["matured"]]
    base = _rate(random_rows["hit"].sum(), len(random_rows))
    for reason in SELECTION_REASONS:
        part = rows[rows["selection_reason"] == reason]
        matured = part[part["matured"]]
        hit_rate = _rate(matured["hit"].sum(), len(matured))
        out[reason] = {
            "inspected": len(part),
            "inspection_rate": _rate(len(part), declared),
            "matured": len(matured),
            "hits": int(matured["hit"].sum()),
            "hit_rate": hit_rate,
            "lift_over_random": hit_rate / base if base and base == base else float("nan"),
            "duty_recovered_cny": float(matured["duty"].sum()),
        }
    return out


def _by_credit(declared: pd.DataFrame, rows: pd.DataFrame) -> dict[str, dict]:
    out = {}
    for level in (*CREDIT_LEVELS, UNRATED):
        items = int((declared["credit"] == level).sum())
        part = rows[rows["credit"] == level]
        matured = part[part["matured"]]
        out[level] = {
            "declared": items,
            "inspected": len(part),
            "inspection_rate": _rate(len(part), items),
            "matured": len(matured),
            "hit_rate": _rate(matured["hit"].sum(), len(matured)),
            "duty_recovered_cny": float(matured["duty"].sum()),
        }
    regular = out["regular"]["inspection_rate"]
    for entry in out.values():
        entry["rate_vs_regular"] = (
            entry["inspection_rate"] / regular if regular and regular == regular else float("nan")
        )
    return out


def _calibration(matured: pd.DataFrame) -> dict[str, dict]:
    out = {}
    for column in matured.columns:
        if not column.startswith("probability_"):
            continue
        category = column.removeprefix("probability_")
        p = matured[column].to_numpy(dtype=float)
        known = ~np.isnan(p)
        y = matured[f"finding_{category}"].to_numpy(dtype=float)[known]
        p = p[known]
        ratio = observed_expected(y, p)
        out[category] = {
            "labels": len(y),
            **ratio,
            "observed": int(ratio["observed"]),
            "ece": expected_calibration_error(y, p) if len(y) else float("nan"),
            "ece_relative": relative_ece(y, p) if len(y) else float("nan"),
        }
    return out


def summary_rows(windows: list[dict]) -> list[dict]:
    """One flat row per window (for a printed table or a CSV)."""
    rows = []
    for w in windows:
        row = {
            "window": w["window"],
            "declared": w["declared"],
            "inspected": w["inspected"],
            "inspection_rate": w["inspection_rate"],
            "pending": w["pending"],
            "hit_rate": w["hit_rate"],
            "duty_recovered_cny": w["duty_recovered_cny"],
        }
        for reason, entry in w["by_reason"].items():
            row[f"hit_rate_{reason}"] = entry["hit_rate"]
            row[f"inspected_{reason}"] = entry["inspected"]
        for level, entry in w["by_credit_level"].items():
            row[f"inspection_rate_{level}"] = entry["inspection_rate"]
        for category, entry in w.get("calibration", {}).items():
            row[f"ece_{category}"] = entry["ece"]
            row[f"observed_{category}"] = entry["observed"]
            row[f"expected_{category}"] = entry["expected"]
            row[f"observed_to_expected_{category}"] = entry["observed_to_expected"]
        rows.append(row)
    return rows
