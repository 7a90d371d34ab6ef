"""Fixtures shared by the tests: a database URL on each backend.

Every test that takes ``db_url`` runs twice, on SQLite and on PostgreSQL. The PostgreSQL
half uses ``SEAWITNESS_TEST_PG`` (default: the local server at 127.0.0.1:5432, database
``test``) with a fresh schema per test, and is skipped with the reason shown only when no
server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_URL = os.environ.get("SEAWITNESS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            return None
    except Exception as exc:  # any failure to connect means: skip, and say why
        return f"PostgreSQL not reachable at {PG_URL}: {exc}"


_PG_REASON = _pg_available()

#: CI sets this: a suite that cannot reach PostgreSQL or a browser must fail, not skip half.
REQUIRE_BACKENDS = os.environ.get("SEAWITNESS_REQUIRE_BACKENDS") == "1"


def pytest_sessionstart(session: pytest.Session) -> None:
    if not REQUIRE_BACKENDS:
        return
    import shutil

    missing = []
    if _PG_REASON:
        missing.append(_PG_REASON)
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            missing.append(f"{tool} is not on PATH (Debian packages chromium, chromium-driver)")
    if missing:
        pytest.exit("SEAWITNESS_REQUIRE_BACKENDS=1 but: " + "; ".join(missing), returncode=3)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield str(tmp_path / "test.db")
        return
    if _PG_REASON:
        pytest.skip(_PG_REASON)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


SMALL_ORBS = ("Seawater_10_1.csv", "Seawater_10_5.csv", "Fishes_20_267.csv", "Seaweeds_30_359.csv")


def load_files(inst, paths, fmt="orbs"):  # type: ignore[no-untyped-def]
    """Import files into an instance the way ``seawitness import`` does; return the report."""
    from seawitness.ingest.importer import import_results
    from seawitness.ingest.readers import read_path

    results = [r for p in paths for r in read_path(Path(p), fmt)]
    return import_results(inst.store, results, inst.demo_signer(), after_append=inst.checkpoint)


def small_orbs_paths() -> list[Path]:
    from seawitness.data import bundled_path

    root = bundled_path("orbs")
    return [next(root.rglob(name)) for name in SMALL_ORBS]


@pytest.fixture
def instance(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    """A fresh instance (keys in tmp_path) on each backend, with a few real ORBS files."""
    from seawitness.instance import Instance

    inst = Instance.create(tmp_path / "inst", db_url=db_url, origin="test.local/seawitness")
    load_files(inst, small_orbs_paths())
    yield inst
    inst.store.close()
