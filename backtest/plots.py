"""A figure per backtest metric over the weeks, one line per policy (PNG for the report
folder and the MLflow run). Loads matplotlib, headless: only the backtest flow imports it."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: figures are files

import matplotlib.pyplot as plt

# Weekly figures plotted, with their axis labels.
PLOTTED: dict[str, str] = {
    "normalised_revenue": "revenue recovered ÷ oracle's",
    "hit_rate": "hit rate of inspections",
    "recall_any": "share of true violations found",
    "violation_rate_error": "|IPW violation rate − truth|",
    "naive_rate_error": "|naive inspected rate − truth|",
    "auc_pr": "AUC-PR on all items",
}


def weekly_value(week: dict, metric: str):
    """A plotted value of one week (``recall_any`` is the recall of any category)."""
    if metric == "recall_any":
        return week["recall"]["any"]
    return week[metric]


def metric_figure(report: dict, metric: str):
    figure, axes = plt.subplots(figsize=(8, 4.5))
    for name, policy in report["policies"].items():
        weeks = [w["week"] for w in policy["weekly"]]
        values = [weekly_value(w, metric) for w in policy["weekly"]]
        style = "-" if name == report["default_policy"] else "--"
        axes.plot(weeks, [float("nan") if v is None else v for v in values], style, label=name)
    axes.set_xlabel("week of the backtest")
    axes.set_ylabel(PLOTTED[metric])
    axes.set_title(f"{PLOTTED[metric]}, by policy")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    return figure


def save_figures(report: dict, folder: Path, stem: str = "backtest") -> list[Path]:
    """One PNG per plotted metric in ``folder``, named ``<stem>_<metric>.png`` (the
    report's own name, so that two reports in one folder keep their figures); paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for metric in PLOTTED:
        figure = metric_figure(report, metric)
        path = folder / f"{stem}_{metric}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        paths.append(path)
    return paths
