"""Persistence behind one interface: SQLAlchemy Core over SQLite (the embedded default)
and PostgreSQL (production). The log's entry bundles and hash tiles, the index rows and
the checkpoint of a submission are written in one transaction, so a record is in the
database if and only if it is in the log.

* :mod:`~seawitness.store.store`: :class:`Store`, :class:`Query`, reads of the index.
* :mod:`~seawitness.store.log`: appending leaves, tiles, checkpoints.
* :mod:`~seawitness.store.records`: from index rows to the full logged records.
* :mod:`~seawitness.store.schema`, :mod:`~seawitness.store.db`: tables, engines, migrations.
* :mod:`~seawitness.store.integrity`: recompute the stored log and compare.
"""

__all__ = ["bulk", "db", "integrity", "log", "records", "schema", "store"]
