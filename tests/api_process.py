"""A real ``customs-risk serve`` (uvicorn) on a project's settings, for the tests that go
over the network: the API's process test and the workbench's browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(settings, host: str = "127.0.0.1", **env: str) -> Iterator[str]:
    """The app serving ``settings``' project, once ready: its base URL; stopped after."""
    port = free_port()
    environment = {
        **os.environ,
        "CUSTOMS_RISK_DATA_DIR": str(settings.data_dir),
        "CUSTOMS_RISK_MLFLOW_DIR": str(settings.mlflow_dir),
        "CUSTOMS_RISK_TRACKING_URI": settings.resolved_tracking_uri,
        "PORT": str(port),
        **env,
    }
    cli = Path(sys.executable).with_name("customs-risk")
    server = subprocess.Popen(
        [str(cli), "serve"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://{host}:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read().decode()
            time.sleep(0.5)
        else:
            pytest.fail("uvicorn did not become ready in 90 s")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
