"""Reading sources into records: one reader per format, and the bulk import.

* :mod:`~seawitness.ingest.readers` picks a reader by format name (``orbs``, ``nra``,
  ``maris``, ``csv`` with a mapping, ``seawitness``) and reads a file or a folder;
  :mod:`~seawitness.ingest.importer` diffs, signs and logs what they read.
* :mod:`~seawitness.ingest.csv_table` reads the small CSV tables the statistics take,
  and :mod:`~seawitness.ingest.results_csv` the results file the limits are evaluated
  on; their errors name the file, line and column.

The names below are imported on first use (PEP 562), so that importing one reader does
not import every other one and its dependencies (openpyxl for the NRA workbooks ...).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "FORMATS",
    "CsvCellError",
    "CsvRow",
    "CsvTable",
    "IngestError",
    "ReadResult",
    "Rejected",
    "import_results",
    "iter_files",
    "read_csv_table",
    "read_path",
    "read_results_csv",
]

_WHERE = {
    "FORMATS": "readers",
    "iter_files": "readers",
    "read_path": "readers",
    "import_results": "importer",
    "IngestError": "base",
    "ReadResult": "base",
    "Rejected": "base",
    "CsvCellError": "csv_table",
    "CsvRow": "csv_table",
    "CsvTable": "csv_table",
    "read_csv_table": "csv_table",
    "read_results_csv": "results_csv",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
