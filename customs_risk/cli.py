"""``customs-risk``: the command line of the platform.

Every command is a thin call into ``pipelines`` (Prefect flows) or ``serving``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.table import Table

from customs_risk.cli_ledger import register_ledger_commands
from customs_risk.cli_monitoring import register_monitoring_commands
from customs_risk.console import console
from models.metrics import format_metric, format_share

app = typer.Typer(
    help="Customs risk scoring (GACC Order No. 271 risk-management cycle).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _quiet_defaults() -> None:
    # Library chatter that would bury the command's own output; users may override.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The first start of the embedded Prefect API migrates its database: give it time.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    # The embedded Prefect database and result storage live with the project, like the
    # MLflow store, not in the user's home. Prefect reads this when first imported, which
    # the commands do only after this callback.
    from config.settings import PROJECT_ROOT

    os.environ.setdefault("PREFECT_HOME", str(PROJECT_ROOT / ".prefect"))


def summary_table(training: dict) -> Table:
    """Per-category AUC-PR, precision at 5 %, ECE and observed / expected on the test window."""
    table = Table(title=f"Test-window metrics — model version {training['version']}")
    for column in (
        "category",
        "status",
        "features",
        "calibration",
        "AUC-ROC",
        "AUC-PR",
        "P@5%",
        "ECE",
        "O/E (95 %)",
        "test positives",
    ):
        table.add_column(column)
    for category, entry in training["report"].items():
        if entry.get("status") != "scored":
            table.add_row(
                category,
                "not scored",
                *("—" for _ in range(7)),
                str(entry["positives"].get("test")),
            )
            continue
        table.add_row(
            category,
            "scored",
            entry.get("feature_view", "—"),
            entry["calibration"],
            format_metric(entry["auc_roc"]),
            format_metric(entry["auc_pr"]),
            format_metric(entry["precision_at"]["5"]),
            format_metric(entry["ece"], 4),
            f"{format_metric(entry.get('observed_to_expected'), 2)} "
            f"({format_metric(entry.get('observed_to_expected_low'), 2)}–"
            f"{format_metric(entry.get('observed_to_expected_high'), 2)})",
            str(entry["positives"]),
        )
    return table


@app.command()
def run(
    declarations: int = typer.Option(None, help="Goods items to generate (default from settings)."),
    months: int = typer.Option(None, help="Months of activity (default from settings)."),
) -> None:
    """The whole cycle on embedded defaults: generate → validate → features → train → score."""
    from config.settings import get_settings
    from pipelines.cycle import risk_cycle
    from sources.generator import GeneratorConfig

    settings = get_settings()
    sizes = {"n_declarations": declarations, "months": months}
    config = GeneratorConfig.for_settings(
        settings, **{field: value for field, value in sizes.items() if value}
    )
    started = time.perf_counter()
    with console.status("Running the risk cycle (Prefect flow 'risk-cycle')…"):
        result = risk_cycle(settings, config)
    elapsed = time.perf_counter() - started
    training, scoring = result["training"], result["scoring"]
    console.print(summary_table(training))
    decision = training["decision"]
    console.print(
        f"Registry: [bold]{settings.model_name}[/] version {training['version']} — "
        f"{decision['outcome']}; champion is version {decision['champion_version_after']}."
    )
    console.print(
        f"Batch scores for {scoring['month']}: {scoring['rows']} goods items → {scoring['path']}"
        f" (overall levels {scoring['overall_levels']})."
    )
    for table in disposal_tables(scoring["disposal"]):
        console.print(table)
    for rule, why in scoring["disposal"]["inactive_rules"].items():
        console.print(f"Capacity rule {rule} is inactive for this model: {why}")
    console.print(
        f"{scoring['recorded_decisions']} decisions of the month's last day recorded in the "
        "ledger for the reviewers' queue."
    )
    effectiveness = result["effectiveness"]
    console.print(
        f"Effectiveness of risk management (Art. 18 §2), {effectiveness['windows']} months → "
        f"{effectiveness['path']} (`customs-risk effectiveness` prints it)."
    )
    demo = result.get("drift_demo")
    if demo:
        console.print(
            f"Art. 18 re-assessment demo (shift on {demo['shift_date']}, weekly monitoring): "
            f"{demo['stable_windows']} stable weeks, {demo['false_alarms']} false alarms, "
            f"first alert {demo['first_alert_after_shift']} week(s) after the shift; "
            f"challenger AUC-PR {format_metric(demo['challenger_score'])} vs champion "
            f"{format_metric(demo['champion_score'])} → "
            f"{'promoted' if demo['promoted'] else 'champion kept'} (version "
            f"{demo['champion_version_before']} → {demo['champion_version_after']}); "
            f"report {demo['report_path']}."
        )
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in result["timings"].items())
    console.print(f"Finished in {elapsed:.1f}s ({timings}).")
    console.print(
        f"MLflow UI: .venv/bin/mlflow ui --backend-store-uri {settings.resolved_tracking_uri}"
        "  → http://127.0.0.1:5000"
    )
    console.print(
        "Serve the champion: make serve  (then POST examples/declaration.json to /v1/score "
        f"with a key from {result['demo_keys_file']}: see the README's API section)"
    )
    console.print(
        "Reviewers' workbench: make serve, then http://localhost:8000/workbench/ — sign in "
        f"with the demo-officer key from {result['demo_keys_file']} (README: Workbench)"
    )


def disposal_tables(disposal: dict) -> list[Table]:
    """The month's measure shares against their capacity targets, and random selection per
    credit level against the policy (Art. 12, 16)."""
    shares = Table(
        title=f"Measures of the latest month (policy {disposal['policy_version']}): share of "
        "goods items per day, mean"
    )
    for column in ("measure kind", "target (model policy)", "model policy", "any source"):
        shares.add_column(column)
    for row in disposal["measure_shares"]:
        target = format_share(row["target_share"]) if row["target_share"] else "—"
        shares.add_row(
            row["kind"], target, format_share(row["model_share"]), format_share(row["share"])
        )
    selection = Table(title="Random selection (双随机) per credit level: configured vs drawn")
    for column in ("credit level", "items", "configured", "drawn", "95 % interval", "within"):
        selection.add_column(column)
    for row in disposal["random_selection"]:
        selection.add_row(
            row["credit_level"],
            f"{row['items']:,}",
            format_share(row["probability"]),
            format_share(row["share"]),
            f"{format_share(row['low'])} – {format_share(row['high'])}",
            "yes" if row["within"] else "NO",
        )
    return [shares, selection]


@app.command()
def generate(
    declarations: int = typer.Option(None, help="Goods items to generate (default from settings)."),
    months: int = typer.Option(None, help="Months of activity (default from settings)."),
    start: str = typer.Option(None, help="First day, YYYY-MM-DD (default from settings)."),
    seed: int = typer.Option(None, help="Generator seed (default from settings)."),
    shift_date: str = typer.Option(None, help="Start of the documented shift (YYYY-MM-DD)."),
    out: Path = typer.Option(None, help="Folder for the four Parquet files (default: raw layer)."),
) -> None:
    """Generate synthetic Chinese customs activity (seeded) into Parquet."""
    from config.settings import get_settings
    from sources.generator import GeneratorConfig
    from sources.generator import generate as generate_data
    from sources.lake import DataLake, replace_layer

    settings = get_settings()
    given = {"n_declarations": declarations, "months": months, "start": start, "seed": seed}
    config = GeneratorConfig.for_settings(
        settings, shift_date=shift_date, **{k: v for k, v in given.items() if v is not None}
    )
    with console.status(
        f"Generating {config.n_declarations:,} goods items over {config.months} months…"
    ):
        data = generate_data(config)
        target = out or DataLake(settings.data_dir).raw
        paths = replace_layer(data.frames(), target)
    for name, path in paths.items():
        console.print(f"{name}: {len(data.frames()[name]):,} rows → {path}")


@app.command()
def ingest() -> None:
    """Validate the raw layer with the expectation suites and publish it."""
    from pipelines.flows import ingest_and_validate

    ingest_and_validate()
    console.print("all sources passed their expectations; validated layer published")


@app.command()
def features() -> None:
    """Build point-in-time features and the online entity state."""
    from pipelines.flows import build_features

    console.print(build_features())


@app.command()
def train() -> None:
    """Train, calibrate, log and register; the champion gate decides promotion."""
    from pipelines.flows import train_and_register

    console.print(summary_table(train_and_register()))


@app.command()
def score(month: str = typer.Option(None, help="YYYY-MM; default the latest month.")) -> None:
    """Batch-score one month of declarations with the champion."""
    from pipelines.flows import batch_score

    console.print(batch_score(month=month))


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default $PORT or 8000)."),
) -> None:
    """Serve the champion over HTTP with uvicorn."""
    import uvicorn

    from config.settings import get_settings
    from serving.app import create_app

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


register_monitoring_commands(app)
register_ledger_commands(app)


@app.command("backtest")
def backtest_command(
    weeks: int = typer.Option(26, min=1, help="Weeks simulated (the data's last ones)."),
    out: Path = typer.Option(Path("reports/backtest.json"), help="Report JSON (PNGs beside it)."),
    retrain_every: int = typer.Option(
        4, min=0, help="Weeks between each policy's retrainings (0: never)."
    ),
    gate: bool = typer.Option(
        True, help="Retrained models pass the promotion gate before they replace a policy's."
    ),
    capacity: float = typer.Option(
        None,
        help="Inspections per week, as a share of its goods items (default: the demo "
        "world's legacy rate; 10 % on KCS, the public simulation's).",
    ),
    policies: str = typer.Option(
        None, help="Comma-separated policies to compare (default: all of them)."
    ),
    world: str = typer.Option(
        "demo",
        help="demo: the generated world (the settings' size and seed); kcs: the KCS train "
        "file as warm-up and its valid file's weeks (--weeks ignored).",
    ),
) -> None:
    """The selection-loop backtest: disposal policies compared week by week on one world,
    only inspected items revealing outcomes."""
    from backtest.engine import BacktestConfig
    from backtest.kcs import KCS_CAPACITY
    from config.settings import get_settings
    from pipelines.backtest import backtest

    settings = get_settings()
    if capacity is None and world == "kcs":
        capacity = KCS_CAPACITY
    chosen = {"capacity": capacity} if capacity is not None else {}
    if policies:
        chosen["policies"] = tuple(p.strip() for p in policies.split(",") if p.strip())
    try:
        config = BacktestConfig(
            weeks=weeks, retrain_every=retrain_every, gate=gate, seed=settings.seed, **chosen
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    started = time.perf_counter()
    with console.status(f"backtest on {world}: {len(config.policies)} policies…"):
        result = backtest(settings, config, out, world=world)
    console.print(backtest_table(result["summary"], result["weeks"], world))
    console.print(f"report → {result['path']}; figures → {Path(result['path']).parent}")
    console.print(f"MLflow run {result['run_id']} ({time.perf_counter() - started:.0f} s)")


def backtest_table(summary: list[dict], weeks: int, world: str = "demo") -> Table:
    """Each policy's totals over the weeks; the platform's default marked."""
    from backtest.metrics import SUMMARY_COLUMNS

    table = Table(title=f"Backtest on {world} — {weeks} weeks, same world and capacity")
    table.add_column("policy")
    for _, header in SUMMARY_COLUMNS:
        table.add_column(header, justify="right")
    for row in summary:
        name = f"{row['policy']} (default)" if row["default"] else row["policy"]
        cells = [format_metric(row[key]) for key, _ in SUMMARY_COLUMNS]
        table.add_row(name, *cells)
    return table


benchmark_app = typer.Typer(help="Benchmarks on public data.", no_args_is_help=True)
app.add_typer(benchmark_app, name="benchmark")


@benchmark_app.command("kcs")
def benchmark_kcs(
    train: Path = typer.Option(..., exists=True, help="KCS train CSV (fit)."),
    valid: Path = typer.Option(
        ...,
        exists=True,
        help="KCS valid CSV (early stopping, calibration, history before the test rows).",
    ),
    test: Path = typer.Option(
        ..., exists=True, help="KCS CSV to score; labels read only after scoring, for the metrics."
    ),
    out: Path = typer.Option(Path("reports/kcs.json"), help="Report JSON."),
    label_delay_days: float = typer.Option(
        7.0, help="Days after declaration an outcome becomes known."
    ),
    baseline: bool = typer.Option(True, help="Also run the public baseline side by side."),
) -> None:
    """Fit on the KCS train file, score the test file, write the report (and log to MLflow)."""
    import json

    from models.benchmark import KcsConfig, run_kcs

    with console.status("KCS benchmark: features, training, scoring…"):
        report = run_kcs(
            train, valid, test, KcsConfig(label_delay_days=label_delay_days), with_baseline=baseline
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    params = {
        "train": str(train),
        "valid": str(valid),
        "test": str(test),
        "label_delay_days": label_delay_days,
    }
    log_kcs_run(report, params)
    console.print(kcs_table(report, test.name, baseline))
    for target, reason in report["not_scored"].items():
        console.print(f"{target}: not scored by the platform — {reason}")
    console.print(f"report → {out}")


def log_kcs_run(report: dict, params: dict) -> None:
    """One MLflow run of the ``kcs-benchmark`` experiment: inputs, metrics, the report."""
    import mlflow
    from config.settings import get_settings
    from models.metrics import flatten
    from models.registry import configure

    configure(get_settings(), experiment="kcs-benchmark")
    with mlflow.start_run(run_name="kcs-benchmark"):
        # lineage: which exact files produced this run
        lineage = {
            f"input.{name}.{key}": record[key]
            for name, record in report["inputs"].items()
            for key in ("sha256", "rows")
        }
        mlflow.log_params({**params, **lineage})
        for target, entry in report["targets"].items():
            metrics = {
                k: v
                for k, v in flatten(entry, target).items()
                if isinstance(v, int | float) and v == v  # not NaN, not a not-scored null
            }
            mlflow.log_metrics(metrics)
        mlflow.log_dict(report, "kcs_report.json")


def kcs_table(report: dict, test_name: str, with_baseline: bool) -> Table:
    """The platform's test metrics per target, beside the baseline's when it was run."""
    table = Table(title=f"KCS benchmark — {test_name} ({report['seconds']} s)")
    for column in ("target", "model", "AUC-ROC", "AUC-PR", "P@5%", "P@10%", "ECE"):
        table.add_column(column)
    rows = [("platform", report["targets"])]
    if with_baseline:
        rows += [
            (f"baseline ({k.replace('_', ' ')})", v)
            for k, v in report["baseline"].items()
            if k != "protocol"
        ]
    for target in report["targets"]:
        for name, entries in rows:
            e = entries[target]
            table.add_row(
                target,
                name,
                format_metric(e["auc_roc"]),
                format_metric(e["auc_pr"]),
                format_metric(e["precision_at"]["5"]),
                format_metric(e["precision_at"]["10"]),
                format_metric(e["ece"]),
            )
    return table


@app.command("deploy")
def deploy() -> None:
    """Serve the flows as Prefect deployments (needs a Prefect server; see README)."""
    from pipelines.deployments import serve_deployments

    serve_deployments()


if __name__ == "__main__":
    app()
