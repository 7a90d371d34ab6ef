"""Reader for seawitness's own CSV export, so that export → import is lossless.

The header is the export's (``seawitness.export.tables.MEASUREMENT_FIELDS``, units in
brackets); index columns (leaf index, version...) are ignored: they belong to the log the
file came from, not to the records. The stations table of a folder export
(``stations.csv``) is read too, so importing the whole folder brings the stations back;
a measurements file alone names its stations with their coordinates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from seawitness.ingest.base import IngestError, ReadResult, Rejected
from seawitness.ingest.csvfile import check_widths, read_csv, read_lines
from seawitness.model import Measurement, RecordError, Station
from seawitness.model.columns import INDEX_FIELDS, MEASUREMENT_FIELDS, STATION_FIELDS

_TYPES = {f.name: f.type for f in MEASUREMENT_FIELDS}
_STATION_COLUMNS = [f.name for f in STATION_FIELDS]


def _column_name(header: str) -> str:
    return header.split(" [", 1)[0].strip()


def read_native(path: Path, skip_invalid: bool = False) -> ReadResult:
    """Read a measurements or stations file of a seawitness export.

    The file is checked whole first (:mod:`seawitness.ingest.csvfile`): UTF-8, a final
    line break, every row as wide as the header. A row with more or fewer cells means
    the file was cut or edited, so it fails the file whatever ``skip_invalid`` says.
    """
    result = ReadResult(source="seawitness", path=str(path))
    starts: list[int] = []
    rows = read_csv(path, read_lines(path), starts=starts)
    if not rows:
        raise IngestError(path, 1, None, "empty file, expected a header row")
    header = [_column_name(h) for h in rows[0]]
    check_widths(path, rows[1:], len(header), starts=starts[1:])
    body = list(zip(starts[1:], rows[1:], strict=True))
    if header == _STATION_COLUMNS:
        _read_stations(path, body, result)
        return result
    unknown = [h for h in header if h not in _TYPES]
    if unknown:
        raise IngestError(
            path,
            1,
            unknown[0],
            "unknown column; expected the columns of a seawitness CSV export",
        )
    for lineno, cells in body:
        if not any(cells):
            continue
        if next((c for h, c in zip(header, cells, strict=True) if h == "retracted"), "") == "true":
            continue  # a retraction has no record to import
        try:
            result.measurements.append(_measurement(header, cells, path, lineno))
        except IngestError as err:
            if not skip_invalid:
                raise
            result.rejected.append(
                Rejected(str(path), lineno, err.column, err.reason, ",".join(cells))
            )
    seen: set[tuple[str, str]] = set()
    for m in result.measurements:
        if (m.org, m.station) not in seen:
            seen.add((m.org, m.station))
            result.stations.append(
                Station(m.station, m.org, None, m.lat, m.lon, None, "seawitness")
            )
    return result


def _read_stations(path: Path, body: Iterable[tuple[int, list[str]]], result: ReadResult) -> None:
    """A stations table of a folder export: code, org, name, coordinates, zone."""
    for lineno, cells in body:
        if not any(cells):
            continue
        d = dict(zip(_STATION_COLUMNS, cells, strict=False))
        try:
            lat = float(d["lat"]) if d.get("lat") else None
            lon = float(d["lon"]) if d.get("lon") else None
            result.stations.append(
                Station(
                    d["code"],
                    d["org"],
                    d.get("name") or None,
                    lat,
                    lon,
                    d.get("zone") or None,
                    "seawitness",
                )  # fmt: skip
            )
        except (KeyError, ValueError) as exc:
            raise IngestError(path, lineno, None, f"bad station row: {exc}") from None


def _measurement(header: list[str], cells: list[str], path: Path, lineno: int) -> Measurement:
    d: dict[str, Any] = {"schema": "seawitness/measurement/v1"}
    for name, cell in zip(header, cells, strict=True):
        if name in INDEX_FIELDS or cell == "":
            continue
        t = _TYPES[name]
        try:
            if t == "number":
                d[name] = float(cell)
            elif t == "integer":
                d[name] = int(cell)
            elif name == "extra":
                d[name] = json.loads(cell)
            else:
                d[name] = cell
        except ValueError:
            raise IngestError(path, lineno, name, f"{cell!r} is not a valid {t}") from None
    try:
        return Measurement.from_dict(d)
    except RecordError as exc:
        raise IngestError(path, lineno, exc.field, exc.reason) from None
