"""Reads while labs write: p50/p95 of API reads alone, then with concurrent signed
submissions over HTTP, against the same server in the same run.

The gate does indexed look-ups only (issue: a submission once read every series head under
the write lock, and reads went to p95 17 s with two labs writing). This measures what a
reader sees while writers submit: the ratio of read p95 with writes to read p95 without.

    python bench/bench_writes.py                 # SQLite, bundled ORBS data
    python bench/bench_writes.py --files 60 --seconds 30 --writers 2
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from seawitness.data import bundled_path
from seawitness.ingest.importer import import_results
from seawitness.ingest.readers import read_path
from seawitness.instance import Instance
from seawitness.model.canonical import canonical_bytes
from seawitness.model.entry import Entry
from seawitness.model.times import now_utc
from seawitness.trust import keyring

READS = [
    "/api/v1/measurements?nuclide=Cs-137&limit=100",
    "/api/v1/measurements?medium=seawater&limit=100",
    "/api/v1/stations",
    "/api/v1/summary",
]


def _build(root: Path, n_files: int, n_writers: int) -> tuple[Instance, list[keyring.KeyPair]]:
    inst = Instance.create(root / "inst", origin="bench.local/writes")
    paths = sorted(bundled_path("orbs").rglob("*.csv"))[:n_files]
    results = [r for p in paths for r in read_path(p, "orbs")]
    import_results(inst.store, results, inst.demo_signer(), after_append=inst.checkpoint)
    keys = []
    with inst.store.transaction() as conn:
        for i in range(n_writers):
            key, _ = keyring.generate(f"LAB{i}")
            inst.register(
                conn, f"LAB{i}", f"Lab {i}", "KR", "lab", key,
                valid_from=datetime.now(UTC) - timedelta(days=1),
            )  # fmt: skip
            keys.append(key)
        inst.checkpoint(conn)
    return inst, keys


def _record(lab: str, n: int) -> bytes:
    t = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    return canonical_bytes(
        {
            "schema": "seawitness/measurement/v1", "org": lab, "station": f"{lab}-1",
            "medium": "seawater", "sampled_at": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "nuclide": "H-3", "detection": "=", "value": 0.1 + n * 1e-6,
            "unit": "Bq/L", "basis": "water", "uncertainty": 0.02,
        }
    )  # fmt: skip


def _writer(url: str, key: keyring.KeyPair, lab: str, stop: threading.Event, out: dict) -> None:
    client = httpx.Client(timeout=120)
    seq = int(client.get(f"{url}/api/v1/stakeholders/{lab}/next-seq").json()["next_seq"])
    n = 0
    while not stop.is_set():
        batch = []
        for _ in range(20):
            e = Entry("measurement", _record(lab, n), lab, key.key_id, seq, now_utc())
            batch.append(e.signed(key.sign).envelope_bytes())
            seq += 1
            n += 1
        t0 = time.perf_counter()
        r = client.post(
            f"{url}/api/v1/entries", content=b"\n".join(batch) + b"\n",
            headers={"Content-Type": "application/x-ndjson"},
        )  # fmt: skip
        out.setdefault("latency", []).append(time.perf_counter() - t0)
        out.setdefault(r.status_code, 0)
        out[r.status_code] += 1
        if r.status_code != 200:
            out.setdefault("first_refusal", r.text[:300])
            seq = int(client.get(f"{url}/api/v1/stakeholders/{lab}/next-seq").json()["next_seq"])
            time.sleep(float(r.headers.get("Retry-After", "1")))


def _reads(url: str, seconds: float) -> list[float]:
    client = httpx.Client(timeout=120)
    times: list[float] = []
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        t0 = time.perf_counter()
        r = client.get(url + READS[i % len(READS)])
        r.raise_for_status()
        times.append(time.perf_counter() - t0)
        i += 1
    return times


def _pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100)[int(q) - 1] * 1000 if len(xs) > 1 else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=40, help="bundled ORBS files to load")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--writers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8797)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inst, keys = _build(Path(tmp), args.files, args.writers)
        print(f"instance: {inst.store.count():,} results, {inst.store.tree_size():,} leaves")
        inst.store.close()
        url = f"http://127.0.0.1:{args.port}"
        server = subprocess.Popen(
            [sys.executable, "-c", "from seawitness.cli.main import main; main()",
             "--instance", str(inst.root), "serve",
             "--port", str(args.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/api/v1/summary", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            _reads(url, 3)  # warm
            alone = _reads(url, args.seconds)
            stop = threading.Event()
            stats: list[dict] = [{} for _ in keys]
            threads = [
                threading.Thread(target=_writer, args=(url, k, f"LAB{i}", stop, stats[i]))
                for i, k in enumerate(keys)
            ]
            for t in threads:
                t.start()
            time.sleep(1)
            during = _reads(url, args.seconds)
            stop.set()
            for t in threads:
                t.join()
        finally:
            server.terminate()
            server.wait(30)
    posts = [x for s in stats for x in s.get("latency", [])]
    codes: dict = {}
    for s in stats:
        for k, v in s.items():
            if k == "first_refusal":
                print("first refusal:", v)
            elif k != "latency":
                codes[k] = codes.get(k, 0) + v
    print(f"writers: {args.writers}, batches of 20 entries, answers {codes}, "
          f"submission p50 {_pct(posts, 50):.0f} ms p95 {_pct(posts, 95):.0f} ms")  # fmt: skip
    print("| reads | n | p50 ms | p95 ms |\n|---|---|---|---|")
    for name, xs in (("alone", alone), ("during writes", during)):
        print(f"| {name} | {len(xs)} | {_pct(xs, 50):.1f} | {_pct(xs, 95):.1f} |")
    print(f"p95 during writes / p95 alone: {_pct(during, 95) / _pct(alone, 95):.2f}")


if __name__ == "__main__":
    main()
