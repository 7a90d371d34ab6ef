"""The records everything else is built on: stakeholders, stations, samples, measurements.

A :class:`Measurement` is the unit that is signed and put in the log: one result for one
nuclide in one sample. It carries the sample's description with it (medium, species,
tissue, station, sampling time, depth), because most public sources (ORBS, the NRA
workbook) publish no sample ids; where a lab does give one, ``sample_id`` holds it and
*split samples* (one physical sample analysed by several labs) share it.

Detection codes follow MARIS (IAEA Marine Radioactivity Information System,
``dbo_detectlimit``):

* ``=``  detected; ``value`` is the result, ``uncertainty`` its standard uncertainty.
* ``<``  below the detection limit; ``value`` *is* the detection limit.
* ``ND`` not detected and no limit reported; ``value`` is None.
* ``DE`` derived from other results (e.g. a sum).

A non-detect is never stored as a number that pretends to be a result.

Uncertainties are stored as standard uncertainties (k = 1, GUM); the coverage factor the
lab reported is kept so the original statement can be reconstructed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from seawitness.errors import InputError
from seawitness.model.canonical import FAST_JSON, canonical_bytes, record_id
from seawitness.model.nuclides import normalize_nuclide
from seawitness.model.times import format_utc, parse_instant
from seawitness.model.units import check_unit

MEASUREMENT_SCHEMA = "seawitness/measurement/v1"
CORRECTION_SCHEMA = "seawitness/correction/v1"


class Detection(StrEnum):
    """MARIS detection code."""

    DETECTED = "="
    BELOW_LIMIT = "<"
    NOT_DETECTED = "ND"
    DERIVED = "DE"


class Medium(StrEnum):
    SEAWATER = "seawater"
    FISH = "fish"
    SHELLFISH = "shellfish"
    SEAWEED = "seaweed"
    SEDIMENT = "sediment"
    SUSPENDED_MATTER = "suspended_matter"
    BIOTA = "biota"
    DRINKING_WATER = "drinking_water"
    TREATED_WATER = "treated_water"


class Basis(StrEnum):
    """What the activity is expressed per: litre of water, kg wet (fresh) or kg dry mass."""

    WATER = "water"
    WET = "wet"
    DRY = "dry"


class Analysis(StrEnum):
    """TEPCO publishes a quick *rapid* analysis and later a *precise* one of the same sample."""

    RAPID = "rapid"
    PRECISE = "precise"


class RecordError(InputError):
    """A record that breaks a rule of the model; ``field`` names the offending field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.reason = message


# The map the dashboard draws and the importers accept: the North Pacific around Japan
# widely (MARIS holds Pacific-wide data). Outside it is almost certainly a typo.
MAP_BOUNDS = (-90.0, 90.0, -180.0, 180.0)


def check_coordinates(lat: float | None, lon: float | None) -> None:
    """Reject coordinates that are not on the Earth (e.g. a degree typed 337 for 37)."""
    if lat is None and lon is None:
        return
    if lat is None or lon is None:
        raise RecordError("lat" if lat is None else "lon", "both coordinates or neither")
    if not (MAP_BOUNDS[0] <= lat <= MAP_BOUNDS[1]):
        raise RecordError("lat", f"latitude {lat} is outside -90..90")
    if not (MAP_BOUNDS[2] <= lon <= MAP_BOUNDS[3]):
        raise RecordError("lon", f"longitude {lon} is outside -180..180")


def parse_utc(s: str, field: str = "time") -> datetime:
    """Parse an ISO 8601 date-time that carries its zone, and return it in UTC."""
    return parse_instant(s, field=field, naive=None, allow_date=False)


@dataclass(frozen=True, slots=True)
class Stakeholder:
    """A party that submits, publishes or witnesses: a lab, programme, regulator, witness."""

    id: str  # short stable id, e.g. "TEPCO", "NRA", "KINS"
    name: str
    country: str | None = None  # ISO 3166-1 alpha-2
    kind: str = "lab"  # lab | programme | regulator | witness | operator


