"""The read API's edges: keyset cursors, sort, aliases, unknown parameters and values,
out-of-range numbers, HEAD, CORS, gzip, validators, and a download the client stops."""

from __future__ import annotations

import base64
import gzip
import socket
import threading
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from seawitness.app import create_app


@pytest.fixture
def client(instance: Any) -> TestClient:
    return TestClient(create_app(instance, warm=False))


def _all_pages(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    url: str | None = "/api/v1/measurements"
    first = True
    while url:
        r = client.get(url, params=params if first else None)
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["results"]
        url, first = body["meta"]["next"], False
    return out


def test_cursor_pages_cover_every_result_once_in_time_order(client: TestClient) -> None:
    rows = _all_pages(client, nuclide="Cs-137", limit=97)
    total = client.get("/api/v1/measurements", params={"nuclide": "Cs-137", "count": "true"})
    assert len(rows) == total.json()["meta"]["total"] > 97 * 3
    assert len({r["leaf_index"] for r in rows}) == len(rows)
    keys = [(r["sampled_at"], r["leaf_index"]) for r in rows]
    assert keys == sorted(keys)


def test_newest_first_is_the_reverse_of_oldest_first(client: TestClient) -> None:
    up = _all_pages(client, medium="fish", limit=50)
    down = _all_pages(client, medium="fish", limit=50, sort="-sampled_at")
    assert [r["leaf_index"] for r in down] == [r["leaf_index"] for r in reversed(up)]


def _cursor(client: TestClient, **params: Any) -> str:
    body = client.get("/api/v1/measurements", params={"limit": 3, **params}).json()
    cursor: str = body["meta"]["next_cursor"]
    assert cursor
    return cursor


@pytest.mark.parametrize("how", ["flipped", "garbage", "truncated", "other_filters", "sort"])
def test_a_bad_cursor_is_a_400_naming_cursor(client: TestClient, how: str) -> None:
    cur = _cursor(client, nuclide="Cs-137")
    params: dict[str, Any] = {"nuclide": "Cs-137", "cursor": cur}
    if how == "flipped":
        raw = bytearray(base64.urlsafe_b64decode(cur + "=" * (-len(cur) % 4)))
        raw[10] ^= 1  # a later time, say: the signature no longer matches
        params["cursor"] = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    elif how == "garbage":
        params["cursor"] = "not a cursor!"
    elif how == "truncated":
        params["cursor"] = cur[:-4]
    elif how == "other_filters":
        params["nuclide"] = "Cs-134"
    else:
        params["sort"] = "-sampled_at"
    r = client.get("/api/v1/measurements", params=params)
    assert r.status_code == 400
    assert r.json()["error"] == "bad_parameter" and r.json()["parameter"] == "cursor"


def test_a_cursor_from_another_database_is_refused(client: TestClient, tmp_path: Any) -> None:
    from conftest import load_files, small_orbs_paths
    from seawitness.instance import Instance

    other = Instance.create(tmp_path / "other", db_url=str(tmp_path / "other.db"), origin="o/x")
    try:
        load_files(other, small_orbs_paths()[:1])
        cur = _cursor(TestClient(create_app(other, warm=False)))
    finally:
        other.store.close()
    r = client.get("/api/v1/measurements", params={"limit": 3, "cursor": cur})
    assert r.status_code == 400 and r.json()["parameter"] == "cursor"


@pytest.mark.parametrize(
    ("param", "spellings", "canonical"),
    [
        ("nuclide", ["Cs137", "137Cs", "cs-137", "CS-137"], "Cs-137"),
        ("nuclide", ["tritium", "3H", "h-3"], "H-3"),
        ("medium", ["water", "Seawater", "sea water"], "seawater"),
        ("org", ["tepco", "Tepco"], "TEPCO"),
    ],
)
def test_aliases_give_the_canonical_selection(
    client: TestClient, param: str, spellings: list[str], canonical: str
) -> None:
    want = client.get("/api/v1/measurements", params={param: canonical, "count": "true"}).json()
    assert want["meta"]["total"] > 0
    for text in spellings:
        got = client.get("/api/v1/measurements", params={param: text, "count": "true"}).json()
        assert got["meta"]["total"] == want["meta"]["total"], text
        assert {r[param] for r in got["results"]} == {canonical}


@pytest.mark.parametrize(
    ("params", "parameter", "lists"),
    [
        ({"nuclide": "Xx-999"}, "nuclide", "Cs-137"),
        ({"medium": "lava"}, "medium", "seawater"),
        ({"org": "ACME"}, "org", "TEPCO"),
        ({"station": "NOWHERE-1"}, "station", "/api/v1/stations"),
        ({"sort": "value"}, "sort", "sampled_at"),
        ({"nuclides": "H-3"}, "nuclides", "nuclide"),
        ({"offset": 2**63}, "offset", "less than or equal"),
        ({"limit": 2**64}, "limit", "less than or equal"),
        ({"offset": "9" * 40}, "offset", "offset"),
    ],
)
def test_unknown_values_and_parameters_are_400s_that_say_what_is_accepted(
    client: TestClient, params: dict[str, Any], parameter: str, lists: str
) -> None:
    r = client.get("/api/v1/measurements", params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"] == "bad_parameter" and body["parameter"] == parameter
    assert lists in body["detail"]


@pytest.mark.parametrize("leaf", [2**63, 2**64, 10**30])
def test_record_ids_past_bigint_are_400s(client: TestClient, leaf: int) -> None:
    for tail in ("", "/history", "/proof"):
        r = client.get(f"/api/v1/records/{leaf}{tail}")
        assert r.status_code == 400, (tail, r.text)
        assert r.json()["parameter"] == "leaf_index"


def test_unknown_parameters_are_refused_on_every_data_endpoint(client: TestClient) -> None:
    for url in ("/api/v1/stations", "/api/v1/summary", "/api/v1/log", "/api/v1/limits"):
        r = client.get(url, params={"bogus": "1"})
        assert r.status_code == 400, url
        assert r.json()["parameter"] == "bogus"


def test_station_filters_org_any_case_and_zone(client: TestClient) -> None:
    every = client.get("/api/v1/stations").json()["results"]
    tepco = client.get("/api/v1/stations", params={"org": "tepco"}).json()["results"]
    assert tepco and len(tepco) == sum(1 for s in every if s["org"] == "TEPCO")
    assert {s["org"] for s in tepco} == {"TEPCO"}
    zone = client.get("/api/v1/stations", params={"zone": "outlet-3km"}).json()["results"]
    assert zone and {s["zone"] for s in zone} == {"outlet-3km"}
    assert len(zone) < len(every)
    gj = client.get("/api/v1/stations", params={"zone": "outlet-3km", "format": "geojson"})
    assert len(gj.json()["features"]) == len(zone)
    bad = client.get("/api/v1/stations", params={"zone": "moon"})
    assert bad.status_code == 400 and "outlet-3km" in bad.json()["detail"]


def test_head_answers_with_headers_and_no_body(client: TestClient) -> None:
    for url in ("/api/v1/summary", "/api/v1/measurements?format=csv", "/api/v1/stations"):
        get = client.get(url)
        head = client.head(url)
        assert head.status_code == 200, url
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["etag"] == get.headers["etag"]


def test_cors_lets_any_origin_read(client: TestClient) -> None:
    r = client.get("/api/v1/summary", headers={"Origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"
    pre = client.options(
        "/api/v1/measurements",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert pre.status_code == 200 and "GET" in pre.headers["access-control-allow-methods"]


def test_text_is_gzipped_and_parquet_is_not(client: TestClient) -> None:
    r = client.get(
        "/api/v1/measurements",
        params={"format": "csv"},
        headers={"Accept-Encoding": "gzip"},
    )
    assert r.headers["content-encoding"] == "gzip"
    plain = client.get(
        "/api/v1/measurements", params={"format": "csv"}, headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    assert r.text == plain.text  # httpx decoded the gzip body
    assert len(gzip.compress(plain.content)) < len(plain.content) / 3
    pq = client.get(
        "/api/v1/measurements", params={"format": "parquet"}, headers={"Accept-Encoding": "gzip"}
    )
    assert "content-encoding" not in pq.headers


def test_etag_gives_304_until_the_log_grows(client: TestClient, instance: Any) -> None:
    from conftest import load_files
    from seawitness.data import bundled_path

    url = "/api/v1/measurements?nuclide=H-3&limit=5"
    first = client.get(url)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get(url + "&sort=-sampled_at", headers={"If-None-Match": etag})
    assert other.status_code == 200  # another URL, another validator
    load_files(instance, [next(bundled_path("orbs").rglob("Seawater_10_30.csv"))])
    grown = client.get(url, headers={"If-None-Match": etag})
    assert grown.status_code == 200 and grown.headers["etag"] != etag


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_a_download_stopped_half_way_frees_its_cursor_and_connection(
    instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from seawitness.api import downloads
    from seawitness.export.stream import csv_chunks

    seen: dict[str, Any] = {"chunks": 0, "closed_early": False}

    def slow_csv(engine: Any, q: Any) -> Any:
        """The real CSV writer, one row per batch and slowed down, so that the client
        surely leaves long before the end."""
        try:
            for chunk in csv_chunks(engine, q, batch=1):
                seen["chunks"] += 1
                seen["held"] = pool.checkedout()
                time.sleep(0.01)
                yield chunk
        except GeneratorExit:
            seen["closed_early"] = True
            raise

    media, name, _ = downloads.FORMATS["csv"]
    monkeypatch.setitem(downloads.FORMATS, "csv", (media, name, slow_csv))
    app = create_app(instance, warm=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    pool = instance.store.engine.pool
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/api/v1/measurements"
        with (
            httpx.Client(timeout=10) as http,
            http.stream("GET", url, params={"format": "csv"}) as r,
        ):
            assert r.status_code == 200
            next(r.iter_raw(1024))
            # ... and the client goes away after the first kilobyte
        for _ in range(200):
            if seen["closed_early"] and pool.checkedout() == 0:
                break
            time.sleep(0.05)
        assert seen["held"] == 1  # the download read through its own connection
        assert seen["closed_early"], "the generator must be closed, not left to the GC"
        assert seen["chunks"] < instance.store.count() / 2
        assert pool.checkedout() == 0
    finally:
        server.should_exit = True
        thread.join(10)


def test_datapackage_is_valid_frictionless(client: TestClient) -> None:
    frictionless = pytest.importorskip("frictionless")
    dp = client.get("/api/v1/datapackage.json").json()
    for res in dp["resources"]:
        assert not res["path"].startswith("/")
    report = frictionless.Package.validate_descriptor(dp)
    assert report.valid, report.flatten(["type", "note"])
    assert "schema" not in dp["resources"][1]  # GeoJSON is not a table
