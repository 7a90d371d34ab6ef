"""NRA workbook ``close1F_water.xlsx``: TEPCO's seawater results near Fukushima Daiichi.

The Nuclear Regulation Authority republishes TEPCO's results for the sea area close to the
plant as one workbook, one sheet per sampling point. Its conventions, as found in the
2011-03 .. 2023-04 copy:

* Row 1 Japanese headers, row 2 English headers. ``Sampling date``, ``Sampling time``,
  ``Sampling point number``, sometimes ``Collection layer of seawater`` (``上層`` = upper
  layer), then per nuclide ``<nuc> radioactivity concentration (Bq/L)`` and
  ``<nuc> detection limit (Bq/L)`` (``239Pu+240Pu`` also has a ``statistical error``),
  and sometimes ``Remarks``.
* Non-detect: the concentration cell holds ``ND`` and the limit cell the limit. A detected
  value may have a limit beside it (2011 gamma results do): it is kept as the record's
  detection limit.
* Limits written by hand: ``約6`` (approximately 6: 6 is taken, ``extra`` says
  ``approximate``) and ranges ``約1.0～2.7`` or ``4～8`` (the upper bound is taken, the range
  is kept in ``extra``): the conservative reading of "below a limit between 4 and 8".
* Gamma/beta results and tritium of the same sampling are on separate rows with the same
  date, time and point; TEPCO also re-measured some daily samples with a longer counting
  time (a remark says so). Results that would share a natural key get ``replicate``
  0, 1, ... in sheet order.
* Dates are Excel dates or text ``2016/1/4``; times Excel times, text ``06:25``, a stray
  date-time whose time part is the time, or empty (then midnight JST, ``time_precision``
  ``day``). Times are JST.
* "Correction base date is same as the sampling date" (sheet note): ``reference_date`` is
  set to the sampling time. "The collection layer of seawater is always the upper layer"
  (sheet note): ``depth`` is ``upper layer`` for every row.
* Below the data a location block gives the point's latitude and longitude (two decimals).

The results are TEPCO's (``org = "TEPCO"``); NRA is the publisher (``extra.publisher``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl

from seawitness.ingest.base import IngestError, ReadResult
from seawitness.ingest.csvfile import check_date_shape
from seawitness.ingest.generic import Collector, RowError, nuclide, parse_number, unit_basis
from seawitness.ingest.stations import load_nra_stations
from seawitness.model import Detection, Medium, RecordError, Station, check_coordinates
from seawitness.model.nuclides import UnknownNuclide
from seawitness.model.times import JST, MAX_YEAR, MIN_YEAR, TOKYO, parse_local
from seawitness.model.zones import zone_for

_NUC_HEADER = re.compile(
    r"^(?P<nuc>.+?)\s+(?P<kind>radioactivity concentration|detection limit|statistical error)"
    r"\s*\((?P<unit>[^)]+)\)\s*$"
)
_LOCATION_HEADERS = ("Sampling point number", "試料採取地点番号")
_UPPER = "上層"
_ALL_UPPER_NOTE = "海水の採取層は全て上層"
_REF_NOTE = "Correction base date is same as the sampling date."


def parse_nra_number(text: Any, what: str) -> tuple[float, dict[str, str]]:
    """A number from an NRA cell: plain, ``約6`` (approximate) or ``4～8`` (upper bound)."""
    if isinstance(text, bool):
        raise ValueError(f"not a number: {text!r} (expected a {what})")
    if isinstance(text, int | float):
        return float(text), {}
    s = str(text).strip()
    notes: dict[str, str] = {}
    if s.startswith("約"):
        s = s[1:].strip()
        notes["approximate"] = "true"
    for sep in ("～", "〜", "~"):
        if sep in s:
            lo, _, hi = s.partition(sep)
            parse_number(lo, what)
            notes["range"] = f"{lo.strip()}-{hi.strip()}"
            s = hi
            break
    return parse_number(s, what), notes


def read_nra(path: Path, *, skip_invalid: bool = False) -> ReadResult:
    """Read every sheet of the NRA ``close1F_water.xlsx`` workbook."""
    result = ReadResult(source="nra", path=str(path))
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for bad files
        raise IngestError(path.name, None, None, f"not a readable xlsx workbook: {exc}") from None
    known = load_nra_stations()
    try:
        for ws in wb.worksheets:
            rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
            col = Collector(result, f"{path.name}[{ws.title}]", skip_invalid)
            _read_sheet(rows, col, known)
    finally:
        wb.close()
    return result


def _read_sheet(rows: list[tuple[Any, ...]], col: Collector, known: dict[str, Station]) -> None:
    if len(rows) < 3:
        raise IngestError(col.label, None, None, "sheet has no header and data rows")
    hdr = [str(c).strip() if c is not None else "" for c in rows[1]]
    idx = {h: j for j, h in enumerate(hdr) if h}
    for need in ("Sampling date", "Sampling time", "Sampling point number"):
        if need not in idx:
            raise IngestError(col.label, 2, need, f"missing column {need!r} in the English header")
    # nuclide columns: nuc -> {kind: column}
    nucs: dict[str, dict[str, int]] = {}
    units: dict[str, str] = {}
    for j, h in enumerate(hdr):
        m = _NUC_HEADER.match(h)
        if m:
            nucs.setdefault(m.group("nuc"), {})[m.group("kind")] = j
            units[m.group("nuc")] = m.group("unit").strip()
    canon: dict[str, str | None] = {}
    for n, kinds in nucs.items():
        h = hdr[kinds.get("radioactivity concentration", min(kinds.values()))]
        try:
            canon[n] = nuclide(n)
            unit_basis(units[n])
        except UnknownNuclide as exc:
            # A nuclide the model does not know (the workbook's one 99Mo result): the
            # column is left out with a warning rather than making the workbook unreadable.
            canon[n] = None
            skipped = sum(
                1 for r in rows[2:] if len(r) > kinds.get("radioactivity concentration", 0)
                and r[kinds.get("radioactivity concentration", 0)] not in (None, "")
                and not isinstance(r[0], str | type(None))
            )  # fmt: skip
            col.result.warnings.append(f"{col.label}: column {h!r} left out ({exc}); "
                                       f"{skipped} result(s) not read")  # fmt: skip
            continue
        except ValueError as exc:
            raise IngestError(col.label, 2, h, str(exc)) from None
        if "radioactivity concentration" not in kinds:
            raise IngestError(col.label, 2, h, f"{n}: no concentration column beside it")
    # where the data stop and the location block starts
    end = len(rows)
    for i in range(2, len(rows)):
        c0 = rows[i][0] if rows[i] else None
        if isinstance(c0, str) and c0.strip() and not c0.strip()[0].isdigit():
            end = i
            break
    tail = rows[end:]
    all_upper = any(r and r[0] == _ALL_UPPER_NOTE for r in tail)
    ref_same = any(r and r[0] == _REF_NOTE for r in tail)
    locations = _location_block(tail, col, end)
    d_i, t_i, p_i = idx["Sampling date"], idx["Sampling time"], idx["Sampling point number"]
    layer_i = idx.get("Collection layer of seawater")
    rem_i = idx.get("Remarks")
    seen: dict[tuple[str, datetime, str], int] = {}
    stations: dict[str, Station] = {}
    for i in range(2, end):
        row = rows[i]
        if not row or all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        line = i + 1

        def raw(row: tuple[Any, ...] = row) -> str:
            return ",".join("" if c is None else str(c) for c in row)

        def cell(j: int | None, row: tuple[Any, ...] = row) -> Any:
            return row[j] if j is not None and j < len(row) else None

        if isinstance(cell(d_i), str) and cell(d_i).strip():
            # a date typed as text must at least look like one: else the row was garbled
            # and the workbook fails whole, whatever skip_invalid says
            check_date_shape(col.label, line, "Sampling date", cell(d_i))
        try:
            when, day, tnote = _when(cell(d_i), cell(t_i))
        except RowError as exc:
            col.fail(line, exc.column, exc.reason, raw())
            continue
        code = str(cell(p_i) or "").strip()
        if not code:
            col.fail(line, "Sampling point number", "empty sampling point number", raw())
            continue
        st = stations.get(code)
        if st is None:
            st = _station(code, locations, known)
            stations[code] = st
            col.station(st)
        layer = cell(layer_i)
        depth: str | None
        if layer in (None, "") and all_upper or layer == _UPPER:
            depth = "upper layer"
        else:
            depth = str(layer).strip() if layer not in (None, "") else None
        base_extra: dict[str, str] = {"publisher": "NRA"}
        if day:
            base_extra["time_precision"] = "day"
        if tnote:
            base_extra["time_note"] = tnote
        remark = cell(rem_i)
        note = str(remark).strip() if remark not in (None, "") else None
        for n, kinds in nucs.items():
            v_cell = cell(kinds["radioactivity concentration"])
            dl_cell = cell(kinds.get("detection limit"))
            e_cell = cell(kinds.get("statistical error"))
            if v_cell is None or (isinstance(v_cell, str) and not v_cell.strip()):
                if dl_cell not in (None, "") or e_cell not in (None, ""):
                    col.fail(
                        line, hdr[kinds["radioactivity concentration"]],
                        "a limit or error without a concentration (expected a value or 'ND')",
                        raw(),
                    )  # fmt: skip
                continue
            try:
                kw = _result(n, hdr, kinds, v_cell, dl_cell, e_cell)
            except RowError as exc:
                col.fail(line, exc.column, exc.reason, raw())
                continue
            nuc = canon[n]
            if nuc is None:
                continue
            key = (code, when, nuc)
            rep = seen.get(key, 0)
            seen[key] = rep + 1
            extra = {**base_extra, **kw.pop("extra")}
            col.add(
                line, raw, org="TEPCO", station=code, medium=Medium.SEAWATER,
                sampled_at=when, nuclide=nuc, unit=units[n], basis=unit_basis(units[n]),
                depth=depth, replicate=rep, source_tz=TOKYO, source="nra:close1F_water",
                reference_date=when if ref_same else None, note=note, lat=st.lat,
                lon=st.lon, extra=extra, **kw,
            )  # fmt: skip


def _result(
    n: str, hdr: list[str], kinds: dict[str, int], v_cell: Any, dl_cell: Any, e_cell: Any
) -> dict[str, Any]:
    extra: dict[str, str] = {}
    v_h = hdr[kinds["radioactivity concentration"]]
    dl_h = hdr[kinds["detection limit"]] if "detection limit" in kinds else v_h
    limit: float | None = None
    if dl_cell not in (None, ""):
        try:
            limit, notes = parse_nra_number(dl_cell, "detection limit")
        except ValueError as exc:
            raise RowError(dl_h, str(exc)) from None
        if limit <= 0:
            raise RowError(dl_h, f"detection limit must be positive, got {dl_cell!r}")
        extra.update({f"limit_{k}": v for k, v in notes.items()})
    if isinstance(v_cell, str) and v_cell.strip().upper() == "ND":
        if limit is None:
            det, value = Detection.NOT_DETECTED, None
        else:
            det, value = Detection.BELOW_LIMIT, limit
    else:
        try:
            value, notes = parse_nra_number(v_cell, "concentration or 'ND'")
        except ValueError as exc:
            raise RowError(v_h, str(exc)) from None
        extra.update({f"value_{k}": v for k, v in notes.items()})
        det = Detection.DETECTED
    unc: float | None = None
    if e_cell not in (None, "") and det == Detection.DETECTED:
        e_h = hdr[kinds["statistical error"]]
        try:
            unc, _ = parse_nra_number(e_cell, "statistical error")
        except ValueError as exc:
            raise RowError(e_h, str(exc)) from None
        extra["uncertainty_note"] = "statistical (counting) error as published"
    return {
        "detection": det,
        "value": value,
        "detection_limit": limit,
        "uncertainty": unc,
        "extra": extra,
    }


def _when(d: Any, t: Any) -> tuple[datetime, bool, str | None]:
    """Sampling time in UTC from the workbook's date and time cells (JST)."""
    note = None
    if isinstance(d, datetime):
        day_: date = d.date()
    elif isinstance(d, date):
        day_ = d
    elif isinstance(d, str):
        try:
            t_utc, _ = parse_local(d)
        except ValueError as exc:
            raise RowError("Sampling date", str(exc)) from None
        day_ = t_utc.astimezone(JST).date()
    else:
        raise RowError("Sampling date", f"not a date: {d!r} (expected a date)")
    if not (MIN_YEAR <= day_.year <= MAX_YEAR):
        raise RowError("Sampling date", f"impossible date {day_} (year {day_.year})")
    tod: time | None
    if t is None or (isinstance(t, str) and not t.strip()):
        tod = None
    elif isinstance(t, time):
        tod = t
    elif isinstance(t, datetime):
        tod = t.time()
        note = f"time cell held {t.isoformat(sep=' ')}; its time of day is used"
    elif isinstance(t, str):
        try:
            hh, mm, *rest = t.strip().split(":")
            tod = time(int(hh), int(mm), int(float(rest[0])) if rest else 0)
        except ValueError:
            raise RowError("Sampling time", f"not a time of day: {t!r} (expected H:MM)") from None
    else:
        raise RowError("Sampling time", f"not a time of day: {t!r} (expected H:MM)")
    local = datetime.combine(day_, tod or time(0, 0), tzinfo=JST)
    from datetime import UTC

    return local.astimezone(UTC), tod is None, note


