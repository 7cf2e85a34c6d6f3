"""Calibration on held-out data: findings observed / expected and interval coverage.

Run after ``make run`` (it reads the lake and the registered models):
``.venv/bin/python benchmarks/calibration_holdout.py [--version N] [--later-than DATE]``.

Per scored category, on the labelled rows of a model's calibration and test windows (the
test window was never fitted on): observed / expected findings (O/E) with its 95 % Poisson
interval, ECE / base rate, and how many groups of rows have a finding count within the
summed 90 % intervals (``models.metrics.interval_coverage``). With ``--later-than DATE``
it also trains a model as of DATE with the platform's configuration and measures O/E on
the months after DATE, which that model never saw. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from config.settings import PROJECT_ROOT, get_settings
from models.bundle import RiskModel
from models.metrics import classification_report, interval_coverage
from models.registry import champion_version, load_version
from models.training import TrainingConfig, labelled_rows, train_risk_model
from sources.lake import DataLake


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", help="registered version (default: the champion)")
    parser.add_argument("--later-than", help="also train as of this date, measure after it")
    parser.add_argument(
        "--out", type=Path, default=PROJECT_ROOT / "reports" / "calibration_holdout.json"
    )
    return parser.parse_args()


def window_calibration(model: RiskModel, rows: pd.DataFrame) -> dict[str, dict]:
    """Per category on labelled ``rows``: O/E with its interval, ECE / base rate, coverage."""
    matrix = model.spec.encode(rows)
    out = {}
    for category, category_model in model.categories.items():
        y = rows[f"finding_{category}"].to_numpy(dtype=int)
        raw = category_model.booster.predict(matrix, raw_score=True)
        probability = category_model.calibrator.apply(raw)
        _, low, high = category_model.uncertainty(raw, probability)
        report = classification_report(y, probability)
        out[category] = {
            "rows": len(y),
            **{
                k: report[k]
                for k in (
                    "observed",
                    "expected",
                    "observed_to_expected",
                    "observed_to_expected_low",
                    "observed_to_expected_high",
                    "ece_relative",
                )
            },
            **interval_coverage(y, probability, low, high),
        }
    return out


def rows_between(labelled: pd.DataFrame, bounds: tuple[str, str]) -> pd.DataFrame:
    lo, hi = (pd.Timestamp(t) for t in bounds)
    return labelled[labelled["declared_at"].between(lo, hi)]


def print_table(title: str, entries: dict[str, dict]) -> None:
    print(f"\n{title}")
    for category, e in entries.items():
        coverage = (
            f"  interval coverage {e['interval_coverage']:.1f} (exact probabilities: "
            f"{e['interval_coverage_if_exact']:.2f}), consistent {e['interval_consistency']:.1f}"
        )
        print(
            f"  {category:22s} {e['observed']:5.0f} / {e['expected']:7.1f}  O/E "
            f"{e['observed_to_expected']:.2f} ({e['observed_to_expected_low']:.2f}–"
            f"{e['observed_to_expected_high']:.2f}){coverage}"
        )


def main() -> None:
    args = parse_args()
    settings = get_settings()
    lake = DataLake(settings.data_dir)
    features = pd.read_parquet(lake.features)
    outcomes = pd.read_parquet(lake.source_path(lake.validated, "inspection_outcomes"))
    as_of = features["declared_at"].max()
    labelled = labelled_rows(features, outcomes, as_of)
    version = args.version or champion_version(settings)
    model = load_version(settings, version)
    report = {"version": version, "windows": {}}
    for window in ("calibration", "test"):
        rows = rows_between(labelled, model.metadata["windows"][window])
        entries = report["windows"][window] = window_calibration(model, rows)
        print_table(f"version {version}, {window} window ({len(rows)} rows)", entries)
    if args.later_than:
        cut = pd.Timestamp(args.later_than)
        earlier = train_risk_model(
            features[features["declared_at"] < cut],
            outcomes,
            cut,
            TrainingConfig.for_settings(settings),
        ).model
        later = labelled[labelled["declared_at"] >= cut]
        report["later"] = {"as_of": str(cut), "rows": len(later)}
        report["later"]["categories"] = window_calibration(earlier, later)
        print_table(
            f"model as of {cut}, months after it ({len(later)} rows)",
            report["later"]["categories"],
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nreport → {args.out}")


if __name__ == "__main__":
    main()
