"""Scoring latency of the champion: in-process and over HTTP against a real uvicorn.

Run after ``make run`` (it needs the registered champion and the entity state):
``make bench``. Prints a table and writes ``reports/bench_scoring.json``.

Measured: wall time of single-declaration scoring calls on real declarations of the
latest month, sequentially, after a warm-up —
- in-process: ``Scorer.score([declaration])`` (features, 7 boosters with TreeSHAP,
  calibration, reasons), and the same without reasons (``explain=False``);
- in-process decision: score + disposal (``disposal.decisions.decide``), without the
  ledger write (measured apart by ``benchmarks/ledger_write.py``, run by ``make bench``);
- HTTP: ``POST /v1/score`` over loopback with keep-alive to ``customs-risk serve``, with a
  clearance key: scored, disposed of and recorded in a ledger of the run's own (a
  temporary SQLite file, so the demo ledger does not fill with benchmark decisions);
- batch: ``POST /v1/score/batch`` with 1,000 distinct declarations;
- for reference: the registered pyfunc's ``predict`` on one feature row, the path the
  API avoids.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx
import numpy as np
import pandas as pd

from config.settings import PROJECT_ROOT, Settings, get_settings
from features.compute import FRAME_COLUMNS
from models.scoring import Scorer
from serving.holder import load_served_model
from sources.lake import DataLake

# MLflow's download progress bar would interleave with the printed figures.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

SAMPLE = 200
IN_PROCESS_CALLS = 2000
HTTP_CALLS = 1000
PYFUNC_CALLS = 200
BATCH = 1000
T = TypeVar("T")


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    values = np.asarray(samples_ms)
    return {
        "calls": len(values),
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p95_ms": round(float(np.percentile(values, 95)), 3),
        "p99_ms": round(float(np.percentile(values, 99)), 3),
        "mean_ms": round(float(values.mean()), 3),
    }


def _bodies(declarations: pd.DataFrame) -> list[dict]:
    """Declarations as JSON request bodies."""
    return json.loads(declarations.to_json(orient="records", date_format="iso"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed_ms(
    call: Callable[[int], T], calls: int, check: Callable[[T], object] | None = None
) -> dict[str, float]:
    """Percentiles of ``call(i)``'s wall time over ``calls`` sequential calls; ``check``
    sees each result once the clock has stopped, so it is not part of the figure."""
    timings = []
    for i in range(calls):
        started = time.perf_counter()
        result = call(i)
        timings.append((time.perf_counter() - started) * 1000)
        if check is not None:
            check(result)
    return _percentiles(timings)


def in_process(scorer: Scorer, bodies: list[dict]) -> dict:
    """``Scorer.score`` on one declaration at a time, with and without reasons."""
    for body in bodies[:50]:  # warm-up
        scorer.score([body])
    return {
        "in_process_single": timed_ms(
            lambda i: scorer.score([bodies[i % SAMPLE]]), IN_PROCESS_CALLS
        ),
        "in_process_single_without_reasons": timed_ms(
            lambda i: scorer.score([bodies[i % SAMPLE]], explain=False), IN_PROCESS_CALLS
        ),
    }


def in_process_decision(loaded, bodies: list[dict]) -> dict:
    """Score and dispose of one declaration at a time, as the API does before recording."""
    from datetime import UTC, datetime

    from disposal.decisions import decide

    def one(i: int):
        return decide(loaded.scorer, [bodies[i % SAMPLE]], loaded.rules, (), datetime.now(UTC))

    for i in range(50):  # warm-up
        one(i)
    return {"in_process_decision_single": timed_ms(one, IN_PROCESS_CALLS)}


def pyfunc_reference(settings: Settings, lake: DataLake) -> dict:
    """The registered pyfunc's ``predict`` on one feature row: the path the API avoids."""
    import mlflow
    from models.registry import use_store

    use_store(settings)
    pyfunc = mlflow.pyfunc.load_model(f"models:/{settings.model_name}@{settings.model_alias}")
    features = pd.read_parquet(lake.features).tail(PYFUNC_CALLS)
    rows = features.drop(columns=list(FRAME_COLUMNS))
    singles = [rows.iloc[[i]] for i in range(PYFUNC_CALLS)]  # cut outside the timing
    return {
        "pyfunc_predict_single_row_reference": timed_ms(
            lambda i: pyfunc.predict(singles[i]), PYFUNC_CALLS
        )
    }


