"""The read model: what the API, the dashboard and the reports read: stations, series, limits.

The JSON endpoints and the HTML pages are two faces of the same questions, so the answers
are computed here once. Everything that touches many rows is an SQL aggregate in the store
(``counts_by``, ``count``) or is cached per *tree size*: the log is append-only, so a
result computed at tree size ``n`` stays right until a new leaf arrives, and the cache
key changes by itself when one does.
"""

from __future__ import annotations

import threading
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from seawitness.analysis.baseline import DISCHARGE_START
from seawitness.analysis.limits import (
    Classification,
    Evaluation,
    LowConfidenceWarning,
    RuleSet,
    RuleSetError,
    evaluate_all,
    list_rule_sets,
    load_rules,
)
from seawitness.export import bulk
from seawitness.harmonize.units import ConversionError, conversion_factor
from seawitness.model import Measurement
from seawitness.model.records import Detection
from seawitness.model.times import format_utc
from seawitness.model.zones import OUTLET, ZONE_OUTLET, ZONE_SQUARE, ZONE_UNKNOWN
from seawitness.service.cache import SizeCache
from seawitness.service.cursor import CursorCodec
from seawitness.service.params import BadParameter, NotFound, make_query, resolve
from seawitness.store.log import latest_checkpoint, tile_reader
from seawitness.store.records import measurement_from_index, record_of
from seawitness.store.store import Query, Store
from seawitness.tlog.tiles import TileHashReader

#: What a record signed by a demo key says, wherever it is shown.
DEMO_KEY_NOTE = (
    "signed by a DEMO key held by this seawitness instance, not by the organisation: "
    "it shows what the instance logged, not that the organisation signed it"
)

__all__ = [
    "DISCHARGE_START",
    "SEA_RULES",
    "Service",
    "form_of",
    "iso",
    "outlet",
    "point",
    "unit_of",
]

T = TypeVar("T")

#: Rule set whose levels are drawn on station charts (TEPCO sea-area tritium levels).
SEA_RULES = "jp-tepco-sea"


