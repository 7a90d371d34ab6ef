"""Opening a database: SQLite (the embedded default) or PostgreSQL, migrated to head.

SQLite runs in WAL mode with ``synchronous=FULL`` so that an acknowledged import survives
a crash or power loss (SQLite docs, "Write-Ahead Logging" and "PRAGMA synchronous").
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect

from seawitness.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(StoreError):
    """The database URL is wrong or the server cannot be reached."""


def normalize_url(url: str) -> str:
    """Accept a bare path for SQLite and ``postgresql://`` for psycopg 3."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # Reads through the OS page cache without a copy per page: a download in time order
    # visits table pages in random order (SQLite docs, "Memory-Mapped I/O").
    cur.execute(f"PRAGMA mmap_size={1 << 31}")
    cur.close()


def _sqlite_begin(conn) -> None:
    """Writers take SQLite's write lock at BEGIN, so two writers queue instead of failing
    with SQLITE_BUSY halfway through (SQLite docs, "BEGIN TRANSACTION")."""
    if conn.get_execution_options().get("sqlite_immediate"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` (a path or SQLAlchemy URL), without migrating."""
    full = normalize_url(url)
    if full.startswith("sqlite"):
        engine = create_engine(full)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(full, pool_pre_ping=True)
    return engine


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except Exception as exc:  # connection problems surface here first
        if "connect" in str(exc).lower() or "could not" in str(exc).lower():
            raise DatabaseError(f"cannot open database {engine.url!r}: {exc}") from exc
        raise


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())
