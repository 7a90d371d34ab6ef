"""The read path of the store: plans that use the indexes, current versions, the index
holding the whole record, and downloads whose cells are those of the logged record."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from plans import plan as query_plan
from seawitness.export.stream import csv_chunks, ndjson_chunks, parquet_chunks
from seawitness.export.tables import _cell
from seawitness.model.columns import MEASUREMENT_FIELDS
from seawitness.store import schema as s
from seawitness.store.records import record_of
from seawitness.store.select import ordered, selection
from seawitness.store.store import Query
from test_export import rich  # noqa: F401  (the fixture: revisions, notes, extras)

T0 = datetime(2023, 8, 24, tzinfo=UTC)
T1 = datetime(2024, 1, 1, tzinfo=UTC)

# (query, the index the plan must read, on SQLite); every one is a page of 100 in order
PLANS = [
    (Query(station="T-0-1A", nuclide="H-3"), "ix_measurements_station_nuclide_time"),
    (Query(station="T-0-1A"), "ix_measurements_station_time"),
    (Query(nuclide="Cs-137", since=T0, until=T1), "ix_measurements_nuclide_time"),
    (Query(medium="fish"), "ix_measurements_medium_time"),
    (Query(org="NRA"), "ix_measurements_org_time"),
    (Query(), "ix_measurements_time"),
    (Query(since=T0, descending=True), "ix_measurements_time"),
    (Query(nuclide="H-3", after=(T0, 12345)), "ix_measurements_nuclide_time"),
]


def _sql(engine: Any, q: Query) -> str:
    stmt = ordered(selection(q), Query(**{**q.__dict__, "limit": 100}))
    return str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize(("q", "index"), PLANS)
def test_pages_are_ordered_index_reads_on_both_backends(
    instance: Any, q: Query, index: str
) -> None:
    engine = instance.store.engine
    sql = _sql(engine, q)
    with engine.connect() as c:
        plan = query_plan(c, sql)
    if engine.dialect.name == "sqlite":
        assert f"USING INDEX {index}" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # no sort step
        assert "ix_measurements_supersedes" in plan, plan
    else:
        assert index in plan, plan
        assert " Sort " not in f" {plan} " and "Seq Scan on measurements" not in plan, plan


def test_current_versions_are_the_heads(rich: Any) -> None:  # noqa: F811
    """No later version supersedes a current one: the same rows ``heads`` points to."""
    store = rich.store
    current = {r["leaf_index"] for r in store.measurements()}
    with store.engine.connect() as c:
        heads = set(c.execute(select(s.heads.c.leaf_index)).scalars())
        retracted = set(
            c.execute(
                select(s.measurements.c.leaf_index).where(s.measurements.c.retracted)
            ).scalars()
        )
    assert current == heads - retracted
    assert len(store.measurements(Query(history=True))) > len(current)


def _record_cells(inst: Any, history: bool) -> list[list[str]]:
    """The CSV cells of each version as the logged record gives them."""
    store = inst.store
    rows = store.measurements(Query(history=history))
    datas = store.entries_data([r["leaf_index"] for r in rows])
    out = []
    for r in rows:
        rec = record_of(datas[r["leaf_index"]]) or {}
        full = {**rec, **{k: r[k] for k in ("leaf_index", "record_id", "version")}}
        full.update(supersedes=r["supersedes"], reason=r["reason"], retracted=r["retracted"])
        full["submitter"] = json.loads(datas[r["leaf_index"]])["submitter"]  # who signed it
        if r["retracted"]:  # a retraction keeps the fields of the version it retracts
            full.update({k: v for k, v in r.items() if k not in full})
            full["extra"] = json.loads(r["extra"]) if r["extra"] else None
        for k in ("sampled_at", "reference_date"):
            if isinstance(full.get(k), str):
                full[k] = datetime.strptime(full[k], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        out.append([_cell(full.get(f.name)) for f in MEASUREMENT_FIELDS])
    return out


@pytest.mark.parametrize("history", [False, True])
def test_csv_download_cells_are_the_logged_records(rich: Any, history: bool) -> None:  # noqa: F811
    text = b"".join(csv_chunks(rich.store.engine, Query(history=history), batch=700)).decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][0] == "leaf_index" and "lat [degree]" in lines[0]
    want = _record_cells(rich, history)
    assert len(lines) - 1 == len(want) > 1000
    assert lines[1:] == want
    assert any(row[MEASUREMENT_FIELDS.index(_field("reference_date"))] for row in want)
    assert any(row[MEASUREMENT_FIELDS.index(_field("extra"))] for row in want)


def _field(name: str) -> Any:
    return next(f for f in MEASUREMENT_FIELDS if f.name == name)


def test_ndjson_and_parquet_downloads_hold_the_same_results(rich: Any) -> None:  # noqa: F811
    engine = rich.store.engine
    lines = [json.loads(x) for x in b"".join(ndjson_chunks(engine, Query())).splitlines()]
    table = pq.read_table(
        pa.BufferReader(b"".join(parquet_chunks(engine, Query(), batch=500, row_group=1000)))
    )
    assert table.num_rows == len(lines) == rich.store.count()
    assert (
        pq.ParquetFile(
            pa.BufferReader(b"".join(parquet_chunks(engine, Query(), row_group=1000)))
        ).num_row_groups
        > 1
    )
    assert table.column("leaf_index").to_pylist() == [x["leaf_index"] for x in lines]
    datas = rich.store.entries_data([x["leaf_index"] for x in lines])
    for x in lines:
        rec = record_of(datas[x["leaf_index"]])
        assert rec is not None
        assert {k: v for k, v in x.items() if k in rec} == {
            k: v for k, v in rec.items() if k != "schema"
        }
    ts = table.column("sampled_at").to_pylist()
    assert [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in ts] == [x["sampled_at"] for x in lines]


def test_migration_fills_the_new_fields_from_the_log(tmp_path: Path, db_url: str) -> None:
    """A database made before 0004 gets every record field into its index."""
    from alembic import command

    from conftest import load_files, small_orbs_paths
    from seawitness.instance import Instance
    from seawitness.store.db import alembic_config
    from seawitness.store.records import measurement_from_index, with_records

    inst = Instance.create(tmp_path / "i", db_url=db_url, origin="t/m")
    try:
        load_files(inst, small_orbs_paths())
        cfg = alembic_config()
        with inst.store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0002")
        with inst.store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        rows = inst.store.measurements()
        assert rows
        for r, rec in with_records(inst.store, rows):
            assert rec is not None
            assert (
                measurement_from_index(r).canonical()
                == measurement_from_index({**rec, "retracted": False}).canonical()
            )
            assert r["source_tz"] == rec["source_tz"]
        assert inst.store.get_meta("cursor_key")
    finally:
        inst.store.close()
