"""Fixtures of the serving tests."""

from __future__ import annotations

import shutil

import pytest

from models import registry
from sources.lake import DataLake


@pytest.fixture
def own_project(cycle, tmp_path):
    """Settings serving a copy of the cycle's local model copy and entity state, with the
    cycle's registry: a test may break or rebuild them without touching the shared project.
    The watcher is off; tests poll with ``serving.reload`` directly."""
    settings, _ = cycle
    data = tmp_path / "data"
    shutil.copytree(DataLake(settings.data_dir).state, DataLake(data).state)
    shutil.copytree(settings.resolved_model_cache_dir, data / "serving" / "model")
    return settings.model_copy(
        update={"data_dir": data, "model_cache_dir": None, "reload_interval_seconds": 0}
    )


def break_downloaded_bundles(monkeypatch) -> None:
    """Every bundle downloaded from the registry arrives truncated (a broken champion)."""
    download = registry.download_bundle

    def download_broken(*args, **kwargs):
        bundle = download(*args, **kwargs)
        (bundle / "model.json").write_text("{truncated")
        return bundle

    monkeypatch.setattr(registry, "download_bundle", download_broken)


@pytest.fixture
def broken_downloads():
    """:func:`break_downloaded_bundles`, for a test to apply to a monkeypatch of its own."""
    return break_downloaded_bundles
