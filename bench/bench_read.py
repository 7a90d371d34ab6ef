"""The read path at scale: seawitness (SQLite and PostgreSQL) against Datasette.

Builds databases of synthetic results drawn from the real ORBS data (see read_data.py:
bulk-inserted index rows, NOT signed into the log), serves each with this project's app
under uvicorn and the SQLite one with Datasette too, then times the same requests against
all servers, interleaved in one run:

* a station's series, a filtered page of 100 and the next page by cursor: p50/p95 and
  requests/s (sequential requests);
* a filtered CSV download (again after emptying the page cache, if run as root) and the
  whole-table CSV and Parquet downloads: rows/s;
* the server's resident memory (RSS) sampled during the whole-table download.

    python bench/bench_read.py --sizes 1000000,10000000      # needs tens of GB in --dir
    python bench/bench_read.py --sizes 200000 --no-postgres  # a quick look

Datasette is looked for as ``datasette`` next to this Python or on PATH (install the
``bench`` extra, or ``--datasette PATH``); without it the Datasette columns are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
import read_data  # noqa: E402

PG = os.environ.get("SEAWITNESS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
STATION, ORG, NUCLIDE = "T-0-1A", "TEPCO", "H-3"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(
    url: str, proc: subprocess.Popen[bytes], t0: float, timeout: float = 120
) -> tuple[float, float]:
    """Seconds from ``t0`` until the server's port accepts a connection (bound and
    listening) and until ``url`` first answers 200."""
    parts = httpx.URL(url)
    bind = None
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"server for {url} exited with {proc.returncode}")
        try:
            if bind is None:
                socket.create_connection((parts.host, parts.port or 80), timeout=1).close()
                bind = time.perf_counter() - t0
            if httpx.get(url, timeout=60).status_code == 200:
                return bind, time.perf_counter() - t0
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.01)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def _rss_kib(pid: int, field: str = "VmRSS") -> int:
    """Resident memory of ``pid``: all of it (VmRSS), or its heap (RssAnon) without the
    file pages it maps (RssFile: the SQLite server maps the database file)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Server:
    """One server under test: its base URL, process and how to say each request."""

    def __init__(self, name: str, cmd: list[str], base: str, kind: str) -> None:
        self.name, self.base, self.kind = name, base, kind
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = "/api/v1/log" if kind == "ours" else "/-/versions.json"
        # from process start: bound and listening, then the first 200
        self.bind_s, self.start_s = _wait(base + probe, self.proc, t0)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    # the requests, said the way each server says them
    def series(self) -> str:
        if self.kind == "ours":
            return f"/api/v1/stations/{ORG}/{STATION}/series?nuclide={NUCLIDE}"
        return (
            f"/db/measurements.json?org={ORG}&station={STATION}&nuclide={NUCLIDE}"
            "&_sort=sampled_at&_size=max&_col=sampled_at&_col=detection&_col=value"
            "&_col=uncertainty&_col=detection_limit&_col=unit&_nocount=1"
        )

    def page(self) -> str:
        if self.kind == "ours":
            return f"/api/v1/measurements?station={STATION}&nuclide={NUCLIDE}&limit=100"
        return (
            f"/db/measurements.json?station={STATION}&nuclide={NUCLIDE}&_size=100&_sort=sampled_at"
        )

    def next_page(self, client: httpx.Client) -> str:
        body = client.get(self.base + self.page()).json()
        if self.kind == "ours":
            return str(body["meta"]["next"])
        nxt = body.get("next_url") or ""
        return nxt.replace(self.base, "") if nxt else self.page() + f"&_next={body['next']}"

    def csv(self, filtered: bool, time_order: bool = False) -> str:
        """Ours always answers in time order; Datasette in its primary key's (storage)
        order unless ``time_order`` (``_sort=sampled_at``: the same rows in our order)."""
        if self.kind == "ours":
            return "/api/v1/measurements?format=csv" + (f"&nuclide={NUCLIDE}" if filtered else "")
        return (
            "/db/measurements.csv?_stream=on&_size=max"
            + (f"&nuclide={NUCLIDE}" if filtered else "")
            + ("&_sort=sampled_at" if time_order else "")
        )


