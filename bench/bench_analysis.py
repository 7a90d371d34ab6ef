"""Benchmark of the analysis layer on every ORBS result, against pymannkendall.

    python bench/bench_analysis.py

Reads the bundled ORBS download (~120k results) and times, in one run:

1. the limits engine over all results against the TEPCO sea-area levels and three food
   rule sets (jp-mhlw, cn-gb14882, codex);
2. Kaplan-Meier summaries per (station, nuclide) with at least 5 results;
3. Mann-Kendall with Sen's slope per (station, nuclide) series of detected values with at
   least 10 points (ours, on real uneven times) and pymannkendall's ``original_test`` on
   the same series, printing our time over pymannkendall's.

Medians of 3 runs.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections import defaultdict

import numpy as np
import pymannkendall

from seawitness.analysis import censored, trends
from seawitness.analysis.limits import evaluate_all, load_rules, summarize
from seawitness.data import bundled_path
from seawitness.ingest.readers import read_path
from seawitness.model import Detection


def timed(fn, repeats: int = 3) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ms = [m for r in read_path(bundled_path("orbs"), "orbs") for m in r.measurements]
    print(f"{len(ms):,} ORBS results")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rules = [load_rules(n) for n in ("jp-tepco-sea", "jp-mhlw", "cn-gb14882", "codex")]
    t_lim, evs = timed(lambda: evaluate_all(ms, rules))
    print(
        f"limits: {t_lim:.2f} s for {len(evs):,} evaluations "
        f"({len(ms) / t_lim:,.0f} results/s); {summarize(evs)}"
    )  # type: ignore[arg-type]

    groups: dict[tuple[str, str], list] = defaultdict(list)  # type: ignore[type-arg]
    for m in ms:
        if m.detection in (Detection.DETECTED, Detection.BELOW_LIMIT) and m.value is not None:
            groups[(m.station, m.nuclide)].append(m)

    def km_all() -> int:
        done = 0
        for g in groups.values():
            if len(g) < 5:
                continue
            try:
                censored.kaplan_meier(
                    [m.value for m in g], [m.detection == Detection.BELOW_LIMIT for m in g]
                )
                done += 1
            except censored.CensoredDataError:
                pass
        return done

    t_km, n_km = timed(km_all)
    print(f"Kaplan-Meier: {t_km:.2f} s for {n_km} (station, nuclide) groups")

    series = []
    for g in groups.values():
        det = sorted((m.sampled_at, m.value) for m in g if m.detection == Detection.DETECTED)
        if len(det) >= 10:
            series.append(
                (
                    trends.to_decimal_years([t for t, _ in det]),
                    np.array([v for _, v in det], dtype=float),
                )
            )
    t_ours, _ = timed(lambda: [trends.mann_kendall(v, t) for t, v in series])
    t_pmk, _ = timed(lambda: [pymannkendall.original_test(v) for _, v in series])
    n_pts = sum(len(v) for _, v in series)
    print(f"Mann-Kendall + Sen: {len(series)} series, {n_pts:,} points")
    print(f"  ours (uneven times)      {t_ours:.3f} s")
    print(f"  pymannkendall (index)    {t_pmk:.3f} s")
    print(f"  ratio ours / pymannkendall = {t_ours / t_pmk:.2f}")
    total = t_lim + t_km + t_ours
    print(f"all analyses: {total:.2f} s = {total / t_pmk:.1f} x pymannkendall alone")


if __name__ == "__main__":
    main()
