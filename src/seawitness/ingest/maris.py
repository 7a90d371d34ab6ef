"""MARIS (IAEA Marine Radioactivity Information System) CSV: the legacy dump and the new CSV.

Both are long formats, one measurement per row. Conventions (MARIS lookup tables
``dbo_detectlimit``, ``dbo_unit``, ``dbo_nuclide``, ``dbo_biogroup``):

* ``detection``: ``=`` detected; ``<`` the activity *is* the detection limit; ``ND`` not
  detected (the activity is empty, or holds the limit: then it is stored as ``<``);
  ``DE`` derived. Numeric codes 1-4 mean the same. A ``<`` with no number is an error.
* ``uncertaint``: absolute, one standard uncertainty (MARIS converts providers' relative
  and 2-sigma values on entry), so ``coverage_factor`` is 1 when an uncertainty is given;
  an uncertainty on a ``<`` row is dropped (it describes nothing).
* Units are kept as written (``Bq/m3``, ``TU``, ``Bq/kgw``, ``Bq/kgd``, ``Bq/kg``); the
  harmonize layer converts. ``Bq/kg`` alone is per kg of water for seawater, dry mass for
  sediment and, as an assumption flagged in ``extra``, wet mass for biota.
* Times: legacy ``begperiod`` ``YYYY-MM-DD hh:mm:ss.000``; new CSV epoch seconds. Both UTC.
* The legacy dump names the nuclide (``137Cs``, ``239,240Pu``, ``T-BETA``); the new CSV
  gives ``nuclide_id`` and ``unit_id``, resolved through the bundled copy of the MARIS
  lookup tables (``seawitness/data/maris``). Activity ratios (``137Cs/134Cs``) are not
  measurements of one nuclide: they are left out with a warning.
* The organisation is the MARIS reference the data came from: the part of ``displaytext``
  before `` - `` or the comma (``TEPCO``, ``Buesseler et al.``), or ``MARIS-ref-<ref_id>``.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from seawitness.data import bundled_path
from seawitness.errors import SeawitnessError
from seawitness.ingest.base import IngestError, ReadResult
from seawitness.ingest.csvfile import check_date_shape, check_widths, read_csv, read_lines
from seawitness.ingest.generic import Collector, RowError, nuclide, parse_number, unit_basis
from seawitness.model import Basis, Detection, Medium, RecordError, Station, check_coordinates
from seawitness.model.nuclides import UnknownNuclide
from seawitness.model.times import MAX_YEAR, MIN_YEAR
from seawitness.model.zones import zone_for

_DETECTION = {"=": "=", "<": "<", "ND": "ND", "DE": "DE", "1": "=", "2": "<", "3": "ND", "4": "DE"}
_SAMPTYPE = {"1": Medium.SEAWATER, "2": Medium.BIOTA, "3": Medium.SEDIMENT,
             "4": Medium.SUSPENDED_MATTER}  # fmt: skip
_SAMPTYPE_NAME = {
    "seawater": Medium.SEAWATER,
    "biota": Medium.BIOTA,
    "sediment": Medium.SEDIMENT,
    "suspended matter": Medium.SUSPENDED_MATTER,
}
# MARIS biogroup ids/names -> our media (everything else stays "biota").
_BIOGROUP = {"4": Medium.FISH, "fish": Medium.FISH, "2": Medium.SHELLFISH,
             "crustaceans": Medium.SHELLFISH, "6": Medium.SHELLFISH, "molluscs": Medium.SHELLFISH,
             "13": Medium.SHELLFISH, "gastropods": Medium.SHELLFISH, "14": Medium.SHELLFISH,
             "bivalves": Medium.SHELLFISH, "11": Medium.SEAWEED,
             "seaweeds and plants": Medium.SEAWEED}  # fmt: skip
_MULTI = re.compile(r"^(\d+)\s*,\s*(\d+)\s*([A-Za-z]{1,2})$")  # "239,240Pu"


@lru_cache(maxsize=1)
def maris_tables() -> tuple[dict[str, str], dict[str, str]]:
    """MARIS nuclide_id -> symbol and unit_id -> unit, from the bundled lookup copy."""
    with bundled_path("maris", "nuclides.csv").open(encoding="utf-8", newline="") as fh:
        nucs = {r["nuclide_id"]: r["nusymbol"] for r in csv.DictReader(fh)}
    with bundled_path("maris", "units.csv").open(encoding="utf-8", newline="") as fh:
        units = {r["unit_id"]: r["unit"] for r in csv.DictReader(fh)}
    return nucs, units


def maris_nuclide(symbol: str) -> str | None:
    """Canonical name for a MARIS symbol; None for ratios (not a single measurement)."""
    s = symbol.strip()
    if "/" in s:
        return None
    m = _MULTI.match(s)
    if m:
        s = f"{m.group(1)}{m.group(3)}+{m.group(2)}{m.group(3)}"
    return nuclide(s)


def read_maris(path: Path, *, skip_invalid: bool = False) -> ReadResult:
    """Read a MARIS legacy dump CSV or a new MARIS per-medium CSV."""
    result = ReadResult(source="maris", path=str(path))
    col = Collector(result, path.name, skip_invalid)
    # Checked whole before any row is read (decodes, ends with a line break, every row as
    # wide as the header): a cut dump must not become signed revisions of real results.
    starts: list[int] = []
    rows = read_csv(path, read_lines(path), starts=starts)
    header = [h.strip() for h in rows[0]] if rows else []
    if "activity" not in header or "detection" not in header:
        raise RowError(None, "not a MARIS CSV: no 'activity'/'detection' columns")
    check_widths(path, rows[1:], len(header), starts=starts[1:])
    new_format = "nuclide_id" in header and "nusymbol" not in header
    by_name = (
        ("SEAWATER", Medium.SEAWATER),
        ("BIOTA", Medium.BIOTA),
        ("SEDIMENT", Medium.SEDIMENT),
    )
    file_medium = next((m for k, m in by_name if k in path.name.upper()), None)
    seen: dict[tuple[Any, ...], int] = {}
    skipped_ratios = 0
    for line, row in zip(starts[1:], rows[1:], strict=True):
        if not any(c.strip() for c in row):
            continue
        rec = dict(zip(header, (c.strip() for c in row), strict=False))
        raw = ",".join(row)
        _check_begperiod(path, line, rec.get("begperiod", ""), new_format)
        try:
            kw = _row(rec, new_format, file_medium)
        except _Ratio:
            skipped_ratios += 1
            continue
        except RowError as exc:
            col.fail(line, exc.column, exc.reason, raw)
            continue
        key = (kw["org"], kw["station"], kw["sampled_at"], kw.get("sample_id"), kw["nuclide"],
               kw["unit"], kw.get("depth_m"))  # fmt: skip
        kw["replicate"] = seen.get(key, 0)
        seen[key] = kw["replicate"] + 1
        zone_tag, _ = zone_for(kw["station"], kw.get("lat"), kw.get("lon"))
        col.station(Station(kw["station"], kw["org"], None, kw.get("lat"), kw.get("lon"),
                            zone_tag, "maris"))  # fmt: skip
        col.add(line, raw, **kw)
    if skipped_ratios:
        result.warnings.append(
            f"{path.name}: {skipped_ratios} activity-ratio row(s) left out (not a nuclide)"
        )
    return result


_EPOCH_SHAPE = re.compile(r"^-?\d+(?:\.\d+)?$")


def _check_begperiod(path: Path, line: int, bp: str, new_format: bool) -> None:
    """A ``begperiod`` that is not shaped like a time (``2021-01-0``, ``16094``...) is
    what a cut or garbled row leaves: the file fails whole, whatever skip_invalid says.
    An empty or well-formed impossible time stays a row error."""
    if not bp:
        return
    if new_format:
        if not _EPOCH_SHAPE.match(bp):
            raise IngestError(
                path.name, line, "begperiod",
                f"begperiod {bp!r} is not epoch seconds: the row looks cut or garbled; "
                "nothing of the file was imported",
            )  # fmt: skip
        return
    check_date_shape(path, line, "begperiod", bp)


class _Ratio(SeawitnessError):
    """An activity ratio row."""


def _row(rec: dict[str, str], new_format: bool, file_medium: Medium | None) -> dict[str, Any]:
    nucs, units = maris_tables()
    extra: dict[str, str] = {}
    # nuclide
    if new_format:
        nid = rec.get("nuclide_id", "")
        if nid not in nucs:
            raise RowError("nuclide_id", f"unknown MARIS nuclide id {nid!r}")
        symbol = nucs[nid]
    else:
        symbol = rec.get("nusymbol", "")
    try:
        nuc = maris_nuclide(symbol)
    except UnknownNuclide as exc:
        raise RowError("nusymbol" if not new_format else "nuclide_id", str(exc)) from None
    if nuc is None:
        raise _Ratio
    # medium
    medium = file_medium
    st = rec.get("samptype_id", "")
    if medium is None:
        medium = _SAMPTYPE.get(st) or _SAMPTYPE_NAME.get(rec.get("samptype", "").lower())
    if medium is None:
        raise RowError("samptype", f"unknown sample type {rec.get('samptype') or st!r}")
    if medium == Medium.BIOTA:
        bg = (rec.get("BIO_GROUP") or rec.get("biogroup") or "").lower()
        medium = _BIOGROUP.get(bg, Medium.BIOTA)
    # unit
    if new_format:
        uid = rec.get("unit_id", "")
        unit = units.get(uid, "")
        if not unit:
            raise RowError("unit_id", f"unknown MARIS unit id {uid!r}")
    else:
        unit = rec.get("unit", "")
    default = {Medium.SEAWATER: Basis.WATER, Medium.SUSPENDED_MATTER: Basis.DRY,
               Medium.SEDIMENT: Basis.DRY}.get(medium, Basis.WET)  # fmt: skip
    try:
        basis = unit_basis(unit, default)
    except ValueError as exc:
        raise RowError("unit_id" if new_format else "unit", str(exc)) from None
    if unit == "Bq/kg" and medium not in (Medium.SEAWATER, Medium.SEDIMENT):
        extra["basis_assumed"] = basis.value
    # time (UTC)
    bp = rec.get("begperiod", "")
    try:
        if new_format:
            when = datetime.fromtimestamp(int(float(bp)), UTC)
        else:
            when = datetime.fromisoformat(bp.replace(" ", "T")).replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        raise RowError("begperiod", f"not a time: {bp!r} (expected YYYY-MM-DD hh:mm:ss)") from None
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        raise RowError("begperiod", f"impossible date {when.date()} (year {when.year})")
    # detection / value
    code = rec.get("detection", "")
    act = rec.get("activity", "")
    if code in ("", "0", "-1"):
        if not act:
            raise RowError("detection", "no detection code and no activity")
        code = "="
        extra["detection_code"] = "not available"
    if code not in _DETECTION:
        raise RowError("detection", f"unknown detection code {code!r} (expected =, <, ND, DE)")
    det = Detection(_DETECTION[code])
    value: float | None = None
    if act:
        try:
            value = parse_number(act, "activity")
        except ValueError as exc:
            raise RowError("activity", str(exc)) from None
    limit: float | None = None
    dlv = rec.get("detection_lim", "")
    if dlv:
        try:
            limit = parse_number(dlv, "detection limit")
        except ValueError as exc:
            raise RowError("detection_lim", str(exc)) from None
    if det == Detection.NOT_DETECTED and value is not None:
        det = Detection.BELOW_LIMIT
        extra["maris_detection"] = "ND"
    if det == Detection.BELOW_LIMIT:
        if value is None:
            value = limit
        if value is None:
            raise RowError("activity", "'<' without a limit: expected the detection limit in "
                           "'activity'")  # fmt: skip
        if value <= 0:
            raise RowError("activity", f"detection limit must be positive, got {act!r}")
        limit = value
    if det in (Detection.DETECTED, Detection.DERIVED) and value is None:
        raise RowError("activity", f"detection {code!r} needs an activity")
    if limit is not None and limit <= 0:
        raise RowError("detection_lim", f"detection limit must be positive, got {dlv!r}")
    unc: float | None = None
    if rec.get("uncertaint") and det != Detection.BELOW_LIMIT:
        try:
            unc = parse_number(rec["uncertaint"], "uncertainty")
        except ValueError as exc:
            raise RowError("uncertaint", str(exc)) from None
    # place
    lat = lon = None
    try:
        if rec.get("latitude"):
            lat = parse_number(rec["latitude"], "latitude")
        if rec.get("longitude"):
            lon = parse_number(rec["longitude"], "longitude")
        check_coordinates(lat, lon)
    except ValueError as exc:
        column = "latitude" if isinstance(exc, RecordError) and exc.field == "lat" else "longitude"
        raise RowError(column, f"{exc} (expected decimal degrees on the map)") from None
    depth_m = None
    if rec.get("sampdepth"):
        try:
            depth_m = parse_number(rec["sampdepth"], "sampling depth")
        except ValueError as exc:
            raise RowError("sampdepth", str(exc)) from None
    ref = rec.get("ref_id", "")
    display = rec.get("displaytext", "")
    org = re.split(r" - |,", display, maxsplit=1)[0].strip() if display else f"MARIS-ref-{ref}"
    station = (
        rec.get("station")
        or rec.get("samplabcode")
        or (
            f"MARIS-{lat:.4f},{lon:.4f}" if lat is not None and lon is not None else "MARIS-unknown"
        )
    )
    if ref:
        extra["maris_ref_id"] = ref
    sample_id = rec.get("samplabcode") or rec.get("sample_id") or None
    kw: dict[str, Any] = {
        "org": org,
        "station": station,
        "medium": medium,
        "sampled_at": when,
        "nuclide": nuc,
        "detection": det,
        "value": value,
        "unit": unit,
        "basis": basis,
        "uncertainty": unc,
        "coverage_factor": 1.0 if unc is not None else None,
        "detection_limit": limit,
        "depth_m": depth_m,
        "species": rec.get("taxonname") or None,
        "sample_id": sample_id,
        "lab": rec.get("lab") or None,
        "source_tz": "UTC",
        "source": "maris",
        "lat": lat,
        "lon": lon,
        "extra": extra,
    }
    tissue = rec.get("bodypar", "")
    if tissue and not tissue.startswith("("):
        kw["tissue"] = tissue
    if kw["species"] and kw["species"].startswith("("):
        kw["species"] = None
    return kw
