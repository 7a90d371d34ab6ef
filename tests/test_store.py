"""The store on SQLite and PostgreSQL: queries, history, idempotent and atomic imports."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import load_files, small_orbs_paths
from seawitness.data import bundled_path
from seawitness.ingest.base import ReadResult
from seawitness.ingest.importer import import_results
from seawitness.ingest.readers import read_path
from seawitness.ingest.submit import SubmissionError
from seawitness.instance import Instance
from seawitness.store import schema as s
from seawitness.store.integrity import check
from seawitness.store.store import Query


def snapshot(inst: Instance) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: the database's whole content."""
    out = {}
    with inst.store.engine.connect() as c:
        for t in s.metadata.sorted_tables:
            rows = c.execute(select(t).order_by(*t.primary_key.columns)).all()
            out[t.name] = [tuple(r) for r in rows]
    return out


def revised_copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A later 'download' of a bundled ORBS file with one cell changed."""
    src = next(bundled_path("orbs").rglob(name))
    text = src.read_text(encoding="utf-8-sig")
    assert old in text
    dst = tmp_path / f"dl-{hashlib.sha1(new.encode()).hexdigest()[:6]}" / name
    dst.parent.mkdir(parents=True)
    dst.write_text(text.replace(old, new, 1), encoding="utf-8")
    return dst


def test_counts_and_tree_of_the_small_instance(instance: Instance):
    n = sum(len(r.measurements) for p in small_orbs_paths() for r in read_path(p, "orbs"))
    assert inst_count(instance) == n > 500
    assert instance.store.tree_size() > n  # plus the key registrations
    rows = instance.store.counts_by("org", "medium")
    assert {r["org"] for r in rows} == {"TEPCO"}
    assert {r["medium"] for r in rows} >= {"seawater", "fish", "seaweed"}


def inst_count(inst: Instance) -> int:
    return sum(r["n"] for r in inst.store.counts_by("org"))


def test_same_file_twice_adds_nothing(instance: Instance):
    before = snapshot(instance)
    report = load_files(instance, small_orbs_paths())
    assert report.total("new") == report.total("revised") == 0
    assert report.total("unchanged") == inst_count(instance)
    assert snapshot(instance) == before  # no entry, no checkpoint, no import row


def test_revision_is_a_correction_with_history(instance: Instance, tmp_path: Path):
    rev = revised_copy(
        tmp_path, "Seawater_10_1.csv", "2026/8/19 7:05,,0.37,", "2026/8/19 7:05,0.41,,"
    )
    size = instance.store.tree_size()
    report = load_files(instance, [rev])
    assert (report.total("new"), report.total("revised")) == (0, 1)
    assert instance.store.tree_size() == size + 1
    t = datetime(2026, 8, 18, 22, 5, tzinfo=UTC)  # 2026/8/19 7:05 JST
    q = Query(station="T-0", nuclide="Cs-134", since=t, until=t.replace(minute=6))
    [cur] = instance.store.measurements(q)
    assert (cur["detection"], cur["value"], cur["version"]) == ("=", 0.41, 2)
    assert cur["reason"] == "source revised"
    chain = instance.store.history(cur["leaf_index"])
    assert [v["version"] for v in chain] == [1, 2]
    assert chain[1]["supersedes"] == chain[0]["leaf_index"]
    assert (chain[0]["detection"], chain[0]["value"]) == ("<", 0.37)
    # the old version stays in the log and in --history queries
    assert len(instance.store.measurements(Query(**{**q.__dict__, "history": True}))) == 2


def test_revised_download_imported_again_adds_nothing(instance: Instance, tmp_path: Path):
    """Regression: a corrected series compared its download with the correction's id and
    was logged as revised again on every later import."""
    rev = revised_copy(
        tmp_path, "Seawater_10_1.csv", "2026/8/19 7:05,,0.37,", "2026/8/19 7:05,0.41,,"
    )
    assert load_files(instance, [rev]).total("revised") == 1
    before = snapshot(instance)
    again = load_files(instance, [rev])
    assert again.total("revised") == again.total("new") == 0
    assert snapshot(instance) == before
    # and a value that changes back is a third version, not a no-op
    back = load_files(instance, [next(bundled_path("orbs").rglob("Seawater_10_1.csv"))])
    assert back.total("revised") == 1


def test_failed_import_leaves_the_database_unchanged(instance: Instance, tmp_path: Path):
    """A rejection after some files were appended rolls everything back, checkpoint too."""
    before = snapshot(instance)
    good = list(read_path(next(bundled_path("orbs").rglob("Fishes_20_259.csv")), "orbs"))
    assert good[0].measurements
    huge = good[0].measurements[0].replace(note="x" * 70_000, species="too large")
    bad = ReadResult("orbs", "bad.csv", [huge], [])
    with pytest.raises(SubmissionError, match="at most 65535 bytes"):
        import_results(
            instance.store, [*good, bad], instance.demo_signer(), after_append=instance.checkpoint
        )
    assert snapshot(instance) == before
    if instance.store.dialect == "sqlite":
        db = Path(instance.db_url)
        with instance.store.engine.connect() as c:
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        first = hashlib.sha256(db.read_bytes()).hexdigest()
        with pytest.raises(SubmissionError):
            import_results(
                instance.store,
                [*good, bad],
                instance.demo_signer(),
                after_append=instance.checkpoint,
            )
        with instance.store.engine.connect() as c:
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert hashlib.sha256(db.read_bytes()).hexdigest() == first  # byte for byte


def _all(inst: Instance) -> list[dict]:
    return inst.store.measurements(Query())


@pytest.fixture
def mixed(instance: Instance) -> Instance:
    """Two organisations: the small TEPCO set plus NRA's fish near the plant."""
    load_files(instance, [next(bundled_path("orbs").rglob("Fishes_20_259.csv"))])
    return instance


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        (Query(station="T-0"), lambda r: r["station"] == "T-0"),
        (Query(nuclide="H-3"), lambda r: r["nuclide"] == "H-3"),
        (Query(medium="fish"), lambda r: r["medium"] == "fish"),
        (Query(org="NRA"), lambda r: r["org"] == "NRA"),
        (
            Query(since=datetime(2025, 1, 1, tzinfo=UTC), until=datetime(2025, 7, 1, tzinfo=UTC)),
            lambda r: (
                datetime(2025, 1, 1, tzinfo=UTC)
                <= r["sampled_at"]
                < datetime(2025, 7, 1, tzinfo=UTC)
            ),
        ),
        (
            Query(bbox=(141.0, 37.40, 141.05, 37.43)),
            lambda r: (
                r["lon"] is not None and 141.0 <= r["lon"] <= 141.05 and 37.40 <= r["lat"] <= 37.43
            ),
        ),
        (
            Query(org="TEPCO", nuclide="Cs-137", medium="seawater"),
            lambda r: (r["org"], r["nuclide"], r["medium"]) == ("TEPCO", "Cs-137", "seawater"),
        ),
    ],
    ids=["station", "nuclide", "medium", "org", "time", "bbox", "combined"],
)
def test_query_filters(mixed: Instance, query: Query, keep):
    everything = _all(mixed)
    want = sorted(r["leaf_index"] for r in everything if keep(r))
    got = sorted(r["leaf_index"] for r in mixed.store.measurements(query))
    assert 0 < len(got) < len(everything)
    assert got == want
    assert mixed.store.count(query) == len(want)


