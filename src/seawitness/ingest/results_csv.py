"""A results CSV: one result per row, the file ``seawitness stats limits`` evaluates.

The smallest file a person can write to check results against the limits, without a
mapping file or a signature::

    station,medium,nuclide,value,unit,detection,uncertainty
    T-0-1A,seawater,H-3,52,Bq/L,=,3

Columns ``station, medium, nuclide, value, unit, detection`` are required;
``uncertainty`` (standard, k=1), ``zone``, ``sample``, ``org``, ``sampled_at`` (ISO 8601
with zone), ``basis`` (water/wet/dry), ``detection_limit``, ``stage``, ``lat``, ``lon``
are optional. ``detection`` is a MARIS code: ``=``, ``<`` (value is the detection
limit), ``ND`` (no value), ``DE``. Units are read by
:func:`seawitness.harmonize.units.parse_unit` and stored in its canonical spelling, as
the limits engine compares them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from seawitness.harmonize.units import ConversionError, parse_unit
from seawitness.ingest.csv_table import CsvCellError, CsvRow, read_csv_table
from seawitness.model.nuclides import UnknownNuclide, normalize_nuclide
from seawitness.model.records import Basis, Detection, Measurement, Medium, RecordError

__all__ = [
    "NO_TIME",
    "CsvCellError",
    "NO_TIME_MARK",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "read_results_csv",
    "sampled_at_given",
]

REQUIRED_COLUMNS = ("station", "medium", "nuclide", "value", "unit", "detection")
OPTIONAL_COLUMNS = (
    "uncertainty",
    "zone",
    "sample",
    "org",
    "sampled_at",
    "basis",
    "detection_limit",
    "stage",
    "lat",
    "lon",
)
#: A result needs a sampling time; a row without one gets this, and
#: ``extra[NO_TIME_MARK] = "not given"`` says so (see :func:`sampled_at_given`).
NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)
NO_TIME_MARK = "sampled_at"


def sampled_at_given(m: Measurement) -> bool:
    """False for a result read from a row that had no ``sampled_at``."""
    return m.extra.get(NO_TIME_MARK) != "not given"


def read_results_csv(path: Path) -> tuple[list[Measurement], dict[str, str]]:
    """Read the results of a results CSV, and the station → zone map of its ``zone`` column.

    :raises CsvCellError: ``file:line:column: message`` for the first bad cell (an
        unknown medium, nuclide, unit or detection code; a basis that contradicts the
        unit; a time without a zone; a station given two zones ...).
    """
    table = read_csv_table(path, REQUIRED_COLUMNS, OPTIONAL_COLUMNS, allow_empty=True)
    out: list[Measurement] = []
    zones: dict[str, str] = {}
    for row in table.rows:
        m = _measurement(row)
        zone = row.text("zone")
        if zone:
            prev = zones.setdefault(m.station, zone)
            if prev != zone:
                raise row.fail(
                    "zone", f"station {m.station!r} was given zone {prev!r} on an earlier line"
                )
        out.append(m)
    return out, zones


def _measurement(row: CsvRow) -> Measurement:
    """One row as a measurement, or the error naming the cell that prevents it."""
    medium_s = row.text("medium").lower()
    if medium_s not in {m.value for m in Medium}:
        raise row.fail(
            "medium", f"unknown medium {row.text('medium')!r}; one of: {', '.join(Medium)}"
        )
    try:
        nuclide = normalize_nuclide(row.text("nuclide"))
    except UnknownNuclide as exc:
        raise row.fail("nuclide", str(exc)) from None
    try:
        spec = parse_unit(row.text("unit"))
    except ConversionError as exc:
        raise row.fail("unit", str(exc)) from None
    basis_s = row.text("basis").lower()
    if basis_s:
        if basis_s not in {b.value for b in Basis}:
            raise row.fail("basis", f"basis {basis_s!r} is not one of water, wet, dry")
        basis = Basis(basis_s)
        if spec.basis is not None and spec.basis is not basis:
            raise row.fail("basis", f"basis {basis_s!r} contradicts unit {row.text('unit')!r}")
    elif spec.basis is not None:
        basis = spec.basis
    else:
        raise row.fail(
            "unit", f"unit {row.text('unit')!r} does not say wet or dry; add a basis column"
        )
    det_s = row.text("detection").upper()
    if det_s not in {d.value for d in Detection}:
        raise row.fail("detection", f"detection {det_s!r} is not one of =, <, ND, DE")
    extra: dict[str, str] = {}
    if row.text("stage"):
        extra["stage"] = row.text("stage")
    sampled_at = NO_TIME
    if row.text("sampled_at"):
        sampled_at = row.instant("sampled_at", naive_utc=False)
    else:
        extra[NO_TIME_MARK] = "not given"
    try:
        return Measurement(
            org=row.text("org") or "csv",
            station=row.text("station"),
            medium=Medium(medium_s),
            sampled_at=sampled_at,
            nuclide=nuclide,
            detection=Detection(det_s),
            value=row.optional_number("value"),
            unit=spec.canonical,
            basis=basis,
            uncertainty=row.optional_number("uncertainty"),
            detection_limit=row.optional_number("detection_limit"),
            sample_id=row.text("sample") or None,
            lat=row.optional_number("lat"),
            lon=row.optional_number("lon"),
            extra=extra,
        )
    except RecordError as exc:
        column = exc.field if exc.field in row.cells else "station"
        raise row.fail(column, str(exc)) from None
