"""A lab's own CSV export, read through a mapping file; plus the conventions all readers share.

Every lab writes its results differently: its own column names, its own way of saying
"not detected" (``ND``, ``<0.3``, a separate limit column), expanded uncertainties with
k = 2, local times without a zone. Instead of a reader per lab, a small TOML mapping file
says how the lab's columns map to :class:`~seawitness.model.Measurement` fields, which
constants fill the fields the file lacks, and which conventions the file follows. The keys
are documented in ``docs/mapping.md``; ``examples/lab_export.toml`` is a complete example.

The shared helpers (times, numbers, units, the row-error collector) live here because the
generic reader is where the conventions are spelled out in full; the ORBS, NRA and MARIS
readers reuse them with their source's fixed settings.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

from seawitness.errors import InputError, SeawitnessError
from seawitness.ingest.base import IngestError, ReadResult, Rejected
from seawitness.ingest.csvfile import check_date_shape, check_widths, read_csv, read_lines
from seawitness.model import (
    Analysis,
    Basis,
    Detection,
    Measurement,
    Medium,
    RecordError,
    Station,
    check_coordinates,
)
from seawitness.model.nuclides import UnknownNuclide, normalize_nuclide
from seawitness.model.times import parse_local, parse_with_format, zone
from seawitness.model.units import unit_basis as _unit_basis
from seawitness.model.zones import zone_for


class RowError(InputError):
    """A problem in one cell; the reader adds file and line and makes an IngestError."""

    def __init__(self, column: str | int | None, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.reason = message


# -- numbers and units --------------------------------------------------------------------


def parse_number(text: str, what: str = "number") -> float:
    """A finite float from a cell (``1.2``, ``1.2E-03``, ``1,234`` thousands separators)."""
    s = text.strip().replace(",", "")
    try:
        v = float(s)
    except ValueError:
        raise ValueError(f"not a number: {text!r} (expected a {what})") from None
    if not math.isfinite(v):
        raise ValueError(f"not a finite number: {text!r}")
    return v


def parse_limit(text: str) -> float:
    """A detection limit: a positive number (a negative or zero limit is an error)."""
    v = parse_number(text, "detection limit")
    if v <= 0:
        raise ValueError(f"detection limit must be positive, got {text!r}")
    return v


def unit_basis(unit: str, default: Basis | None = None) -> Basis:
    """The basis a unit implies (see :func:`seawitness.model.units.unit_basis`)."""
    return Basis(_unit_basis(unit, default.value if default else None))


@lru_cache(maxsize=4096)
def nuclide(name: str) -> str:
    """Canonical nuclide name, cached (sources repeat a handful of names)."""
    return normalize_nuclide(name)


# -- row errors ---------------------------------------------------------------------------


@dataclass
class Collector:
    """Collects a reader's output and turns row problems into errors or rejections.

    Without ``skip_invalid`` the first bad row raises :class:`IngestError` (file, line,
    column, what was wrong and what was expected); with it the row is kept in
    ``result.rejected`` with its raw text and reading goes on.
    """

    result: ReadResult
    label: str
    skip_invalid: bool = False
    _stations: dict[str, Station] = field(default_factory=dict)

    def fail(self, line: int | None, column: str | int | None, message: str, raw: str) -> None:
        if not self.skip_invalid:
            raise IngestError(self.label, line, column, message)
        self.result.rejected.append(Rejected(self.label, line, column, message, raw))

    def add(self, line: int | None, raw: str | Callable[[], str], **kw: Any) -> None:
        """Build a Measurement; a model rule it breaks becomes a row error."""
        try:
            self.result.measurements.append(Measurement(**kw))
        except RecordError as exc:
            self.fail(line, exc.field, exc.reason, raw() if callable(raw) else raw)

    def station(self, st: Station) -> None:
        if st.code not in self._stations:
            self._stations[st.code] = st
            self.result.stations.append(st)


# -- the generic CSV reader ---------------------------------------------------------------

MAPPABLE = (
    "org", "station", "medium", "sampled_at", "date", "time", "nuclide", "value", "unit",
    "basis", "uncertainty", "detection_limit", "detection", "depth", "depth_m", "species",
    "tissue", "sample_id", "analysis", "method", "lab", "note", "lat", "lon",
    "station_name", "replicate", "reference_date",
)  # fmt: skip
CONSTANT_ONLY = ("source_tz", "coverage_factor", "source")


@dataclass
class Mapping:
    """A parsed mapping file (see docs/mapping.md for every key)."""

    columns: dict[str, str]
    constants: dict[str, Any]
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    header_line: int = 1
    time_format: str | None = None
    date_format: str | None = None
    time_zone: str = "UTC"
    nd_strings: frozenset[str] = frozenset({"ND", "N.D.", "nd", "n.d.", "<DL", "<MDA"})
    missing_strings: frozenset[str] = frozenset({"", "-", "NA", "N/A", "n/a", "not analysed"})
    less_than_prefix: str | None = "<"
    require_limit: bool = True
    detection_codes: dict[str, str] = field(default_factory=dict)
    coverage_factor: float | None = None
    uncertainty_relative: bool = False
    nuclide_aliases: dict[str, str] = field(default_factory=dict)
    extra_columns: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Mapping:
        """Read and check a TOML mapping; unknown keys are errors (typos must not pass)."""
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
        known = {"file", "columns", "constants", "time", "nondetect", "uncertainty",
                 "detection_codes", "nuclides", "extra"}  # fmt: skip
        for k in doc:
            if k not in known:
                raise IngestError(
                    path, None, k, f"unknown section [{k}] (expected {sorted(known)})"
                )
        cols = {str(k): str(v) for k, v in doc.get("columns", {}).items()}
        for k in cols:
            if k not in MAPPABLE:
                raise IngestError(
                    path, None, k, f"cannot map a column to {k!r}; fields: {MAPPABLE}"
                )
        consts = dict(doc.get("constants", {}))
        for k in consts:
            if k not in MAPPABLE and k not in CONSTANT_ONLY:
                raise IngestError(path, None, k, f"unknown constant {k!r}")
        f = doc.get("file", {})
        t = doc.get("time", {})
        nd = doc.get("nondetect", {})
        unc = doc.get("uncertainty", {})
        m = cls(columns=cols, constants=consts)
        m.delimiter = str(f.get("delimiter", m.delimiter))
        m.encoding = str(f.get("encoding", m.encoding))
        m.header_line = int(f.get("header_line", m.header_line))
        m.time_format = t.get("format")
        m.date_format = t.get("date_format")
        m.time_zone = str(t.get("zone", consts.get("source_tz", "UTC")))
        if "strings" in nd:
            m.nd_strings = frozenset(str(s) for s in nd["strings"])
        if "missing" in nd:
            m.missing_strings = frozenset(str(s) for s in nd["missing"])
        if "less_than_prefix" in nd:
            m.less_than_prefix = str(nd["less_than_prefix"]) or None
        m.require_limit = bool(nd.get("require_limit", True))
        m.detection_codes = {str(k): str(v) for k, v in doc.get("detection_codes", {}).items()}
        if "coverage_factor" in unc:
            m.coverage_factor = float(unc["coverage_factor"])
            if m.coverage_factor <= 0:
                raise IngestError(path, None, "coverage_factor", "must be positive")
        m.uncertainty_relative = bool(unc.get("relative", False))
        m.nuclide_aliases = {str(k): str(v) for k, v in doc.get("nuclides", {}).items()}
        m.extra_columns = {str(k): str(v) for k, v in doc.get("extra", {}).items()}
        if "nuclide" not in cols and "nuclide" not in consts:
            raise IngestError(path, None, "nuclide", "map a nuclide column or set a constant")
        if "value" not in cols:
            raise IngestError(path, None, "value", "map the value column")
        if "sampled_at" not in cols and "date" not in cols:
            raise IngestError(path, None, "sampled_at", "map sampled_at or date")
        return m


def read_generic(path: Path, mapping: Path | Mapping, skip_invalid: bool = False) -> ReadResult:
    """Read a lab CSV through a mapping file; one Measurement per row."""
    m = mapping if isinstance(mapping, Mapping) else Mapping.load(mapping)
    result = ReadResult(source="csv", path=str(path))
    col = Collector(result, path.name, skip_invalid)
    tz = zone(m.time_zone)
    source_tz = str(m.constants.get("source_tz", m.time_zone))
    # The file is checked whole first (decodes in its encoding, ends with a line break,
    # every row as wide as the header): a cut or damaged file fails with nothing imported,
    # whatever skip_invalid says, since its last "row" may be a shortened value.
    lines = read_lines(path, m.encoding)
    starts: list[int] = []
    rows = read_csv(
        path, lines[m.header_line - 1 :], first_line=m.header_line, delimiter=m.delimiter,
        starts=starts,
    )  # fmt: skip
    if not rows:
        raise IngestError(path.name, m.header_line, None, "empty file: no header")
    header = [h.strip() for h in rows[0]]
    check_widths(path, rows[1:], len(header), starts=starts[1:])
    index = {h: i for i, h in enumerate(header)}
    for fld, name in {**m.columns, **m.extra_columns}.items():
        if name not in index:
            raise IngestError(
                path.name,
                m.header_line,
                name,
                f"column {name!r} (for {fld}) not in header {header}",
            )
    replicates: dict[tuple[Any, ...], int] = {}
    for line, row in zip(starts[1:], rows[1:], strict=True):
        if not any(c.strip() for c in row):
            continue
        raw = m.delimiter.join(row)
        if not m.time_format:
            # without a format the default spellings apply, so a cell not shaped like a
            # date is a cut or garbled row, not a bad value: the file fails whole
            t_name = m.columns.get("sampled_at") or m.columns.get("date")
            if t_name is not None and index[t_name] < len(row) and row[index[t_name]].strip():
                check_date_shape(path, line, t_name, row[index[t_name]])
        try:
            kw = _generic_row(m, index, row, tz)
        except _NotAnalysed:
            result.not_analysed += 1
            continue
        except RowError as exc:
            col.fail(line, exc.column, exc.reason, raw)
            continue
        kw.setdefault("source_tz", source_tz)
        kw.setdefault("source", "csv")
        key = tuple(
            kw.get(k) for k in ("org", "station", "depth", "sampled_at", "analysis", "medium",
                                "species", "tissue", "nuclide", "unit", "basis", "sample_id")
        )  # fmt: skip
        if "replicate" not in kw:
            kw["replicate"] = replicates.get(key, 0)
            replicates[key] = kw["replicate"] + 1
        lat, lon = kw.get("lat"), kw.get("lon")
        name = kw.pop("station_name", None)
        try:
            check_coordinates(lat, lon)
        except RecordError as exc:
            col.fail(line, m.columns.get(exc.field, exc.field), exc.reason, raw)
            continue
        zone_tag, _ = zone_for(kw["station"], lat, lon)
        col.station(Station(kw["station"], kw["org"], name, lat, lon, zone_tag, "csv"))
        col.add(line, raw, **kw)
    return result


class _NotAnalysed(SeawitnessError):
    """The row's value cell says the nuclide was not analysed: counted, not stored."""


