"""Bulk inserts straight through the DBAPI cursor, for the append hot path.

SQLAlchemy's ``conn.execute(insert(t), rows)`` spends more time building parameters than
SQLite spends storing them. Here the statement is written once, each value goes through
the column type's own bind processor (so what is stored is exactly what SQLAlchemy would
store and read back), and the rows go to ``executemany`` in one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    dialect = conn.dialect
    cols = list(rows[0])
    procs = [table.c[c].type._cached_bind_processor(dialect) for c in cols]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    if any(procs):
        params = [
            tuple(p(r[c]) if p else r[c] for c, p in zip(cols, procs, strict=True)) for r in rows
        ]
    else:
        params = [tuple(r[c] for c in cols) for r in rows]
    conn.exec_driver_sql(sql, params)
