"""The Parquet data lake: where each stage reads and writes, and how it writes safely.

Layout under ``data_dir``::

    raw/<source>.parquet          as received (or generated)
    incoming/<source>/<id>.parquet  records the API received (declarations it decided,
                                  inspection outcomes); ingestion adds them to the raw batch
    validated/<source>.parquet    batches that passed their expectation suites
    features/declaration_features.parquet
    state/                        online entity state (features.state.EntityState)
    scores/<label>.parquet        batch scores
    dispositions/<month>.parquet  the month's dispositions (one row per goods item)
    serving/model/                local copy of the served model
    monitoring/                   re-assessment reports people read back
                                  (``reassessment.history``)

Every write goes to a temporary name first and is renamed into place, and a stage
that validates several files replaces them only after all passed, so a failed run
never leaves a half-written or partly-updated layer behind.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sources.contracts import CONTRACTS, conform


@dataclass(frozen=True)
class DataLake:
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def incoming(self) -> Path:
        return self.root / "incoming"

    @property
    def validated(self) -> Path:
        return self.root / "validated"

    @property
    def features(self) -> Path:
        return self.root / "features" / "declaration_features.parquet"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def scores(self) -> Path:
        return self.root / "scores"

    def source_path(self, layer: Path, source: str) -> Path:
        return layer / f"{source}.parquet"

    def read_sources(self, layer: Path) -> dict[str, pd.DataFrame]:
        """All four sources of a layer (raw or validated)."""
        missing = [s for s in CONTRACTS if not self.source_path(layer, s).exists()]
        if missing:
            raise FileNotFoundError(f"{layer}: missing {', '.join(missing)} — run the earlier step")
        return {s: pd.read_parquet(self.source_path(layer, s)) for s in CONTRACTS}

    def add_incoming(self, source: str, frame: pd.DataFrame, name: str) -> Path:
        """Keep records received one by one (e.g. an outcome posted to the API) for the
        next ingestion; written atomically, one file per record set."""
        return write_parquet(frame, self.incoming / source / f"{name}.parquet")

    def with_incoming(self, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """``frames`` plus the records received since, each source in its contract's form.

        A received record whose key the batch already holds is dropped: the batch is the
        system of record for what it contains."""
        out = dict(frames)
        for source, contract in CONTRACTS.items():
            files = sorted((self.incoming / source).glob("*.parquet"))
            if not files:
                continue
            received = conform(pd.concat([pd.read_parquet(f) for f in files]), contract)
            combined = pd.concat([conform(frames[source], contract), received], ignore_index=True)
            out[source] = combined.drop_duplicates(list(contract.key), keep="first")
        return out


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` to ``path`` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


def write_text(text: str, path: Path) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def replace_layer(frames: dict[str, pd.DataFrame], layer: Path) -> dict[str, Path]:
    """Write every frame to a staging folder, then swap the folder in as ``layer``."""
    staging = layer.with_name(f".{layer.name}.{uuid.uuid4().hex}")
    for name, frame in frames.items():
        write_parquet(frame, staging / f"{name}.parquet")
    replace_directory(staging, layer)
    return {name: layer / f"{name}.parquet" for name in frames}


def replace_directory(staging: Path, target: Path) -> None:
    """Swap ``staging`` in as ``target``; the old one is removed only after the swap."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old.{uuid.uuid4().hex}")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