@dataclass(frozen=True, slots=True)
class Station:
    """A sampling location. ``coords_known`` is False where the source gives none."""

    code: str
    org: str
    name: str | None = None
    lat: float | None = None
    lon: float | None = None
    zone: str | None = None  # outlet-3km | square-10km | offshore | unknown
    source: str | None = None

    def __post_init__(self) -> None:
        check_coordinates(self.lat, self.lon)

    @property
    def coords_known(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True, slots=True)
class Measurement:
    """One result for one nuclide in one sample; the unit that is signed and logged."""

    org: str
    station: str
    medium: Medium
    sampled_at: datetime
    nuclide: str
    detection: Detection
    value: float | None
    unit: str
    basis: Basis
    uncertainty: float | None = None
    coverage_factor: float | None = None
    detection_limit: float | None = None
    depth: str | None = None
    depth_m: float | None = None
    species: str | None = None
    tissue: str | None = None
    sample_id: str | None = None
    replicate: int = 0
    analysis: Analysis | None = None
    method: str | None = None
    lab: str | None = None
    reference_date: datetime | None = None
    source_tz: str = "UTC"
    source: str | None = None
    note: str | None = None
    lat: float | None = None
    lon: float | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check the record's own rules; raise :class:`RecordError` naming the field."""
        if not self.org:
            raise RecordError("org", "an organisation is required")
        if not self.station:
            raise RecordError("station", "a station code is required")
        for name, longest in MAX_TEXT.items():
            v = getattr(self, name)
            if v is not None and (len(v) > longest or not v.isprintable()):
                raise RecordError(name, f"must be at most {longest} printable characters")
        if self.sampled_at.tzinfo is None:
            raise RecordError("sampled_at", "must carry a time zone (stored in UTC)")
        if not (1945 <= self.sampled_at.year <= 2200):
            raise RecordError("sampled_at", f"impossible date {self.sampled_at.date()}")
        try:
            if normalize_nuclide(self.nuclide) != self.nuclide:
                raise RecordError(
                    "nuclide", f"{self.nuclide!r} is not canonical; use normalize_nuclide()"
                )
        except ValueError as exc:
            if isinstance(exc, RecordError):
                raise
            raise RecordError("nuclide", str(exc)) from None
        for name in ("value", "uncertainty", "coverage_factor", "detection_limit", "depth_m"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise RecordError(name, f"must be a finite number, not {v}")
        d = self.detection
        if d in (Detection.DETECTED, Detection.DERIVED) and self.value is None:
            raise RecordError("value", f"a result with detection {d.value!r} needs a value")
        if d == Detection.BELOW_LIMIT:
            if self.value is None:
                raise RecordError("value", "'<' needs the detection limit as its value")
            if self.value <= 0:
                raise RecordError("value", f"detection limit must be positive, got {self.value}")
        if d == Detection.NOT_DETECTED and self.value is not None:
            raise RecordError("value", "'ND' carries no value; use '<' with the limit")
        if self.detection_limit is not None and self.detection_limit <= 0:
            raise RecordError("detection_limit", f"must be positive, got {self.detection_limit}")
        if self.uncertainty is not None and self.uncertainty < 0:
            raise RecordError("uncertainty", f"must not be negative, got {self.uncertainty}")
        if self.coverage_factor is not None and self.coverage_factor <= 0:
            raise RecordError("coverage_factor", "must be positive")
        why = check_unit(self.medium._value_, self.nuclide, self.unit, self.basis._value_)
        if why:
            raise RecordError("unit", why)
        check_coordinates(self.lat, self.lon)

    # -- identity -------------------------------------------------------------------
    def natural_key(self) -> tuple[str, ...]:
        """What identifies "the same result" across downloads of a source with no ids.

        (organisation, station, depth, sampling time, analysis type, medium, species,
        tissue, nuclide, unit, basis, replicate): a later download that changes the value
        for this key is a *revision* of the result, not a new one.
        """
        return (
            self.org,
            self.station,
            self.depth or "",
            format_utc(self.sampled_at),
            self.analysis._value_ if self.analysis else "",
            self.medium._value_,
            self.species or "",
            self.tissue or "",
            self.nuclide,
            self.unit,
            self.basis._value_,
            str(self.replicate),
            self.sample_id or "",
        )

    # -- canonical form ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the schema version; None fields are left out."""
        return self._json_dict()[0]

    def _json_dict(self) -> tuple[dict[str, Any], bool]:
        """:meth:`to_dict`, and whether ``json.dumps`` writes it as RFC 8785 does (see
        :meth:`canonical`). One pass over the fields, by a kind fixed per field: this
        runs for every record of every import."""
        out: dict[str, Any] = {"schema": MEASUREMENT_SCHEMA}
        fast = True
        for name, kind in _FIELD_KINDS:
            v = getattr(self, name)
            if v is None:
                continue
            if kind is _PLAIN:
                out[name] = v
            elif kind is _NUMBER:
                if type(v) is float:
                    if v.is_integer() and abs(v) < 2**53:
                        v = int(v)  # RFC 8785 writes 52.0 as 52; from_dict reads a float
                    elif v.is_integer() or "e" in repr(v):
                        fast = False
                out[name] = v
            elif kind is _ENUM:
                out[name] = getattr(v, "_value_", v)
            elif kind is _TIME:
                out[name] = format_utc(v)
            elif kind is _REPLICATE:
                if v != 0:
                    out[name] = v
            elif v:  # extra
                out[name] = v
                if not all(k.isascii() for k in v):
                    fast = False
        return out, fast

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Measurement:
        """Inverse of :meth:`to_dict`, strict: every field has its one JSON type (a
        boolean is never a number, a string never a number), unknown fields and wrong
        schemas are errors, and each error names its field."""
        if not isinstance(d, dict):
            raise RecordError("record", f"must be a JSON object, not {type(d).__name__}")
        if d.get("schema") != MEASUREMENT_SCHEMA:
            raise RecordError("schema", f"expected {MEASUREMENT_SCHEMA!r}, got {d.get('schema')!r}")
        unknown = set(d) - _FIELD_NAMES - {"schema"}
        if unknown:
            raise RecordError(sorted(unknown)[0], "unknown field")
        for name in _REQUIRED:
            if d.get(name) is None:
                raise RecordError(name, "required field missing")
        kw: dict[str, Any] = {}
        for k, v in d.items():
            if k == "schema" or v is None:
                continue
            kind = _JSON_KIND[k]
            if kind is str and type(v) is not str:
                raise RecordError(k, f"must be a string, not {_json_name(v)}")
            if kind is float:
                if type(v) not in (int, float):
                    raise RecordError(k, f"must be a number, not {_json_name(v)}")
                v = float(v)
            if kind is int and (type(v) is not int or not 0 <= v < 2**31):
                raise RecordError(k, f"must be an integer 0..2147483647, not {_json_name(v)}")
            if kind is dict and (
                type(v) is not dict
                or not all(type(x) is str and type(y) is str for x, y in v.items())
            ):
                raise RecordError(k, "must be an object of strings")
            kw[k] = v
        kw.setdefault("value", None)  # a non-detect without a limit carries no value
        try:
            for k in ("sampled_at", "reference_date"):
                if k in kw:
                    kw[k] = parse_utc(kw[k], k)
            kw["medium"] = _enum(Medium, "medium", kw["medium"])
            kw["detection"] = _enum(Detection, "detection", kw["detection"])
            kw["basis"] = _enum(Basis, "basis", kw["basis"])
            if "analysis" in kw:
                kw["analysis"] = _enum(Analysis, "analysis", kw["analysis"])
        except RecordError:
            raise
        except InputError as exc:
            raise RecordError(exc.where or "record", str(exc)) from None
        return cls(**kw)

    def canonical(self) -> bytes:
        """RFC 8785 bytes of :meth:`to_dict`: what is signed and hashed.

        The dict is flat (plus ``extra``, a str→str map), so unless a float needs an
        exponent or is integral beyond 2**53, or ``extra`` has a non-ASCII key,
        ``json.dumps`` with sorted keys gives the RFC 8785 bytes directly (see
        :func:`seawitness.model.canonical._fast_form`).
        """
        d, fast = self._json_dict()
        return FAST_JSON.encode(d).encode("utf-8") if fast else canonical_bytes(d)

    @property
    def id(self) -> str:
        return record_id(self.canonical())

    def replace(self, **changes: Any) -> Measurement:
        d = asdict(self)
        d.update(changes)
        return Measurement(**d)


_MEASUREMENT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Measurement))

