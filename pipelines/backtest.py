"""The selection-loop backtest as a Prefect flow: the world — regenerated from the settings
(the same seed as ``make run``'s, so the same world; its truth exists only in memory), or
the public KCS train → valid files (``backtest.kcs``) —, the loop (``backtest.engine``),
the report JSON with a PNG per metric beside it, and one MLflow run of the ``backtest``
experiment holding all of them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from prefect import flow, get_run_logger

import mlflow
from backtest.engine import BacktestConfig, run_backtest
from backtest.kcs import kcs_world
from backtest.metrics import summary_rows
from backtest.plots import save_figures
from config.settings import Settings, get_settings
from models.registry import configure
from sources.generator import GeneratorConfig, generate

EXPERIMENT = "backtest"
WORLDS = ("demo", "kcs")
KCS_FILES = ("df_syn_train_eng.csv", "df_syn_valid_eng.csv")


@flow(name="backtest")
def backtest(
    settings: Settings | None = None,
    config: BacktestConfig | None = None,
    out: Path = Path("reports/backtest.json"),
    generator: GeneratorConfig | None = None,
    world: str = "demo",
) -> dict:
    """Simulate ``config.weeks`` weeks of every policy on the ``world`` (``demo``: the
    generated one; ``kcs``: the KCS valid period, whatever ``config.weeks`` says); write
    ``out`` and its figures; log them to MLflow. Returns the report's path, figures, run
    id and summary rows."""
    settings = settings or get_settings()
    config = config or BacktestConfig(seed=settings.seed)
    if world == "kcs":
        report = _kcs_backtest(settings, config)
    elif world == "demo":
        generator = generator or GeneratorConfig.for_settings(settings)
        report = run_backtest(generate(generator), config, settings, get_run_logger().info)
        report["world"] = {
            "name": "demo",
            "declarations": generator.n_declarations,
            "months": generator.months,
            "seed": generator.seed,
        }
    else:
        raise ValueError(f"unknown world {world!r}; known: {', '.join(WORLDS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, allow_nan=False))
    figures = save_figures(report, out.parent, out.stem)
    run_id = log_backtest_run(settings, report, out, figures)
    summary = summary_rows(report)
    return {
        "path": str(out),
        "figures": [str(p) for p in figures],
        "run_id": run_id,
        "summary": summary,
        "default_policy": report["default_policy"],
        "weeks": report["weeks"],
    }


def _kcs_backtest(settings: Settings, config: BacktestConfig) -> dict:
    """The loop on KCS: the train file as warm-up, the valid file's weeks simulated."""
    paths = [settings.kcs_dir / name for name in KCS_FILES]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"KCS files not found: {missing} (setting CUSTOMS_RISK_KCS_DIR)")
    kcs = kcs_world(*paths)
    config = dataclasses.replace(config, weeks=kcs.weeks)
    report = run_backtest(kcs.data, config, settings, get_run_logger().info, kcs.warmup_end)
    rows = len(kcs.data.declarations)
    report["world"] = {"name": "kcs", "files": [p.name for p in paths], "rows": rows}
    return report


def log_backtest_run(settings: Settings, report: dict, out: Path, figures: list[Path]) -> str:
    """One run: the config as parameters, each policy's totals as metrics, the artifacts."""
    configure(settings, experiment=EXPERIMENT)
    with mlflow.start_run(run_name=f"backtest {report['weeks']} weeks") as run:
        mlflow.log_params({f"config.{k}": str(v) for k, v in report["config"].items()})
        mlflow.log_params({f"world.{k}": v for k, v in report["world"].items()})
        for row in summary_rows(report):
            mlflow.log_metrics(
                {
                    f"{row['policy']}.{key}": value
                    for key, value in row.items()
                    if isinstance(value, float)
                }
            )
        mlflow.log_artifact(str(out), "report")
        for path in figures:
            mlflow.log_artifact(str(path), "plots")
        return run.info.run_id
