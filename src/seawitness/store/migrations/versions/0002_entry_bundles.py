"""leaf bytes in entry bundles, 256 to a row

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 09:00:00

The log's leaves move from one ``entries.data`` value per leaf to c2sp.org/tlog-tiles
entry bundles (``entry_bundles``), the form in which the log is served and published;
``entries.leaf_hash`` goes, since the level-0 hash tiles hold every leaf hash. The leaf
bytes are copied unchanged, so every tile, checkpoint and cosignature stays valid.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_WIDTH = 256


def _bundle(datas: list[bytes]) -> bytes:
    return b"".join(len(d).to_bytes(2, "big") + d for d in datas)


def upgrade() -> None:
    bundles = op.create_table(
        "entry_bundles",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("idx"),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT leaf_index, data FROM entries ORDER BY leaf_index")
    ).yield_per(_WIDTH)
    pending: list[bytes] = []
    index = 0
    for expected, (leaf_index, data) in enumerate(rows):
        if leaf_index != expected:
            raise RuntimeError(f"entries has a gap at leaf {expected}; cannot migrate")
        pending.append(bytes(data))
        if len(pending) == _WIDTH:
            op.bulk_insert(bundles, [{"idx": index, "width": _WIDTH, "data": _bundle(pending)}])
            pending, index = [], index + 1
    if pending:
        op.bulk_insert(bundles, [{"idx": index, "width": len(pending), "data": _bundle(pending)}])
    # ALTER TABLE ... DROP COLUMN in place (SQLite >= 3.35): a batch-mode table copy
    # would have to drop ``entries``, which the measurement rows reference.
    op.drop_column("entries", "data")
    op.drop_column("entries", "leaf_hash")


def downgrade() -> None:
    raise NotImplementedError("leaf bytes are not moved back out of entry bundles")
