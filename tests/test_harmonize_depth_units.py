"""Harmonized readings in the index: one wet-weight unit, tritium per form, depth classes.

The texts below are the ones the bundled ORBS files and the NRA workbook write; the
expected readings follow the sources' own statements (ORBS block titles, the NRA sheet
note "upper layer" = surface water, ICRP 72's distinction of OBT from free-water tritium).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command

from seawitness.model.harmonized import depth_class, harmonized_unit, nuclide_form
from seawitness.service import make_query
from seawitness.service.params import BadParameter
from seawitness.store.db import alembic_config
from seawitness.store.store import Query


@pytest.mark.parametrize(
    ("text", "metres", "layer"),
    [
        ("Sea surface to a depth of 0.5 m", 0.5, "surface"),
        ("upper layer", None, "surface"),
        ("Surface layer", None, "surface"),
        ("Sea surface water", None, "surface"),
        ("表層水", None, "surface"),
        ("0.5m", 0.5, "surface"),
        ("2m", 2.0, "surface"),
        ("3m", 3.0, "mid"),
        ("100m", 100.0, "mid"),
        ("2 to 3 m above seabed", None, "bottom"),
        ("Bottom layer", None, "bottom"),
        ("Lower layer", None, "bottom"),
        ("下層", None, "bottom"),
        ("", None, None),
        (None, None, None),
    ],
)
def test_depth_texts_of_the_sources(text: str | None, metres: float | None, layer: str) -> None:
    assert depth_class(text) == (metres, layer)


def test_a_stated_depth_in_metres_wins_over_the_text() -> None:
    assert depth_class("Bottom layer", 41.0) == (41.0, "bottom")
    assert depth_class(None, 12.0) == (12.0, "mid")


def test_fresh_and_plain_per_kg_are_one_unit_and_forms_follow_the_unit() -> None:
    assert harmonized_unit("Bq/kg-fresh") == harmonized_unit("Bq/kg") == "Bq/kg"
    assert harmonized_unit("Bq/L-combustion water") == "Bq/L"
    assert harmonized_unit("furlongs") == "furlongs"  # unknown: kept as written
    assert nuclide_form("H-3", "Bq/L-combustion water") == "H-3:OBT"
    assert nuclide_form("H-3", "Bq/L-water") == "H-3:TFWT"
    assert nuclide_form("H-3", "Bq/L") == "H-3"  # seawater HTO
    assert nuclide_form("H-3:OBT", "Bq/kg-fresh") == "H-3:OBT"
    assert nuclide_form("Cs-137", "Bq/L-water") == "Cs-137"


def test_depth_parameter_is_checked() -> None:
    assert make_query(depth="bottom").depth_class == "bottom"
    with pytest.raises(BadParameter, match="depth"):
        make_query(depth="deep")


def test_index_rows_carry_the_readings_and_the_depth_filter_uses_them(instance) -> None:  # type: ignore[no-untyped-def]
    store = instance.store
    rows = store.measurements(Query(medium="seawater"))
    assert rows and all(r["depth_class"] == depth_class(r["depth"], r["depth_m"])[1] for r in rows)
    fish = store.measurements(Query(medium="fish"))
    assert fish and all(r["harmonized_unit"] == harmonized_unit(r["unit"]) for r in fish)
    surface = store.count(Query(medium="seawater", depth_class="surface"))
    bottom = store.count(Query(medium="seawater", depth_class="bottom"))
    assert surface > 0 and surface + bottom <= len(rows)


def test_migration_fills_rows_stored_before_it(instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Downgrade to the schema before 0005, upgrade again: every row is filled as new ones."""
    store = instance.store
    before = {r["leaf_index"]: r for r in store.measurements(Query(history=True))}
    cfg = alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    after = {r["leaf_index"]: r for r in store.measurements(Query(history=True))}
    assert after.keys() == before.keys()
    cols = ("harmonized_unit", "nuclide_form", "depth_parsed_m", "depth_class")
    for leaf, r in before.items():
        assert {c: after[leaf][c] for c in cols} == {c: r[c] for c in cols}


def test_api_depth_filter(instance) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from seawitness.app import create_app

    c = TestClient(create_app(instance, warm=False))
    got = c.get(
        "/api/v1/measurements", params={"depth": "surface", "medium": "seawater", "count": "true"}
    )
    assert got.status_code == 200
    total = got.json()["meta"]["total"]
    assert total == instance.store.count(Query(medium="seawater", depth_class="surface")) > 0
    bad = c.get("/api/v1/measurements", params={"depth": "deep"})
    assert bad.status_code == 400 and "depth" in bad.json()["detail"]
