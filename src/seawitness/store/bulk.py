"""Bulk inserts straight through the DBAPI cursor, for the append hot path.

SQLAlchemy's ``conn.execute(insert(t), rows)`` spends more time building parameters than
SQLite spends storing them. Here the statement is written once, each value goes through
the column type's own bind processor (so what is stored is exactly what SQLAlchemy would
store and read back), and the rows go to ``executemany`` in one call.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Connection, Float, LargeBinary, Table


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    dialect = conn.dialect
    cols = list(rows[0])
    procs = [_processor(table, c, dialect) for c in cols]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    getter = operator.itemgetter(*cols)
    if len(cols) == 1:
        params: list[Any] = [(getter(r),) for r in rows]
    else:
        params = [getter(r) for r in rows]
    converted = [(i, p) for i, p in enumerate(procs) if p is not None]
    if converted:
        for n, row in enumerate(params):
            values = list(row)
            for i, p in converted:
                values[i] = p(values[i])
            params[n] = tuple(values)
    conn.exec_driver_sql(sql, params)


def _processor(table: Table, column: str, dialect: Any) -> Any:
    """The column's bind processor, memoised per value (a batch of entries shares its
    submission time), or None where the driver takes the Python value as it is."""
    col_type = table.c[column].type
    if dialect.name == "sqlite" and isinstance(col_type, LargeBinary | Boolean | Float):
        # sqlite3 binds bytes as a BLOB, bool as 0/1 and floats as REAL by itself (and
        # an int in a REAL column becomes REAL by the column's affinity)
        return None
    proc = col_type._cached_bind_processor(dialect)
    if proc is None:
        return None
    memo: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        try:
            return memo[value]
        except KeyError:
            out = memo[value] = proc(value)
            return out
        except TypeError:  # unhashable
            return proc(value)

    return cached