def _bench_ledger(folder: Path) -> tuple[str, str]:
    """A fresh SQLite ledger for the run, and a clearance key in it."""
    from ledger.actors import Actor, Role
    from ledger.store import Ledger

    url = f"sqlite:///{folder / 'ledger.db'}"
    ledger = Ledger.open(url)
    try:
        key, _ = ledger.keys.create(
            Role.clearance_system, "bench", actor=Actor("make bench", Role.admin)
        )
    finally:
        ledger.close()
    return url, key


@contextmanager
def api_server() -> Iterator[httpx.Client]:
    """``customs-risk serve`` in a subprocess on a ledger of its own, and a keep-alive
    client with a clearance key once it is ready."""
    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="bench-ledger-", dir=get_settings().data_dir))
    url, key = _bench_ledger(folder)
    env = {**os.environ, "PORT": str(port), "CUSTOMS_RISK_DATABASE_URL": url}
    cli = Path(sys.executable).with_name("customs-risk")
    server = subprocess.Popen(
        [str(cli), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        headers = {"Authorization": f"Bearer {key}"}
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
            _wait_until_ready(client)
            yield client
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_ready(client: httpx.Client) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.5)
    sys.exit("API did not become ready within 120 s")


def over_http(client: httpx.Client, bodies: list[dict], batch: list[dict]) -> dict:
    """``GET /healthz`` (the floor), ``POST /v1/score`` one declaration at a time (with and
    without reasons), then batches."""

    def post_single(path: str, i: int) -> httpx.Response:
        return client.post(path, json={"declaration": bodies[i % SAMPLE]})

    def ok(response: httpx.Response) -> None:
        response.raise_for_status()

    for body in bodies[:50]:  # warm-up
        client.post("/v1/score", json={"declaration": body})
    report = {
        # The floor: what the same server and client cost with no scoring at all.
        "http_healthz_floor": timed_ms(lambda i: client.get("/healthz"), HTTP_CALLS, ok),
        "http_single": timed_ms(lambda i: post_single("/v1/score", i), HTTP_CALLS, ok),
        "http_single_without_reasons": timed_ms(
            lambda i: post_single("/v1/score?explain=false", i), HTTP_CALLS, ok
        ),
    }
    batch_times = []
    for _ in range(5):
        started = time.perf_counter()
        client.post("/v1/score/batch", json={"declarations": batch}).raise_for_status()
        batch_times.append(time.perf_counter() - started)
    median = statistics.median(batch_times)
    report["http_batch_1000"] = {
        "runs": 5,
        "median_s": round(median, 3),
        "declarations_per_s": round(BATCH / median, 1),
    }
    return report


def main() -> None:
    settings = get_settings()
    lake = DataLake(settings.data_dir)
    try:
        loaded = load_served_model(settings)
    except Exception as error:
        sys.exit(f"no served model ({error}); run `make run` first")
    declarations = pd.read_parquet(lake.source_path(lake.validated, "declarations"))
    latest = declarations.tail(5000)
    bodies = _bodies(latest.sample(SAMPLE, random_state=0))
    # A batch names each goods item once (the API answers 422 otherwise): distinct items.
    batch = _bodies(latest.sample(BATCH, random_state=1))
    scorer = loaded.scorer
    report: dict = {
        "model_version": scorer.model_version,
        "categories": len(scorer.model.categories),
        "data": f"{SAMPLE} declarations from the latest 5,000 in {lake.validated}",
        **in_process(scorer, bodies),
        **in_process_decision(loaded, bodies),
        **pyfunc_reference(settings, lake),
    }
    with api_server() as client:
        report |= over_http(client, bodies, batch)
    out = PROJECT_ROOT / "reports" / "bench_scoring.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
