"""What every reader returns, and how it reports bad input.

A reader turns one source file into :class:`ReadResult`: the measurements, the stations it
names, and the rows it rejected. Readers are declarative where the format allows (a column
map plus the source's missing-value and non-detect conventions) and never touch the
database: the importer decides what is new, what is a revision and what is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from seawitness.errors import InputError
from seawitness.model import Measurement, Station


class IngestError(InputError):
    """A bad row: ``file:line:column: what is wrong, what was expected``.

    ``line`` is 1-based as an editor shows it (for a workbook: the sheet row), ``column``
    is the header name or 1-based column number.
    """

    def __init__(
        self, file: str | Path, line: int | None, column: str | int | None, message: str
    ) -> None:
        self.file = str(file)
        self.line = line
        self.column = column
        self.reason = message
        where = self.file
        if line is not None:
            where += f":{line}"
        if column is not None:
            where += f":{column}"
        super().__init__(f"{where}: {message}")


@dataclass
class Rejected:
    """A row left out under ``--skip-invalid``, with the raw text and the reason."""

    file: str
    line: int | None
    column: str | int | None
    reason: str
    raw: str = ""


@dataclass
class ReadResult:
    """Everything one reader got from one file."""

    source: str  # e.g. "orbs", "nra", "maris", "csv"
    path: str
    measurements: list[Measurement] = field(default_factory=list)
    stations: list[Station] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    not_analysed: int = 0  # cells the source marks as not analysed ('-'), counted, not stored
    warnings: list[str] = field(default_factory=list)