_PLAIN, _NUMBER, _ENUM, _TIME, _REPLICATE, _EXTRA = (object() for _ in range(6))
_FIELD_KINDS: tuple[tuple[str, object], ...] = tuple(
    (
        name,
        _NUMBER
        if name
        in {"value", "uncertainty", "coverage_factor", "detection_limit", "depth_m", "lat", "lon"}
        else _ENUM
        if name in {"medium", "detection", "basis", "analysis"}
        else _TIME
        if name in {"sampled_at", "reference_date"}
        else _REPLICATE
        if name == "replicate"
        else _EXTRA
        if name == "extra"
        else _PLAIN,
    )
    for name in _MEASUREMENT_FIELDS
)


_FIELD_NAMES = frozenset(_MEASUREMENT_FIELDS)
_REQUIRED = ("org", "station", "medium", "sampled_at", "nuclide", "detection", "unit", "basis")
_NUMBER_FIELDS = (
    "value",
    "uncertainty",
    "coverage_factor",
    "detection_limit",
    "depth_m",
    "lat",
    "lon",
)
_JSON_KIND: dict[str, type] = {
    name: float
    if name in _NUMBER_FIELDS
    else int
    if name == "replicate"
    else dict
    if name == "extra"
    else str
    for name in _MEASUREMENT_FIELDS
}
#: Widths of the indexed text columns (the store's schema); longer text is refused here,
#: so no database can be made to fail on it.
MAX_TEXT = {"org": 64, "station": 128, "nuclide": 32, "unit": 32, "lab": 64}


