"""Figures for MLflow and reports: global SHAP summaries and reliability diagrams.

Imported only where figures are made (training's MLflow run), never by the scoring path:
it loads matplotlib and switches it to a headless backend.
"""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")  # headless: figures are files for MLflow and reports

import matplotlib.pyplot as plt
import numpy as np

from features.spec import FeatureSpec


def shap_summary_figure(booster, matrix: np.ndarray, spec: FeatureSpec, title: str):
    """shap beeswarm of a sample of rows: which features drive the category, and how."""
    import shap

    explainer = shap.TreeExplainer(booster)
    with warnings.catch_warnings():  # notice that binary output is a list; handled below
        warnings.filterwarnings(
            "ignore", message="LightGBM binary classifier", category=UserWarning
        )
        values = explainer.shap_values(matrix)
    if isinstance(values, list):  # older shap returns [negative, positive] for binary
        values = values[1]
    labels = [spec.label(n) for n in spec.names]
    plt.figure()
    shap.summary_plot(values, matrix, feature_names=labels, show=False, max_display=15)
    figure = plt.gcf()
    figure.suptitle(title)
    figure.set_size_inches(10, 7)
    figure.tight_layout()
    return figure


def reliability_figure(y: np.ndarray, probability: np.ndarray, title: str, bins: int = 10):
    """Observed finding rate against mean predicted probability per equal-width bin."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(probability, dtype=float)
    index = np.minimum((p * bins).astype(int), bins - 1)
    mean_p, observed, counts = [], [], []
    for b in range(bins):
        mask = index == b
        if mask.any():
            mean_p.append(p[mask].mean())
            observed.append(y[mask].mean())
            counts.append(int(mask.sum()))
    figure, ax = plt.subplots(figsize=(5, 5))
    top = max([*mean_p, *observed, 0.05]) * 1.05
    ax.plot([0, top], [0, top], linestyle="--", color="grey", label="perfect calibration")
    ax.scatter(mean_p, observed, s=[20 + 200 * c / max(counts) for c in counts], label="bins")
    ax.plot(mean_p, observed, color="C0")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed finding rate")
    ax.set_title(title)
    ax.legend(loc="upper left")
    figure.tight_layout()
    return figure


def close_figures() -> None:
    """Release every open figure (pyplot keeps them until closed)."""
    plt.close("all")
