"""How long the workbench's decision page takes: server time (the app's ``Server-Timing``)
and wall time over HTTP, against a real ``customs-risk serve``.

Run after ``make run`` (it needs the champion and the day of decisions the batch records):
``make bench``. Works on a copy of the demo ledger, so the reads it makes (each an audited
``decision.read``) do not fill the demo's audit log. Prints a table and writes
``reports/bench_workbench.json``.

Measured, sequentially with keep-alive after a warm-up, signed in as ``demo-officer``:
- the floor: ``GET /healthz`` on the same server and client;
- the queue page (first page, riskiest first);
- the decision page of decisions from the queue (levels 4 down to 1, in turn).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from config.settings import PROJECT_ROOT, get_settings

CALLS = 400
DECISIONS = 100
TIMING = re.compile(r"app;dur=([0-9.]+)")


def _percentiles(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples)
    return {
        "calls": len(values),
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
        "max_ms": round(float(values.max()), 2),
    }


def _timed(client: httpx.Client, paths: list[str], calls: int) -> dict:
    wall, server = [], []
    for i in range(calls):
        started = time.perf_counter()
        response = client.get(paths[i % len(paths)])
        wall.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        found = TIMING.search(response.headers.get("server-timing", ""))
        if found:
            server.append(float(found.group(1)))
    return {"wall": _percentiles(wall), **({"server": _percentiles(server)} if server else {})}


def _decision_paths(client: httpx.Client) -> list[str]:
    paths: list[str] = []
    for level in (4, 3, 2, 1):
        page = client.get(f"/workbench/?level={level}").text
        found = re.findall(r'href="(/workbench/decisions/[0-9a-f-]+)#', page)
        paths += found[: DECISIONS // 4]
    if not paths:
        sys.exit("no decision in the queue: run `make run` first")
    return paths


def main() -> None:
    settings = get_settings()
    folder = Path(tempfile.mkdtemp(prefix="bench-workbench-", dir=settings.data_dir))
    source = settings.resolved_database_url.removeprefix("sqlite:///")
    shutil.copy(source, folder / "ledger.db")
    keys = json.loads(settings.resolved_demo_keys_file.read_text())
    port = 8000 + os.getpid() % 1000
    env = {
        **os.environ,
        "PORT": str(port),
        "CUSTOMS_RISK_DATABASE_URL": f"sqlite:///{folder / 'ledger.db'}",
        "CUSTOMS_RISK_WORKBENCH_SECURE_COOKIE": "false",  # httpx over plain http
    }
    cli = Path(sys.executable).with_name("customs-risk")
    server = subprocess.Popen(
        [str(cli), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.5)
            client.post("/workbench/sign-in", data={"key": keys["demo-officer"]})
            paths = _decision_paths(client)
            _timed(client, paths, 50)  # warm-up: templates compiled, lake history read
            report = {
                "decisions": len(paths),
                "healthz_floor": _timed(client, ["/healthz"], CALLS),
                "queue_page": _timed(client, ["/workbench/"], CALLS // 4),
                "decision_page": _timed(client, paths, CALLS),
            }
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    out = PROJECT_ROOT / "reports" / "bench_workbench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    for name, figures in report.items():
        if isinstance(figures, dict):
            print(f"{name:15s} wall {figures['wall']}  server {figures.get('server', '–')}")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
