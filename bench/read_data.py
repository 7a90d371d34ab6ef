"""Synthetic measurement databases drawn from the real ORBS data, for bench_read.py.

Each synthetic result copies a real ORBS result chosen at random (so stations, nuclides,
media, detection codes, values and units keep their real joint distribution) and gets a
sampling time drawn uniformly over 15 years. The rows are bulk-inserted straight into the
index tables (``measurements``, ``heads``) of a migrated seawitness database: they are
**not** signed or appended to the log, which the read path does not consult. The
measurement index's foreign key to ``entries`` is dropped on PostgreSQL for the same reason
(SQLite does not check it for a plain DB-API connection).
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from seawitness.data import bundled_path
from seawitness.ingest.readers import read_path
from seawitness.instance import Instance
from seawitness.store.store import measurement_row

COLUMNS = [
    "leaf_index",
    "record_id",
    "series_key",
    "version",
    "supersedes",
    "reason",
    "retracted",
    "org",
    "station",
    "medium",
    "sampled_at",
    "nuclide",
    "detection",
    "value",
    "unit",
    "basis",
    "uncertainty",
    "coverage_factor",
    "detection_limit",
    "depth",
    "depth_m",
    "species",
    "tissue",
    "sample_id",
    "analysis",
    "lab",
    "source",
    "lat",
    "lon",
    "import_id",
    "replicate",
    "method",
    "reference_date",
    "source_tz",
    "note",
    "extra",
]
START = datetime(2011, 4, 1, tzinfo=UTC)
SPAN_S = 15 * 365 * 86400


def templates() -> tuple[list[dict[str, Any]], list[Any]]:
    """The index rows and stations of the bundled newest ORBS download."""
    rows, stations = [], {}
    for res in read_path(bundled_path("orbs"), "orbs"):
        rows += [measurement_row(m) for m in res.measurements]
        for st in res.stations:
            stations[(st.org, st.code)] = st
    return rows, list(stations.values())


def synthetic_rows(tpl: list[dict[str, Any]], n: int, seed: int = 1) -> Iterator[tuple]:
    """``n`` index rows: real results at random, at random minutes over 15 years."""
    rng = random.Random(seed)
    order = COLUMNS[7:]
    fixed = [[t.get(c) for c in order] for t in tpl]
    i_time = order.index("sampled_at")
    i_ref = order.index("reference_date")
    pick, k = rng.randrange, len(fixed)
    for i in range(n):
        vals = list(fixed[pick(k)])
        t = START + timedelta(minutes=pick(SPAN_S // 60))
        vals[i_time] = t
        vals[i_ref] = None
        key = f"{i:064x}"
        yield (i, key, key, 1, None, None, False, *vals)


def _sqlite_cell(v: Any) -> Any:
    if isinstance(v, datetime):  # SQLAlchemy's SQLite DATETIME storage format
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    return v


def build_sqlite(inst: Instance, n: int, tpl: list[dict[str, Any]], stations: list[Any]) -> float:
    """Fill an instance's SQLite database with ``n`` rows; return the seconds it took."""
    t0 = time.perf_counter()
    with inst.store.transaction() as conn:
        inst.store.upsert_stations(conn, stations)
    path = inst.store.engine.url.database
    inst.store.close()
    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    idx = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name IN "
        "('measurements', 'heads') AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in idx:
        db.execute(f"DROP INDEX {name}")
    marks = ",".join("?" * len(COLUMNS))
    ins_m = f"INSERT INTO measurements ({','.join(COLUMNS)}) VALUES ({marks})"
    db.execute("BEGIN")
    batch: list[tuple] = []
    for row in synthetic_rows(tpl, n):
        batch.append(tuple(_sqlite_cell(v) for v in row))
        if len(batch) >= 100_000:
            db.executemany(ins_m, batch)
            db.executemany(
                "INSERT INTO heads (series_key, leaf_index, version) VALUES (?, ?, 1)",
                [(r[2], r[0]) for r in batch],
            )
            batch = []
    if batch:
        db.executemany(ins_m, batch)
        db.executemany(
            "INSERT INTO heads (series_key, leaf_index, version) VALUES (?, ?, 1)",
            [(r[2], r[0]) for r in batch],
        )
    db.execute("COMMIT")
    for _, sql in idx:
        db.execute(sql)
    db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return time.perf_counter() - t0


def build_postgres(inst: Instance, n: int, tpl: list[dict[str, Any]], stations: list[Any]) -> float:
    """Fill an instance's PostgreSQL schema with ``n`` rows by COPY; return the seconds."""
    t0 = time.perf_counter()
    with inst.store.transaction() as conn:
        inst.store.upsert_stations(conn, stations)
    raw = inst.store.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
            "('measurements', 'heads') AND schemaname = current_schema() "
            "AND indexname NOT LIKE '%pkey'"
        )
        idx = cur.fetchall()
        for name, _ in idx:
            cur.execute(f"DROP INDEX {name}")
        cur.execute(
            "ALTER TABLE measurements DROP CONSTRAINT IF EXISTS measurements_leaf_index_fkey"
        )
        with cur.copy(f"COPY measurements ({','.join(COLUMNS)}) FROM STDIN") as cp:
            for row in synthetic_rows(tpl, n):
                cp.write_row(row)
        cur.execute(
            "INSERT INTO heads (series_key, leaf_index, version) "
            "SELECT series_key, leaf_index, 1 FROM measurements"
        )
        for _, sql in idx:
            cur.execute(sql)
        raw.commit()
        cur.execute("ANALYZE measurements")
        cur.execute("ANALYZE heads")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - t0


def sqlite_path(inst: Instance) -> Path:
    return Path(str(inst.store.engine.url.database))
