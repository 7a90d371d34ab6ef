"""The persisted log: leaves in entry bundles, hashes in tiles, on both backends.

Expected values are computed independently of ``seawitness.tlog``: bundles by hand from
the c2sp.org/tlog-tiles definition (uint16-BE length || entry), leaf hashes with hashlib
(RFC 9162 §2.1.1) and roots with pymerkle.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime

import pytest
from alembic import command
from pymerkle import InmemoryTree
from sqlalchemy import Engine, inspect, select, text, update

from seawitness.instance import Instance
from seawitness.store import schema as s
from seawitness.store.db import alembic_config, make_engine, migrate
from seawitness.store.integrity import check
from seawitness.store.log import (
    append_leaves,
    bundle_at_width,
    leaves_at,
    leaves_range,
    root_hash,
    tree_size,
)


def by_hand(entries: list[bytes]) -> bytes:
    return b"".join(len(e).to_bytes(2, "big") + e for e in entries)


def pymerkle_root(leaves: list[bytes]) -> bytes:
    tree = InmemoryTree(algorithm="sha256")
    for leaf in leaves:
        tree.append_entry(leaf)
    return tree.get_root()


@pytest.fixture
def engine(db_url: str) -> Engine:
    eng = make_engine(db_url)
    migrate(eng)
    yield eng
    eng.dispose()


def test_appends_across_bundle_boundaries(engine: Engine):
    rng = random.Random(7)
    leaves: list[bytes] = []
    for batch in (1, 254, 1, 1, 300, 256, 17):
        new = [rng.randbytes(rng.randrange(0, 900)) for _ in range(batch)]
        with engine.begin() as conn:
            first = append_leaves(conn, new)
        assert first == len(leaves)
        leaves += new
        with engine.connect() as conn:
            size = tree_size(conn)
            assert size == len(leaves)
            assert leaves_range(conn, 0, size) == leaves
            assert leaves_range(conn, 250, 260) == leaves[250:260]
            picks = rng.sample(range(size), min(size, 20))
            assert leaves_at(conn, picks + [size + 5]) == {i: leaves[i] for i in picks}
            assert root_hash(conn, size) == pymerkle_root(leaves)
    with engine.connect() as conn:
        rows = conn.execute(select(s.entry_bundles).order_by(s.entry_bundles.c.idx)).all()
        tile0 = dict(
            conn.execute(select(s.tiles.c.idx, s.tiles.c.data).where(s.tiles.c.level == 0)).all()
        )
    assert [(r.idx, r.width) for r in rows] == [(0, 256), (1, 256), (2, 256), (3, 62)]
    for r in rows:
        assert bytes(r.data) == by_hand(leaves[r.idx * 256 : r.idx * 256 + r.width])
        want = b"".join(
            hashlib.sha256(b"\x00" + x).digest()
            for x in leaves[r.idx * 256 : r.idx * 256 + r.width]
        )
        assert bytes(tile0[r.idx]) == want


def test_a_partial_bundle_is_served_at_any_width_it_covers(engine: Engine):
    leaves = [bytes([i]) * i for i in range(40)]
    with engine.begin() as conn:
        append_leaves(conn, leaves)
    with engine.connect() as conn:
        assert bundle_at_width(conn, 0, 40) == by_hand(leaves)
        assert bundle_at_width(conn, 0, 7) == by_hand(leaves[:7])
        assert bundle_at_width(conn, 0, 41) is None
        assert bundle_at_width(conn, 1, 1) is None


def test_integrity_check_finds_a_changed_leaf_and_a_missing_index_row(instance: Instance):
    assert check(instance.store) == []
    with instance.store.engine.begin() as conn:
        data = bytearray(
            conn.execute(
                select(s.entry_bundles.c.data).where(s.entry_bundles.c.idx == 0)
            ).scalar_one()
        )
        data[-3] ^= 1
        conn.execute(
            update(s.entry_bundles).where(s.entry_bundles.c.idx == 0).values(data=bytes(data))
        )
    problems = check(instance.store)
    assert any("tile/0/000" in p and "does not match" in p for p in problems), problems
    assert any("checkpoint's root does not match" in p for p in problems), problems
    with instance.store.engine.begin() as conn:
        data[-3] ^= 1
        conn.execute(
            update(s.entry_bundles).where(s.entry_bundles.c.idx == 0).values(data=bytes(data))
        )
        last = instance.store.tree_size(conn) - 1
        conn.execute(s.heads.delete().where(s.heads.c.leaf_index == last))
        conn.execute(s.measurements.delete().where(s.measurements.c.leaf_index == last))
        conn.execute(s.entries.delete().where(s.entries.c.leaf_index == last))
    problems = check(instance.store)
    assert any(
        f"entries rows (last leaf {last - 1}) for {last + 1} leaves" in p for p in problems
    ), problems


def test_migration_moves_leaves_into_bundles(db_url: str):
    """A database written by the first schema (one ``entries.data`` per leaf) keeps its
    leaves byte for byte, now in bundles, and its tree."""
    eng = make_engine(db_url)
    cfg = alembic_config()
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    rng = random.Random(3)
    leaves = [rng.randbytes(rng.randrange(1, 500)) for _ in range(300)]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with eng.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO entries (leaf_index, kind, data, leaf_hash, submitter, key_id, "
                "seq, submitted_at, record_id) VALUES (:i, 'stakeholder', :d, :h, 'admin', "
                "'admin+00000000', :i, :t, 'x')"
            ),
            [
                {"i": i, "d": d, "h": hashlib.sha256(b"\x00" + d).digest(), "t": now}
                for i, d in enumerate(leaves)
            ],
        )
    migrate(eng)
    with eng.connect() as conn:
        cols = {c["name"] for c in inspect(conn).get_columns("entries")}
        assert "data" not in cols and "leaf_hash" not in cols
        rows = conn.execute(select(s.entry_bundles).order_by(s.entry_bundles.c.idx)).all()
        assert [(r.idx, r.width) for r in rows] == [(0, 256), (1, 44)]
        assert bytes(rows[0].data) == by_hand(leaves[:256])
        assert bytes(rows[1].data) == by_hand(leaves[256:])
        assert tree_size(conn) == 300
        assert leaves_range(conn, 0, 300) == leaves
    eng.dispose()
