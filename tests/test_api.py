"""The HTTP API over a real instance (four ORBS files), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from seawitness.app import create_app


@pytest.fixture
def client(instance: Any) -> TestClient:
    return TestClient(create_app(instance, warm=False))


def _a_station(client: TestClient, **want: Any) -> dict[str, Any]:
    for st in client.get("/api/v1/stations").json()["results"]:
        if st["n_results"] and all(st[k] == v for k, v in want.items()):
            return st
    raise AssertionError(f"no station with {want}")


def test_measurements_page_has_total_and_next(client: TestClient) -> None:
    r = client.get("/api/v1/measurements", params={"limit": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["meta"]["limit"] == 5 and body["meta"]["offset"] == 0
    assert body["meta"]["total"] > 5
    assert len(body["results"]) == 5
    assert "cursor=" in body["meta"]["next"] and "offset" not in body["meta"]["next"]
    nxt = client.get(body["meta"]["next"]).json()
    assert nxt["meta"]["cursor"] == body["meta"]["next_cursor"]
    first_ids = {x["leaf_index"] for x in body["results"]}
    assert not first_ids & {x["leaf_index"] for x in nxt["results"]}


def test_last_page_has_no_next(client: TestClient) -> None:
    total = client.get("/api/v1/measurements", params={"limit": 1}).json()["meta"]["total"]
    body = client.get("/api/v1/measurements", params={"limit": 10, "offset": total - 3}).json()
    assert len(body["results"]) == 3
    assert body["meta"]["next"] is None


def test_measurements_filters_match_the_store(client: TestClient, instance: Any) -> None:
    from seawitness.store.store import Query

    params = {"nuclide": "H-3", "medium": "seawater", "since": "2023-08-24"}
    body = client.get(
        "/api/v1/measurements", params={**params, "limit": 1000, "count": "true"}
    ).json()
    expected = instance.store.count(
        Query(
            nuclide="H-3",
            medium="seawater",
            since=__import__("datetime").datetime(2023, 8, 24, tzinfo=__import__("datetime").UTC),
        )
    )
    assert body["meta"]["total"] == expected > 0
    for row in body["results"]:
        assert row["nuclide"] == "H-3" and row["medium"] == "seawater"
        assert row["sampled_at"] >= "2023-08-24"
        assert row["sampled_at"].endswith("Z")


def test_non_detect_keeps_its_code_and_limit(client: TestClient) -> None:
    body = client.get("/api/v1/measurements", params={"limit": 1000}).json()
    nd = [r for r in body["results"] if r["detection"] == "<"]
    assert nd, "the ORBS sample files hold non-detects"
    assert all(r["value"] is not None and r["value"] > 0 for r in nd)


def test_bbox_filter(client: TestClient) -> None:
    body = client.get(
        "/api/v1/measurements", params={"bbox": "141.0,37.3,141.2,37.5", "limit": 200}
    ).json()
    for r in body["results"]:
        assert 141.0 <= r["lon"] <= 141.2 and 37.3 <= r["lat"] <= 37.5


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2020-13-45"}, "until"),
        ({"since": "2024-01-01", "until": "2023-01-01"}, "until"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"limit": 0}, "limit"),
        ({"limit": 10_000_000}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(
    client: TestClient, params: dict[str, Any], parameter: str
) -> None:
    r = client.get("/api/v1/measurements", params=params)
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "bad_parameter"
    assert body["parameter"] == parameter
    assert parameter in body["detail"]


def test_unknown_things_are_404_json(client: TestClient) -> None:
    for url in (
        "/api/v1/stations/NOPE/X-1",
        "/api/v1/records/999999999/history",
        "/api/v1/records/999999999",
        "/api/v1/nothing-here",
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.json()["error"] == "not_found"
        assert r.json()["detail"]


def test_unknown_rule_set_is_400(client: TestClient) -> None:
    r = client.get("/api/v1/limits", params={"rule_set": "atlantis"})
    assert r.status_code == 400
    assert r.json()["parameter"] == "rule_set"


def test_csv_download_parses_back_with_every_result(client: TestClient) -> None:
    params = {"nuclide": "Cs-137"}
    total = client.get("/api/v1/measurements", params={**params, "count": "true"}).json()
    total = total["meta"]["total"]
    r = client.get("/api/v1/measurements", params={**params, "format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == total > 0
    assert {row["nuclide"] for row in rows} == {"Cs-137"}
    assert "lat [degree]" in rows[0]
    assert all(row["detection"] in ("=", "<", "ND", "DE") for row in rows)


def test_csv_download_respects_limit(client: TestClient) -> None:
    r = client.get("/api/v1/measurements", params={"format": "csv", "limit": 7})
    assert len(list(csv.DictReader(io.StringIO(r.text)))) == 7


def test_parquet_download_parses_back(client: TestClient) -> None:
    got = client.get("/api/v1/measurements", params={"medium": "fish", "count": "true"}).json()
    total = got["meta"]["total"]
    r = client.get("/api/v1/measurements", params={"medium": "fish", "format": "parquet"})
    assert r.status_code == 200
    table = pq.read_table(io.BytesIO(r.content))
    assert table.num_rows == total > 0
    assert set(table.column("medium").to_pylist()) == {"fish"}
    ts = table.schema.field("sampled_at").type
    assert str(ts).startswith("timestamp[") and str(ts).endswith("tz=UTC]")


def test_empty_parquet_download_still_has_the_schema(client: TestClient) -> None:
    r = client.get("/api/v1/measurements", params={"since": "2100-01-01", "format": "parquet"})
    table = pq.read_table(io.BytesIO(r.content))
    assert table.num_rows == 0 and "nuclide" in table.column_names


def test_ndjson_download_is_full_records(client: TestClient) -> None:
    r = client.get("/api/v1/measurements", params={"format": "ndjson", "limit": 20})
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert len(lines) == 20
    assert all("source_tz" in x and "record_id" in x for x in lines)


def test_stations_json_and_geojson_agree(client: TestClient) -> None:
    js = client.get("/api/v1/stations").json()["results"]
    r = client.get("/api/v1/stations", params={"format": "geojson"})
    assert r.headers["content-type"].startswith("application/geo+json")
    gj = r.json()
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == len(js)
    for st, f in zip(js, gj["features"], strict=True):
        assert f["properties"]["code"] == st["code"]
        if st["coords_known"]:
            assert f["geometry"]["coordinates"] == [st["lon"], st["lat"]]
        else:
            assert f["geometry"] is None


def test_station_and_series_with_tepco_levels(client: TestClient) -> None:
    h3 = []
    for st in client.get("/api/v1/stations").json()["results"]:
        if st["zone"] == "outlet-3km" and st["n_results"]:
            detail = client.get(st["url"]).json()
            h3 += [
                n for n in detail["nuclides"] if n["nuclide"] == "H-3" and n["medium"] == "seawater"
            ]
    assert h3, "outlet stations in the sample files report tritium"
    s = client.get(h3[0]["series"]).json()
    assert s["unit"] == "Bq/L"
    assert [lv["limit"] for lv in s["levels"]] == [350.0, 700.0]
    assert {lv["level"] for lv in s["levels"]} == {"investigation", "suspension"}
    assert len(s["points"]) == h3[0]["n"]
    for p in s["points"]:
        if p["detection"] == "<":
            assert p["value"] is None and p["detection_limit"] > 0
        if p["detection"] == "=":
            assert p["value"] is not None


def test_series_of_a_nuclide_the_station_lacks_is_404(client: TestClient) -> None:
    st = _a_station(client)
    r = client.get(st["url"] + "/series", params={"nuclide": "Pu-238"})
    assert r.status_code == 404


def test_series_needs_a_nuclide(client: TestClient) -> None:
    st = _a_station(client)
    r = client.get(st["url"] + "/series")
    assert r.status_code == 400
    assert r.json()["parameter"] == "nuclide"


def test_history_record_and_proof(client: TestClient, instance: Any) -> None:
    import base64
    import hashlib

    from seawitness.tlog.merkle import verify_inclusion

    leaf = client.get("/api/v1/measurements", params={"limit": 1}).json()["results"][0][
        "leaf_index"
    ]
    hist = client.get(f"/api/v1/records/{leaf}/history").json()
    assert hist["versions"][0]["version"] == 1
    rec = client.get(f"/api/v1/records/{leaf}").json()
    assert rec["kind"] == "measurement"
    assert rec["record"]["schema"] == "seawitness/measurement/v1"
    # Bundled public results are signed by the instance's demo keys, and say so.
    assert rec["key_demo"] is True and "DEMO key" in rec["key_note"]
    assert client.get("/api/v1/records/0").json()["key_demo"] is False  # the administrator
    leaf_hash = hashlib.sha256(b"\x00" + rec["entry"].encode()).hexdigest()
    assert leaf_hash == rec["leaf_hash"]
    proof = client.get(f"/api/v1/records/{leaf}/proof").json()
    root = bytes.fromhex(proof["root_hash"])
    assert base64.b64encode(root).decode() in proof["checkpoint"]
    verify_inclusion(
        leaf,
        proof["tree_size"],
        bytes.fromhex(leaf_hash),
        [bytes.fromhex(h) for h in proof["inclusion_proof"]],
        root,
    )


def test_summary_counts_add_up(client: TestClient) -> None:
    s = client.get("/api/v1/summary").json()
    assert s["results"] == sum(s["by_org"].values()) == sum(s["by_detection"].values())
    assert s["results"] == sum(s["by_medium"].values()) == sum(s["by_nuclide"].values())
    total = client.get("/api/v1/measurements", params={"limit": 1}).json()["meta"]["total"]
    assert s["results"] == total


def test_limits_counts_per_class(client: TestClient) -> None:
    r = client.get("/api/v1/limits", params={"rule_set": "jp-tepco-sea"}).json()
    assert set(r["counts"]) == {"exceeds", "may_exceed", "below", "inconclusive", "not_applicable"}
    assert sum(r["counts"].values()) == r["evaluations"] > 0
    assert sum(sum(x["counts"].values()) for x in r["rules"]) == r["evaluations"]
    assert r["low_confidence_numbers"], "the 10 km investigation level is graded LOW"
    [inv] = [x for x in r["rules"] if x["rule_id"].endswith("square-10km/H-3/investigation")]
    assert inv["low_confidence"] and [n["low_confidence"] for n in inv["numbers"]] == [True]
    for e in (e for x in r["rules"] for e in x["highest"]):
        assert e["numbers"] and all("confidence" in n and "source" in n for n in e["numbers"])
    assert "jp-tepco-sea" in client.get("/api/v1/rule-sets").json()["results"]


def test_log_info(client: TestClient, instance: Any) -> None:
    info = client.get("/api/v1/log").json()
    assert info["origin"] == "test.local/seawitness"
    assert info["tree_size"] == instance.store.tree_size()
    assert info["checkpoint"]["size"] == info["tree_size"]
    assert info["checkpoint"]["note"].startswith("test.local/seawitness\n")
    assert info["log_public_key"].startswith("test.local/seawitness+")


def test_datapackage_describes_the_csv(client: TestClient) -> None:
    dp = client.get("/api/v1/datapackage.json").json()
    names = [f["name"] for f in dp["resources"][0]["schema"]["fields"]]
    header = client.get("/api/v1/measurements", params={"format": "csv", "limit": 1}).text
    assert header.splitlines()[0].split(",") == names


def test_openapi_schema_documents_every_endpoint(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    paths = schema["paths"]
    for path in (
        "/api/v1/measurements",
        "/api/v1/stations",
        "/api/v1/stations/{org}/{code}",
        "/api/v1/stations/{org}/{code}/series",
        "/api/v1/records/{leaf_index}/history",
        "/api/v1/summary",
        "/api/v1/limits",
        "/api/v1/log",
    ):
        assert path in paths, path
    ours = [
        (path, op)
        for path, ops in paths.items()
        for op in ops.values()
        if "data" in op.get("tags", [])
    ]
    assert len(ours) >= 12
    for path, op in ours:
        assert "422" not in op["responses"], f"{path}: errors are 400, not 422"
        assert op.get("summary") and op.get("description"), path
        text = json.dumps(op) + json.dumps(schema["components"])
        assert '"example' in text, f"{path} has no example"
        if op.get("parameters"):
            assert "400" in op["responses"], f"{path} does not document its 400"
    err = schema["components"]["schemas"]["ErrorBody"]
    assert {"error", "detail"} <= set(err["properties"])


def test_docs_page_loads_nothing_from_elsewhere(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "cdn" not in html.lower()
    assert "https://" not in html and "http://" not in html