@dataclass
class Service:
    """Read-only questions about one log and its store, answered fast enough for a page.

    :param store: the instance's store.
    :param origin: the log's origin (the name its checkpoints carry).
    :param bulk_dir: the folder of the instance's bulk files (:mod:`seawitness.export.bulk`).
    """

    store: Store
    origin: str
    cache: SizeCache
    bulk_dir: Path | None = None  # where the instance keeps its bulk files
    #: Set while the start-up warm-up fills the caches (see :meth:`soon`).
    warming: threading.Event = field(default_factory=threading.Event, repr=False)
    _soon: dict[str, Future[Any]] = field(default_factory=dict, repr=False)
    _soon_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, store: Store, origin: str, bulk_dir: Path | None = None) -> Service:
        return cls(store, origin, SizeCache(), bulk_dir)

    def tree_size(self) -> int:
        return self.store.tree_size()

    def cached(self, key: Any, compute: Callable[[], T]) -> T:
        return self.cache.get(self.tree_size(), key, compute)

    # -- bulk files ---------------------------------------------------------------------
    def bulk_files(self) -> list[bulk.BulkFile]:
        """The instance's finished bulk files, newest checkpoint first."""
        return bulk.listing(self.bulk_dir)

    def bulk_for(self, q: Query, fmt: str) -> bulk.BulkFile | None:
        """The bulk file that holds exactly what the download ``q`` in ``fmt`` would
        stream: a file of the current checkpoint, when ``q`` asks for the whole current
        dataset in time order (no filter, limit or offset) and one was built."""
        if q != Query() or fmt not in bulk.FORMATS:
            return None
        return bulk.find(self.bulk_dir, fmt, self.tree_size())

    def _in_background(self, name: str, get: Callable[[], T]) -> Future[T]:
        """``get()`` in a thread of its own, or the one already under way for ``name``:
        however many requests ask, one computation per name at a time."""
        with self._soon_lock:
            fut = self._soon.get(name)
            if fut is None:
                fut = self._soon[name] = Future()

                def run(fut: Future[Any] = fut) -> None:
                    try:
                        fut.set_result(get())
                    except BaseException as exc:  # handed to whoever waits for it
                        fut.set_exception(exc)
                    finally:
                        with self._soon_lock:
                            self._soon.pop(name, None)

                threading.Thread(target=run, name=f"soon-{name}", daemon=True).start()
        return fut

    def soon(self, name: str, get: Callable[[], T], wait: float) -> T | None:
        """``get()``, but while the start-up warm-up runs, no longer than ``wait`` seconds.

        Outside the warm-up this is ``get()``. During it, a value that is not cached yet
        is computed in a background thread (or the computation already under way for
        ``name`` is joined); if it is not ready within ``wait`` seconds, None, and the
        page says "being computed" instead of keeping its visitor waiting for seconds
        of aggregates over a large index. The thread goes on and fills the cache.
        """
        if not self.warming.is_set():
            return get()
        fut = self._in_background(name, get)
        try:
            return fut.result(timeout=max(0.0, wait))
        except TimeoutError:
            return None

    # -- the log ----------------------------------------------------------------------
    def log_info(self) -> dict[str, Any]:
        """Origin, tree size, latest checkpoint and the log's public key."""

        def compute() -> dict[str, Any]:
            note = self.store.latest_checkpoint_note()
            size = root = None
            if note:
                lines = note.split("\n")
                size, root = int(lines[1]), lines[2]
            return {
                "origin": self.origin,
                "tree_size": self.tree_size(),
                "checkpoint": {"size": size, "root_hash": root, "note": note},
                "log_public_key": self.store.get_meta("log_vkey"),
            }

        return self.cached("log", compute)

    # -- stations ---------------------------------------------------------------------
    def stations(self) -> list[dict[str, Any]]:
        """Every station with its result count, cached per tree size."""
        return self.cached("stations", self.store.stations)

    def station(self, org: str, code: str) -> dict[str, Any]:
        for st in self.stations():
            if st["org"] == org and st["code"] == code:
                return st
        raise NotFound(f"no station {code!r} of {org!r}")

    def query(self, **params: Any) -> Query:
        """:func:`~seawitness.service.params.make_query`, with ``org`` matched to a known
        organisation whatever its case (``tepco``) and ``station`` to a known code, so
        that a misspelt filter is a 400 that lists the accepted values, never an empty
        answer that looks like "no data"."""
        keys = self.cached("station_keys", self.store.station_keys)
        org = resolve(
            "org", params.pop("org", None), {o.lower(): o for o, _ in keys}, "organisation"
        )
        station = params.pop("station", None)
        if station:
            codes = {c for _, c in keys}
            if station not in codes:
                folded = {c.lower(): c for c in codes}
                if station.strip().lower() not in folded:
                    raise BadParameter(
                        "station",
                        f"unknown station {station!r}; /api/v1/stations lists the "
                        f"{len(codes)} known codes",
                    )
                station = folded[station.strip().lower()]
        return make_query(org=org, station=station, **params)

    def cursors(self) -> CursorCodec:
        """The codec of this database's page cursors (its key is in ``meta``)."""
        return self.cached(
            "cursor_codec", lambda: CursorCodec.for_key(self.store.get_meta("cursor_key"))
        )

    def page(self, q: Query, cursor: str | None, count: bool) -> dict[str, Any]:
        """One page of results after ``cursor`` (keyset pagination), with the cursor of
        the next page and, when asked or free, the number of matches.

        ``total`` is counted only with ``count`` (a count reads every match; a page reads
        only its rows), or taken from the cached summary when nothing is filtered."""
        limit = q.limit or 100
        size = self.tree_size()
        if cursor:
            q = replace(q, after=self.cursors().read(cursor, q, size), offset=0)
        rows = self.store.measurements(replace(q, limit=limit + 1))
        more = len(rows) > limit
        rows = rows[:limit]
        nxt = None
        if more:
            last = rows[-1]
            nxt = self.cursors().make(q, last["sampled_at"], last["leaf_index"], size)
        total = None
        if count:
            total = self.cached(
                ("count", replace(q, limit=None, offset=0, after=None, descending=False)),
                lambda: self.store.count(q),
            )
        elif replace(q, limit=None, offset=0, after=None, descending=False) == Query():
            total = self.summary()["results"]
        return {"rows": rows, "next_cursor": nxt, "total": total}

    def zones(self) -> dict[str, str]:
        """Station code → zone, for the limits engine (codes shared by two orgs agree)."""
        return {st["code"]: st["zone"] for st in self.stations() if st["zone"] != ZONE_UNKNOWN}

    # -- summaries ----------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Counts of current results by organisation, medium, nuclide and detection code."""

        def compute() -> dict[str, Any]:
            st = self.stations()
            # one scan of the index, not one per breakdown: the finest grouping is a few
            # dozen rows, and every coarser count is a sum of them
            cols = ("org", "medium", "nuclide", "detection")
            by: dict[str, dict[Any, int]] = {c: defaultdict(int) for c in (*cols, "org_medium")}
            for r in self.store.counts_by(*cols):
                for c in cols:
                    by[c][r[c]] += r["n"]
                by["org_medium"][(r["org"], r["medium"])] += r["n"]
            out = {c: dict(sorted(by[c].items())) for c in cols}
            return {
                "tree_size": self.tree_size(),
                "results": sum(out["org"].values()),
                "stations": len(st),
                "stations_without_coordinates": sum(1 for s in st if not s["coords_known"]),
                "organisations": len(out["org"]),
                "by_org": out["org"],
                "by_medium": out["medium"],
                "by_nuclide": out["nuclide"],
                "by_detection": out["detection"],
                "by_org_medium": [
                    {"org": o, "medium": m, "n": n}
                    for (o, m), n in sorted(by["org_medium"].items())
                ],
            }

        return self.cached("summary", compute)

    # -- records --------------------------------------------------------------------------
    def history(self, leaf_index: int) -> list[dict[str, Any]]:
        versions = self.store.history(leaf_index)
        if not versions:
            raise NotFound(f"leaf {leaf_index} is not a measurement in this log")
        return versions

    def entry(self, leaf_index: int) -> dict[str, Any]:
        """The logged entry (signed envelope) of a leaf, with its record decoded."""
        e = self.store.entry(leaf_index)
        if e is None:
            raise NotFound(f"leaf {leaf_index} is not in this log")
        data = bytes(e["data"])
        demo = self.store.key_is_demo(str(e["key_id"]))
        return {
            "leaf_index": leaf_index,
            "kind": e["kind"],
            "submitter": e["submitter"],
            "key_id": e["key_id"],
            "key_demo": demo,
            "key_note": DEMO_KEY_NOTE if demo else None,
            "record_id": e["record_id"],
            "leaf_hash": bytes(e["leaf_hash"]).hex(),
            "entry": data.decode("utf-8"),
            "record": record_of(data),
        }

    def proof(self, leaf_index: int) -> dict[str, Any]:
        """RFC 9162 inclusion proof of a leaf in the latest signed checkpoint."""
        with self.store.engine.connect() as conn:
            last = latest_checkpoint(conn)
            if last is None or not 0 <= leaf_index < last[0]:
                raise NotFound(f"leaf {leaf_index} is not covered by a signed checkpoint yet")
            size, root, note = last
            path = TileHashReader(size, tile_reader(conn)).inclusion_proof(leaf_index)
        e = self.store.entry(leaf_index)
        assert e is not None
        return {
            "leaf_index": leaf_index,
            "tree_size": size,
            "leaf_hash": bytes(e["leaf_hash"]).hex(),
            "root_hash": root.hex(),
            "inclusion_proof": [h.hex() for h in path],
            "checkpoint": note,
        }

    # -- series and levels ----------------------------------------------------------------
    def station_results(self, org: str, code: str) -> list[dict[str, Any]]:
        """Current results of one station, oldest first (read whole and cached: a station
        page reads them all)."""
        self.station(org, code)
        return self.cached(
            ("station_results", org, code),
            lambda: self.store.measurements(Query(station=code, org=org)),
        )

    def series(
        self,
        org: str,
        code: str,
        nuclide: str,
        medium: str | None = None,
        depth: str | None = None,
    ) -> dict[str, Any]:
        """A station's results for one nuclide (tritium: one form), in one harmonized unit,
        with the TEPCO levels.

        Results are grouped by the index's harmonized unit and tritium form
        (:mod:`seawitness.model.harmonized`), so ``Bq/kg-fresh`` and ``Bq/kg`` of one
        programme are one series; ``depth`` keeps one layer class (surface, mid, bottom).
        """
        st = self.station(org, code)
        rows = [r for r in self.station_results(org, code) if form_of(r) == nuclide]
        if medium:
            rows = [r for r in rows if r["medium"] == medium]
        if depth:
            rows = [r for r in rows if r.get("depth_class") == depth]
        if not rows:
            raise NotFound(f"station {code!r} of {org!r} has no {nuclide} results")
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            groups[(r["medium"], unit_of(r), r["basis"])].append(r)
        (med, unit, basis), pts = max(groups.items(), key=lambda kv: len(kv[1]))
        return {
            "station": {k: st[k] for k in ("org", "code", "name", "lat", "lon", "zone")},
            "nuclide": nuclide,
            "medium": med,
            "unit": unit,
            "basis": basis,
            "units_as_written": sorted({r["unit"] for r in pts}),
            "other_units": [
                {"medium": m, "unit": u, "basis": b, "n": len(v)}
                for (m, u, b), v in groups.items()
                if (m, u, b) != (med, unit, basis)
            ],
            "points": [point(r) for r in pts],
            "levels": self.levels(st["zone"], nuclide, med, unit, basis),
        }

    def levels(
        self, zone: str, nuclide: str, medium: str, unit: str, basis: str
    ) -> list[dict[str, Any]]:
        """The TEPCO sea-area levels that apply in ``zone``, expressed in ``unit``."""
        rs = self.rule_set(SEA_RULES)
        out = []
        for rule in rs.rules:
            if rule.aggregation != "single" or rule.nuclides[0] != nuclide:
                continue
            if medium not in {m.value for m in rule.media}:
                continue
            if rule.zones is not None and zone not in rule.zones:
                continue
            try:
                f = conversion_factor(
                    rule.unit, unit, nuclide=nuclide, basis=rule.basis, to_basis=basis
                )
            except ConversionError:
                continue
            out.append(
                {
                    "rule_id": rule.id,
                    "level": rule.level,
                    "title": rule.title,
                    "limit": rule.limit * f,
                    "unit": unit,
                    "source": rule.source,
                    "confidence": rule.confidence,
                    "low_confidence": rule.low_confidence,
                }
            )
        return sorted(out, key=lambda d: d["limit"])

    # -- limits -------------------------------------------------------------------------
    def rule_set(self, name: str) -> RuleSet:
        """A bundled rule set; its low-confidence warning is data here, not a log line."""
        if name not in list_rule_sets():
            raise BadParameter(
                "rule_set", f"unknown rule set {name!r}; one of {', '.join(list_rule_sets())}"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LowConfidenceWarning)
            try:
                return load_rules(name)
            except RuleSetError as exc:  # a broken bundled file: a server fault, say which
                raise RuntimeError(str(exc)) from None  # not bad input: our own file

    def evaluated(
        self,
        rs: RuleSet,
        media: list[str],
        keep: Callable[[dict[str, Any]], bool],
        record: Callable[[dict[str, Any]], Measurement] = measurement_from_index,
        nuclide: str | None = None,
    ) -> Iterator[tuple[list[dict[str, Any]], list[Measurement], list[Evaluation]]]:
        """The current results of ``media`` that ``keep`` keeps, as index rows, records
        (``record`` of each row) and their evaluations against ``rs``, a batch of samples
        at a time; ``nuclide`` narrows the reading to one nuclide in SQL.

        Each batch holds whole samples (:meth:`Store.measurement_batches`), so sums over
        a sample's results come out as from one call over everything, and memory stays
        bounded by the batch, not by the table: evaluating ten million results at once
        held them all as records and evaluations (gigabytes) for a page of counts."""
        zones = self.zones()
        for medium in media:
            for rows in self.store.measurement_batches(Query(medium=medium, nuclide=nuclide)):
                rows = [r for r in rows if keep(r)]
                ms = [record(r) for r in rows]
                yield rows, ms, evaluate_all(ms, rs, zones=zones)

    def limits(self, name: str) -> dict[str, Any]:
        """Current results evaluated against one rule set: counts per class and per rule."""
        rs = self.rule_set(name)
        media = sorted({m.value for r in rs.rules if r.evaluated for m in r.media})
        nuclides = {n for r in rs.rules if r.evaluated for n in r.all_nuclides}
        order = [c.value for c in Classification]  # exceeds first

        def compute() -> dict[str, Any]:
            per_rule: dict[str, dict[str, int]] = defaultdict(lambda: {c: 0 for c in order})
            highest: dict[str, list[Evaluation]] = defaultdict(list)
            counts = {c: 0 for c in order}
            by_result = {c: 0 for c in order}
            n_evs = n_results = 0
            # one nuclide (TEPCO's sea levels: tritium) is read alone; several are read
            # together, medium by medium, so that a sample's results meet in its sums
            only = next(iter(nuclides)) if len(nuclides) == 1 else None
            batches = self.evaluated(rs, media, lambda r: r["nuclide"] in nuclides, nuclide=only)
            for _rows, _ms, evs in batches:
                n_evs += len(evs)
                worst_rank: dict[str, int] = {}  # a result's evaluations share its batch
                for e in evs:
                    per_rule[e.rule_id][e.classification.value] += 1
                    counts[e.classification.value] += 1
                    if e.ratio is not None:
                        highest[e.rule_id].append(e)
                    rank = order.index(e.classification.value)
                    for m in e.inputs:
                        worst_rank[m.id] = min(worst_rank.get(m.id, rank), rank)
                for rule_id, es in highest.items():  # the five highest so far, in order
                    highest[rule_id] = sorted(es, key=lambda e: -(e.ratio or 0))[:5]
                for rank in worst_rank.values():
                    by_result[order[rank]] += 1
                n_results += len(worst_rank)
            rules = [
                {
                    "rule_id": r.id,
                    "title": r.title,
                    "level": r.level,
                    "limit": r.limit,
                    "unit": r.unit,
                    "confidence": r.confidence,
                    "low_confidence": r.uses_low_confidence,
                    "source": r.source,
                    "numbers": [n.to_dict() for n in r.numbers()],
                    "counts": dict(per_rule[r.id]),
                    "highest": [e.to_dict() for e in highest.get(r.id, [])],
                }
                for r in rs.rules
                if r.evaluated
            ]
            return {
                "rule_set": rs.id,
                "title": rs.title,
                "jurisdiction": rs.jurisdiction,
                "tree_size": self.tree_size(),
                "evaluations": n_evs,
                "counts": counts,
                "results": n_results,
                "counts_by_result": by_result,
                "rules": rules,
                "low_confidence_numbers": rs.low_confidence_numbers(),
            }

        return self.cached(("limits", rs.id), compute)

    def limits_if_ready(self, name: str) -> dict[str, Any] | None:
        """The evaluation if it is cached; otherwise start it in the background and return
        None, so a page can say "being computed" instead of making a visitor wait."""
        rs = self.rule_set(name)
        got = self.cache.peek(self.tree_size(), ("limits", rs.id))
        if got is None:  # one computation per rule set, however many visitors ask
            self._in_background(f"limits-{rs.id}", lambda: self.limits(name))
        return got

    def latest_near_outlet(self, per_station: int = 1) -> list[dict[str, Any]]:
        """The newest seawater tritium result at each station near the outlet (the 3 km
        vicinity and the 10 km square), each classified against the TEPCO levels."""

        def compute() -> list[dict[str, Any]]:
            near = [
                s
                for s in self.stations()
                if s["zone"] in (ZONE_OUTLET, ZONE_SQUARE) and s["coords_known"]
            ]
            if not near:
                return []
            bbox = (
                min(s["lon"] for s in near) - 1e-6,
                min(s["lat"] for s in near) - 1e-6,
                max(s["lon"] for s in near) + 1e-6,
                max(s["lat"] for s in near) + 1e-6,
            )
            keys = {(s["org"], s["code"]): s for s in near}
            q = Query(nuclide="H-3", medium="seawater", bbox=bbox, limit=1500, descending=True)
            latest: dict[tuple[str, str], dict[str, Any]] = {}
            for r in self.store.measurements(q):
                if (r["org"], r["station"]) in keys:
                    latest.setdefault((r["org"], r["station"]), r)  # newest first
            rows = sorted(latest.values(), key=lambda r: r["sampled_at"], reverse=True)
            ms = [measurement_from_index(r) for r in rows]
            evs = evaluate_all(ms, self.rule_set(SEA_RULES), zones=self.zones())
            by_record: dict[str, list[Any]] = defaultdict(list)
            for e in evs:
                by_record[e.inputs[0].id].append(e)
            out = []
            for r, m in zip(rows, ms, strict=True):
                es = by_record.get(m.id, [])
                out.append(
                    {
                        **point(r),
                        "org": r["org"],
                        "station": r["station"],
                        "zone": keys[(r["org"], r["station"])]["zone"],
                        "unit": r["unit"],
                        "evaluations": [
                            {"level": e.level, "limit": e.limit, "class": e.classification.value}
                            for e in sorted(es, key=lambda e: e.limit)
                        ],
                    }
                )
            return out

        return self.cached("latest_near_outlet", compute)


