"""Cost of the ledger write on the API's hot path: ``DecisionLedger.record``.

``.venv/bin/python benchmarks/ledger_write.py [--calls N] [--postgres-url URL]``; prints a
table and writes ``reports/bench_ledger_write.json``.

Measured: wall time of ``record`` for a realistic decision (a declaration of two goods
items, seven categories each with probability, level, interval, severity, trend and
two reasons, measures with their sources; about 5 KB of canonical JSON) with an
idempotency key, after a warm-up:
- SQLite: a fresh file in a temporary folder under the data folder (the disk the
  embedded ledger lives on), WAL, ``synchronous=FULL`` (an fsync per commit);
- PostgreSQL: a fresh schema in the server's database (dropped afterwards), over TCP;
- each sequentially (one writer) and with four writer threads appending together
  (appends serialise on the chain head, so this shows the wait).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from config.settings import PROJECT_ROOT, get_settings
from ledger.actors import Principal, Role
from ledger.canonical import canonical_json
from ledger.database import connect, migrate
from ledger.decisions import DecisionItem, DecisionLedger, DecisionMeasure, NewDecision
from sources.contracts import RISK_CATEGORIES

CALLS = 1000
WARM_UP = 50
THREADS = 4
REASONS = 2  # per category: with the rest, a decision of about 5 KB
POSTGRES_URL = os.environ.get(
    "CUSTOMS_RISK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CATEGORIES = RISK_CATEGORIES
CALLER = Principal(name="clearance-system-1", role=Role.clearance_system, key_id="0a1b2c3d4e5f")


def category_assessment(n: int) -> dict:
    return {
        "probability": 0.0123 + n / 1000,
        "level": 1 + n % 4,
        "interval_90": [0.008, 0.019],
        "severity": {"measure": "duty at stake (CNY)", "value": 35580.39},
        "trend": {"direction": "stable", "recent_rate": 0.021, "previous_rate": 0.019},
        "reasons": [
            {"feature": f"consignee_hit_rate_365d_{r}", "value": 0.04, "contribution": 0.31}
            for r in range(REASONS)
        ],
    }


def sample_decision(n: int) -> NewDecision:
    measures = (
        DecisionMeasure("DOC", "documentary_review", "model"),
        DecisionMeasure("LAB", "sampling_lab_test", "instruction", f"instr-{n % 7}", 3),
    )
    items = [
        DecisionItem(
            item_no=i,
            selection_probability=0.02,
            selection_reason="model" if i == 1 else None,
            credit_level="regular",
            highest_level=3,
            measures=measures if i == 1 else (),
        )
        for i in (1, 2)
    ]
    declaration_id = f"2200{n:014d}"
    payload = {
        "declaration_id": declaration_id,
        "items": [
            {
                "item_no": item.item_no,
                "categories": {c: category_assessment(k) for k, c in enumerate(CATEGORIES)},
                "measures": [vars(m) for m in item.measures],
                "selection": {"random": False, "probability": 0.02},
            }
            for item in items
        ],
        "disposition": {"kind": "sampling_lab_test", "item_no": 1},
    }
    return NewDecision(
        declaration_id=declaration_id,
        caller=CALLER,
        input_hash=f"{n:064x}",
        model_version="7",
        thresholds_version="7",
        policy_version="policy-2026.1",
        catalogue_version="measures-2026.1",
        disposition="sampling_lab_test",
        payload=payload,
        items=items,
        idempotency_key=str(uuid.uuid4()),
    )


def summary(samples_ms: list[float]) -> dict:
    values = np.asarray(samples_ms)
    return {
        "calls": len(values),
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p99_ms": round(float(np.percentile(values, 99)), 3),
        "mean_ms": round(float(values.mean()), 3),
    }


def timed_record(ledger: DecisionLedger, entry: NewDecision) -> float:
    started = time.perf_counter()
    ledger.record(entry)
    return (time.perf_counter() - started) * 1000


def measure(engine: Engine, calls: int) -> dict:
    ledger = DecisionLedger(engine)
    for n in range(WARM_UP):
        ledger.record(sample_decision(n))
    entries = [sample_decision(WARM_UP + n) for n in range(2 * calls)]
    sequential = [timed_record(ledger, entry) for entry in entries[:calls]]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        concurrent = list(pool.map(lambda e: timed_record(ledger, e), entries[calls:]))
    report = ledger.verify()
    assert report.intact and report.decisions == WARM_UP + 2 * calls, report
    return {"sequential": summary(sequential), f"{THREADS}_threads": summary(concurrent)}


def bench_sqlite(calls: int) -> dict:
    data_dir = get_settings().data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-ledger-", dir=data_dir))
    try:
        engine = connect(f"sqlite:///{folder / 'ledger.db'}")
        migrate(engine)
        return measure(engine, calls)
    finally:
        shutil.rmtree(folder)


def bench_postgres(url: str, calls: int) -> dict:
    schema = f"bench_ledger_{uuid.uuid4().hex[:12]}"
    server = create_engine(url, poolclass=NullPool)
    with server.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        engine = connect(scoped.render_as_string(hide_password=False))
        migrate(engine)
        result = measure(engine, calls)
        engine.dispose()
        return result
    finally:
        with server.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        server.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=CALLS)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    payload_bytes = len(canonical_json(sample_decision(0).payload).encode("utf-8"))
    results = {"payload_bytes": payload_bytes, "sqlite": bench_sqlite(args.calls)}
    try:
        results["postgresql"] = bench_postgres(args.postgres_url, args.calls)
    except Exception as error:  # no server here: report SQLite alone
        results["postgresql"] = {"error": f"{type(error).__name__}: {error}"}
    print(f"DecisionLedger.record, payload {payload_bytes:,} bytes of canonical JSON")
    print(f"{'backend':<12}{'writers':<10}{'calls':>7}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for backend in ("sqlite", "postgresql"):
        for writers, figures in results[backend].items():
            if writers == "error":
                print(f"{backend:<12}{figures}")
                continue
            print(
                f"{backend:<12}{writers:<10}{figures['calls']:>7}{figures['p50_ms']:>9.2f}"
                f"{figures['p99_ms']:>9.2f}{figures['mean_ms']:>9.2f}"
            )
    out = PROJECT_ROOT / "reports" / "bench_ledger_write.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"→ {out}")


if __name__ == "__main__":
    main()
