"""The store: one interface over SQLite and PostgreSQL for the log and its indexes.

Everything that writes goes through a :class:`Store` transaction so that a record is in
the database if and only if its leaf is in the log (DESIGN: rows and leaves in the same
transaction). Reads are plain SQLAlchemy Core queries that return dicts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, tuple_

from seawitness.model import Measurement, Station
from seawitness.model.harmonized import depth_class, harmonized_unit, nuclide_form
from seawitness.model.zones import zone_for
from seawitness.store import schema as s
from seawitness.store.db import make_engine, migrate
from seawitness.store.log import leaves_at, leaves_range, tree_size
from seawitness.store.select import count_statement, ordered, selection, stream

#: Stations looked up per statement (a key pair is two bound parameters; SQLite allows
#: 32766, PostgreSQL 65535).
_STATION_CHUNK = 500
#: Rows per list of :meth:`Store.measurement_batches`.
SAMPLE_BATCH = 20_000


def series_key(m: Measurement) -> str:
    """SHA-256 hex of the measurement's natural key (see Measurement.natural_key)."""
    return hashlib.sha256("\x1f".join(m.natural_key()).encode()).hexdigest()


def as_utc(t: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def measurement_row(m: Measurement) -> dict[str, Any]:
    """The queryable columns of a measurement (the log entry holds the full record),
    with the harmonized readings of its unit, tritium form and depth."""
    depth_parsed_m, layer = depth_class(m.depth, m.depth_m)
    return {
        "org": m.org,
        "station": m.station,
        "medium": m.medium._value_,  # _value_: a plain attribute, .value is a descriptor
        "sampled_at": m.sampled_at,
        "nuclide": m.nuclide,
        "detection": m.detection._value_,
        "value": m.value,
        "unit": m.unit,
        "basis": m.basis._value_,
        "uncertainty": m.uncertainty,
        "coverage_factor": m.coverage_factor,
        "detection_limit": m.detection_limit,
        "depth": m.depth,
        "depth_m": m.depth_m,
        "species": m.species,
        "tissue": m.tissue,
        "sample_id": m.sample_id,
        "analysis": m.analysis._value_ if m.analysis else None,
        "lab": m.lab,
        "source": m.source,
        "lat": m.lat,
        "lon": m.lon,
        "replicate": m.replicate,
        "method": m.method,
        "reference_date": m.reference_date,
        "source_tz": m.source_tz,
        "note": m.note,
        "extra": json.dumps(m.extra, ensure_ascii=False, sort_keys=True) if m.extra else None,
        "harmonized_unit": harmonized_unit(m.unit),
        "nuclide_form": nuclide_form(m.nuclide, m.unit),
        "depth_parsed_m": depth_parsed_m,
        "depth_class": layer,
    }


@dataclass
class Head:
    leaf_index: int
    version: int
    record_id: str
    retracted: bool


@dataclass(frozen=True)
class Query:
    """Filters for :meth:`Store.measurements`; None means no filter.

    Results come in sampling-time order (``descending`` for newest first), ties broken
    by leaf index, so ``(sampled_at, leaf_index)`` is a total order and ``after`` (the
    key of the last row of the previous page) starts a page exactly where the previous
    one stopped: keyset pagination, which reads only the rows it returns, where an
    ``offset`` reads and drops every row before the page.
    """

    station: str | None = None
    nuclide: str | None = None
    medium: str | None = None
    org: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat
    history: bool = False  # all versions, not only the current one
    depth_class: str | None = None  # surface | mid | bottom (model.harmonized.depth_class)
    limit: int | None = None
    offset: int = 0
    descending: bool = False
    after: tuple[datetime, int] | None = None  # (sampled_at, leaf_index) of the last row seen


class Store:
    """A seawitness database. Open with :meth:`open`; it migrates itself to head."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        engine = make_engine(url)
        migrate(engine)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic unit of work: all of it is stored, or none of it."""
        # Appends must be serialised: leaf indexes and tiles depend on the order. SQLite
        # takes its write lock up front (BEGIN IMMEDIATE, see db.py); PostgreSQL takes an
        # advisory lock held to the end of the transaction.
        with self.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
            if self.dialect == "postgresql":
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(current_schema()))")
            yield conn

    # -- meta -------------------------------------------------------------------------
    def get_meta(self, key: str, conn: Connection | None = None) -> str | None:
        stmt = select(s.meta.c.value).where(s.meta.c.key == key)
        if conn is not None:
            return conn.execute(stmt).scalar_one_or_none()
        with self.engine.connect() as c:
            return c.execute(stmt).scalar_one_or_none()

    def set_meta(self, conn: Connection, key: str, value: str) -> None:
        conn.execute(s.meta.delete().where(s.meta.c.key == key))
        conn.execute(insert(s.meta).values(key=key, value=value))

    # -- stations ---------------------------------------------------------------------
    def upsert_stations(self, conn: Connection, stations: Iterable[Station]) -> int:
        """Add stations not yet known; a known station keeps its stored description.

        Only the given stations are looked up, by primary key (org, code): every
        submission calls this, and it must cost what it submits, not what the table holds.
        """
        stations = list(stations)
        wanted = sorted({(st.org, st.code) for st in stations})
        existing: set[tuple[str, str]] = set()
        key = tuple_(s.stations.c.org, s.stations.c.code)
        for i in range(0, len(wanted), _STATION_CHUNK):
            got = conn.execute(
                select(s.stations.c.org, s.stations.c.code).where(
                    key.in_(wanted[i : i + _STATION_CHUNK])
                )
            )
            existing.update((r.org, r.code) for r in got)
        rows = []
        for st in stations:
            if (st.org, st.code) in existing:
                continue
            existing.add((st.org, st.code))
            zone, zsrc = zone_for(st.code, st.lat, st.lon)
            rows.append(
                {
                    "org": st.org,
                    "code": st.code,
                    "name": st.name,
                    "lat": st.lat,
                    "lon": st.lon,
                    "zone": st.zone or zone,
                    "zone_source": zsrc if not st.zone else "source",
                    "coords_known": st.coords_known,
                    "source": st.source,
                }
            )
        if rows:
            conn.execute(insert(s.stations), rows)
        return len(rows)

    def station_keys(self) -> list[tuple[str, str]]:
        """(org, code) of every known station, from the small ``stations`` table alone."""
        with self.engine.connect() as c:
            rows = c.execute(select(s.stations.c.org, s.stations.c.code))
            return [(r[0], r[1]) for r in rows]

    def stations(self) -> list[dict[str, Any]]:
        """Every station with its number of current results."""
        m = s.measurements
        counts = (
            selection(
                Query(),
                [
                    m.c.org,
                    m.c.station,
                    func.count().label("n"),
                    func.max(m.c.sampled_at).label("last"),
                ],
            )
            .group_by(m.c.org, m.c.station)
            .subquery()
        )
        stmt = (
            select(
                s.stations,
                func.coalesce(counts.c.n, 0).label("n_results"),
                counts.c.last.label("last_sampled"),
            )
            .select_from(
                s.stations.outerjoin(
                    counts,
                    and_(counts.c.org == s.stations.c.org, counts.c.station == s.stations.c.code),
                )
            )
            .order_by(s.stations.c.org, s.stations.c.code)
        )
        with self.engine.connect() as c:
            out = []
            for r in c.execute(stmt).mappings():
                d = dict(r)
                d["last_sampled"] = as_utc(d["last_sampled"])
                out.append(d)
            return out

    # -- measurements -----------------------------------------------------------------
    def heads(self, conn: Connection, keys: Sequence[str] | None = None) -> dict[str, Head]:
        """series_key → its newest version, for diffing a new download against the store.

        With ``keys``, only those series are looked up (in chunks), which keeps a small
        import into a large store from reading every head.
        """
        stmt = select(
            s.heads.c.series_key,
            s.heads.c.leaf_index,
            s.heads.c.version,
            s.measurements.c.record_id,
            s.measurements.c.retracted,
        ).join(s.measurements, s.measurements.c.leaf_index == s.heads.c.leaf_index)
        if keys is None:
            rows = list(conn.execute(stmt))
        else:
            unique = sorted(set(keys))
            rows = []
            for i in range(0, len(unique), 500):
                chunk = unique[i : i + 500]
                rows += conn.execute(stmt.where(s.heads.c.series_key.in_(chunk))).all()
        return {r[0]: Head(r[1], r[2], r[3], bool(r[4])) for r in rows}

    def measurements(self, q: Query | None = None) -> list[dict[str, Any]]:
        """Current measurements (or every version with ``history``) matching ``q``, in
        ``q``'s time order and page (see :class:`Query`)."""
        q = q or Query()
        stmt = ordered(selection(q), q)
        with self.engine.connect() as c:
            return _dicts(c.execute(stmt))

    def measurement_batches(
        self, q: Query | None = None, size: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """:meth:`measurements` in lists of about ``size`` rows, read by one statement,
        each list ending where the sampling time changes: the results of one sample
        share their sampling time, so they stay in one list, and an analysis that sums
        a sample's results (the limits engine) can run list by list, in memory bounded
        by ``size`` (default :data:`SAMPLE_BATCH`) rather than by the table."""
        q = q or Query()
        size = size or SAMPLE_BATCH
        carry: list[dict[str, Any]] = []
        for part in stream(self.engine, ordered(selection(q), q), size):
            rows = carry + _dicts(part)
            last = rows[-1]["sampled_at"]
            cut = len(rows)
            while cut > 0 and rows[cut - 1]["sampled_at"] == last:
                cut -= 1
            if cut == 0:  # one sampling time so far: read on
                carry = rows
                continue
            yield rows[:cut]
            carry = rows[cut:]
        if carry:
            yield carry

    def count(self, q: Query | None = None) -> int:
        """How many rows ``q`` filters (its order, page and ``after`` key ignored)."""
        with self.engine.connect() as c:
            return int(c.execute(count_statement(q or Query())).scalar_one())

    def history(self, leaf_index: int) -> list[dict[str, Any]]:
        """Every version of the series the given leaf belongs to, oldest first."""
        m = s.measurements
        with self.engine.connect() as c:
            key = c.execute(
                select(m.c.series_key).where(m.c.leaf_index == leaf_index)
            ).scalar_one_or_none()
            if key is None:
                return []
            rows = c.execute(select(m).where(m.c.series_key == key).order_by(m.c.version))
            return _dicts(rows)

    def entry(self, leaf_index: int) -> dict[str, Any] | None:
        """A leaf's ``entries`` row with its bytes (``data``) and ``leaf_hash``."""
        with self.engine.connect() as c:
            r = (
                c.execute(select(s.entries).where(s.entries.c.leaf_index == leaf_index))
                .mappings()
                .first()
            )
            if r is None:
                return None
            data = leaves_at(c, [leaf_index])[leaf_index]
        return {**r, "data": data, "leaf_hash": hashlib.sha256(b"\x00" + data).digest()}

    def key_is_demo(self, key_id: str) -> bool | None:
        """Whether a registered key is a labelled demo key (None: not registered, e.g.
        the administrator anchor before its own registration)."""
        with self.engine.connect() as c:
            demo = c.execute(select(s.keys.c.demo).where(s.keys.c.key_id == key_id)).first()
        return None if demo is None else bool(demo[0])

    def entries_range(self, start: int, end: int) -> list[bytes]:
        """Leaf data for indexes [start, end)."""
        with self.engine.connect() as c:
            return leaves_range(c, start, end)

    def entries_data(self, leaves: Sequence[int]) -> dict[int, bytes]:
        """Leaf data for the given leaf indexes."""
        with self.engine.connect() as c:
            return leaves_at(c, leaves)

    def counts_by(self, *columns: str, history: bool = False) -> list[dict[str, Any]]:
        """Current results (not retracted; every version with ``history``) counted by the
        given measurement columns."""
        m = s.measurements
        cols = [m.c[c] for c in columns]
        stmt = selection(Query(history=history), [*cols, func.count().label("n")])
        stmt = stmt.group_by(*cols).order_by(*cols)
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(stmt).mappings()]

    def latest_checkpoint_note(self) -> str | None:
        """The newest signed checkpoint, as served."""
        with self.engine.connect() as c:
            return c.execute(
                select(s.checkpoints.c.note).order_by(s.checkpoints.c.size.desc()).limit(1)
            ).scalar_one_or_none()

    def imports(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [
                dict(r) for r in c.execute(select(s.imports).order_by(s.imports.c.id)).mappings()
            ]

    def tree_size(self, conn: Connection | None = None) -> int:
        """Number of leaves in the log (leaf indexes are 0..n-1 with no gaps)."""
        if conn is not None:
            return tree_size(conn)
        with self.engine.connect() as c:
            return tree_size(c)

    def next_seqs(self, conn: Connection, submitters: Sequence[str]) -> dict[str, int]:
        """The next sequence number each submitter must use."""
        # One indexed MAX per submitter (ix_entries_submitter_seq): a GROUP BY over all
        # entries made every append scan the whole log.
        out = {}
        for sub in submitters:
            got = conn.execute(
                select(func.max(s.entries.c.seq)).where(s.entries.c.submitter == sub)
            ).scalar_one_or_none()
            out[sub] = 0 if got is None else int(got) + 1
        return out


def _dicts(result: Any) -> list[dict[str, Any]]:
    """Index rows (a result, or a list of its rows) as dicts, times in UTC and
    ``retracted`` a bool (zipping the keys once costs half of what a mapping per row
    does, on a page of 100 rows)."""
    if not result:
        return []
    keys = list(result.keys() if hasattr(result, "keys") else result[0]._fields)
    times = [i for i, k in enumerate(keys) if k in ("sampled_at", "reference_date")]
    flag = keys.index("retracted") if "retracted" in keys else None
    out = []
    for row in result:
        values = list(row)
        for i in times:
            values[i] = as_utc(values[i])
        if flag is not None:
            values[flag] = bool(values[flag])
        out.append(dict(zip(keys, values, strict=True)))
    return out
