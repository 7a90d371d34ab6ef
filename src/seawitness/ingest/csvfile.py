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
  fewer was cut, joined or edited;
* a sampling date must at least look like one (:func:`check_date_shape`): a date cell
  holding ``2024/1/`` is what is left of a row cut inside its date, not a bad value.

Each failure raises :class:`~seawitness.ingest.base.IngestError` with the file and line,
whatever ``--skip-invalid`` says: skipping applies to bad values in good rows, never to a
file that is not whole.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

from seawitness.ingest.base import IngestError

__all__ = ["MAX_FIELD", "check_date_shape", "check_widths", "read_csv", "read_lines"]

#: Largest cell, in characters (csv's own default is 128 KiB).
MAX_FIELD = 128 * 1024

# The spellings parse_local accepts: YYYY/M/D or YYYY-MM-DD, optionally T or a blank and
# H:MM[:SS[.fff]]. Used only to tell a cut or garbled date from a well-formed bad one.
_DATE_SHAPE = re.compile(
    r"^\d{4}([/-])\d{1,2}\1\d{1,2}(?:[ T]+\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?$"
)


def _encoding_name(encoding: str) -> str:
    """The name people know an encoding by: ``utf-8-sig`` is UTF-8 (the byte-order mark
    is only skipped), so an error says UTF-8, not the codec's internal name."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return encoding
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8"}.get(name, name)


def read_lines(
    path: Path, encoding: str = "utf-8-sig", *, require_newline: bool = True
) -> list[str]:
    """The file's lines, line breaks kept, after checking it decodes and is not cut
    inside a line.

    Lines break at ``\n``, ``\r\n`` or ``\r`` only (as :mod:`csv` expects of a file
    opened with ``newline=""``), and keep their break so that a quoted cell spanning
    lines keeps it too: the native export must read back exactly as written.
    """
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise IngestError(
            path.name,
            line,
            None,
            f"not {_encoding_name(encoding)} text: byte {raw[exc.start]:#04x} is byte {column} "
            f"of the line (byte {exc.start} of the file); nothing of it was imported",
        ) from None
    except LookupError:
        raise IngestError(path.name, None, None, f"unknown encoding {encoding!r}") from None
    lines = io.StringIO(text, newline="").readlines()
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
    starts: list[int] | None = None,
) -> list[list[str]]:
    """Parse ``lines`` (from :func:`read_lines`: line ``first_line`` of the file
    onwards) as CSV rows.

    With ``starts`` given, the file line each row starts on is appended to it, so that
    a reader whose rows may span lines (a quoted cell with a line break) still reports
    the line an editor shows.
    """
    rows: list[list[str]] = []
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        while True:
            start = first_line + reader.line_num
            try:
                row = next(reader)
            except StopIteration:
                break
            if any(len(cell) > MAX_FIELD for cell in row):
                raise _too_long(path, first_line + reader.line_num - 1)
            rows.append(row)
            if starts is not None:
                starts.append(start)
    except csv.Error as exc:
        line = first_line + reader.line_num - 1
        at = max(reader.line_num - 1, 0)
        if at < len(lines) and len(lines[at]) > MAX_FIELD:
            # csv's own field limit (the same size) stops it first: say what it means.
            raise _too_long(path, line) from None
        raise IngestError(path.name, line, None, f"bad CSV: {exc}") from None
    return rows


def _too_long(path: Path, line: int) -> IngestError:
    return IngestError(
        path.name,
        line,
        None,
        f"a cell of over {MAX_FIELD} characters: not a monitoring result (the file is "
        "damaged or not a results file); nothing of it was imported",
    )


def check_widths(
    path: Path,
    rows: list[list[str]],
    width: int,
    *,
    first_line: int = 1,
    starts: list[int] | None = None,
) -> None:
    """Every non-empty row has ``width`` fields, or the file was cut, joined or edited.

    ``starts`` (from :func:`read_csv`) gives each row's line; else row ``n`` is taken to
    be on line ``first_line + n``.
    """
    for n, row in enumerate(rows):
        if row and len(row) != width:
            raise IngestError(
                path.name,
                starts[n] if starts is not None else first_line + n,
                None,
                f"this row has {len(row)} fields where the file's rows have {width}: the "
                "file looks truncated or edited; nothing of it was imported",
            )


def check_date_shape(file: str | Path, line: int, column: str | int | None, text: str) -> None:
    """Refuse, for the whole file, a sampling date that is not even shaped like one.

    A well-formed impossible date (month 13, the year 1850) is a bad value in a good row
    and ``--skip-invalid`` may set that row aside. ``2024/1/`` or ``2024/1/15 7:`` is
    what a cut or garbled row leaves behind: nothing of such a file can be trusted, so
    this raises whatever ``--skip-invalid`` says.
    """
    if not _DATE_SHAPE.match(text.strip()):
        raise IngestError(
            Path(file).name if isinstance(file, Path) else file,
            line,
            column,
            f"the sampling date {text!r} is not a date (expected YYYY/M/D or YYYY-MM-DD "
            "[H:MM]): the row looks cut or garbled; nothing of the file was imported",
        )
