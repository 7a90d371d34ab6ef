"""Benchmark of the offline audit against the bare Ed25519-verify bound.

    python bench/bench_audit.py [--quick]

Builds a log of the bundled ORBS download (about 120k signed records; ``--quick``: a few
files), publishes it as a static mirror, and in the same run measures:

* the bare bound: ``cryptography`` Ed25519 verification of the log's own entries, one
  core, nothing else (no parsing, hashing or tiles);
* ``seawitness audit`` of the mirror with 1 worker process and with one per core.

It prints records/s and the ratios to the 1-core bound and to the all-cores bound
(cores x the 1-core rate). Medians of 3 audits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from seawitness.data import bundled_path
from seawitness.ingest.importer import import_results
from seawitness.ingest.readers import iter_files, read_path
from seawitness.instance import Instance
from seawitness.mirror.audit import audit
from seawitness.mirror.publish import publish
from seawitness.model.entry import Entry
from seawitness.store import schema as s
from seawitness.store.log import leaves_range


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        inst = Instance.create(root / "inst", origin="bench.local/audit")
        files = list(iter_files(bundled_path("orbs"), "orbs"))
        if args.quick:
            files = files[:20]
        results = [r for f in files for r in read_path(f, "orbs")]
        import_results(inst.store, results, inst.demo_signer(), after_append=inst.checkpoint)
        publish(inst.store, root / "mirror")
        log_vkey = inst.log_key().vkey
        admin_vkey = inst.store.get_meta("admin_vkey")

        # the bound: verify every entry's signature, one core, nothing else
        with inst.store.engine.connect() as c:
            keys = {
                r.key_id: Ed25519PublicKey.from_public_bytes(bytes(r.public_key))
                for r in c.execute(s.keys.select())
            }
            datas = leaves_range(c, 0, inst.store.tree_size(c))
        entries = [Entry.from_bytes(x) for x in datas]
        from seawitness.trust.registry import Registry

        for anchor in Registry.anchored(admin_vkey or "").keys.values():
            keys.setdefault(anchor.key_id, Ed25519PublicKey.from_public_bytes(anchor.public_key))
        work = [(keys[e.key_id], e.signature, e.signed_message()) for e in entries]
        t = time.perf_counter()
        for k, sig, msg in work:
            k.verify(sig, msg)
        bound = len(work) / (time.perf_counter() - t)
        n = len(datas)
        print(f"{n:,} entries; bare Ed25519 verify, 1 core: {bound:,.0f} records/s")

        for workers in (1, cores):
            rates = []
            for _ in range(3):
                t = time.perf_counter()
                audit(
                    root / "mirror", trust_log_key=log_vkey, admin_vkey=admin_vkey, workers=workers
                )
                rates.append(n / (time.perf_counter() - t))
            r = statistics.median(rates)
            print(
                f"audit, {workers} worker(s): {r:,.0f} records/s = {r / bound:.2f} x the "
                f"1-core bound, {r / (bound * cores):.2f} x the {cores}-core bound"
            )
        inst.store.close()


if __name__ == "__main__":
    main()
