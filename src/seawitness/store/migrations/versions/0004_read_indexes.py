"""the whole record in the index; one index per filter, in time order; a cursor key

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00

* ``measurements`` gains the record fields it lacked (``replicate``, ``method``,
  ``reference_date``, ``source_tz``, ``note``, ``extra``), filled here from the logged
  entries, so that a download reads every field from the index instead of parsing one
  log entry per row.
* The filter indexes end in the sort key ``(sampled_at, leaf_index)``: a filtered page
  in time order is an ordered index range, and keyset pagination starts the next page
  where the last one stopped.
* ``meta.cursor_key``: a random key that signs the API's page cursors, so a cursor made
  up or edited by a client is refused instead of read.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TIME = ["sampled_at", "leaf_index"]
_NEW_INDEXES = {
    "ix_measurements_time": _TIME,
    "ix_measurements_station_nuclide_time": ["station", "nuclide", *_TIME],
    "ix_measurements_station_time": ["station", *_TIME],
    "ix_measurements_nuclide_time": ["nuclide", *_TIME],
    "ix_measurements_medium_time": ["medium", *_TIME],
    "ix_measurements_org_time": ["org", *_TIME],
}
_FIELDS = ("replicate", "method", "reference_date", "source_tz", "note", "extra")


def _leaves(conn: sa.Connection):
    """(leaf index, leaf bytes) of every logged entry, from the entry bundles."""
    rows = conn.execute(sa.text("SELECT idx, width, data FROM entry_bundles ORDER BY idx"))
    for idx, width, data in rows:
        data, pos = bytes(data), 0
        for i in range(width):
            n = int.from_bytes(data[pos : pos + 2], "big")
            yield idx * 256 + i, data[pos + 2 : pos + 2 + n]
            pos += 2 + n


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _fields(rec: dict) -> tuple:
    extra = rec.get("extra") or None
    return (
        int(rec.get("replicate", 0)),
        rec.get("method"),
        _time(rec.get("reference_date")),
        rec.get("source_tz"),
        rec.get("note"),
        json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None,
    )


def _backfill(conn: sa.Connection) -> None:
    """Copy the new fields from each measurement's logged record (a retraction keeps
    the fields of the version it retracts, as its index row keeps the others)."""
    got: dict[int, tuple] = {}
    retractions: list[tuple[int, int]] = []
    for leaf, data in _leaves(conn):
        try:  # a log may hold leaves that are not entries (tests, other tools)
            env = json.loads(data)
        except ValueError:
            continue
        if not isinstance(env, dict) or not isinstance(env.get("record"), dict):
            continue
        rec = env["record"]
        if env.get("kind") == "measurement":
            got[leaf] = _fields(rec)
        elif env.get("kind") == "correction":
            if rec.get("replacement") is not None:
                got[leaf] = _fields(rec["replacement"])
            else:
                retractions.append((leaf, int(rec["supersedes"])))
    for leaf, target in retractions:
        if target in got:
            got[leaf] = got[target]
    m = sa.table("measurements", *(sa.column(c) for c in ("leaf_index", *_FIELDS)))
    stmt = (
        sa.update(m)
        .where(m.c.leaf_index == sa.bindparam("b_leaf"))
        .values({c: sa.bindparam(f"b_{c}") for c in _FIELDS})
    )
    stmt = stmt.values(
        reference_date=sa.bindparam("b_reference_date", type_=sa.DateTime(timezone=True))
    )
    leaves = [r[0] for r in conn.execute(sa.text("SELECT leaf_index FROM measurements"))]
    batch = []
    for leaf in leaves:
        if leaf in got:
            batch.append(
                {"b_leaf": leaf, **{f"b_{c}": v for c, v in zip(_FIELDS, got[leaf], strict=False)}}
            )
        if len(batch) >= 5000:
            conn.execute(stmt, batch)
            batch = []
    if batch:
        conn.execute(stmt, batch)


def upgrade() -> None:
    with op.batch_alter_table("measurements") as b:
        b.add_column(sa.Column("replicate", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("method", sa.Text()))
        b.add_column(sa.Column("reference_date", sa.DateTime(timezone=True)))
        b.add_column(sa.Column("source_tz", sa.String(length=64)))
        b.add_column(sa.Column("note", sa.Text()))
        b.add_column(sa.Column("extra", sa.Text()))
        b.drop_index("ix_measurements_station")
        b.drop_index("ix_measurements_nuclide_time")
    _backfill(op.get_bind())
    for name, cols in _NEW_INDEXES.items():
        op.create_index(name, "measurements", cols)
    op.create_index(
        "ix_measurements_supersedes",
        "measurements",
        ["supersedes"],
        sqlite_where=sa.text("supersedes IS NOT NULL"),
        postgresql_where=sa.text("supersedes IS NOT NULL"),
    )
    meta = sa.table("meta", sa.column("key"), sa.column("value"))
    op.execute(sa.delete(meta).where(meta.c.key == "cursor_key"))
    op.bulk_insert(meta, [{"key": "cursor_key", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_index("ix_measurements_supersedes", "measurements")
    for name in _NEW_INDEXES:
        op.drop_index(name, "measurements")
    op.execute(sa.text("DELETE FROM meta WHERE key = 'cursor_key'"))
    for c in _FIELDS:  # in place (SQLite >= 3.35): a rebuilt table would break its keys
        op.execute(sa.text(f"ALTER TABLE measurements DROP COLUMN {c}"))
    op.create_index("ix_measurements_station", "measurements", ["org", "station", "nuclide"])
    op.create_index("ix_measurements_nuclide_time", "measurements", ["nuclide", "sampled_at"])
