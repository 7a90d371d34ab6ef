"""Reading a source CSV file so that a damaged file fails whole, naming where.

A download cut short is the most dangerous bad input an importer meets: the last row
``…,0.0053,,0.6`` (where the source says ``0.65``) parses, and without these checks it
would become a signed "source revised" version of a real result. So before any row is
interpreted:

* the bytes must decode in the file's encoding (the error names the line and byte);
* the file must end with a line break: every source we read writes one after its last
  row, so a file that ends inside a line was cut (a complete file without it can be
  fixed by adding one);
* no cell may be larger than :data:`MAX_FIELD` (a 50 MB "line" is not a monitoring
  result);
* with ``width`` given, every row must have exactly that many fields: a row with more or
  fewer was cut, joined or edited.

Each failure raises :class:`~seawitness.ingest.base.IngestError` with the file and line,
whatever ``--skip-invalid`` says: skipping applies to bad values in good rows, never to a
file that is not whole.
"""

from __future__ import annotations

import csv
from pathlib import Path

from seawitness.ingest.base import IngestError

__all__ = ["MAX_FIELD", "check_widths", "read_csv", "read_lines"]

#: Largest cell, in characters (csv's own default is 128 KiB).
MAX_FIELD = 128 * 1024


def read_lines(
    path: Path, encoding: str = "utf-8-sig", *, require_newline: bool = True
) -> list[str]:
    """The file's lines, after checking it decodes and is not cut inside a line."""
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise IngestError(
            path.name, line, None, f"not valid {encoding} text (byte {exc.start} of the file)"
        ) from None
    except LookupError:
        raise IngestError(path.name, None, None, f"unknown encoding {encoding!r}") from None
    lines = text.splitlines()
    if require_newline and text and not text.endswith(("\n", "\r")):
        raise IngestError(
            path.name,
            len(lines),
            None,
            "the file ends in the middle of a line: it looks truncated (a complete file "
            "ends with a line break; if this one is complete, add one)",
        )
    return lines


def read_csv(
    path: Path,
    lines: list[str],
    *,
    first_line: int = 1,
    delimiter: str = ",",
) -> list[list[str]]:
    """Parse ``lines`` (line ``first_line`` of the file onwards) as CSV rows."""
    rows: list[list[str]] = []
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        for row in reader:
            if any(len(cell) > MAX_FIELD for cell in row):
                raise IngestError(
                    path.name,
                    first_line + reader.line_num - 1,
                    None,
                    f"a cell of over {MAX_FIELD} characters: not a monitoring result",
                )
            rows.append(row)
    except csv.Error as exc:
        raise IngestError(
            path.name, first_line + reader.line_num - 1, None, f"bad CSV: {exc}"
        ) from None
    return rows


def check_widths(path: Path, rows: list[list[str]], width: int, *, first_line: int = 1) -> None:
    """Every non-empty row has ``width`` fields, or the file was cut, joined or edited."""
    for n, row in enumerate(rows):
        if row and len(row) != width:
            raise IngestError(
                path.name,
                first_line + n,
                None,
                f"this row has {len(row)} fields where the file's rows have {width}: the "
                "file looks truncated or edited; nothing of it was imported",
            )
