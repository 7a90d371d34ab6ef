"""Import benchmark: the real import path against a bare ``executemany`` of the same rows.

Run from the repository root::

    python bench/bench_import.py                 # SQLite (and PostgreSQL when reachable)
    python bench/bench_import.py --repeat 5 --no-postgres --profile

Each round imports the bundled newest ORBS download (about 120k results) into a fresh
database twice:

* **import**: ``read_path`` + ``import_results`` with the instance's demo signer and a
  checkpoint, exactly what ``seawitness import DIR --format orbs`` does (minus the progress
  bar). Reading the files is timed separately and reported beside it.
* **bare insert**: the ``entry_bundles``, ``entries``, ``measurements`` and ``heads`` rows
  that an import writes
  (taken from the first import's database before timing), inserted with one plain DB-API
  ``executemany`` per table and one commit, into a fresh database of the same schema.

It prints records/s of each, the ratio import / bare (the target is at most 3), the median
of the rounds, and with ``--profile`` the top costs of one import under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from seawitness.data import bundled_path
from seawitness.ingest.importer import import_results
from seawitness.ingest.readers import read_path
from seawitness.instance import Instance
from seawitness.store import schema as s
from seawitness.tlog.tiles import TILE_WIDTH

PG_URL = os.environ.get("SEAWITNESS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
TABLES = (s.entry_bundles, s.entries, s.measurements, s.heads)  # insertion order (FKs)


@dataclass
class Round:
    read_s: float
    import_s: float
    bare_s: float
    records: int

    @property
    def ratio(self) -> float:
        return (self.read_s + self.import_s) / self.bare_s


class Backend:
    """Fresh databases on one backend: a file per database (SQLite) or a schema (PostgreSQL)."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.workdir = workdir
        self.schemas: list[str] = []

    def new_url(self) -> str:
        if self.name == "sqlite":
            return str(self.workdir / f"{uuid.uuid4().hex[:8]}.db")
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        self.schemas.append(schema)
        sep = "&" if "?" in PG_URL else "?"
        return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"

    def cleanup(self) -> None:
        if not self.schemas:
            return
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for schema in self.schemas:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            return True
    except Exception:
        return False


def new_instance(backend: Backend) -> Instance:
    root = backend.workdir / f"inst-{uuid.uuid4().hex[:8]}"
    return Instance.create(root, db_url=backend.new_url(), origin="bench.local/seawitness")


def real_import(inst: Instance) -> tuple[float, float, int]:
    """Time reading and importing the bundled ORBS download; return (read s, import s, n)."""
    t0 = time.perf_counter()
    results = list(read_path(bundled_path("orbs"), "orbs"))
    t1 = time.perf_counter()
    report = import_results(inst.store, results, inst.demo_signer(), after_append=inst.checkpoint)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, report.total("new")


def written_rows(inst: Instance, first_leaf: int) -> dict[str, tuple[list[str], list[tuple]]]:
    """The entry bundle, entries, measurements and heads rows an import wrote (leaves >=
    first_leaf; the bundle that was partial before the import is rewritten, as it is by
    the import itself)."""
    out = {}
    with inst.store.engine.connect() as c:
        for t in TABLES:
            cols = [col.name for col in t.columns]
            where = (
                t.c.idx >= first_leaf // TILE_WIDTH
                if t is s.entry_bundles
                else t.c.leaf_index >= first_leaf
            )
            rows = [tuple(r) for r in c.execute(select(t).where(where))]
            out[t.name] = (cols, rows)
    return out


def bare_insert(inst: Instance, rows: dict[str, tuple[list[str], list[tuple]]]) -> float:
    """One DB-API executemany per table and one commit; return the seconds it took."""
    raw = inst.store.engine.raw_connection()
    try:
        sqlite = inst.store.dialect == "sqlite"
        mark = "?" if sqlite else "%s"
        cur = raw.cursor()
        t0 = time.perf_counter()
        if sqlite:
            cur.execute("BEGIN IMMEDIATE")
        for name, (cols, data) in rows.items():
            if name == s.entry_bundles.name:  # the partial bundle the import grew
                cur.execute(f"DELETE FROM {name} WHERE idx >= {min(r[0] for r in data)}")
            sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
            cur.executemany(sql, data)
        raw.commit() if not sqlite else cur.execute("COMMIT")
        return time.perf_counter() - t0
    finally:
        raw.close()


def run_backend(name: str, repeat: int, profile: bool, workdir: Path) -> list[Round]:
    backend = Backend(name, workdir)
    try:
        # Rows for the bare insert: what one real import writes, prepared before timing.
        probe = new_instance(backend)
        first = probe.store.tree_size()
        real_import(probe)
        rows = written_rows(probe, first)
        probe.store.close()
        rounds = []
        for i in range(repeat):
            inst = new_instance(backend)
            read_s, import_s, n = real_import(inst)
            inst.store.close()
            target = new_instance(backend)
            bare_s = bare_insert(target, rows)
            target.store.close()
            r = Round(read_s, import_s, bare_s, n)
            rounds.append(r)
            print(
                f"  {name} round {i + 1}: import {n / (read_s + import_s):,.0f} rec/s "
                f"(read {read_s:.1f} s + import {import_s:.1f} s), "
                f"bare insert {n / bare_s:,.0f} rec/s ({bare_s:.1f} s), ratio {r.ratio:.2f}",
                flush=True,
            )
        if profile:
            inst = new_instance(backend)
            prof = cProfile.Profile()
            prof.enable()
            real_import(inst)
            prof.disable()
            inst.store.close()
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(15)
            print(f"\n  {name}: top costs of one import (cProfile, by own time)")
            print("\n".join("    " + ln for ln in buf.getvalue().splitlines() if ln.strip()))
        return rounds
    finally:
        backend.cleanup()


def summary(name: str, rounds: list[Round]) -> None:
    n = rounds[0].records
    imp = statistics.median(r.read_s + r.import_s for r in rounds)
    only = statistics.median(r.import_s for r in rounds)
    bare = statistics.median(r.bare_s for r in rounds)
    ratio = statistics.median(r.ratio for r in rounds)
    ratio_only = statistics.median(r.import_s / r.bare_s for r in rounds)
    verdict = "within" if ratio <= 3 else "NOT within"
    print(
        f"{name}: median of {len(rounds)}: {n:,} records; import {n / imp:,.0f} rec/s "
        f"({imp:.1f} s, of which import_results {only:.1f} s); bare executemany "
        f"{n / bare:,.0f} rec/s ({bare:.1f} s); ratio {ratio:.2f} ({verdict} the 3x target; "
        f"{ratio_only:.2f} without reading)"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--repeat", type=int, default=3, help="rounds per backend (default 3)")
    ap.add_argument("--profile", action="store_true", help="profile one import with cProfile")
    ap.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = ap.parse_args(argv)
    backends = ["sqlite"]
    if not args.no_postgres:
        if pg_reachable():
            backends.append("postgresql")
        else:
            print(f"PostgreSQL not reachable at {PG_URL}: SQLite only")
    results = {}
    with tempfile.TemporaryDirectory(prefix="seawitness-bench-") as tmp:
        for name in backends:
            print(f"{name}:", flush=True)
            results[name] = run_backend(name, args.repeat, args.profile, Path(tmp))
    print()
    for name, rounds in results.items():
        summary(name, rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