def _json_name(v: Any) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(v), type(v).__name__)


def _enum(cls: Any, name: str, v: str) -> Any:
    try:
        return cls(v)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in cls)
        raise RecordError(name, f"{v!r} is not one of {allowed}") from None


@dataclass(frozen=True, slots=True)
class Correction:
    """A signed statement that replaces or retracts an earlier logged record.

    ``supersedes`` is the leaf index of the record it corrects; ``replacement`` is the new
    record, or None for a retraction. Nothing is ever updated in place.
    """

    supersedes: int
    reason: str
    replacement: Measurement | None = None

    def __post_init__(self) -> None:
        if self.supersedes < 0:
            raise RecordError("supersedes", "must be a leaf index (>= 0)")
        if not self.reason.strip():
            raise RecordError("reason", "a correction must say why")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": CORRECTION_SCHEMA,
            "supersedes": self.supersedes,
            "reason": self.reason,
        }
        if self.replacement is not None:
            out["replacement"] = self.replacement.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Correction:
        """Inverse of :meth:`to_dict`, with exact JSON types (``supersedes`` an integer
        leaf index, ``reason`` a string, ``replacement`` a measurement object or absent)."""
        if not isinstance(d, dict):
            raise RecordError("record", f"must be a JSON object, not {type(d).__name__}")
        if d.get("schema") != CORRECTION_SCHEMA:
            raise RecordError("schema", f"expected {CORRECTION_SCHEMA!r}")
        unknown = set(d) - {"schema", "supersedes", "reason", "replacement"}
        if unknown:
            raise RecordError(sorted(unknown)[0], "unknown field")
        target, reason, rep = d.get("supersedes"), d.get("reason"), d.get("replacement")
        if type(target) is not int or not 0 <= target < 2**53:
            raise RecordError("supersedes", f"must be a leaf index (an integer), not {target!r}")
        if type(reason) is not str:
            raise RecordError("reason", f"must be a string, not {_json_name(reason)}")
        if rep is not None and type(rep) is not dict:
            raise RecordError("replacement", f"must be a measurement object, not {_json_name(rep)}")
        return cls(
            supersedes=target,
            reason=reason,
            replacement=Measurement.from_dict(rep) if rep is not None else None,
        )

    def canonical(self) -> bytes:
        return canonical_bytes(self.to_dict())
