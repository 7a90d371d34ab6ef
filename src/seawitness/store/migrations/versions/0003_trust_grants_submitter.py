"""grants of the registry; the submitter of each measurement version

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00

``grants`` indexes the registry's ``grant`` entries (a stakeholder may publish for an
organisation, publish a named rule set, raise alerts). ``measurements.submitter`` is the
stakeholder whose key signed each version, so listings and exports show who said a
result beside the organisation the record names; existing rows take it from ``entries``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("stakeholder", sa.String(64), sa.ForeignKey("stakeholders.id"), nullable=False),
        sa.Column("grant", sa.String(32), nullable=False),
        sa.Column("object", sa.String(128), nullable=False),
        sa.Column("leaf_index", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_grants_stakeholder", "grants", ["stakeholder"])
    with op.batch_alter_table("measurements") as batch:
        batch.add_column(sa.Column("submitter", sa.String(64)))
    op.execute(
        "UPDATE measurements SET submitter = (SELECT entries.submitter FROM entries "
        "WHERE entries.leaf_index = measurements.leaf_index)"
    )


def downgrade() -> None:
    # In place (SQLite >= 3.35): a rebuilt table would break the keys that point at it.
    op.drop_column("measurements", "submitter")
    op.drop_index("ix_grants_stakeholder", "grants")
    op.drop_table("grants")