def _cell(m: Mapping, index: dict[str, int], row: list[str], fld: str) -> str | None:
    name = m.columns.get(fld)
    if name is None:
        return None
    i = index[name]
    return row[i].strip() if i < len(row) else ""


def _generic_row(m: Mapping, index: dict[str, int], row: list[str], tz: tzinfo) -> dict[str, Any]:
    """Turn one row into Measurement keyword arguments (raises RowError on bad cells)."""

    def get(fld: str) -> str | None:
        v = _cell(m, index, row, fld)
        if v is None or v == "":
            c = m.constants.get(fld)
            return None if c is None else str(c)
        return v

    kw: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for fld in ("org", "station", "species", "tissue", "depth", "sample_id", "method", "lab",
                "note", "station_name"):  # fmt: skip
        v = get(fld)
        if v is not None:
            kw[fld] = v
    for fld in ("org", "station"):
        if not kw.get(fld):
            raise RowError(
                m.columns.get(fld, fld), f"{fld} is empty (map a column or set a constant)"
            )
    try:
        kw["medium"] = Medium((get("medium") or "").lower())
    except ValueError:
        raise RowError(
            m.columns.get("medium", "medium"),
            f"unknown medium {get('medium')!r} (expected one of {[x.value for x in Medium]})",
        ) from None
    a = get("analysis")
    if a:
        try:
            kw["analysis"] = Analysis(a.lower())
        except ValueError:
            raise RowError(
                m.columns.get("analysis"), f"unknown analysis {a!r} (rapid|precise)"
            ) from None
    # time
    t_col = m.columns.get("sampled_at") or m.columns.get("date")
    when = get("sampled_at") or get("date")
    if not when:
        raise RowError(t_col, "sampling time is empty")
    tod = get("time")
    text = f"{when} {tod}" if tod else when
    try:
        if m.time_format:
            fmt = m.time_format if (tod or not m.date_format) else m.date_format
            kw["sampled_at"], day = parse_with_format(text, fmt, tz)
        else:
            kw["sampled_at"], day = parse_local(text, tz)
    except ValueError as exc:
        raise RowError(t_col, str(exc)) from None
    if day:
        extra["time_precision"] = "day"
    # nuclide
    nuc_raw = get("nuclide") or ""
    nuc_raw = m.nuclide_aliases.get(nuc_raw, nuc_raw)
    try:
        kw["nuclide"] = nuclide(nuc_raw)
    except UnknownNuclide as exc:
        raise RowError(m.columns.get("nuclide", "nuclide"), str(exc)) from None
    # unit and basis
    unit = get("unit")
    if not unit:
        raise RowError(m.columns.get("unit", "unit"), "unit is empty")
    basis_txt = get("basis")
    try:
        default_basis = Basis(basis_txt.lower()) if basis_txt else None
    except ValueError:
        raise RowError(
            m.columns.get("basis", "basis"), f"unknown basis {basis_txt!r} (water|wet|dry)"
        ) from None
    try:
        kw["basis"] = unit_basis(unit, default_basis)
    except ValueError as exc:
        raise RowError(m.columns.get("unit", "unit"), str(exc)) from None
    kw["unit"] = unit
    # value, detection, limit
    vcol = m.columns["value"]
    value_txt = _cell(m, index, row, "value") or ""
    dl_txt = get("detection_limit")
    code_txt = get("detection")
    limit: float | None = None
    if dl_txt:
        try:
            limit = parse_limit(dl_txt)
        except ValueError as exc:
            raise RowError(m.columns.get("detection_limit"), str(exc)) from None
    detection: Detection | None = None
    if code_txt:
        mapped = m.detection_codes.get(code_txt, code_txt)
        try:
            detection = Detection(mapped)
        except ValueError:
            raise RowError(
                m.columns.get("detection"),
                f"unknown detection code {code_txt!r} (expected =, <, ND, DE or a mapped code)",
            ) from None
    value: float | None = None
    if value_txt in m.nd_strings:
        detection = Detection.BELOW_LIMIT if limit is not None else Detection.NOT_DETECTED
    elif value_txt in m.missing_strings and detection is None:
        raise _NotAnalysed
    elif m.less_than_prefix and value_txt.startswith(m.less_than_prefix):
        rest = value_txt[len(m.less_than_prefix) :].strip()
        if not rest:
            detection = Detection.BELOW_LIMIT
        else:
            try:
                limit = parse_limit(rest)
            except ValueError as exc:
                raise RowError(vcol, str(exc)) from None
            detection = Detection.BELOW_LIMIT
    elif value_txt:
        try:
            value = parse_number(value_txt, "result value")
        except ValueError as exc:
            raise RowError(vcol, str(exc)) from None
        if detection is None:
            detection = Detection.DETECTED
    elif detection is None:
        raise _NotAnalysed
    if detection == Detection.BELOW_LIMIT:
        if limit is None and value is not None:
            limit = value  # MARIS style: a '<' code with the limit in the value column
            if limit <= 0:
                raise RowError(vcol, f"detection limit must be positive, got {value_txt!r}")
        if limit is None:
            raise RowError(
                m.columns.get("detection_limit", vcol),
                "'<' without a limit: expected the detection limit in the value "
                "(e.g. '<0.3') or in the detection-limit column",
            )
        value = limit
    elif detection == Detection.NOT_DETECTED:
        if m.require_limit and limit is None:
            raise RowError(
                m.columns.get("detection_limit", vcol),
                "not detected without a limit: expected a detection limit "
                "(set [nondetect] require_limit = false to accept it)",
            )
        if limit is not None:
            detection, value = Detection.BELOW_LIMIT, limit
        else:
            value = None
    kw["detection"] = detection
    kw["value"] = value
    kw["detection_limit"] = limit
    # uncertainty
    u_txt = get("uncertainty")
    k = m.coverage_factor
    if u_txt:
        try:
            u = parse_number(u_txt, "uncertainty")
        except ValueError as exc:
            raise RowError(m.columns.get("uncertainty"), str(exc)) from None
        if m.uncertainty_relative:
            if value is None:
                raise RowError(m.columns.get("uncertainty"), "relative uncertainty without a value")
            u = abs(value) * u / 100.0
        if k:
            u = u / k  # expanded U = k * u (GUM): store the standard uncertainty
        kw["uncertainty"] = u
        if k:
            kw["coverage_factor"] = k
    # numbers
    for fld in ("depth_m", "lat", "lon"):
        v = get(fld)
        if v:
            try:
                kw[fld] = parse_number(v, fld)
            except ValueError as exc:
                raise RowError(m.columns.get(fld, fld), str(exc)) from None
    r = get("replicate")
    if r:
        try:
            kw["replicate"] = int(r)
        except ValueError:
            raise RowError(
                m.columns.get("replicate"), f"replicate must be an integer, got {r!r}"
            ) from None
    for key, name in m.extra_columns.items():
        v = row[index[name]].strip() if index[name] < len(row) else ""
        if v:
            extra[key] = v
    if extra:
        kw["extra"] = extra
    return kw


def iter_csv_files(path: Path, patterns: Iterable[str] = ("*.csv",)) -> list[Path]:
    """Files under ``path`` (or ``path`` itself), sorted, recursive."""
    if path.is_file():
        return [path]
    found: set[Path] = set()
    for p in patterns:
        found.update(q for q in path.rglob(p) if q.is_file())
    return sorted(found)
