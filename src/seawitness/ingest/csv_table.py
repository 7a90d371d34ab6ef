"""A CSV file with a header row, each cell with the line and character column it is on.

This is the format of the small tables people hand to the statistics (``lab,value,
uncertainty`` for a proficiency test, ``value,censored`` for non-detects, ``time,value``
for a trend) and of the results file the limits are evaluated on
(:mod:`seawitness.ingest.results_csv`). A bad cell raises :class:`CsvCellError`,
``file:line:column: column 'name': what is wrong``, where ``column`` is the 1-based
character position of the field on its line, the way compilers report positions and
editors jump to them.

Conventions: UTF-8 (a byte-order mark is ignored); header names and cells are stripped
of surrounding blanks; blank lines are skipped; every row has as many fields as the
header (RFC 4180 §2.4). The file is checked whole first
(:mod:`seawitness.ingest.csvfile`): invalid UTF-8 is reported with its line, a file that
ends inside a line is refused as truncated, and a cell over
:data:`~seawitness.ingest.csvfile.MAX_FIELD` characters is refused, since a results
file cut inside its last value would otherwise be judged against the limits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from seawitness.errors import InputError
from seawitness.ingest.base import IngestError
from seawitness.ingest.csvfile import read_csv, read_lines

__all__ = ["FALSE_WORDS", "TRUE_WORDS", "CsvCellError", "CsvRow", "CsvTable", "read_csv_table"]

#: Spellings of a true flag; ``<`` marks a censored value (a detection limit).
TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "<"})
#: Spellings of a false flag; an empty cell is false.
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", ""})


class CsvCellError(IngestError):
    """A bad cell, header or row of a CSV table: ``file:line:column: message``.

    ``column`` is the 1-based character column where the field starts on its line."""


def _field_starts(raw: str) -> list[int]:
    """1-based character columns where each CSV field of the physical line ``raw`` starts
    (commas inside double quotes do not separate fields)."""
    starts, quoted = [1], False
    for i, ch in enumerate(raw):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            starts.append(i + 2)
    return starts


@dataclass(frozen=True)
class CsvRow:
    """One data row: its cells by header name, its line, where each field starts."""

    path: Path
    line: int
    cells: dict[str, str]
    starts: dict[str, int]

    def fail(self, column: str, message: str) -> CsvCellError:
        """The error for a bad cell in ``column`` (returned, for the caller to raise)."""
        return CsvCellError(self.path, self.line, self.starts.get(column, 1), message)

    def text(self, column: str) -> str:
        """The stripped cell; empty when the column is absent."""
        return self.cells.get(column, "")

    def number(self, column: str, *, non_negative: bool = False) -> float:
        """The cell as a finite number (``nan`` and ``inf`` are refused)."""
        raw = self.text(column)
        try:
            val = float(raw)
        except ValueError:
            raise self.fail(column, f"{column} {raw!r} is not a number") from None
        if not math.isfinite(val):
            raise self.fail(column, f"{column} {raw!r} is not a finite number")
        if non_negative and val < 0:
            raise self.fail(column, f"{column} {raw!r} must not be negative")
        return val

    def optional_number(self, column: str, *, non_negative: bool = False) -> float | None:
        """:meth:`number`, or None for an empty cell."""
        return self.number(column, non_negative=non_negative) if self.text(column) else None

    def flag(self, column: str) -> bool:
        """The cell as true/false (:data:`TRUE_WORDS`, :data:`FALSE_WORDS`)."""
        raw = self.text(column).lower()
        if raw in TRUE_WORDS:
            return True
        if raw in FALSE_WORDS:
            return False
        raise self.fail(column, f"{column} {raw!r} is not true/false (or 1/0, yes/no, <)")

    def instant(self, column: str, *, naive_utc: bool = True) -> datetime:
        """The cell as an ISO 8601 date or date-time in UTC
        (:func:`seawitness.model.times.parse_instant`; without a zone: UTC, or refused
        when ``naive_utc`` is false)."""
        from seawitness.model.times import parse_instant

        try:
            return parse_instant(self.text(column), field=column, naive=UTC if naive_utc else None)
        except InputError as exc:
            raise self.fail(column, exc.diagnostics()) from None

    def number_or_instant(self, column: str) -> float | datetime:
        """A number, else an ISO 8601 date or date-time (UTC when it has no zone)."""
        raw = self.text(column)
        try:
            val = float(raw)
        except ValueError:
            pass
        else:
            if math.isfinite(val):
                return val
        try:
            return self.instant(column)
        except CsvCellError:
            raise self.fail(
                column, f"{column} {raw!r} is not a number or an ISO 8601 date"
            ) from None


@dataclass(frozen=True)
class CsvTable:
    """A whole CSV table: the header and the non-blank rows, in file order."""

    path: Path
    header: list[str]
    header_starts: list[int]
    rows: list[CsvRow]

    def fail_header(self, column: str, message: str) -> CsvCellError:
        """The error for a header cell (line 1)."""
        i = self.header.index(column) if column in self.header else 0
        return CsvCellError(self.path, 1, self.header_starts[i], message)


def read_csv_table(
    path: Path,
    required: Sequence[str] = (),
    optional: Sequence[str] | None = None,
    *,
    allow_empty: bool = False,
) -> CsvTable:
    """Read ``path``: a header naming at least the ``required`` columns, then rows.

    :param optional: the other columns allowed; None allows any (they are kept).
    :param allow_empty: accept a file with a header and no data rows.
    :raises CsvCellError: an unreadable file, a missing or unknown column, a row with the
        wrong number of fields, or (unless ``allow_empty``) no data rows.
    """
    try:
        raw_lines = read_lines(path)
        row_lines: list[int] = []
        rows = read_csv(path, raw_lines, starts=row_lines)
    except OSError as exc:
        raise CsvCellError(path, None, None, f"cannot read file: {exc.strerror or exc}") from None
    except CsvCellError:
        raise
    except IngestError as exc:  # keep this module's one error type, with the full path
        raise CsvCellError(path, exc.line, None, exc.reason) from None
    if not rows:
        raise CsvCellError(path, 1, 1, "empty file; expected a header row")
    header = [h.strip() for h in rows[0]]
    header_starts = _field_starts(raw_lines[0]) if raw_lines else [1]
    table = CsvTable(path, header, header_starts, [])
    missing = [c for c in required if c not in header]
    if missing:
        allowed = f"; optional: {', '.join(optional)}" if optional else ""
        raise CsvCellError(
            path,
            1,
            1,
            f"missing column(s) {', '.join(missing)}; required: {', '.join(required)}"
            f"{allowed}; found: {', '.join(h for h in header if h) or 'none'}",
        )
    if optional is not None:
        known = {*required, *optional}
        unknown = [h for h in header if h not in known]
        if unknown:
            raise table.fail_header(unknown[0], f"unknown column {unknown[0]!r}")
    seen: set[str] = set()
    for i, h in enumerate(header):
        if h and h in seen:
            raise CsvCellError(path, 1, header_starts[i], f"column {h!r} appears twice")
        seen.add(h)
    for line, fields in zip(row_lines[1:], rows[1:], strict=True):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise CsvCellError(
                path,
                line,
                1,
                f"expected {len(header)} fields, as in the header; found {len(fields)}",
            )
        starts = _field_starts(raw_lines[line - 1]) if line - 1 < len(raw_lines) else []
        table.rows.append(
            CsvRow(
                path,
                line,
                {h: f.strip() for h, f in zip(header, fields, strict=True)},
                {h: starts[i] if i < len(starts) else 1 for i, h in enumerate(header)},
            )
        )
    if not table.rows and not allow_empty:
        raise CsvCellError(path, None, None, "no data rows after the header")
    return table
