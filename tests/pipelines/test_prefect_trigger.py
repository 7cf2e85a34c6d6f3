"""A real Prefect server on loopback: the drift event creates a run of ``reevaluate``.

The server runs as a subprocess with its own PREFECT_HOME (own SQLite database) and is
torn down afterwards. Registering the deployment and emitting the event happen in a
second subprocess pointed at that server, exactly as ``customs-risk deploy`` and
``customs-risk monitor`` would; the test then polls the server's REST API.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from config.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration

STARTUP_SECONDS = 180
RUN_SECONDS = 90

# Register the `reevaluate` deployment (with its trigger) and emit one drift event the way
# `monitor` does; print the deployment id.
CLIENT_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from config.settings import Settings
    from pipelines.deployments import deployments
    from pipelines.monitoring import emit_drift_event
    from prefect.events.worker import EventsWorker

    deployment = next(d for d in deployments() if d.name == "reevaluate")
    deployment_id = deployment.apply()
    report = {
        "window": {"start": "2025-07-07 00:00:00", "end": "2025-07-14 00:00:00"},
        "drift_since": "2025-07-07 00:00:00",
        "alert_signals": ["input:route"],
        "model": {"version": "1"},
    }
    event_id = emit_drift_event(report, Settings(model_name="customs-risk"))
    EventsWorker.drain_all(timeout=30)
    print(json.dumps({"deployment_id": str(deployment_id), "event_id": event_id}))
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def prefect_server(tmp_path):
    """`prefect server start` on a free loopback port, with its own home; yields the API URL."""
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")
    }  # no inherited API URL / profile
    env.update(
        {
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
        }
    )
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed in teardown
    prefect = Path(sys.executable).with_name("prefect")
    server = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so teardown ends its children too
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(1)
        else:
            pytest.fail(f"Prefect server not healthy in {STARTUP_SECONDS} s")
        yield api, env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()


def test_drift_event_triggers_a_reevaluate_run(prefect_server):
    api, env = prefect_server
    client = subprocess.run(
        [sys.executable, "-c", CLIENT_SCRIPT],
        env={**env, "PREFECT_API_URL": api},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert client.returncode == 0, client.stderr[-3000:]
    sent = json.loads(client.stdout.strip().splitlines()[-1])
    assert sent["event_id"]

    automations = httpx.post(f"{api}/automations/filter", json={}, timeout=10).json()
    assert [a["name"] for a in automations] == ["reevaluate-on-drift"]

    deadline = time.monotonic() + RUN_SECONDS
    runs = []
    while time.monotonic() < deadline and not runs:
        runs = httpx.post(
            f"{api}/flow_runs/filter",
            json={"deployments": {"id": {"any_": [sent["deployment_id"]]}}},
            timeout=10,
        ).json()
        if not runs:
            time.sleep(1)
    assert runs, f"no run of reevaluate within {RUN_SECONDS} s of the drift event"
    parameters = runs[0]["parameters"]
    assert parameters["as_of"] == "2025-07-14 00:00:00"
    assert parameters["since"] == "2025-07-07 00:00:00"
    assert parameters["signals"] == ["input:route"]
