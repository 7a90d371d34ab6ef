"""The limits summaries and the food view evaluate a batch of samples at a time (memory
bounded by the batch, not the table): the same counts as one evaluation of everything."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from seawitness.analysis.limits import evaluate_all
from seawitness.service import Service, views
from seawitness.store import store as store_module
from seawitness.store.records import current_measurements
from seawitness.store.store import Query


def _one_pass_limits(svc: Service, name: str) -> dict[str, Any]:
    """The rule set evaluated over every result at once, as the summary did before."""
    rs = svc.rule_set(name)
    media = sorted({m.value for r in rs.rules if r.evaluated for m in r.media})
    nuclides = sorted({n for r in rs.rules if r.evaluated for n in r.all_nuclides})
    ms = [
        m
        for med in media
        for nuc in nuclides
        for m in current_measurements(svc.store, Query(medium=med, nuclide=nuc))
    ]
    evs = evaluate_all(ms, rs, zones=svc.zones())
    return {
        "evaluations": len(evs),
        "counts": Counter(e.classification.value for e in evs),
        "results": len({m.id for e in evs for m in e.inputs}),
        "ratios": sorted((e.ratio for e in evs if e.ratio is not None), reverse=True),
    }


@pytest.mark.parametrize("rules", ["jp-tepco-sea", "jp-mhlw", "cn-gb14882"])
def test_batched_limits_count_as_one_pass(
    instance: Any, monkeypatch: pytest.MonkeyPatch, rules: str
) -> None:
    monkeypatch.setattr(store_module, "SAMPLE_BATCH", 37)  # many small batches
    got = Service.open(instance.store, instance.origin).limits(rules)
    want = _one_pass_limits(Service.open(instance.store, instance.origin), rules)
    assert got["evaluations"] == want["evaluations"] > 0
    assert {k: v for k, v in got["counts"].items() if v} == dict(want["counts"])
    assert got["results"] == want["results"] == sum(got["counts_by_result"].values())
    top = sorted(
        (h["ratio"] for r in got["rules"] for h in r["highest"] if h["ratio"] is not None),
        reverse=True,
    )
    assert top[:3] == want["ratios"][:3]


def test_batched_food_view_counts_as_one_batch(
    instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = views.food_view(Service.open(instance.store, instance.origin), "jp-mhlw")
    monkeypatch.setattr(store_module, "SAMPLE_BATCH", 5)
    small = views.food_view(Service.open(instance.store, instance.origin), "jp-mhlw")
    assert whole["results"] == small["results"] > 0
    assert whole["counts"] == small["counts"]
    assert [r["counts"] for r in whole["rules"]] == [r["counts"] for r in small["rules"]]
    assert [w["ratio"] for w in whole["worst"]] == [w["ratio"] for w in small["worst"]]


def test_batches_end_where_the_sampling_time_changes(instance: Any) -> None:
    batches = list(instance.store.measurement_batches(Query(), size=10))
    rows = [r for b in batches for r in b]
    assert [r["leaf_index"] for r in rows] == [
        r["leaf_index"] for r in instance.store.measurements(Query())
    ]
    for a, b in zip(batches, batches[1:], strict=False):
        assert a[-1]["sampled_at"] != b[0]["sampled_at"]


def _series(times_h: list[float]) -> list[dict[str, Any]]:
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    return [{"sampled_at": t0 + timedelta(hours=h), "n": i} for i, h in enumerate(times_h)]


def test_lab_pairs_offer_the_nearest_results_and_stay_linear(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import random

    from seawitness.service import labs

    rng = random.Random(3)
    week = 7 * 86400
    # sparse windows (a result every few days): the bound changes nothing
    ra = _series(sorted(rng.uniform(0, 24 * 365) for _ in range(200)))
    rb = _series(sorted(rng.uniform(0, 24 * 365) for _ in range(150)))
    bounded = labs._match(ra, rb, week)
    monkeypatch.setattr(labs, "NEAREST", 10**9)
    unbounded = labs._match(ra, rb, week)
    assert [(a["n"], b["n"]) for a, b in bounded] == [(a["n"], b["n"]) for a, b in unbounded]
    assert len(bounded) > 100  # most results find a partner within a week
    monkeypatch.undo()
    # a dense pair of series: hourly results, so a week's window holds 337 of them
    dense_a, dense_b = (
        _series([float(h) for h in range(3000)]),
        _series([h + 0.5 for h in range(3000)]),
    )
    seen: list[int] = []
    real_sorted = sorted

    def counting_sorted(x: Any, **kw: Any) -> Any:
        x = list(x)
        seen.append(len(x))
        return real_sorted(x, **kw)

    monkeypatch.setattr(labs, "sorted", counting_sorted, raising=False)
    pairs = labs._match(dense_a, dense_b, week)
    assert len(pairs) == 3000  # each hour pairs with the half hour after it
    assert all((b["sampled_at"] - a["sampled_at"]).total_seconds() == 1800 for a, b in pairs)
    assert max(seen) <= 2 * labs.NEAREST * 3000  # candidates grow with the results


def test_many_visitors_asking_for_a_limits_summary_start_one_computation(
    instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    svc = Service.open(instance.store, instance.origin)
    release = threading.Event()
    calls: list[str] = []
    real = Service.limits

    def slow(self: Service, name: str) -> dict[str, Any]:
        calls.append(name)
        release.wait(30)
        return real(self, name)

    monkeypatch.setattr(Service, "limits", slow)
    before = threading.active_count()
    assert all(svc.limits_if_ready("jp-mhlw") is None for _ in range(50))
    assert threading.active_count() <= before + 1  # one thread, not fifty
    release.set()
    for _ in range(300):
        if svc.limits_if_ready("jp-mhlw") is not None:
            break
        threading.Event().wait(0.1)
    assert svc.limits_if_ready("jp-mhlw") is not None and calls == ["jp-mhlw"]
