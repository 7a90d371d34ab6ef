"""The read-model views behind the dashboard's data pages, without a browser.

Numbers are checked against their published sources: the rule files' limits (MHLW
100 Bq/kg for Cs-134 + Cs-137 in general foods, Codex 1,000 Bq/kg for Cs-137, GB 14882
800 Bq/kg for Cs-137 in fish), ISO 13528:2022 9.6/9.7 for zeta and En computed by hand,
and the haversine distance for one degree of latitude on the IUGG mean sphere.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

from seawitness.charts import datamap, plots, svg
from seawitness.charts.svg import Frame
from seawitness.service import BadParameter, Service, labs, logview, views

I18N = Path(__file__).parent.parent / "src" / "seawitness" / "web" / "i18n"


@pytest.fixture
def svc(instance):  # type: ignore[no-untyped-def]
    return Service.open(instance.store, instance.origin)


def test_every_catalogue_has_the_same_keys_and_placeholders() -> None:
    cats = {p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in I18N.glob("*.toml")}
    assert set(cats) == {"en", "ja", "zh", "ko"}
    en = cats["en"]
    for lang, cat in cats.items():
        assert set(cat) == set(en), lang
        for k, v in en.items():
            assert set(_fields(cat[k])) == set(_fields(v)), (lang, k)


def _fields(text: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(text) if f]


def test_every_rule_of_a_food_or_sea_rule_set_has_a_title_in_each_language(svc) -> None:  # type: ignore[no-untyped-def]
    cats = {p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in I18N.glob("*.toml")}
    for name in ("jp-tepco-sea", "jp-mhlw", "cn-gb14882", "kr-mfds", "codex", "eu-2016-52"):
        rs = svc.rule_set(name)
        for lang in ("ja", "zh", "ko"):
            assert f"rule:{rs.id}" in cats[lang]
            for r in rs.rules:
                assert f"rule:{r.id}" in cats[lang], (lang, r.id)
                assert cats[lang][f"rule:{r.id}"] != r.title


def test_haversine_one_degree_of_latitude() -> None:
    assert views.distance_km(37.0, 141.0, 38.0, 141.0) == pytest.approx(
        math.pi * 6371.0088 / 180, rel=1e-9
    )


def test_window_names_are_checked() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert views.window_start("all", now) is None
    assert views.window_start("12m", now) == datetime(2025, 1, 1, tzinfo=UTC)
    assert views.window_start("since-discharge", now) == datetime(2023, 8, 24, 4, 3, tzinfo=UTC)
    with pytest.raises(BadParameter, match="window"):
        views.window_start("forever", now)


def test_food_levels_are_the_published_limits(svc) -> None:  # type: ignore[no-untyped-def]
    mhlw = views.food_levels(svc, "jp-mhlw", "Cs-137", "fish", "Bq/kg", "wet")
    assert [(x["limit"], x["part_of"]) for x in mhlw] == [(100.0, "Cs-134+Cs-137")]
    gb = views.food_levels(svc, "cn-gb14882", "Cs-137", "fish", "Bq/kg", "wet")
    assert [x["limit"] for x in gb] == [800.0]
    codex = views.food_levels(svc, "codex", "Cs-137", "fish", "Bq/kg", "wet")
    assert [x["limit"] for x in codex] == [1000.0]
    # Japan sets no food limit for tritium; Codex's H-3 term is for OBT only
    assert views.food_levels(svc, "jp-mhlw", "H-3:OBT", "fish", "Bq/kg", "wet") == []
    assert [
        x["limit"] for x in views.food_levels(svc, "codex", "H-3:OBT", "fish", "Bq/kg", "wet")
    ] == [10000.0]


def test_station_status_and_food_view_count_results_once(svc) -> None:  # type: ignore[no-untyped-def]
    st = views.station_status(svc, "jp-tepco-sea")
    by_code = {s["code"]: p for p in st["places"] for s in p["stations"]}
    assert by_code["T-0-1A"]["status"] == "below"
    assert sum(st["classes"].values()) == len(st["places"])
    food = views.food_view(svc, "jp-mhlw")
    assert sum(food["counts"].values()) == food["results"] > 0
    assert food["worst"] and all(w["ratio"] < 1 for w in food["worst"])
    with pytest.raises(BadParameter, match="zone"):
        views.food_view(svc, "jp-mhlw", zone="moon")


def test_zeta_and_en_follow_iso_13528(svc) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    t = datetime(2024, 5, 1, tzinfo=UTC)
    a = {"org": "A", "station": "X", "leaf_index": 1, "sampled_at": t, "detection": "=",
         "value": 1.0, "uncertainty": 0.1, "coverage_factor": None}  # fmt: skip
    b = {**a, "org": "B", "leaf_index": 2, "value": 0.7, "uncertainty": 0.2, "coverage_factor": 2.0}
    p = labs._pair(a, b)
    # zeta = (1.0 - 0.7) / sqrt(0.1^2 + 0.1^2); b's 0.2 is expanded (k=2) -> u = 0.1
    assert p["zeta"] == pytest.approx(0.3 / math.sqrt(0.02))
    # En with expanded U: a's u taken as standard and expanded with k = 2 -> 0.2; b 0.2
    assert p["En"] == pytest.approx(0.3 / math.sqrt(0.08))
    assert p["coverage_assumed"] is True
    nd = labs._pair({**a, "detection": "<"}, b)
    assert nd["both_detected"] is False and nd["zeta"] is None
    with pytest.raises(BadParameter):
        labs.lab_pairs(svc, 0)


def test_log_history_and_record_summary(svc) -> None:  # type: ignore[no-untyped-def]
    hist = logview.log_history(svc)
    sizes = [g["size"] for g in hist["growth"]]
    assert sizes == sorted(sizes) and sizes[-1] == svc.tree_size()
    leaf = svc.store.measurements()[0]["leaf_index"]
    summary = logview.record_summary(svc, leaf)
    assert summary["key_demo"] is True  # the instance's demo signer
    assert summary["station"]["code"] == summary["record"]["station"]


def test_chart_rings_results_above_the_lowest_limit_and_draws_the_band() -> None:
    pts = [
        {"sampled_at": "2024-01-01T00:00:00Z", "value": 150.0, "uncertainty": 10.0,
         "detection_limit": None},
        {"sampled_at": "2024-02-01T00:00:00Z", "value": 50.0, "uncertainty": None,
         "detection_limit": None},
    ]  # fmt: skip
    lv = [{"level": "limit", "limit": 100.0, "title": "t", "confidence": "HIGH"}]
    labels = {"log_scale": "log", "discharge_start": "d", "nondetect": "nd", "nd_nolimit": "{n}"}
    out = svg.series_chart(
        pts, lv, nuclide="Cs-137", unit="Bq/kg", labels=labels, band={"low": 1.0, "high": 2.0}
    )
    assert out.count('data-over="1"') == 1
    assert 'class="band" data-low="1" data-high="2"' in out


def test_scale_bar_is_a_round_number_of_km_of_the_right_length() -> None:
    fr = Frame((140.9, 37.3, 141.2, 37.5), 640, 520)
    bar = datamap._scale_bar(fr, 640, 520, "scale")
    km = float(bar.split('data-km="')[1].split('"')[0])
    assert km in (1, 2, 5, 10) and fr.km(km) <= 640 / 5


def test_pair_scatter_draws_every_positive_pair() -> None:
    out = plots.pair_scatter(
        [{"x": 0.01, "y": 0.02, "group": "Cs-137", "title": "a"},
         {"x": 0.0, "y": 1.0, "group": "H-3", "title": "b"}],
        x_label="x", y_label="y", title="t",
    )  # fmt: skip
    assert out.count('class="pair"') == 1


def test_log_page_data_names_the_witness_that_cosigned(instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A real witness round (consistency-checked, cosignature/v1) shows up per checkpoint."""
    from datetime import UTC, datetime, timedelta

    from fastapi.testclient import TestClient

    from seawitness.app import create_app
    from seawitness.tlog.note import ALG_COSIGNATURE_V1, format_vkey
    from seawitness.trust import keyring
    from seawitness.trust.witness import Witness

    wkey, _ = keyring.generate("witness-KR")
    wvkey = format_vkey(wkey.name, ALG_COSIGNATURE_V1, wkey.public_bytes)
    with instance.store.transaction() as conn:
        instance.register(
            conn, "witness-KR", "Witness in Korea", "KR", "witness", keyring.KeyPair(wkey.signer),
            valid_from=datetime.now(UTC) - timedelta(days=1), vkey=wvkey,
        )  # fmt: skip
        instance.checkpoint(conn)
    app = create_app(instance, warm=False)
    w = Witness(
        "http://testserver", wkey.signer.cosigner(), tmp_path / "w",
        log_vkey=instance.log_key().vkey, client=TestClient(app),
    )  # fmt: skip
    assert w.round().cosigned
    hist = logview.log_history(Service.open(instance.store, instance.origin))
    newest = hist["checkpoints"][0]
    assert newest["size"] == instance.store.tree_size()
    assert [c["witness"] for c in newest["cosigned_by"]] == ["witness-KR"]
    assert hist["witnesses"] == ["witness-KR"]
    assert all(not c["cosigned_by"] for c in hist["checkpoints"][1:])
