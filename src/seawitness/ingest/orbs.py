"""ORBS CSV files (monitororbs.jp, "Sea Area Monitoring related to ALPS treated water").

ORBS serves one CSV per sampling location, ``{Seawater_10_|Fishes_20_|Seaweeds_30_}<id>.csv``,
UTF-8 with a byte-order mark. Its conventions, as found in the files:

* Two header lines: ``File Creation Date,<date>`` and ``Sampling Location,<text>``; the text
  is empty for most locations and otherwise ends in the station code in parentheses
  (``Harbor entrance (T-0)``; fish files add ``(Fish)``).
* Seawater: depth blocks, each three header rows (block title = depth text, nuclide row,
  ``Date and time of Sampling,Dt,ND,...``). Blocks sit side by side, each with its own date
  column, and may also be stacked (a new title row further down). A shorter block is padded
  with ``-`` cells (date included); padding is not a result and is not counted.
* Per nuclide a ``Dt``/``ND`` pair: ``Dt`` = detected value, ``ND`` = the detection limit of
  a non-detect; ``-`` in both = not analysed; both empty = not analysed (the location's
  programme did not measure it that time). Both filled never occurs in the downloads we
  hold; if it does the ``Dt`` value is taken as detected, the ``ND`` value kept as its
  detection limit and the record notes it.
* Biota: ``Date and time of Sampling,Sample,Radionuclide,Dt,ND,Unit``; NRA writes the
  counting uncertainty into ``Dt`` as ``0.11±0.0099`` (the coverage is not stated).
* Units as written: ``Bq/L`` (seawater; tissue water for ``H-3:TFWT``/``H-3:OBT``),
  ``Bq/L-water``, ``Bq/L-combustion water``, ``Bq/kg-fresh`` and ``Bq/kg``. Fukushima
  Prefecture uses ``Bq/kg`` and ``Bq/kg-fresh`` for the same screening programme with the
  same detection limits (median 7.8 vs 7.6 Bq/kg for Cs-137), and the Fisheries Agency's
  ``Bq/kg`` tritium results are for fish muscle as caught: ``Bq/kg`` is read as fresh
  (wet) weight. The unit text is kept; the basis records the interpretation.
* Times are JST, ``YYYY/M/D H:MM`` or date only (then midnight JST, ``time_precision=day``).
* ORBS does not mark rapid versus precise analyses: no header, block title, column or unit
  says so, and every tritium detection limit in the files is at the precise level (seawater
  at most 3 Bq/L, fish about 0.2-0.4 Bq/kg; rapid analyses have limits near 10). A rapid
  result is replaced in place when the precise one arrives, so ``analysis`` is left empty.

Organisation and coordinates are not in the raw files: they come from the station table
(:mod:`seawitness.ingest.stations`). The tidy extracts of the IAEA repository
(``seawater_data.csv``, ``fish_data.csv``, ``seaweed_data.csv``) are detected by their header
and read too; their depth texts are simplified (``Surface``), so their records do not share
natural keys with the raw files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seawitness.errors import SeawitnessError
from seawitness.ingest.base import IngestError, ReadResult
from seawitness.ingest.csvfile import check_date_shape, check_widths, read_csv, read_lines
from seawitness.ingest.generic import (
    Collector,
    RowError,
    nuclide,
    parse_limit,
    parse_number,
    unit_basis,
)
from seawitness.ingest.stations import ORBS_CATEGORIES, OrbsStationTable, load_orbs_table
from seawitness.model import Basis, Detection, Medium, RecordError, Station, check_coordinates
from seawitness.model.nuclides import UnknownNuclide
from seawitness.model.times import TOKYO, parse_local
from seawitness.model.zones import zone_for

DATE_HEADER = "Date and time of Sampling"
_FILE_ID = re.compile(r"^(Seawater|Fishes|Seaweeds)_\d+_(\d+)$")
_CODE_IN_TEXT = re.compile(r"\(\s*([A-Z]{1,2}(?:-[0-9A-Za-z]+)+)\s*\)")
_DEPTH_M = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*m\s*$")
_TISSUE = re.compile(r"^(?P<name>.*?)\s*\(\s*(?P<tissue>[^()]+?)\s*\)\s*$")
# Words that, in a trailing parenthesis of the ORBS "Sample" text, name the part analysed.
TISSUES = frozenset({
    "muscle", "meat", "whole", "ovaries", "testicles", "edible part", "edible parts",
    "soft tissue", "viscera", "liver", "bone", "shell", "gonad", "flesh", "whole body",
})  # fmt: skip
# Sample names that are clearly shellfish (molluscs, crustaceans, echinoderms eaten as
# seafood); matched as lower-case substrings of the sample name.
SHELLFISH_WORDS = (
    "sea urchin", "abalone", "clam", "oyster", "scallop", "mussel", "whelk", "turban",
    "crab", "shrimp", "prawn", "lobster", "ovalipes", "sea cucumber", "ark shell",
)  # fmt: skip
_ORG_BY_PREFIX = (("T-", "TEPCO"), ("E-", "MOE"), ("F-P", "Fukushima Pref."),
                  ("M-", "NRA"), ("K-", "NRA"))  # fmt: skip
_BIOTA_UNITS_DEFAULT = Basis.WET  # ORBS 'Bq/kg' = fresh weight, see module docstring

_TABLE: OrbsStationTable | None = None


def station_table() -> OrbsStationTable:
    """The bundled ORBS station table, loaded once."""
    global _TABLE
    if _TABLE is None:
        _TABLE = load_orbs_table()
    return _TABLE


def org_from_code(code: str) -> str | None:
    """The organisation a station-code prefix implies (T-* TEPCO, E-* MOE, ...)."""
    for prefix, org in _ORG_BY_PREFIX:
        if code.startswith(prefix):
            return org
    return None


def split_sample(sample: str) -> tuple[str, str | None]:
    """``"Flatfish (muscle)"`` -> ``("Flatfish", "muscle")``; other parentheses stay."""
    s = " ".join(sample.split())
    m = _TISSUE.match(s)
    if m and m.group("tissue").lower() in TISSUES:
        return m.group("name").strip(), m.group("tissue").lower()
    return s, None


def biota_medium(folder_medium: Medium, species: str) -> Medium:
    """Fish files hold crabs too: a sample name that is clearly shellfish says so."""
    low = species.lower()
    if folder_medium == Medium.FISH and any(w in low for w in SHELLFISH_WORDS):
        return Medium.SHELLFISH
    return folder_medium


# -- station resolution -------------------------------------------------------------------


def _resolve_station(
    path: Path, category: str | None, file_id: int | None, location: str,
    table: OrbsStationTable, warnings: list[str],
) -> tuple[Station, dict[str, str]]:  # fmt: skip
    """Station (code, org, coordinates) for one raw file, and flags for its records."""
    flags: dict[str, str] = {}
    m = _CODE_IN_TEXT.findall(location)
    text_code = m[-1] if m else ""
    entry = table.get(category, file_id) if category and file_id is not None else None
    code = (entry.code if entry else "") or text_code
    if entry and entry.code and text_code and entry.code != text_code:
        warnings.append(
            f"{path.name}: station table says {entry.code!r}, file says {text_code!r}; "
            "using the table"
        )
    if not code:
        code = f"ORBS-{file_id}" if file_id is not None else f"ORBS-{path.stem}"
    org = entry.org if entry else ""
    if not org:
        org = org_from_code(code) or ""
        if org:
            flags["org_inferred"] = "station code prefix"
    if not org and file_id is not None and category:
        org, near = _org_from_neighbours(table, category, file_id)
        if org:
            flags["org_inferred"] = f"neighbouring ORBS id {near}"
    if not org:
        org = "unknown"
        flags["org_inferred"] = "none"
    lat = lon = None
    if entry is not None:
        lat, lon = entry.lat, entry.lon
    else:
        p = table.point(org, code)
        if p is not None:
            lat, lon = p
    if entry is None:
        flags["station_table"] = "missing"
        warnings.append(
            f"{path.name}: ORBS id {file_id} is not in the station table; org {org!r} "
            f"({flags['org_inferred']}), station {code!r}, coordinates "
            f"{'unknown' if lat is None else 'from station_points.csv'}"
        )
    zone, _ = zone_for(code, lat, lon)
    name = location.strip() or None
    return Station(code, org, name, lat, lon, zone, "orbs"), flags


def _org_from_neighbours(table: OrbsStationTable, category: str, fid: int) -> tuple[str, int]:
    """Org of the nearest known ids of the same category (both sides must agree)."""
    ids = sorted(i for (c, i) in table.entries if c == category)
    lower = [i for i in ids if i < fid]
    upper = [i for i in ids if i > fid]
    lo = table.entries[(category, lower[-1])] if lower else None
    hi = table.entries[(category, upper[0])] if upper else None
    if lo and hi:
        return (lo.org, lo.file_id) if lo.org == hi.org else ("", 0)
    near = lo or hi
    return (near.org, near.file_id) if near else ("", 0)


# -- reading ------------------------------------------------------------------------------


def read_orbs(
    path: Path, *, skip_invalid: bool = False, table: OrbsStationTable | None = None
) -> ReadResult:
    """Read one ORBS file: a raw per-location CSV or one of the tidy extracts.

    The file must be whole before any row is read (:mod:`seawitness.ingest.csvfile`): it
    decodes as UTF-8, ends with a line break, and every row has the same number of fields
    (raw files: every row after the two header lines; ORBS pads shorter blocks with
    ``-``). A download cut inside its last row would otherwise yield a plausible
    shortened value and a signed "source revised" version of a real result.
    """
    rows = read_csv(path, read_lines(path))
    result = ReadResult(source="orbs", path=str(path))
    col = Collector(result, path.name, skip_invalid)
    if not rows:
        raise IngestError(path.name, 1, None, "empty file")
    first = rows[0][0].strip() if rows[0] else ""
    table = table or station_table()
    if first == "File Creation Date":
        body = rows[2:]
        width = next((len(r) for r in body if r), 0)
        check_widths(path, body, width, first_line=3)
        _read_raw(path, rows, col, table)
    elif first == "id" and "begperiod" in rows[0]:
        check_widths(path, rows, len(rows[0]))
        _read_tidy(path, rows, col)
    else:
        raise IngestError(
            path.name, 1, 1,
            f"not an ORBS file: starts with {first!r} (expected 'File Creation Date' or a "
            "tidy extract header 'id,org,...')",
        )  # fmt: skip
    return result


def _file_identity(path: Path) -> tuple[str | None, int | None]:
    m = _FILE_ID.match(path.stem)
    if not m:
        return None, None
    return ORBS_CATEGORIES[m.group(1)], int(m.group(2))


def _read_raw(path: Path, rows: list[list[str]], col: Collector, table: OrbsStationTable) -> None:
    category, file_id = _file_identity(path)
    location = ""
    for r in rows[:3]:
        if r and r[0].strip() == "Sampling Location":
            location = r[1] if len(r) > 1 else ""
    headers = [i for i, r in enumerate(rows) if r and r[0].strip() == DATE_HEADER]
    if not headers:
        raise IngestError(path.name, None, None, f"no {DATE_HEADER!r} header row")
    biota = len(rows[headers[0]]) > 1 and rows[headers[0]][1].strip() == "Sample"
    if category is None:
        category = "Fish" if biota else "Seawater"
    station, flags = _resolve_station(path, category, file_id, location, table, col.result.warnings)
    col.station(station)
    base: dict[str, Any] = {
        "org": station.org,
        "station": station.code,
        "source_tz": TOKYO,
        "source": f"orbs:{path.name}",
        "lat": station.lat,
        "lon": station.lon,
    }
    if biota:
        medium = Medium.SEAWEED if category == "Seaweed" else Medium.FISH
        for n, h in enumerate(headers):
            end = headers[n + 1] if n + 1 < len(headers) else len(rows)
            _read_biota_block(rows, h, end, col, base, flags, medium)
    else:
        for n, h in enumerate(headers):
            end = headers[n + 1] - 2 if n + 1 < len(headers) else len(rows)
            _read_water_block(path, rows, h, end, col, base, flags)


def _raw_line(rows: list[list[str]], i: int) -> Callable[[], str]:
    return lambda: ",".join(rows[i])


def _read_water_block(
    path: Path, rows: list[list[str]], h: int, end: int, col: Collector,
    base: dict[str, Any], flags: dict[str, str],
) -> None:  # fmt: skip
    """One header (possibly several side-by-side depth blocks) and its data rows."""
    hdr = rows[h]
    if h < 2:
        raise IngestError(path.name, h + 1, None, "header row without title and nuclide rows")
    titles, nucs = rows[h - 2], rows[h - 1]
    # blocks: (date column, depth text, depth_m, [(nuclide, Dt column, header text)])
    blocks: list[tuple[int, str, float | None, list[tuple[str, int, str]]]] = []
    for j, cell in enumerate(hdr):
        hc = cell.strip()
        if hc == DATE_HEADER:
            depth = titles[j].strip() if j < len(titles) else ""
            dm = _DEPTH_M.match(depth)
            blocks.append((j, depth, float(dm.group(1)) if dm else None, []))
        elif hc == "Dt":
            if not blocks:
                raise IngestError(path.name, h + 1, j + 1, "'Dt' before any date column")
            label = nucs[j].strip() if j < len(nucs) else ""
            if j + 1 >= len(hdr) or hdr[j + 1].strip() != "ND":
                raise IngestError(path.name, h + 1, j + 2, f"expected 'ND' after 'Dt' ({label})")
            try:
                blocks[-1][3].append((nuclide(label), j, label))
            except UnknownNuclide as exc:
                raise IngestError(path.name, h, label or j + 1, str(exc)) from None
        elif hc not in ("ND", ""):
            raise IngestError(
                path.name, h + 1, j + 1, f"unexpected header {hc!r} (expected Date/Dt/ND)"
            )
    seen: dict[tuple[str, str, str], int] = {}
    result = col.result
    day_extra = {**flags, "time_precision": "day"}
    for i in range(h + 1, end):
        row = rows[i]
        if not row or not any(row):
            continue
        width = len(row)
        for dcol, depth, depth_m, pairs in blocks:
            date = row[dcol].strip() if dcol < width else ""
            if date in ("-", ""):
                # padding of a shorter side-by-side block: every cell must be blank too
                for _, c, label in pairs:
                    for cc in (c, c + 1):
                        if cc < width and row[cc].strip() not in ("-", ""):
                            col.fail(i + 1, label, f"a value {row[cc]!r} without a sampling "
                                     "date (expected a date in the block's date column)",
                                     ",".join(row))  # fmt: skip
                continue
            check_date_shape(path, i + 1, DATE_HEADER, date)
            try:
                when, day = parse_local(date)
            except ValueError as exc:
                col.fail(i + 1, DATE_HEADER, str(exc), ",".join(row))
                continue
            extra = day_extra if day else flags
            for nuc, c, label in pairs:
                dt = row[c].strip() if c < width else ""
                nd = row[c + 1].strip() if c + 1 < width else ""
                if dt in ("-", "") and nd in ("-", ""):
                    result.not_analysed += 1
                    continue
                try:
                    det, value, limit, note = _dt_nd(dt, nd)
                except RowError as exc:
                    col.fail(i + 1, f"{label} {exc.column}", exc.reason, ",".join(row))
                    continue
                key = (depth, date, nuc)
                rep = seen.get(key, 0)
                seen[key] = rep + 1
                col.add(
                    i + 1, _raw_line(rows, i), **base, medium=Medium.SEAWATER,
                    sampled_at=when, nuclide=nuc, detection=det, value=value, unit="Bq/L",
                    basis=Basis.WATER, detection_limit=limit, depth=depth or None,
                    depth_m=depth_m, replicate=rep,
                    extra={**extra, "orbs_note": note} if note else dict(extra),
                )  # fmt: skip


def _dt_nd(dt: str, nd: str) -> tuple[Detection, float, float | None, str | None]:
    """Apply the Dt/ND convention to one pair of cells (at least one is filled)."""
    if dt in ("-", ""):
        if nd == "-":
            raise RowError("ND", "'-' mixed with a value (expected both '-' or none)")
        try:
            lim = parse_limit(nd)
        except ValueError as exc:
            raise RowError("ND", str(exc)) from None
        return Detection.BELOW_LIMIT, lim, lim, None
    if dt == "-" or nd == "-":
        raise RowError("Dt", "'-' mixed with a value (expected both '-' or none)")
    try:
        v = parse_number(dt, "detected value")
    except ValueError as exc:
        raise RowError("Dt", str(exc)) from None
    if nd:
        try:
            lim = parse_limit(nd)
        except ValueError as exc:
            raise RowError("ND", str(exc)) from None
        return Detection.DETECTED, v, lim, "Dt and ND both filled; Dt taken as detected"
    return Detection.DETECTED, v, None, None


def _read_biota_block(
    rows: list[list[str]], h: int, end: int, col: Collector, base: dict[str, Any],
    flags: dict[str, str], folder_medium: Medium,
) -> None:  # fmt: skip
    hdr = [c.strip() for c in rows[h]]
    idx = {c: j for j, c in enumerate(hdr)}
    for need in ("Sample", "Radionuclide", "Dt", "ND", "Unit"):
        if need not in idx:
            raise IngestError(col.label, h + 1, need, f"missing column {need!r} in {hdr}")
    unc_col = next((j for j, c in enumerate(hdr) if "unc" in c.lower() or c == "±"), None)
    s_i, n_i, d_i, nd_i, u_i = (idx[k] for k in ("Sample", "Radionuclide", "Dt", "ND", "Unit"))
    seen: dict[tuple[str, str, str, str], int] = {}
    for i in range(h + 1, end):
        row = rows[i]
        if not row or not any(c.strip() for c in row):
            continue
        raw = _raw_line(rows, i)
        check_date_shape(col.label, i + 1, DATE_HEADER, row[0])
        try:
            kw = _biota_row(row, s_i, n_i, d_i, nd_i, u_i, unc_col, folder_medium)
        except _Skip:
            col.result.not_analysed += 1
            continue
        except RowError as exc:
            col.fail(i + 1, exc.column, exc.reason, raw())
            continue
        extra = dict(flags)
        extra.update(kw.pop("extra"))
        key = (row[0].strip(), row[s_i].strip(), kw["nuclide"], kw["unit"])
        rep = seen.get(key, 0)
        seen[key] = rep + 1
        col.add(i + 1, raw, **base, **kw, replicate=rep, extra=extra)


class _Skip(SeawitnessError):
    """Both Dt and ND empty (or '-'): not analysed."""


def _biota_row(
    row: list[str], s_i: int, n_i: int, d_i: int, nd_i: int, u_i: int, unc_col: int | None,
    folder_medium: Medium,
) -> dict[str, Any]:  # fmt: skip
    width = len(row)

    def cell(j: int) -> str:
        return row[j].strip() if j < width else ""

    extra: dict[str, str] = {}
    try:
        when, day = parse_local(cell(0))
    except ValueError as exc:
        raise RowError(DATE_HEADER, str(exc)) from None
    if day:
        extra["time_precision"] = "day"
    dt, nd = cell(d_i), cell(nd_i)
    if dt in ("-", "") and nd in ("-", ""):
        raise _Skip
    try:
        nuc = nuclide(cell(n_i))
    except UnknownNuclide as exc:
        raise RowError("Radionuclide", str(exc)) from None
    unit = cell(u_i)
    try:
        basis = unit_basis(unit, _BIOTA_UNITS_DEFAULT)
    except ValueError as exc:
        raise RowError("Unit", str(exc)) from None
    unc: float | None = None
    if "±" in dt:
        dt, _, u_txt = dt.partition("±")
        dt = dt.strip()
        try:
            unc = parse_number(u_txt, "uncertainty after ±")
        except ValueError as exc:
            raise RowError("Dt", str(exc)) from None
        extra["uncertainty_note"] = "± as published; coverage not stated"
    elif unc_col is not None and cell(unc_col):
        try:
            unc = parse_number(cell(unc_col), "uncertainty")
        except ValueError as exc:
            raise RowError(unc_col + 1, str(exc)) from None
        extra["uncertainty_note"] = "as published; coverage not stated"
    det, value, limit, note = _dt_nd(dt, nd)
    if note:
        extra["orbs_note"] = note
    species, tissue = split_sample(cell(s_i))
    return {
        "medium": biota_medium(folder_medium, species),
        "sampled_at": when,
        "nuclide": nuc,
        "detection": det,
        "value": value,
        "unit": unit,
        "basis": basis,
        "uncertainty": unc,
        "detection_limit": limit,
        "species": species,
        "tissue": tissue,
        "extra": extra,
    }


# -- tidy extracts --------------------------------------------------------------------------


def _read_tidy(path: Path, rows: list[list[str]], col: Collector) -> None:
    """The IAEA repository's tidy CSVs: one row per sample (seawater) or per result."""
    hdr = [c.strip() for c in rows[0]]
    idx = {c: j for j, c in enumerate(hdr)}
    biota = "Sample" in idx
    medium = Medium.SEAWEED if "seaweed" in path.name.lower() else Medium.FISH
    nuc_cols = [(c, idx[c], idx.get(f"{c}_nd")) for c in hdr if f"{c}_nd" in idx]
    seen: dict[tuple[Any, ...], int] = {}
    bad_coords: set[str] = set()
    for i in range(1, len(rows)):
        row = rows[i]
        if not row or not any(row):
            continue
        get = dict(zip(hdr, (c.strip() for c in row), strict=False)).get
        raw = _raw_line(rows, i)
        fid = get("id") or ""
        org = get("org") or org_from_code(get("station") or "") or "unknown"
        code = get("station") or f"ORBS-{fid}"
        check_date_shape(path, i + 1, "begperiod", get("begperiod") or "")
        try:
            lat = parse_number(get("lat") or "", "latitude") if get("lat") else None
            lon = parse_number(get("lon") or "", "longitude") if get("lon") else None
            when, day = parse_local(get("begperiod") or "")
        except ValueError as exc:
            col.fail(i + 1, "begperiod/lat/lon", str(exc), raw())
            continue
        try:
            check_coordinates(lat, lon)
        except RecordError as exc:
            # The tidy extract copies the station table's typos (id 362: latitude 337°):
            # the location keeps its results, with coordinates unknown and a warning.
            if fid not in bad_coords:
                bad_coords.add(fid)
                col.result.warnings.append(
                    f"{path.name}: ORBS id {fid}: coordinates refused ({exc}); kept with "
                    "coordinates unknown"
                )
            lat = lon = None
        zone, _ = zone_for(code, lat, lon)
        col.station(Station(code, org, None, lat, lon, zone, "orbs"))
        extra = {"time_precision": "day"} if day else {}
        base = {"org": org, "station": code, "source_tz": TOKYO, "sampled_at": when,
                "source": f"orbs:{path.name}", "lat": lat, "lon": lon}  # fmt: skip
        if biota:
            try:
                kw = _biota_row(
                    [get("begperiod") or "", get("Sample") or "", get("Radionuclide") or "",
                     get("Dt") or "", get("ND") or "", get("Unit") or "", get("Dt_unc") or ""],
                    1, 2, 3, 4, 5, 6, medium,
                )  # fmt: skip
            except _Skip:
                col.result.not_analysed += 1
                continue
            except RowError as exc:
                col.fail(i + 1, exc.column, exc.reason, raw())
                continue
            kw["extra"] = {**extra, **kw["extra"]}
            key = (fid, get("begperiod"), get("Sample"), kw["nuclide"], kw["unit"])
            rep = seen.get(key, 0)
            seen[key] = rep + 1
            col.add(i + 1, raw, **base | {"sampled_at": kw.pop("sampled_at")}, **kw,
                    replicate=rep)  # fmt: skip
            continue
        depth = get("depth") or None
        dm = _DEPTH_M.match(depth or "")
        for name, c, ndc in nuc_cols:
            dt = row[c].strip() if c < len(row) else ""
            nd = row[ndc].strip() if ndc is not None and ndc < len(row) else ""
            if not dt and not nd:
                col.result.not_analysed += 1
                continue
            try:
                nuc = nuclide(name)
                det, value, limit, note = _dt_nd(dt, nd)
            except (RowError, UnknownNuclide) as exc:
                col.fail(i + 1, name, str(exc), raw())
                continue
            wkey = (fid, depth, get("begperiod"), nuc)
            rep = seen.get(wkey, 0)
            seen[wkey] = rep + 1
            col.add(
                i + 1, raw, **base, medium=Medium.SEAWATER, nuclide=nuc, detection=det,
                value=value, unit="Bq/L", basis=Basis.WATER, detection_limit=limit,
                depth=depth, depth_m=float(dm.group(1)) if dm else None, replicate=rep,
                extra={**extra, "orbs_note": note} if note else dict(extra),
            )  # fmt: skip
