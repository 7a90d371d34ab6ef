"""The query plan of a statement on either backend, as one line, for tests that check
which index a read uses.

The test databases are small, so on PostgreSQL the planner would rightly choose a
sequential scan and a sort; sequential scans and sorts are switched off for the plan so
that it shows what the planner does once the table is large (what the indexes are for).
"""

from __future__ import annotations

from typing import Any


def plan(conn: Any, sql: str) -> str:
    """``EXPLAIN QUERY PLAN`` (SQLite) or ``EXPLAIN`` (PostgreSQL) of ``sql``, lines
    joined by `` | ``, after fresh statistics."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("ANALYZE")
        return " | ".join(r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    conn.exec_driver_sql("ANALYZE measurements")
    conn.exec_driver_sql("SET enable_seqscan = off")
    conn.exec_driver_sql("SET enable_sort = off")
    return " | ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