def _location_block(
    tail: list[tuple[Any, ...]], col: Collector, offset: int
) -> dict[str, tuple[float | None, float | None]]:
    """``Sampling point number`` rows below the data: point -> (lat, lon)."""
    out: dict[str, tuple[float | None, float | None]] = {}
    for k, r in enumerate(tail):
        if not r or r[0] != "Sampling point number":
            continue
        hdr = [str(c) if c is not None else "" for c in r]
        lat_i = next((j for j, h in enumerate(hdr) if "latitude" in h.lower()), None)
        lon_i = next((j for j, h in enumerate(hdr) if "longitude" in h.lower()), None)
        for r2 in tail[k + 1 :]:
            if not r2 or r2[0] is None or not isinstance(r2[0], str) or r2[0] in _LOCATION_HEADERS:
                break
            code = r2[0].strip()
            try:
                lat = float(r2[lat_i]) if lat_i is not None and r2[lat_i] is not None else None
                lon = float(r2[lon_i]) if lon_i is not None and r2[lon_i] is not None else None
                check_coordinates(lat, lon)
            except (TypeError, ValueError, RecordError) as exc:
                raise IngestError(
                    col.label, offset + k + 2, "latitude/longitude",
                    f"location of {code}: {exc} (expected decimal degrees on the Earth)",
                ) from None  # fmt: skip
            out[code] = (lat, lon)
    return out


def _station(
    code: str, locations: dict[str, tuple[float | None, float | None]], known: dict[str, Station]
) -> Station:
    lat, lon = locations.get(code, (None, None))
    if lat is None and code in known:
        lat, lon = known[code].lat, known[code].lon
    zone_tag, _ = zone_for(code, lat, lon)
    return Station(code, "TEPCO", None, lat, lon, zone_tag, "nra")
