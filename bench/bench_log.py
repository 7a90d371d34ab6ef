"""Benchmarks of the trust core, each printed as a ratio against a peer or a physical bound
measured in the same run on the same machine.

    python bench/bench_log.py [--quick]

* append: our log append (pure: Merkle state + tile contents; persisted: entries and
  tiles written to SQLite in the same transactions) vs pymerkle's SqliteTree, and vs the
  bare SHA-256 bound (hashlib hashing each leaf once, the least any RFC 9162 log must do);
* proofs: inclusion proofs computed from persisted tiles in a 1M-leaf log vs pymerkle's
  SqliteTree at the same size;
* signed ingest: records/s through the full submission checks (signature, key validity,
  sequence, schema, index rows, tiles) vs the bare Ed25519-verify bound on one core;
* audit: see bench_audit in the mirror package's benchmark (bench/bench_audit.py).

Figures are medians of repeated runs; the machine is small and noisy, so compare ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def median_rate(fn: Callable[[], int], repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        n = fn()
        rates.append(n / (time.perf_counter() - t))
    return statistics.median(rates)


def interleaved_rates(
    fns: dict[str, Callable[[], int | tuple[int, float]]], repeats: int
) -> dict[str, float]:
    """Median rate of each function, running them in turn each round, so that a slow
    spell of this noisy machine hits every contender rather than one. A function returns
    the items it processed, timed as a whole, or ``(items, seconds)`` where it times
    itself to leave its set-up out."""
    rates: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            got = fn()
            n, seconds = got if isinstance(got, tuple) else (got, time.perf_counter() - t)
            rates[name].append(n / seconds)
    return {name: statistics.median(r) for name, r in rates.items()}


def leaves(n: int, size: int = 100, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(size) for _ in range(n)]


def bench_append(n: int, repeats: int) -> dict[str, float]:
    from pymerkle import SqliteTree

    from seawitness.store.db import make_engine, migrate
    from seawitness.store.log import append_leaves, root_hash
    from seawitness.tlog.tiles import TileHashReader, updated_tiles

    data = leaves(n)

    def bare() -> int:
        sha = hashlib.sha256
        for d in data:
            sha(b"\x00" + d).digest()
        return n

    def pure() -> int:
        # What the store does, minus SQL: leaf hashes, the tiles they change, and the
        # root read back from the tiles (the tiles are the tree; no second copy of it).
        tiles: dict[tuple[int, int], bytes] = {}
        sha = hashlib.sha256
        size = 0
        for i in range(0, n, 1000):
            hashes = [sha(b"\x00" + d).digest() for d in data[i : i + 1000]]
            for t in updated_tiles(size, hashes, lambda lv, ix, w: tiles[(lv, ix)]):
                tiles[(t.level, t.index)] = t.data
            size += len(hashes)
        TileHashReader(size, lambda lv, ix, w: tiles[(lv, ix)]).root_hash()
        return n

    # Both persisted contenders are timed from an empty, ready database (schema made)
    # to the root of the full tree; making the schema is set-up for either.
    def ours_sqlite() -> tuple[int, float]:
        with tempfile.TemporaryDirectory() as d:
            engine = make_engine(str(Path(d) / "log.db"))
            migrate(engine)
            t = time.perf_counter()
            for i in range(0, n, 1000):
                with engine.begin() as conn:
                    append_leaves(conn, data[i : i + 1000])
            with engine.connect() as conn:
                root_hash(conn, n)  # as pymerkle's get_root() below
            seconds = time.perf_counter() - t
            engine.dispose()
        return n, seconds

    def pymerkle_sqlite() -> tuple[int, float]:
        with tempfile.TemporaryDirectory() as d:
            tree = SqliteTree(str(Path(d) / "pm.db"))
            t = time.perf_counter()
            for i in range(0, n, 1000):
                tree.append_entries(data[i : i + 1000])
            tree.get_root()
            seconds = time.perf_counter() - t
            tree.close()
        return n, seconds

    rates = interleaved_rates({"bare SHA-256": bare, "ours (pure)": pure}, 5 * repeats)
    rates.update(
        interleaved_rates(
            {"ours (SQLite)": ours_sqlite, "pymerkle SqliteTree": pymerkle_sqlite}, repeats
        )
    )
    return rates


def bench_proofs(n: int, n_proofs: int, workdir: Path) -> dict[str, float]:
    from pymerkle import SqliteTree

    from seawitness.store.db import make_engine, migrate
    from seawitness.store.log import append_leaves, tile_reader
    from seawitness.tlog.tiles import TileHashReader

    data = leaves(n, 40, seed=2)
    engine = make_engine(str(workdir / "proofs.db"))
    migrate(engine)
    for i in range(0, n, 20000):
        with engine.begin() as conn:
            append_leaves(conn, data[i : i + 20000])
    rng = random.Random(3)
    idx = [rng.randrange(n) for _ in range(n_proofs)]
    with engine.connect() as conn:
        reader = TileHashReader(n, tile_reader(conn))
        t = time.perf_counter()
        for i in idx:
            reader.inclusion_proof(i)
        ours = n_proofs / (time.perf_counter() - t)
    engine.dispose()

    tree = SqliteTree(str(workdir / "pm.db"))
    for i in range(0, n, 100000):
        tree.append_entries(data[i : i + 100000])
    k = max(20, n_proofs // 50)
    t = time.perf_counter()
    for i in idx[:k]:
        tree.prove_inclusion(i + 1, n)  # pymerkle counts leaves from 1
    theirs = k / (time.perf_counter() - t)
    tree.close()
    return {"ours (tiles in SQLite)": ours, "pymerkle SqliteTree": theirs}


def bench_signed_ingest(n: int, repeats: int) -> dict[str, float]:
    from seawitness.ingest.submit import submit
    from seawitness.instance import Instance
    from seawitness.model import Basis, Detection, Measurement, Medium
    from seawitness.model.entry import Entry
    from seawitness.trust import keyring

    key, _ = keyring.generate("BENCH")
    base = datetime(2024, 1, 1, tzinfo=UTC)
    records = [
        Measurement(
            org="BENCH",
            station=f"S-{i % 50}",
            medium=Medium.SEAWATER,
            sampled_at=base + timedelta(hours=i),
            nuclide="H-3",
            detection=Detection.DETECTED,
            value=0.1 + (i % 97) / 100,
            unit="Bq/L",
            basis=Basis.WATER,
            uncertainty=0.02,
        )
        for i in range(n)
    ]

    def signed(start: int = 0) -> list[Entry]:
        out = []
        for i, m in enumerate(records):
            e = Entry(
                "measurement", m.canonical(), "BENCH", key.key_id, start + i, datetime.now(UTC)
            )
            out.append(
                Entry(
                    e.kind,
                    e.record_bytes,
                    e.submitter,
                    e.key_id,
                    e.seq,
                    e.submitted_at,
                    key.sign(e.signed_message()),
                )
            )
        return out

    entries = signed()
    messages = [(e.signed_message(), e.signature) for e in entries]
    pub = Ed25519PrivateKey.from_private_bytes(key.signer._key.private_bytes_raw()).public_key()

    def bare_verify() -> int:
        for msg, sig in messages:
            pub.verify(sig, msg)
        return n

    # ingest timing excludes instance creation: measure it directly
    rates = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as d:
            inst = Instance.create(Path(d) / "i", origin="bench.local/log")
            with inst.store.transaction() as conn:
                inst.register(
                    conn,
                    "BENCH",
                    "bench",
                    None,
                    "lab",
                    key,
                    valid_from=datetime(2000, 1, 1, tzinfo=UTC),
                )
            t = time.perf_counter()
            with inst.store.transaction() as conn:
                submit(inst.store, conn, entries)
                inst.checkpoint(conn)
            rates.append(n / (time.perf_counter() - t))
            inst.store.close()
    return {
        "bare Ed25519 verify (1 core)": median_rate(bare_verify, repeats),
        "ours signed ingest (SQLite)": statistics.median(rates),
    }


def report(title: str, rates: dict[str, float], base: str, unit: str) -> None:
    print(f"\n{title}")
    for name, r in rates.items():
        print(f"  {name:34s} {r:12,.0f} {unit}   {r / rates[base]:6.2f} x {base}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    args = ap.parse_args()
    n_append = 20_000 if args.quick else 100_000
    n_tree = 100_000 if args.quick else 1_000_000
    repeats = 3
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; medians of {repeats}")
    a = bench_append(n_append, repeats)
    report(f"Log append, {n_append:,} leaves of 100 bytes", a, "bare SHA-256", "leaves/s")
    print(
        f"  -> ours (SQLite) / pymerkle SqliteTree = "
        f"{a['ours (SQLite)'] / a['pymerkle SqliteTree']:.2f} (target >= 2)"
    )
    print(
        f"  -> ours (pure) / bare SHA-256 = {a['ours (pure)'] / a['bare SHA-256']:.2f} "
        "(target >= 0.40)"
    )
    with tempfile.TemporaryDirectory() as d:
        p = bench_proofs(n_tree, 4000, Path(d))
    report(f"Inclusion proofs at {n_tree:,} leaves", p, "pymerkle SqliteTree", "proofs/s")
    print(
        f"  -> ours / pymerkle = {p['ours (tiles in SQLite)'] / p['pymerkle SqliteTree']:.1f}"
        " (target >= 40)"
    )
    n_ingest = 5_000 if args.quick else 20_000
    s = bench_signed_ingest(n_ingest, repeats)
    report(f"Signed ingest, {n_ingest:,} records", s, "bare Ed25519 verify (1 core)", "records/s")
    print(
        f"  -> ours / bare verify = "
        f"{s['ours signed ingest (SQLite)'] / s['bare Ed25519 verify (1 core)']:.2f}"
        " (target >= 0.50)"
    )


if __name__ == "__main__":
    main()
