"""Replaying real ORBS downloads in date order: what each one added, revised and dropped.

ORBS overwrites results in place and has no sample ids; four downloads of it (2024-12-28,
2025-07-17, 2026-02-02 and the bundled 2026-08-22) are imported one after the other into
one log. The end state must equal importing the newest download alone, except that results
that vanished from the source are kept (never deleted), and every revision must be visible
as a chain of versions. ``python tests/test_revisions.py`` prints the figures quoted in
docs/revisions.md.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from seawitness.data import bundled_path
from seawitness.ingest.importer import SOURCE_REVISED, import_results
from seawitness.ingest.readers import read_path
from seawitness.instance import Instance
from seawitness.model import Measurement
from seawitness.store import schema as s
from seawitness.store.store import Query, series_key

SNAPSHOTS = Path(__file__).parent / "data" / "orbs_snapshots"
DOWNLOADS = [
    (date(2024, 12, 28), SNAPSHOTS / "2024-12-28"),
    (date(2025, 7, 17), SNAPSHOTS / "2025-07-17"),
    (date(2026, 2, 2), SNAPSHOTS / "2026-02-02"),
    (date(2026, 8, 22), bundled_path("orbs")),
]


@dataclass
class Step:
    """What one download did to the log."""

    day: date
    read: int
    new: int
    revised: int
    unchanged: int
    disappeared: list[Measurement]
    new_backfilled: Counter = field(default_factory=Counter)  # sampled before the last download
    new_in_new_files: int = 0
    revisions: list[dict[str, Any]] = field(default_factory=list)


def _read(path: Path) -> dict[str, Measurement]:
    return {series_key(m): m for r in read_path(path, "orbs") for m in r.measurements}


def _source_files(path: Path) -> set[str]:
    return {p.name for p in path.rglob("*_*_*.csv")}


def _revision_rows(inst: Instance, first_leaf: int) -> list[dict[str, Any]]:
    """Old and new version of every correction appended from ``first_leaf`` on."""
    m = s.measurements
    with inst.store.engine.connect() as c:
        new = c.execute(
            select(m).where(m.c.leaf_index >= first_leaf, m.c.version > 1).order_by(m.c.leaf_index)
        ).mappings()
        out = []
        for r in new:
            old = c.execute(select(m).where(m.c.leaf_index == r["supersedes"])).mappings().one()
            out.append({"old": dict(old), "new": dict(r)})
    return out


def replay(root: Path, db_url: str | None = None) -> tuple[Instance, list[Step]]:
    inst = Instance.create(root, db_url=db_url, origin="test.local/revisions")
    seen: dict[str, Measurement] = {}
    files: set[str] = set()
    steps = []
    previous: date | None = None
    for day, path in DOWNLOADS:
        now = _read(path)
        first = inst.store.tree_size()
        results = list(read_path(path, "orbs"))
        report = import_results(
            inst.store, results, inst.demo_signer(), after_append=inst.checkpoint
        )
        step = Step(
            day=day,
            read=report.total("read"),
            new=report.total("new"),
            revised=report.total("revised"),
            unchanged=report.total("unchanged"),
            disappeared=[m for k, m in seen.items() if k not in now],
            revisions=_revision_rows(inst, first),
        )
        if previous is not None:
            cut = datetime(previous.year, previous.month, previous.day, tzinfo=UTC)
            for k, m0 in now.items():
                if k in seen:
                    continue
                if m0.source and m0.source.split(":", 1)[1] not in files:
                    step.new_in_new_files += 1
                elif m0.sampled_at < cut:
                    step.new_backfilled[m0.nuclide] += 1
        seen.update(now)
        files |= _source_files(path)
        steps.append(step)
        previous = day
    return inst, steps


def classify(rev: dict[str, Any]) -> str:
    old, new = rev["old"], rev["new"]
    if old["detection"] != new["detection"]:
        return f"detection {old['detection']} -> {new['detection']}"
    if old["value"] != new["value"]:
        return "limit changed" if new["detection"] == "<" else "value changed"
    fields = [
        k
        for k in ("uncertainty", "detection_limit", "lat", "lon", "source", "species")
        if old[k] != new[k]
    ]
    return "other fields: " + ",".join(fields) if fields else "record details (extra, note)"


# -- tests ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("revisions")
    inst, steps = replay(root / "replayed")
    alone = Instance.create(root / "alone", origin="test.local/alone")
    import_results(
        alone.store,
        list(read_path(DOWNLOADS[-1][1], "orbs")),
        alone.demo_signer(),
        after_append=alone.checkpoint,
    )
    yield inst, steps, alone
    inst.store.close()
    alone.store.close()


def _current_values(inst: Instance) -> dict[str, tuple]:
    """series key -> (detection, value, unit) of every current result."""
    return {
        r["series_key"]: (r["detection"], r["value"], r["unit"])
        for r in inst.store.measurements(Query())
    }


@pytest.mark.slow
def test_replay_ends_where_the_newest_download_alone_does(study):
    inst, steps, alone = study
    replayed = _current_values(inst)
    newest = _current_values(alone)
    gone = {series_key(m) for st in steps for m in st.disappeared}
    assert gone and not gone & newest.keys()
    # everything the newest download says, with its values; plus what vanished from it
    assert {k: v for k, v in replayed.items() if k not in gone} == newest
    assert replayed.keys() == newest.keys() | gone


def test_counts_of_each_download_add_up(study):
    _, steps, _ = study
    assert steps[0].new == steps[0].read > 80_000
    for st in steps:
        assert st.read == st.new + st.revised + st.unchanged
    for st in steps[1:]:
        assert st.new > 10_000 and st.unchanged > 80_000
        assert 0 < st.revised < 100
        assert len(st.revisions) == st.revised


def test_disappeared_results_stay_current(study):
    inst, steps, _ = study
    assert sum(len(st.disappeared) for st in steps) > 0
    current = {r["series_key"]: r for r in inst.store.measurements(Query())}
    for st in steps:
        for m in st.disappeared:
            row = current[series_key(m)]
            assert row["record_id"] == m.id or row["version"] > 1
            assert not row["retracted"]


def test_revision_chain_is_in_the_history(study):
    inst, steps, _ = study
    revs = [r for st in steps for r in st.revisions]
    assert revs
    for rev in revs:
        new = rev["new"]
        chain = inst.store.history(new["leaf_index"])
        assert [v["version"] for v in chain] == list(range(1, len(chain) + 1))
        i = [v["leaf_index"] for v in chain].index(new["leaf_index"])
        assert chain[i]["reason"] == SOURCE_REVISED
        assert chain[i]["supersedes"] == chain[i - 1]["leaf_index"] == rev["old"]["leaf_index"]
        entry = json.loads(inst.store.entry(new["leaf_index"])["data"])
        assert entry["kind"] == "correction"
        assert entry["record"]["supersedes"] == rev["old"]["leaf_index"]
        assert entry["record"]["reason"] == SOURCE_REVISED


def test_replaying_the_newest_again_changes_nothing(study):
    inst, _, _ = study
    size = inst.store.tree_size()
    report = import_results(
        inst.store,
        list(read_path(DOWNLOADS[-1][1], "orbs")),
        inst.demo_signer(),
        after_append=inst.checkpoint,
    )
    assert report.total("new") == report.total("revised") == 0
    assert inst.store.tree_size() == size


def test_revisions_are_real_changes(study):
    _, steps, _ = study
    kinds = Counter(classify(r) for st in steps for r in st.revisions)
    assert sum(kinds.values()) == sum(st.revised for st in steps)
    # a revision changes what a result says, never nothing
    for st in steps:
        for r in st.revisions:
            assert r["old"]["record_id"] != r["new"]["record_id"]


# -- the figures for docs/revisions.md --------------------------------------------------------


def _jst(t: datetime) -> str:
    from seawitness.model.times import JST

    return t.replace(tzinfo=UTC).astimezone(JST).strftime("%Y-%m-%d %H:%M")


def report(steps: list[Step]) -> str:
    lines = []
    for st in steps:
        lines.append(
            f"{st.day}: read {st.read}, new {st.new}, revised {st.revised}, unchanged "
            f"{st.unchanged}, disappeared {len(st.disappeared)}; new in files not in the "
            f"previous download {st.new_in_new_files}; new for earlier sampling dates in "
            f"known files {sum(st.new_backfilled.values())} {dict(st.new_backfilled)}"
        )
        kinds = Counter(classify(r) for r in st.revisions)
        lines.append(f"  revisions: {dict(kinds)}")
        by_nuc = Counter(r["new"]["nuclide"] for r in st.revisions)
        lines.append(f"  revisions by nuclide: {dict(by_nuc)}")
        for r in st.revisions:
            o, n = r["old"], r["new"]
            lines.append(
                f"    {n['org']} {n['station']} {_jst(n['sampled_at'])} JST {n['nuclide']} "
                f"{n['medium']} {n['species'] or ''}: {o['detection']} {o['value']} -> "
                f"{n['detection']} {n['value']} {n['unit']} [{classify(r)}]"
            )
        for m in st.disappeared:
            lines.append(
                f"    gone: {m.org} {m.station} {_jst(m.sampled_at)} JST {m.nuclide} "
                f"{m.medium.value} {m.species or ''} {m.detection.value} {m.value} {m.unit} "
                f"({m.source})"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        inst, steps = replay(Path(tmp) / "replay", sys.argv[1] if len(sys.argv) > 1 else None)
        print(report(steps))
        inst.store.close()