def form_of(r: dict[str, Any]) -> str:
    """The nuclide of an index row, tritium by form (rows indexed before migration 0005
    have no harmonized columns until it runs, so fall back to what the source wrote)."""
    return str(r.get("nuclide_form") or r["nuclide"])


def unit_of(r: dict[str, Any]) -> str:
    """The harmonized unit of an index row (see :func:`form_of`)."""
    return str(r.get("harmonized_unit") or r["unit"])


def point(r: dict[str, Any]) -> dict[str, Any]:
    """One result as a chart point: a non-detect keeps its limit, never a value."""
    det = r["detection"]
    detected = det in (Detection.DETECTED.value, Detection.DERIVED.value)
    limit = r["value"] if det == Detection.BELOW_LIMIT.value else r.get("detection_limit")
    return {
        "leaf_index": r["leaf_index"],
        "sampled_at": iso(r["sampled_at"]),
        "detection": det,
        "value": r["value"] if detected else None,
        "uncertainty": r.get("uncertainty") if detected else None,
        "detection_limit": limit,
        "analysis": r.get("analysis"),
        "depth": r.get("depth"),
        "depth_class": r.get("depth_class"),
        "unit": r.get("unit"),
        "version": r.get("version"),
    }


def iso(t: datetime | None) -> str | None:
    return None if t is None else format_utc(t)


def outlet() -> tuple[float, float]:
    """The estimated outlet position (LOW confidence, see :mod:`seawitness.model.zones`)."""
    return OUTLET
