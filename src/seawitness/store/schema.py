"""The database schema (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Two kinds of table:

* **The log and what it says** (``entry_bundles``, ``tiles``, ``checkpoints``,
  ``cosignatures``): append-only, stored as the log publishes itself (c2sp.org/
  tlog-tiles). ``entry_bundles`` holds every leaf's bytes exactly as hashed, 256 to a
  row, so the tiles and checkpoints can always be recomputed from it; a partial bundle
  or tile is replaced by its wider self as the log grows, like a tile on a mirror.
* **``entries``**: one row per leaf with who submitted it (submitter, key, sequence
  number, time) and its record id, for the submission rules (a sequence number is used
  once) and lookups. Written in the same transaction as the leaf; derived from it.
* **Indexes over the log** (``measurements``, ``heads``, ``stations``,
  ``stakeholders``, ``keys``, ``imports``): derived, for fast queries. A measurement row
  exists if and only if its leaf is in ``entries`` (same transaction); ``heads`` points
  each series to its newest version and is the only table whose rows change.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

entries = Table(
    "entries",
    metadata,
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("submitter", String(64), nullable=False),
    Column("key_id", String(128), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("record_id", String(64), nullable=False),
)
Index("ix_entries_submitter_seq", entries.c.submitter, entries.c.seq, unique=True)
Index("ix_entries_record_id", entries.c.record_id)

stations = Table(
    "stations",
    metadata,
    Column("org", String(64), primary_key=True),
    Column("code", String(128), primary_key=True),
    Column("name", Text),
    Column("lat", Float),
    Column("lon", Float),
    Column("zone", String(32), nullable=False),
    Column("zone_source", String(16), nullable=False),
    Column("coords_known", Boolean, nullable=False),
    Column("source", Text),
)

measurements = Table(
    "measurements",
    metadata,
    Column(
        "leaf_index",
        BigInteger,
        ForeignKey("entries.leaf_index"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("record_id", String(64), nullable=False),
    Column("series_key", String(64), nullable=False),  # SHA-256 of the natural key
    Column("version", Integer, nullable=False),
    Column("supersedes", BigInteger),  # leaf index of the previous version
    Column("reason", Text),  # why this version exists: None for the first one
    Column("retracted", Boolean, nullable=False, default=False),
    Column("org", String(64), nullable=False),
    Column("station", String(128), nullable=False),
    Column("medium", String(32), nullable=False),
    Column("sampled_at", DateTime(timezone=True), nullable=False),
    Column("nuclide", String(32), nullable=False),
    Column("detection", String(2), nullable=False),
    Column("value", Float),
    Column("unit", String(32), nullable=False),
    Column("basis", String(8), nullable=False),
    Column("uncertainty", Float),
    Column("coverage_factor", Float),
    Column("detection_limit", Float),
    Column("depth", Text),
    Column("depth_m", Float),
    Column("species", Text),
    Column("tissue", Text),
    Column("sample_id", Text),
    Column("analysis", String(16)),
    Column("lab", String(64)),
    Column("source", Text),
    Column("lat", Float),
    Column("lon", Float),
    Column("import_id", Integer),
    Column("submitter", String(64)),  # whose key signed this version
    # The rest of the record (migration 0004), so that exports and pages read every
    # field from the index and never parse a log entry per row.
    Column("replicate", Integer, nullable=False, server_default="0"),
    Column("method", Text),
    Column("reference_date", DateTime(timezone=True)),
    Column("source_tz", String(64)),
    Column("note", Text),
    Column("extra", Text),  # a JSON object (sorted keys), or NULL when the record has none
    # harmonized readings of what the source wrote (model.harmonized; migration 0005)
    Column("harmonized_unit", String(32)),
    Column("nuclide_form", String(32)),
    Column("depth_parsed_m", Float),
    Column("depth_class", String(16)),
)
Index("ix_measurements_series", measurements.c.series_key, measurements.c.version, unique=True)
# One index per filter a page or a download is asked for, each ending in the sort key
# (sampled_at, leaf_index): a filtered page in time order is then an index range read in
# order, and the next page starts where the last one stopped (keyset pagination), with
# no sort and no rescan of the rows before it. See tests/test_read_plans.py.
_TIME = (measurements.c.sampled_at, measurements.c.leaf_index)
Index("ix_measurements_time", *_TIME)
Index(
    "ix_measurements_station_nuclide_time",
    measurements.c.station,
    measurements.c.nuclide,
    *_TIME,
)
Index("ix_measurements_station_time", measurements.c.station, *_TIME)
Index("ix_measurements_nuclide_time", measurements.c.nuclide, *_TIME)
Index("ix_measurements_medium_time", measurements.c.medium, *_TIME)
Index("ix_measurements_org_time", measurements.c.org, *_TIME)
Index("ix_measurements_depth_class", measurements.c.depth_class)
# "Is this version current?" is "does no later version supersede it?": a look-up in this
# small partial index (only corrections are in it) instead of a join with ``heads``, which
# in time order is a random look-up per row into an index as large as the table.
Index(
    "ix_measurements_supersedes",
    measurements.c.supersedes,
    sqlite_where=measurements.c.supersedes.isnot(None),
    postgresql_where=measurements.c.supersedes.isnot(None),
)

heads = Table(
    "heads",
    metadata,
    Column("series_key", String(64), primary_key=True),
    Column("leaf_index", BigInteger, ForeignKey("measurements.leaf_index"), nullable=False),
    Column("version", Integer, nullable=False),
)
Index("ix_heads_leaf", heads.c.leaf_index, unique=True)

stakeholders = Table(
    "stakeholders",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("country", String(2)),
    Column("kind", String(16), nullable=False),
    Column("leaf_index", BigInteger),
)

keys = Table(
    "keys",
    metadata,
    Column("key_id", String(128), primary_key=True),
    Column("stakeholder", String(64), ForeignKey("stakeholders.id"), nullable=False),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("vkey", Text, nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_until", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("demo", Boolean, nullable=False, default=False),
    Column("leaf_index", BigInteger),
)

grants = Table(
    "grants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("stakeholder", String(64), ForeignKey("stakeholders.id"), nullable=False),
    Column("grant", String(32), nullable=False),  # publish-for | publish-ruleset | raise-alerts
    Column("object", String(128), nullable=False),  # the organisation or rule set ("" for alerts)
    Column("leaf_index", BigInteger, nullable=False),
)
Index("ix_grants_stakeholder", grants.c.stakeholder)

entry_bundles = Table(
    "entry_bundles",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("width", Integer, nullable=False),
    # c2sp.org/tlog-tiles entry bundle: uint16-BE length || leaf bytes, for each leaf
    Column("data", LargeBinary, nullable=False),
)

tiles = Table(
    "tiles",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("width", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),  # the signed note, as served
    Column("created_at", DateTime(timezone=True), nullable=False),
)

cosignatures = Table(
    "cosignatures",
    metadata,
    Column("size", BigInteger, ForeignKey("checkpoints.size"), primary_key=True),
    Column("witness", String(256), primary_key=True),
    Column("signature_line", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("n_new", Integer, nullable=False),
    Column("n_revised", Integer, nullable=False),
    Column("n_unchanged", Integer, nullable=False),
    Column("n_rejected", Integer, nullable=False),
)
Index("ix_imports_sha", imports.c.sha256)

# -- alert delivery (derived, not part of the log): alerts found, who wants them, and the
# outbox of webhook deliveries with every attempt, so nothing is lost across a restart.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False),  # SHA-256 of kind, rule and leaf: found once
    Column("kind", String(16), nullable=False),
    Column("leaf_index", BigInteger, nullable=False),
    Column("rule_id", String(128)),
    Column("station", String(128), nullable=False),
    Column("nuclide", String(64), nullable=False),
    Column("value", Float, nullable=False),
    Column("level", Float, nullable=False),
    Column("unit", String(32), nullable=False),
    Column("sampled_at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False),
    Column("tree_size", BigInteger, nullable=False),  # the log's size when it was found
    Column("payload", Text, nullable=False),  # the JSON body every subscriber receives
)
Index("ix_alerts_key", alerts.c.key, unique=True)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),  # HMAC-SHA256 key shared with this subscriber
    Column("name", Text),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id"), nullable=False),
    Column("status", String(16), nullable=False),  # pending | delivered
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    Column("last_error", Text),
)
Index("ix_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)
Index("ix_deliveries_pair", deliveries.c.alert_id, deliveries.c.subscriber_id, unique=True)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("delivery_id", Integer, ForeignKey("deliveries.id"), primary_key=True),
    Column("attempt", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
)
