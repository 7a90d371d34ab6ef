"""Read-ahead of downloads (store.readahead): it reads the plans it should, stays a few
time spans ahead of the download and no further, gives every connection back when the
download stops, and changes no byte of what is sent."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

import seawitness.store.readahead as readahead
from plans import plan as query_plan
from seawitness.export.stream import csv_chunks, ndjson_chunks, parquet_chunks
from seawitness.store.readahead import ReadAhead, covered
from seawitness.store.store import Query

T0 = datetime(2023, 8, 24, tzinfo=UTC)
LO, HI = datetime(2022, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)

# (what a download filters, the index its key walk and its spans read on SQLite)
PLANS = [
    (Query(nuclide="H-3"), "ix_measurements_nuclide_time"),
    (Query(station="T-0-1A", nuclide="H-3"), "ix_measurements_station_nuclide_time"),
    (Query(medium="fish", since=T0), "ix_measurements_medium_time"),
    (Query(org="NRA", descending=True), "ix_measurements_org_time"),
    (Query(since=T0), "ix_measurements_time"),
]


def _compiled(engine: Any, stmt: Any, **params: Any) -> str:
    return str(
        stmt.params(**params).compile(engine, compile_kwargs={"literal_binds": True})
        if params
        else stmt.compile(engine, compile_kwargs={"literal_binds": True})
    )


def _lit(engine: Any, t: datetime) -> Any:
    # the walk hands the workers times as the database gives them: text on SQLite
    return t.strftime("%Y-%m-%d %H:%M:%S.%f") if engine.dialect.name == "sqlite" else t


@pytest.mark.parametrize(("q", "index"), PLANS)
def test_key_walk_reads_one_index_and_spans_read_the_table_through_it(
    instance: Any, q: Query, index: str
) -> None:
    engine = instance.store.engine
    ra = ReadAhead(engine, q)
    keys = _compiled(engine, ra.keys_statement())
    span = _compiled(engine, ra.span_statement(), lo=_lit(engine, LO), hi=_lit(engine, HI))
    with engine.connect() as c:
        keys_plan, span_plan = query_plan(c, keys), query_plan(c, span)
    if engine.dialect.name == "sqlite":
        assert f"USING COVERING INDEX {index}" in keys_plan, keys_plan  # no table page read
        assert "TEMP B-TREE" not in keys_plan, keys_plan
        assert f"SEARCH measurements USING INDEX {index}" in span_plan, span_plan
        assert "sampled_at>? AND sampled_at<?" in span_plan.replace("=", ""), span_plan  # a range
    else:
        assert "Index Only Scan" in keys_plan and index in keys_plan, keys_plan
        assert index in span_plan and "Seq Scan on measurements" not in span_plan, span_plan


def test_only_filters_an_index_covers_are_read_ahead() -> None:
    assert covered(Query()) and covered(Query(station="A", nuclide="H-3", since=T0))
    assert not covered(Query(bbox=(140.0, 37.0, 142.0, 38.0)))
    assert not covered(Query(depth_class="surface"))
    assert not covered(Query(org="NRA", nuclide="H-3"))  # no index holds both
    assert not covered(Query(nuclide="H-3", offset=10))


def _wait(cond: Any, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_stays_at_most_window_spans_ahead_and_gives_connections_back(instance: Any) -> None:
    engine = instance.store.engine
    with engine.connect() as c:
        n = c.exec_driver_sql("SELECT count(*) FROM measurements").scalar()
    assert n > 200
    ra = ReadAhead(engine, Query(), rows=10, window=3, workers=2)
    assert ra.start()
    try:
        # the download has read nothing: spans 0..3 may be read (window ahead), no more
        _wait(lambda: ra.spans_read == 4)
        time.sleep(0.3)
        assert ra.spans_read == 4
        ra.advance(50)  # 5 spans read by the download: spans up to 8 may go
        _wait(lambda: ra.spans_read == 9)
        time.sleep(0.3)
        assert ra.spans_read == 9
        ra.advance(n)  # the rest
        _wait(lambda: ra.spans_read == -(-n // 10))
    finally:
        ra.close()
    assert engine.pool.checkedout() == 0


def test_close_while_waiting_returns_at_once_and_frees_the_slot(instance: Any) -> None:
    engine = instance.store.engine
    held = [ReadAhead(engine, Query(), rows=5, window=1) for _ in range(readahead.MAX_AT_ONCE)]
    try:
        assert all(ra.start() for ra in held)
        extra = ReadAhead(engine, Query())
        assert not extra.start()  # every slot taken: that download reads without it
        extra.close()
    finally:
        t0 = time.monotonic()
        for ra in held:
            ra.close()
    assert time.monotonic() - t0 < 5
    assert engine.pool.checkedout() == 0
    again = ReadAhead(engine, Query())
    assert again.start()
    again.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("read-ahead")]


@pytest.mark.parametrize(
    "q",
    [
        Query(),
        Query(nuclide="Cs-137"),
        Query(station="T-0-1A", descending=True),
        Query(history=True, since=T0),
        Query(medium="seawater", limit=57),
    ],
)
def test_downloads_are_the_same_bytes_with_and_without_read_ahead(
    instance: Any, q: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = instance.store.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("downloads read ahead on SQLite only (no gain measured on PostgreSQL)")
    started: list[bool] = []
    real_start = ReadAhead.start

    def start(self: ReadAhead) -> bool:
        self.rows = 7  # many small spans, so the workers run beside the download
        ok = real_start(self)
        started.append(ok)
        return ok

    monkeypatch.setattr(ReadAhead, "start", start)
    with_ra = [b"".join(f(engine, q, batch=13)) for f in (csv_chunks, ndjson_chunks)]
    with_ra.append(b"".join(parquet_chunks(engine, q, batch=13, row_group=40)))
    assert started and all(started)
    monkeypatch.setattr(readahead, "covered", lambda q: False)
    without = [b"".join(f(engine, q, batch=13)) for f in (csv_chunks, ndjson_chunks)]
    without.append(b"".join(parquet_chunks(engine, q, batch=13, row_group=40)))
    assert with_ra == without
    assert len(with_ra[0].splitlines()) > 1 or q.station  # something was sent
    assert engine.pool.checkedout() == 0


def test_postgresql_downloads_start_no_read_ahead(db_url: str, tmp_path: Any) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL case")
    from seawitness.instance import Instance

    inst = Instance.create(tmp_path / "pg", db_url=db_url, origin="test.local/seawitness")
    try:
        chunks = csv_chunks(inst.store.engine, Query(), batch=5)
        next(chunks)
        list(chunks)
        assert not [t for t in threading.enumerate() if t.name.startswith("read-ahead")]
    finally:
        inst.store.close()


def test_a_download_stopped_half_way_stops_its_read_ahead(
    instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = instance.store.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("downloads read ahead on SQLite only (no gain measured on PostgreSQL)")
    real_init = ReadAhead.__init__

    def init(self: ReadAhead, engine: Any, q: Query, **kw: Any) -> None:
        # spans of one row, none ahead: the key walk waits for the download, so the
        # read-ahead is still running when the download stops
        real_init(self, engine, q, rows=1, window=0)

    monkeypatch.setattr(ReadAhead, "__init__", init)
    chunks = csv_chunks(engine, replace(Query(), limit=None), batch=5)
    try:
        next(chunks)  # the header
        next(chunks)  # the first 5 rows
        assert [t for t in threading.enumerate() if t.name.startswith("read-ahead")]
    finally:
        chunks.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("read-ahead")]
    assert engine.pool.checkedout() == 0
