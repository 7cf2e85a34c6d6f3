"""Re-assessment commands (Art. 18): monitor, reevaluate, rollback, effectiveness, scenario.

Module-level commands of ``monitoring_app``, merged into the main ``customs-risk`` app by
:func:`register_monitoring_commands`; each command is a thin call into
``pipelines.monitoring`` / ``pipelines.scenario``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.table import Table

from customs_risk.console import console
from models.metrics import format_metric, format_share


def signals_table(report: dict) -> Table:
    """The window's signals, alert first."""
    window = report["window"]
    table = Table(
        title=f"Monitoring {window['start'][:10]} → {window['end'][:10]} "
        f"({window['rows']:,} declarations): {report['status'].upper()}"
    )
    for column in ("signal", "level", "detail"):
        table.add_column(column)
    for s in sorted(report["signals"], key=lambda s: s["level"] != "alert"):
        style = "red" if s["level"] == "alert" else "yellow"
        table.add_row(f"{s['kind']}: {s['name']}", f"[{style}]{s['level']}[/]", s["detail"])
    return table


def outcomes_table(report: dict) -> Table:
    """Matured-label performance and the pending estimate per category."""
    table = Table(title="Outcomes (inspected items of the window)")
    for column in (
        "category",
        "matured",
        "pending",
        "findings / expected",
        "precision (matured)",
        "expected precision (pending)",
        "ECE",
    ):
        table.add_column(column)
    for o in report["outcomes"]:
        table.add_row(
            o["category"],
            str(o["matured"]),
            str(o["pending"]),
            f"{o['positives']} / {o['expected_positives']:.1f}",
            format_metric(o["precision_at_rate"]),
            format_metric(o["pending_expected_precision"]),
            format_metric(o["ece"], 4),
        )
    return table


def effectiveness_tables(report: dict) -> list[Table]:
    """Overview, hit rate by selection reason, inspection rate by credit level, calibration."""
    windows = report["windows"]
    overview = Table(title=f"Effectiveness of risk management (as of {report['as_of'][:10]})")
    for column in (
        "window",
        "declared",
        "inspected",
        "inspection rate",
        "pending",
        "hit rate",
        "duty recovered (CNY)",
    ):
        overview.add_column(column)
    for w in windows:
        overview.add_row(
            w["window"],
            f"{w['declared']:,}",
            f"{w['inspected']:,}",
            format_share(w["inspection_rate"]),
            f"{w['pending']:,}",
            format_share(w["hit_rate"]),
            f"{w['duty_recovered_cny']:,.0f}",
        )

    def reason_cell(entry: dict, reason: str) -> str:
        if not entry["inspected"]:
            return "—"
        lift = entry["lift_over_random"]
        shown = f"; ×{lift:.1f}" if lift == lift and reason != "random" else ""
        return f"{format_share(entry['hit_rate'])} ({entry['inspected']:,}{shown})"

    tables = [
        overview,
        _breakdown_table(
            "Hit rate by selection reason (inspections; lift over random)",
            windows,
            "by_reason",
            reason_cell,
        ),
        _breakdown_table(
            "Inspection rate by credit level (hit rate)",
            windows,
            "by_credit_level",
            lambda e, _: f"{format_share(e['inspection_rate'])} ({format_share(e['hit_rate'])})",
        ),
    ]
    if windows and "calibration" in windows[0]:
        tables.append(
            _breakdown_table(
                f"Calibration of model version {report['model_version']}: "
                "findings observed / expected (O/E); * = in-sample window",
                windows,
                "calibration",
                lambda e, _: (
                    f"{e['observed']} / {e['expected']:.1f} "
                    f"(O/E {format_metric(e['observed_to_expected'], 2)})"
                ),
                row_label=lambda w: w["window"] + ("" if w["out_of_sample"] else " *"),
            )
        )
    if report.get("compliance"):
        tables.append(compliance_table(report["compliance"]))
    return tables


def compliance_table(estimates: list[dict]) -> Table:
    """Finding rate of all declared items per category (random picks weighted by 1/π)
    beside the naive rate among inspected items, for all credit levels together."""
    table = Table(
        title="Estimated finding rate of all declared goods (random picks, inverse-probability "
        "weighted; 90 % interval) vs the rate among inspected items"
    )
    for column in ("category", "estimate", "interval", "random picks", "inspected rate"):
        table.add_column(column)
    for e in estimates:
        if e["credit_level"] != "all":
            continue
        table.add_row(
            e["category"],
            format_share(e["estimate"]),
            f"{format_share(e['low'])} – {format_share(e['high'])}",
            f"{e['random_picks']:,}",
            format_share(e["naive_rate"]),
        )
    return table


def _breakdown_table(title: str, windows: list[dict], key: str, cell, row_label=None) -> Table:
    """One row per window, one column per group in ``window[key]`` (from the first window)."""
    groups = list(windows[0][key]) if windows else []
    table = Table(title=title)
    table.add_column("window")
    for group in groups:
        table.add_column(group)
    for w in windows:
        label = row_label(w) if row_label else w["window"]
        table.add_row(label, *(cell(w[key][g], g) for g in groups))
    return table


# The Art. 18 commands, merged into the main app by :func:`register_monitoring_commands`
# (a sub-app added without a name contributes its commands, not a command group). Each
# imports its flow when run: Prefect reads PREFECT_HOME when first imported, which the main
# app's callback sets first.
monitoring_app = typer.Typer()
scenario_app = typer.Typer(help="End-to-end scenarios on generated data.", no_args_is_help=True)
monitoring_app.add_typer(scenario_app, name="scenario")


