"""``make bench-kcs``: the KCS benchmark on the shared files, valid split as the test.

The valid file (2021-01 – 2021-03) is the test here, so its labels cannot also serve for
early stopping, calibration or history. The train file (2020) is therefore cut by time:
its last ``--tail-months`` months play "valid" for the platform's model, the rest
"train" — the same roles the real files play when the held-out test split is scored.
The baseline is fitted on the whole train file (the published setting) and on the head
alone; the better of the two is the bar, beside the figures quoted in issue 3.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pandas as pd

from config.settings import PROJECT_ROOT, get_settings
from models.benchmark import (
    KcsConfig,
    baseline_by_fit,
    input_record,
    ranking_by_goods_line_per_target,
    repeated_goods_lines,
    run_kcs,
)
from sources import kcs

# Quoted in issue 3: the public baseline reproduced on train → valid.
QUOTED_BASELINE = {
    "fraud": {"auc_roc": 0.848, "auc_pr": 0.658, "p5": 0.882, "p10": 0.777, "ece": 0.070},
    "critical_fraud": {"auc_roc": 0.926, "auc_pr": 0.589, "p5": 0.148, "p10": 0.078, "ece": 0.007},
}
MARGINS = {
    "fraud": {"auc_roc": 0.03, "auc_pr": 0.05, "p10": 0.05},
    "critical_fraud": {"auc_roc": 0.02, "auc_pr": 0.0},
}
ECE_MAX = 0.03


def _row(entry: dict) -> dict:
    return {
        "auc_roc": entry["auc_roc"],
        "auc_pr": entry["auc_pr"],
        "p5": entry["precision_at"]["5"],
        "p10": entry["precision_at"]["10"],
        "ece": entry["ece"],
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=get_settings().kcs_dir)
    parser.add_argument("--tail-months", type=int, default=3)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "kcs_valid.json")
    return parser.parse_args()


def tail_start(train: pd.DataFrame, tail_months: int) -> pd.Timestamp:
    """First day of the train file's last ``tail_months`` months (the platform's "valid")."""
    dates = pd.to_datetime(train["Date"])
    return dates.max().to_period("M").to_timestamp() - pd.DateOffset(months=tail_months - 1)


def platform_report(train: pd.DataFrame, cut: pd.Timestamp, valid_path: Path) -> dict:
    """``run_kcs`` with the train file's head as train, its tail as valid, valid as test."""
    dates = pd.to_datetime(train["Date"])
    with tempfile.TemporaryDirectory() as tmp:
        head, tail = Path(tmp) / "head.csv", Path(tmp) / "tail.csv"
        train[dates < cut].to_csv(head, index=False)
        train[dates >= cut].to_csv(tail, index=False)
        return run_kcs(head, tail, valid_path, KcsConfig(), with_baseline=False)


def add_baselines(
    report: dict, train: pd.DataFrame, cut: pd.Timestamp, valid: pd.DataFrame
) -> None:
    """The baseline fitted on the whole train file and on its head, scored on valid."""
    head = train[pd.to_datetime(train["Date"]) < cut]
    truth = kcs.labels(valid)
    fits = {"whole train file": train, "train head only": head}
    baseline, report["baseline"] = baseline_by_fit(fits, valid, truth)
    repeated = repeated_goods_lines(train, valid)
    report["by_goods_line"]["baseline_whole_train_file"] = ranking_by_goods_line_per_target(
        truth, baseline["whole train file"], repeated
    )


def add_split(report: dict, train_path: Path, train: pd.DataFrame, cut: pd.Timestamp) -> None:
    # run_kcs recorded the temporary head / tail files as train / valid: add the file they
    # were cut from, so the report names every file it came from.
    report["inputs"]["source_train"] = input_record(train_path, len(train))
    report["split"] = {
        "train_head_before": str(cut.date()),
        "test": "valid file",
        "train_and_valid": "head and tail of inputs.source_train (temporary files)",
    }


def print_rows(target: str, rows: dict[str, dict]) -> None:
    for name, r in rows.items():
        print(
            f"{target:15} {name:28} {r['auc_roc']:8.3f} {r['auc_pr']:8.3f} {r['p5']:7.3f} "
            f"{r['p10']:7.3f} {r['ece']:7.3f}"
        )


