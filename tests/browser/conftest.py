"""Browser tests of the workbench: Debian's Chromium driven by Playwright, headless, against
a real ``customs-risk serve`` (uvicorn) on the cycle's project. Chromium is installed with
apt-get when missing; nothing is downloaded by Playwright. Screenshots go to
``tests/browser/screenshots/`` (git-ignored)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from api_process import served
from browsing import SCREENSHOTS

CHROMIUM = "/usr/bin/chromium"

# Debian packages the browser tests need: the browser, and Chinese fonts so that the
# screenshots show the zh-CN pages as a reviewer sees them.
PACKAGES = {"chromium": Path(CHROMIUM), "fonts-noto-cjk": Path("/usr/share/fonts/opentype/noto")}


def _ensure_chromium() -> str:
    missing = [name for name, path in PACKAGES.items() if not path.exists()]
    if missing:
        apt = shutil.which("apt-get")
        if apt is None:
            pytest.fail(f"Debian packages {missing} are missing and apt-get is not available")
        subprocess.run([apt, "update", "-qq"], check=False)
        subprocess.run([apt, "install", "-y", "-qq", *missing], check=True)
    return CHROMIUM


@pytest.fixture(scope="session")
def workbench_server(cycle, tmp_path_factory):
    """The API and workbench served by a real uvicorn process on a copy of the cycle's
    project (its ledger with the batch's decisions, lake, monitoring and keys), so what
    the browser publishes or records stays out of the other tests; its base URL (on
    localhost, where browsers accept the Secure session cookie over http) and the demo
    keys."""
    settings, _ = cycle
    data = tmp_path_factory.mktemp("workbench-browser") / "data"
    shutil.copytree(settings.data_dir, data)
    own = settings.model_copy(update={"data_dir": data, "model_cache_dir": None})
    keys = json.loads(own.resolved_demo_keys_file.read_text())
    with served(own, host="localhost", CUSTOMS_RISK_INSTRUCTION_REFRESH_SECONDS="0.2") as base:
        yield base, keys


@pytest.fixture(scope="module")
def browser():
    """Chromium for one module. Not longer: Playwright's sync API keeps an event loop
    running in this thread while it is open, and Prefect's sync calls (e.g.
    ``flow.to_deployment``) then return coroutines in the tests that follow."""
    from playwright.sync_api import sync_playwright

    executable = _ensure_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser context (no cookies) at 1280×800; a screenshot when the test ends."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    yield opened
    SCREENSHOTS.mkdir(exist_ok=True)
    opened.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-end.png"), full_page=True)
    context.close()