def register_monitoring_commands(app: typer.Typer) -> None:
    """Add the Art. 18 commands to the ``customs-risk`` app."""
    app.add_typer(monitoring_app)


@monitoring_app.command()
def monitor(
    end: str = typer.Option(None, help="Window end (exclusive); default: after latest data."),
    days: int = typer.Option(None, help="Window length in days (default from settings)."),
    reevaluation: str = typer.Option(
        None, help="On alert: inline, event or none (default: settings, auto)."
    ),
) -> None:
    """Drift of the latest window against the champion's reference; re-evaluate on alert."""
    from pipelines.monitoring import monitor as monitor_flow

    report = monitor_flow(window_end=end, window_days=days, reevaluation=reevaluation).to_dict()
    console.print(signals_table(report))
    console.print(outcomes_table(report))
    console.print(f"MLflow run {report['mlflow_run_id']} (drift/report.html)")
    if report["event_id"]:
        console.print(f"Prefect event customs-risk.drift.detected {report['event_id']}")
    if report["reevaluation"]:
        console.print(f"Re-evaluation: {report['reevaluation']['summary']}")


@monitoring_app.command()
def reevaluate(
    as_of: str = typer.Option(None, help="Data cut-off (default: the latest data)."),
    since: str = typer.Option(None, help="Start of the drifted period (evaluation start)."),
    force: bool = typer.Option(False, help="Ignore the cool-down."),
) -> None:
    """Train a challenger, compare it with the champion, promote it if the gate passes."""
    from pipelines.monitoring import reevaluate as reevaluate_flow

    result = reevaluate_flow(as_of=as_of, since=since, force=force)
    console.print(result.summary)
    for reason in result.reasons:
        console.print(f"  - {reason}")


@monitoring_app.command()
def rollback(reason: str = typer.Option("manual rollback", help="Recorded in MLflow.")) -> None:
    """Restore the previous champion (the running API follows within its poll interval)."""
    from pipelines.monitoring import rollback as rollback_flow

    result = rollback_flow(reason=reason)
    console.print(
        f"champion {result['champion_version_before']} → {result['champion_version_after']}"
    )


@monitoring_app.command()
def effectiveness(
    freq: str = typer.Option("M", help="Window: M (month) or W (week)."),
    as_of: str = typer.Option(None, help="Outcomes known by then (default: latest data)."),
    out: Path = typer.Option(None, help="Also write the report as JSON here."),
) -> None:
    """Inspection and hit rates by selection reason and credit level, duty, calibration."""
    from pipelines.monitoring import effectiveness_report

    report = effectiveness_report(freq=freq, as_of=as_of)
    for table in effectiveness_tables(report):
        console.print(table)
    if out:
        out.write_text(json.dumps(report, indent=1, default=str))
    console.print(f"MLflow run {report['mlflow_run_id']} (effectiveness/report.json)")


@scenario_app.command("drift")
def drift(
    out: Path = typer.Option(Path("reports/scenario_drift.json"), help="JSON report."),
    declarations: int = typer.Option(
        None, help="Goods items to generate (default: the scenario's)."
    ),
    months: int = typer.Option(None, help="Months of activity (default: the scenario's)."),
    start: str = typer.Option(None, help="First day (default CUSTOMS_RISK_START_DATE)."),
    shift_date: str = typer.Option(
        None, help="Start of the shift, a Monday (default: the scenario's)."
    ),
    seed: int = typer.Option(None, help="Seed (default CUSTOMS_RISK_SEED)."),
    data_dir: Path = typer.Option(None, help="Scenario lake (default <data_dir>/scenario)."),
    model_name: str = typer.Option("customs-risk-scenario", help="Registered model (reset)."),
) -> None:
    """Shift → detection → re-evaluation → promotion, replayed week by week."""
    from config.settings import get_settings
    from pipelines.scenario import ScenarioConfig, drift_scenario, scenario_settings

    settings = get_settings()
    root = data_dir or Path(settings.data_dir) / "scenario"
    # Only what was given: the scenario's own defaults are declared on ScenarioConfig.
    given = {
        "declarations": declarations,
        "months": months,
        "start": start,
        "shift_date": shift_date,
        "seed": seed,
    }
    config = ScenarioConfig(**{field: value for field, value in given.items() if value})
    started = time.perf_counter()
    report = drift_scenario(scenario_settings(settings, root, model_name), config, out=str(out))
    console.print(scenario_table(report))
    r = report["reevaluation"]
    console.print(
        f"stable windows {report['stable_windows']}, false alarms {report['false_alarms']}, "
        f"first alert after shift {report['first_alert_after_shift']}; "
        f"{r.get('summary')}; registry champion {report['registry']['champion']}. "
        f"{time.perf_counter() - started:.0f}s → {out}"
    )


def scenario_table(report: dict) -> Table:
    """One row per replayed window: status, alert signals, champion, re-evaluation."""
    table = Table(title=f"Drift scenario (shift {report['shift_date']})")
    for column in ("window", "after shift", "status", "alert signals", "champion", "action"):
        table.add_column(column)
    for w in report["windows"]:
        table.add_row(
            w["start"][:10],
            "yes" if w["after_shift"] else "",
            w["status"],
            ", ".join(w["signals"]),
            w["champion_version"],
            w["reevaluation"] or "",
        )
    return table