def judge(target: str, rows: dict[str, dict]) -> dict[str, dict[str, bool]]:
    """The platform's row against two bars, each check printed PASS or FAIL."""
    ours = rows["platform"]
    verdicts = {}
    # Two bars: the baseline as reproduced here (what is run side by side on the held-out
    # split) and, stricter, the best of every row including the figures quoted in issue 3.
    for bar_name, names in (
        ("reproduced baseline", [n for n in rows if n.startswith("baseline, ")]),
        ("every baseline row incl. the quote", [n for n in rows if n != "platform"]),
    ):
        bar = {k: max(rows[n][k] for n in names) for k in ours}
        checks = {
            f"{m} ≥ bar + {d}": bool(ours[m] >= bar[m] + d) for m, d in MARGINS[target].items()
        }
        checks[f"ece ≤ {ECE_MAX}"] = bool(ours["ece"] <= ECE_MAX)
        verdicts[bar_name] = checks
        print(
            f"{'':15} vs {bar_name}: "
            + ", ".join(f"{'PASS' if ok else 'FAIL'} {name}" for name, ok in checks.items())
        )
    return verdicts


def compare_with_baselines(report: dict) -> dict:
    """Print the platform beside every baseline row, per target; the verdicts of ``judge``."""
    verdicts = {}
    print(
        f"{'target':15} {'row':28} {'AUC-ROC':>8} {'AUC-PR':>8} {'P@5%':>7} {'P@10%':>7} {'ECE':>7}"
    )
    for target in kcs.TARGETS:
        if target in report["not_scored"]:
            print(f"{target:15} platform: not scored — {report['not_scored'][target]}")
            continue
        rows = {
            "platform": _row(report["targets"][target]),
            "baseline (issue 3 quote)": QUOTED_BASELINE[target],
        }
        rows |= {f"baseline, {k}": _row(v[target]) for k, v in report["baseline"].items()}
        print_rows(target, rows)
        verdicts[target] = judge(target, rows)
    return verdicts


def print_uncertainty(report: dict) -> None:
    for target, check in report["uncertainty"].items():
        if not isinstance(check, dict):
            continue
        flagged, rest = check.get("flagged", {}), check.get("not_flagged", {})
        print(
            f"uncertainty {target}: {check['flagged_share']:.1%} flagged; Brier flagged "
            f"{flagged.get('brier', float('nan')):.4f} vs {rest.get('brier', float('nan')):.4f}"
            f", log loss {flagged.get('log_loss', float('nan')):.4f} vs "
            f"{rest.get('log_loss', float('nan')):.4f}"
        )


def print_feature_views(report: dict) -> None:
    for target, view in report["feature_views"].items():
        auc_pr = view["calibration_window_auc_pr_by_view"]
        print(
            f"feature view {target}: {view['feature_view']} (calibration-window AUC-PR "
            + ", ".join(f"{v} {a:.3f}" for v, a in auc_pr.items())
            + "; better than the default in "
            + ", ".join(
                f"{share:.0%}"
                for share in view["calibration_window_share_better_than_default"].values()
            )
            + " of resamples)"
        )


def print_goods_lines(by_line: dict) -> None:
    """Where the ranking comes from: rows repeating a known goods line, or new ones."""
    print(
        f"goods lines: {by_line['repeated_share']:.1%} of valid rows repeat a train row's "
        "(HS6, net mass, item price) exactly; AUC-ROC / AUC-PR (positives) on each part:"
    )
    for target in by_line["platform"]:
        for part in ("repeated", "new"):
            cells = []
            for name, key in (("platform", "platform"), ("baseline", "baseline_whole_train_file")):
                r = by_line[key][target][part]
                cells.append(f"{name} {r['auc_roc']:.3f} / {r['auc_pr']:.3f}")
            positives = by_line["platform"][target][part]["positives"]
            print(f"  {target:15} {part:8} ({positives:4} positives): " + "; ".join(cells))


def print_revenue_ranking(report: dict) -> None:
    ranking = report.get("revenue_ranking")  # absent when fraud was not scored
    if ranking:
        print(
            "duty at stake captured (proxy Item Price × Tax Rate) at 1/2/5/10 %: by probability "
            + ", ".join(f"{v:.3f}" for v in ranking["by_fraud_probability"].values())
            + "; by expected duty at risk "
            + ", ".join(f"{v:.3f}" for v in ranking["by_expected_duty_at_risk"].values())
        )


def main() -> None:
    args = parse_args()
    train_path = args.data / "df_syn_train_eng.csv"
    train = kcs.read_kcs(train_path)
    valid_path = args.data / "df_syn_valid_eng.csv"
    valid = kcs.read_kcs(valid_path)
    cut = tail_start(train, args.tail_months)
    report = platform_report(train, cut, valid_path)
    add_baselines(report, train, cut, valid)
    add_split(report, train_path, train, cut)
    report["verdicts"] = compare_with_baselines(report)
    print_uncertainty(report)
    print_feature_views(report)
    print_goods_lines(report["by_goods_line"])
    print_revenue_ranking(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str))
    print(f"platform fit + score: {report['seconds']} s; report → {args.out}")


if __name__ == "__main__":
    main()