def test_limit_and_offset_page_in_time_order(mixed: Instance):
    everything = _all(mixed)
    times = [r["sampled_at"] for r in everything]
    assert times == sorted(times)
    page = mixed.store.measurements(Query(limit=10, offset=20))
    assert [r["leaf_index"] for r in page] == [r["leaf_index"] for r in everything[20:30]]


def test_stations_count_current_results(mixed: Instance):
    stations = {(st["org"], st["code"]): st for st in mixed.store.stations()}
    for (org, code), st in stations.items():
        assert st["n_results"] == mixed.store.count(Query(org=org, station=code))
    assert stations[("TEPCO", "T-0")]["coords_known"]
    assert stations[("TEPCO", "T-0")]["zone"]


def test_a_known_station_keeps_its_description(instance: Instance):
    from seawitness.model import Station

    [before] = [st for st in instance.store.stations() if st["code"] == "T-0"]
    with instance.store.transaction() as conn:
        added = instance.store.upsert_stations(
            conn, [Station("T-0", "TEPCO", "renamed", 10.0, 10.0), Station("X-1", "TEPCO")]
        )
    assert added == 1
    [after] = [st for st in instance.store.stations() if st["code"] == "T-0"]
    assert after == before


def test_entries_are_the_hashed_leaves(instance: Instance):
    size = instance.store.tree_size()
    datas = instance.store.entries_range(0, size)
    assert len(datas) == size
    e = instance.store.entry(size - 1)
    assert e is not None and bytes(e["data"]) == datas[-1]
    assert bytes(e["leaf_hash"]) == hashlib.sha256(b"\x00" + datas[-1]).digest()


def test_next_seqs_follow_each_submitter(instance: Instance):
    with instance.store.transaction() as conn:
        seqs = instance.store.next_seqs(conn, ["TEPCO", "admin", "nobody"])
        n_tepco = conn.execute(
            select(s.entries.c.seq).where(s.entries.c.submitter == "TEPCO")
        ).all()
    assert seqs["nobody"] == 0
    assert seqs["TEPCO"] == len(n_tepco) > 500
    assert seqs["admin"] > 0


def test_a_file_revising_the_one_before_it_in_the_same_import(db_url: str, tmp_path: Path):
    """Files are signed ahead while earlier ones are written; a file that revises a
    result of the file before it must still see that result as logged."""
    original = next(bundled_path("orbs").rglob("Seawater_10_1.csv"))
    rev = revised_copy(
        tmp_path, "Seawater_10_1.csv", "2026/8/19 7:05,,0.37,", "2026/8/19 7:05,0.41,,"
    )
    together = Instance.create(tmp_path / "one", db_url=db_url, origin="test.local/a")
    report = load_files(together, [original, rev, *small_orbs_paths()[1:]])
    assert [f.revised for f in report.files] == [0, 1, 0, 0, 0]
    assert report.files[1].unchanged == report.files[0].new - 1
    t = datetime(2026, 8, 18, 22, 5, tzinfo=UTC)
    q = Query(station="T-0", nuclide="Cs-134", since=t, until=t.replace(minute=6))
    [cur] = together.store.measurements(q)
    assert (cur["value"], cur["version"]) == (0.41, 2)
    assert check(together.store) == []
    # the same log as importing the files one at a time (up to submission times)
    apart = Instance.create(tmp_path / "two", db_url=f"{tmp_path}/two.db", origin="test.local/a")
    for path in [original, rev, *small_orbs_paths()[1:]]:
        load_files(apart, [path])

    def records(inst: Instance) -> list[tuple]:
        with inst.store.engine.connect() as c:
            rows = c.execute(
                select(
                    s.entries.c.kind, s.entries.c.submitter, s.entries.c.seq, s.entries.c.record_id
                )
                .where(s.entries.c.kind.in_(["measurement", "correction"]))
                .order_by(s.entries.c.leaf_index)
            ).all()
        return [tuple(r) for r in rows]

    assert records(together) == records(apart)
    together.store.close()
    apart.store.close()