def _drop_caches() -> bool:
    """Empty the operating system's page cache (root only): a download then reads every
    page it needs from disk, as it does when the database is larger than memory."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def _latency(client: httpx.Client, url: str, n: int) -> dict[str, float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(url)
        r.raise_for_status()
        times.append(time.perf_counter() - t0)
    times.sort()
    return {
        "p50_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * times[min(len(times) - 1, int(0.95 * len(times)))],
        "rps": len(times) / sum(times),
    }


def _download(client: httpx.Client, srv: Server, url: str, rows_hint: int) -> dict[str, float]:
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_kib(srv.proc.pid))
            peak[1] = max(peak[1], _rss_kib(srv.proc.pid, "RssAnon"))
            time.sleep(0.2)

    rss0 = _rss_kib(srv.proc.pid)
    anon0 = _rss_kib(srv.proc.pid, "RssAnon")
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.perf_counter()
    nbytes = lines = 0
    first = None
    with client.stream("GET", srv.base + url, timeout=3600) as r:
        r.raise_for_status()
        from_file = "/api/v1/bulk/" in str(r.url)  # redirected to a bulk file
        for chunk in r.iter_raw(1 << 20):
            if first is None:
                first = time.perf_counter() - t0
            nbytes += len(chunk)
            if "format=parquet" not in url:
                lines += chunk.count(b"\n")
    dt = time.perf_counter() - t0
    done.set()
    t.join()
    rows = lines - 1 if lines else rows_hint
    return {
        "rows": rows,
        "rows_per_s": rows / dt,
        "MB_per_s": nbytes / dt / 1e6,
        "first_byte_s": first or dt,
        "rss_start_MiB": rss0 / 1024,
        "rss_peak_MiB": peak[0] / 1024,
        "anon_start_MiB": anon0 / 1024,
        "anon_peak_MiB": peak[1] / 1024,
        "bulk_file": float(from_file),
    }


def _ours(inst_root: Path, db_url: str, name: str, warm: bool = True) -> Server:
    """This project's app under uvicorn; ``warm=False``: without the dashboard's start-up
    warm-up (whose Python loops over whole tables share the GIL with the requests)."""
    port = _port()
    code = (
        "import sys, uvicorn; from pathlib import Path; from seawitness.instance import Instance;"
        "from seawitness.app import create_app;"
        f"inst = Instance.open(Path({str(inst_root)!r}), db_url={db_url!r});"
        f"uvicorn.run(create_app(inst, warm={warm}), host='127.0.0.1', port={port},"
        " log_level='warning')"
    )
    return Server(name, [sys.executable, "-c", code], f"http://127.0.0.1:{port}", "ours")


def _bulk(inst_root: Path, db_url: str, reuse: bool = False) -> dict[str, Any]:
    """Build the instance's bulk files (``seawitness bulk``) in a fresh process; its
    seconds and rows/s (both files, one pass each). ``reuse`` keeps files built before."""
    cmd = [str(Path(sys.executable).with_name("seawitness")), "--instance", str(inst_root)]
    reused = reuse and (inst_root / "bulk").is_dir()
    if not reused:
        shutil.rmtree(inst_root / "bulk", ignore_errors=True)
    t0 = time.perf_counter()
    subprocess.run([*cmd, "--db", db_url, "bulk"], check=True, capture_output=True)
    dt = time.perf_counter() - t0
    files = json.loads(
        subprocess.run(
            [sys.executable, "-c", _LIST, str(inst_root / "bulk")],
            check=True,
            capture_output=True,
        ).stdout
    )
    rows = max(f["rows"] for f in files)
    mb = sum(f["bytes"] for f in files) / 1e6
    return {"s": dt, "rows_per_s": rows / dt, "MB": mb, "reused": reused}


_LIST = (
    "import json, sys; from pathlib import Path; from seawitness.export.bulk import listing;"
    "print(json.dumps([b.to_dict() for b in listing(Path(sys.argv[1]))]))"
)


def _datasette(exe: str, path: Path) -> Server:
    port = _port()
    link = path.with_name("db.db")  # Datasette names the database after the file
    if not link.exists():
        link.symlink_to(path.name)
    cmd = [
        exe,
        "serve",
        str(link),
        "--port",
        str(port),
        "--setting",
        "max_returned_rows",
        "1000000",
        "--setting",
        "sql_time_limit_ms",
        "600000",
        "--setting",
        "num_sql_threads",
        "3",
        "--setting",
        "max_csv_mb",
        "0",
    ]
    return Server("datasette", cmd, f"http://127.0.0.1:{port}", "datasette")


def run_size(n: int, args: argparse.Namespace, tpl: Any, stations: Any) -> dict[str, Any]:
    from seawitness.instance import Instance

    root = Path(args.dir) / f"read-{n}"
    out: dict[str, Any] = {"n": n, "build_s": {}, "warm": not args.no_warm}
    servers: list[Server] = []
    sqlite_db = root / "seawitness.db"
    if args.reuse and sqlite_db.exists():  # a database this script built before, kept
        out["build_s"]["sqlite"] = "reused"
    else:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        inst = Instance.create(root / "sqlite", db_url=str(sqlite_db), origin="bench.local/read")
        out["build_s"]["sqlite"] = read_data.build_sqlite(inst, n, tpl, stations)
    out["bulk"] = {"sqlite": _bulk(root / "sqlite", str(sqlite_db), args.keep_bulk)}
    schema = None
    if not args.no_postgres:
        import psycopg

        # kept (--keep) under a name of its size, so that --reuse finds it
        kept_name = args.keep or args.reuse
        schema = f"bench_read_{n}" if kept_name else f"bench_read_{uuid.uuid4().hex[:8]}"
        pg_url = f"{PG}?options=-csearch_path%3D{schema}"
        with psycopg.connect(PG, autocommit=True) as c:
            kept = c.execute(
                "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (schema,)
            ).fetchone()
            if kept and not (args.reuse and (root / "pg").is_dir()):
                c.execute(f'DROP SCHEMA "{schema}" CASCADE')
                kept = None
            if not kept:
                c.execute(f'CREATE SCHEMA "{schema}"')
        if kept:
            out["build_s"]["postgresql"] = "reused"
        else:
            shutil.rmtree(root / "pg", ignore_errors=True)
            pinst = Instance.create(root / "pg", db_url=pg_url, origin="bench.local/read")
            out["build_s"]["postgresql"] = read_data.build_postgres(pinst, n, tpl, stations)
            pinst.store.close()
        out["bulk"]["postgresql"] = _bulk(root / "pg", pg_url, args.keep_bulk)
    # every database and bulk file is built before any server starts (a server's warm-up
    # would take a core from a build)
    servers.append(_ours(root / "sqlite", str(sqlite_db), "seawitness-sqlite", not args.no_warm))
    if schema:
        servers.append(_ours(root / "pg", pg_url, "seawitness-pg", not args.no_warm))
    if args.datasette:
        servers.append(_datasette(args.datasette, sqlite_db))
    out["start_s"] = {s.name: s.start_s for s in servers}
    out["bind_s"] = {s.name: s.bind_s for s in servers}
    res: dict[str, dict[str, Any]] = {s.name: {} for s in servers}
    try:
        # identity: rows/s of the server, not of gzip (which Datasette does not do)
        with httpx.Client(
            timeout=600, headers={"Accept-Encoding": "identity"}, follow_redirects=True
        ) as client:
            for s in servers:  # warm-up: one of each, untimed
                client.get(s.base + s.series())
                client.get(s.base + s.page())
            for _ in range(args.rounds):  # interleaved: each round visits every server
                for s in servers:
                    for key, url in (
                        ("series", s.series()),
                        ("page", s.page()),
                        ("next_page", s.next_page(client)),
                    ):
                        res[s.name].setdefault(key, []).append(
                            _latency(client, s.base + url, args.requests)
                        )
            for s in servers:
                # an untimed pass first, so that each server is timed with its own table
                # in memory (the others' requests leave the caches unequal otherwise)
                _download(client, s, s.csv(True), 0)
                res[s.name]["csv_filtered"] = [_download(client, s, s.csv(True), 0)]
                if s.kind == "datasette":
                    url = s.csv(True, time_order=True)
                    res[s.name]["csv_filtered_time"] = [_download(client, s, url, 0)]
            # the same with nothing in the page cache, each after emptying it (root only)
            out["cold"] = args.cold and _drop_caches()
            for s in servers if out["cold"] else []:
                res[s.name]["csv_filtered_cold"] = [_download(client, s, s.csv(True), 0)]
                if s.kind == "datasette" and _drop_caches():
                    url = s.csv(True, time_order=True)
                    res[s.name]["csv_filtered_time_cold"] = [_download(client, s, url, 0)]
                _drop_caches()
            for s in servers:
                res[s.name]["csv_all"] = [_download(client, s, s.csv(False), n)]
            for s in servers:
                if s.kind == "ours":
                    url = "/api/v1/measurements?format=parquet"
                    res[s.name]["parquet_all"] = [_download(client, s, url, n)]
            for s in servers:  # the same whole table, streamed from the index (a filter
                if s.kind == "ours":  # that matches every row keeps the bulk file out)
                    for key, fmt in (("csv_all_live", "csv"), ("parquet_all_live", "parquet")):
                        url = f"/api/v1/measurements?format={fmt}&since=1900-01-01"
                        if args.live_rows < n:  # the first rows of it, in time order
                            url += f"&limit={args.live_rows}"
                        live = min(n, args.live_rows)
                        res[s.name][key] = [_download(client, s, url, live)]
    finally:
        for s in servers:
            s.stop()
        if schema and not (args.keep or args.reuse):
            import psycopg

            with psycopg.connect(PG, autocommit=True) as c:
                c.execute(f'DROP SCHEMA "{schema}" CASCADE')
        if not (args.keep or args.reuse):
            shutil.rmtree(root, ignore_errors=True)
    out["results"] = {
        name: {k: {m: statistics.median(d[m] for d in v) for m in v[0]} for k, v in r.items()}
        for name, r in res.items()
    }
    return out


def report(runs: list[dict[str, Any]]) -> None:
    print("\nSynthetic rows drawn from the real ORBS data, bulk-inserted into the index;")
    print("they were NOT signed or appended to the log (the read path does not read it).")
    for run in runs:
        n, r = run["n"], run["results"]
        print(f"\n== {n:,} results  (build s: {run['build_s']}; first answer s: {run['start_s']})")
        warm = "on" if run.get("warm", True) else "off (--no-warm)"
        print(f"seawitness servers' dashboard warm-up: {warm}")
        if not run.get("cold"):
            print("*_cold: not measured (--no-cold, or the page cache cannot be emptied)")
        for name, bind in run.get("bind_s", {}).items():
            first = run["start_s"][name]
            line = f"{name:18s} bound {bind:.2f} s after start"
            print(f"{line}; first answer {first - bind:.2f} s after bind")
        ours = "seawitness-sqlite"
        for key in ("series", "page", "next_page"):
            for name, got in r.items():
                v = got[key]
                line = (
                    f"{key:10s} {name:18s} p50 {v['p50_ms']:8.1f} ms  p95 {v['p95_ms']:8.1f} ms"
                    f"  {v['rps']:7.1f} req/s"
                )
                if name != ours and ours in r:
                    line += f"   {ours} p50 is {v['p50_ms'] / r[ours][key]['p50_ms']:.2f}x faster"
                print(line)
        for backend, b in run.get("bulk", {}).items():
            if b["reused"]:
                print(f"bulk files ({backend}): kept from an earlier run (--keep-bulk)")
                continue
            print(
                f"bulk files ({backend}): built in {b['s']:.1f} s, {b['rows_per_s']:,.0f} rows/s"
                f" (CSV + Parquet, {b['MB']:,.0f} MB)"
            )
        for key in (
            "csv_filtered",
            "csv_filtered_time",
            "csv_filtered_cold",
            "csv_filtered_time_cold",
            "csv_all",
            "csv_all_live",
            "parquet_all",
            "parquet_all_live",
        ):
            for name, got in r.items():
                if key not in got:
                    continue
                v = got[key]
                line = (
                    f"{key:22s} {name:18s} {v['rows']:>10,.0f} rows "
                    f"{v['rows_per_s']:>10,.0f} rows/s"
                    f"  {v['MB_per_s']:6.1f} MB/s  first byte {v['first_byte_s']:6.2f} s"
                    f"  RSS {v['rss_start_MiB']:.0f}->{v['rss_peak_MiB']:.0f} MiB"
                    f" (heap {v['anon_start_MiB']:.0f}->{v['anon_peak_MiB']:.0f})"
                    + ("  (bulk file)" if v.get("bulk_file") else "")
                )
                base = key.replace("_time", "")  # ours is always in time order
                if name != ours and ours in r and base in r[ours]:
                    ratio = r[ours][base]["rows_per_s"] / v["rows_per_s"]
                    line += f"   {ours} is {ratio:.2f}x faster"
                print(line)
    if len(runs) > 1:
        a, b = runs[0], runs[-1]
        print(f"\n== growth from {a['n']:,} to {b['n']:,} results ({b['n'] / a['n']:.0f}x rows)")
        for name in b["results"]:
            for key, metric in (
                ("series", "p50_ms"),
                ("page", "p50_ms"),
                ("next_page", "p50_ms"),
                ("csv_filtered", "rows_per_s"),
                ("csv_all", "rows_per_s"),
                ("csv_all_live", "rows_per_s"),
                ("parquet_all", "rows_per_s"),
                ("parquet_all_live", "rows_per_s"),
            ):
                if key in b["results"][name] and key in a["results"].get(name, {}):
                    x = b["results"][name][key][metric] / a["results"][name][key][metric]
                    print(f"  {name:18s} {key:12s} {metric}: x{x:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=20, help="per request kind and round")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the databases")
    ap.add_argument(
        "--reuse", action="store_true", help="use the databases kept by --keep (in --dir)"
    )
    ap.add_argument(
        "--keep-bulk", action="store_true", help="with --reuse: keep bulk files built before"
    )
    ap.add_argument(
        "--live-rows",
        type=int,
        default=1_000_000,
        help="rows of the whole table streamed from the index (the first, in time order)",
    )
    ap.add_argument(
        "--no-warm", action="store_true", help="serve ours without the dashboard's warm-up"
    )
    ap.add_argument(
        "--no-cold",
        dest="cold",
        action="store_false",
        help="skip the filtered CSV read with the page cache emptied before it (needs root)",
    )
    ap.add_argument("--datasette", default=None)
    args = ap.parse_args()
    if args.datasette is None:
        local = Path(sys.executable).with_name("datasette")
        args.datasette = str(local) if local.exists() else shutil.which("datasette")
    if not args.datasette:
        print("datasette not found: its columns are skipped (pip install -e '.[bench]')")
    tpl, stations = read_data.templates()
    runs = [run_size(int(n), args, tpl, stations) for n in args.sizes.split(",")]
    report(runs)


if __name__ == "__main__":
    main()
