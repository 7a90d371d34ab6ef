"""harmonized unit, tritium form and depth class beside what the source wrote

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 08:30:00

Adds ``measurements.harmonized_unit``, ``nuclide_form``, ``depth_parsed_m`` and
``depth_class`` (see :mod:`seawitness.model.harmonized`) and fills them for the rows
already stored. The rules read only ``unit``, ``nuclide``, ``depth`` and ``depth_m``,
which take a few hundred distinct values, so the fill is one UPDATE per distinct value
rather than one per row. The records and the log are not touched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from seawitness.model.harmonized import depth_class, harmonized_unit, nuclide_form

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("measurements", sa.Column("harmonized_unit", sa.String(32), nullable=True))
    op.add_column("measurements", sa.Column("nuclide_form", sa.String(32), nullable=True))
    op.add_column("measurements", sa.Column("depth_parsed_m", sa.Float(), nullable=True))
    op.add_column("measurements", sa.Column("depth_class", sa.String(16), nullable=True))
    conn = op.get_bind()
    pairs = conn.execute(sa.text("SELECT DISTINCT unit, nuclide FROM measurements")).all()
    for unit, nuc in pairs:
        conn.execute(
            sa.text(
                "UPDATE measurements SET harmonized_unit = :h, nuclide_form = :f "
                "WHERE unit = :u AND nuclide = :n"
            ),
            {"h": harmonized_unit(unit), "f": nuclide_form(nuc, unit), "u": unit, "n": nuc},
        )
    depths = conn.execute(sa.text("SELECT DISTINCT depth, depth_m FROM measurements")).all()
    for depth, depth_m in depths:
        metres, layer = depth_class(depth, depth_m)
        if metres is None and layer is None:
            continue
        where = [
            "depth IS NULL" if depth is None else "depth = :d",
            "depth_m IS NULL" if depth_m is None else "depth_m = :dm",
        ]
        conn.execute(
            sa.text(
                "UPDATE measurements SET depth_parsed_m = :m, depth_class = :c WHERE "
                + " AND ".join(where)
            ),
            {"m": metres, "c": layer, "d": depth, "dm": depth_m},
        )
    op.create_index("ix_measurements_depth_class", "measurements", ["depth_class"])


def downgrade() -> None:
    op.drop_index("ix_measurements_depth_class", "measurements")
    for col in ("depth_class", "depth_parsed_m", "nuclide_form", "harmonized_unit"):
        op.drop_column("measurements", col)
