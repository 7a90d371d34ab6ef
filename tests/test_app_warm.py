"""The start-up warm-up: it begins after the app's start-up, and pages do not wait for it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

import seawitness.app as app_module
from seawitness.app import create_app
from seawitness.service import SEA_RULES


def test_create_app_starts_no_warm_up_before_start_up(
    instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    started = threading.Event()

    def record(svc: Any) -> None:
        calls.append(svc)
        svc.warming.clear()
        started.set()

    monkeypatch.setattr(app_module, "_warm", record)
    monkeypatch.setattr(app_module, "WARM_DELAY_S", 0.0)
    app = create_app(instance)
    assert calls == [] and app.state.warm_thread is None
    assert not app.state.service.warming.is_set()
    with TestClient(app) as client:  # runs the lifespan start-up: now the warm-up starts
        assert started.wait(10)
        assert client.get("/api/v1/log").status_code == 200
    assert calls == [app.state.service]


def test_requests_are_answered_while_the_warm_up_runs(
    instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm-up is held inside the summary's computation (it holds that cache entry's
    lock): the log, a filtered page of results and the home page still answer, the home page
    saying that its numbers are being computed; once the warm-up is done, it has them."""
    monkeypatch.setattr(app_module, "WARM_DELAY_S", 0.0)
    app = create_app(instance)
    svc = app.state.service
    store = svc.store
    inside, release = threading.Event(), threading.Event()
    counts_by = store.counts_by

    def held(*cols: str, **kw: Any) -> Any:
        if threading.current_thread().name == "seawitness-warm":
            inside.set()
            release.wait(30)
        return counts_by(*cols, **kw)

    monkeypatch.setattr(store, "counts_by", held)
    try:
        with TestClient(app) as client:
            assert inside.wait(10)
            assert client.get("/api/v1/log").status_code == 200
            # filtered: an unfiltered page takes its total from the summary, which is held
            page = client.get("/api/v1/measurements", params={"limit": 5, "nuclide": "Cs-137"})
            assert page.status_code == 200 and len(page.json()["results"]) == 5
            home = client.get("/", headers={"Accept": "text/html"})
            assert home.status_code == 200
            assert 'id="numbers-computing"' in home.text
            assert inside.is_set() and not release.is_set()  # the warm-up is still held
            release.set()
            app.state.warm_thread.join(30)
            assert not app.state.warm_thread.is_alive() and not svc.warming.is_set()
            home = client.get("/", headers={"Accept": "text/html"})
            assert 'id="numbers-computing"' not in home.text
            assert f"{svc.summary()['results']:,}" in home.text
    finally:
        release.set()


def test_without_warm_up_pages_compute_what_they_show(instance: Any) -> None:
    app = create_app(instance, warm=False)
    app.state.service.limits(SEA_RULES)  # else the page starts it in a thread of its own
    with TestClient(app) as client:
        home = client.get("/", headers={"Accept": "text/html"})
        assert home.status_code == 200
        for part in ("numbers", "map", "latest"):
            assert f'id="{part}-computing"' not in home.text
        assert 'id="latest-tritium"' in home.text and 'id="map-legend"' in home.text
