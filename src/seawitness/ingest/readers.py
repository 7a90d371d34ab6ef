"""One entry point for all source formats: pick a reader by name, read a file or a folder.

``FORMATS`` maps a format name to its reader; :func:`iter_files` lists what a folder holds
for that format (so a caller can show progress per file) and :func:`read_path` reads them
in that order. Without ``skip_invalid`` the first bad row raises
:class:`~seawitness.ingest.base.IngestError`; with it, bad rows land in
``ReadResult.rejected`` with their raw text and the rest is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from seawitness.ingest.base import IngestError, ReadResult
from seawitness.ingest.generic import Mapping, RowError, read_generic
from seawitness.ingest.maris import read_maris
from seawitness.ingest.native import read_native
from seawitness.ingest.nra import read_nra
from seawitness.ingest.orbs import read_orbs


@dataclass(frozen=True)
class Format:
    """A source format: its reader, the file patterns it reads and whether it needs a mapping."""

    name: str
    read: Callable[..., ReadResult]
    patterns: tuple[str, ...]
    needs_mapping: bool = False


FORMATS: dict[str, Format] = {
    # ORBS folders also hold the station tables: only the data files are read.
    "orbs": Format(
        "orbs",
        read_orbs,
        (
            "Seawater_*.csv",
            "Fishes_*.csv",
            "Seaweeds_*.csv",
            "seawater_data.csv",
            "fish_data.csv",
            "seaweed_data.csv",
        ),
    ),  # fmt: skip
    "nra": Format("nra", read_nra, ("*.xlsx",)),
    "maris": Format("maris", read_maris, ("*.csv",)),
    "csv": Format("csv", read_generic, ("*.csv",), needs_mapping=True),
    # seawitness's own CSV export (export -> import is lossless)
    "seawitness": Format("seawitness", read_native, ("*.csv",)),
}


def _format(fmt: str) -> Format:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r} (expected one of {sorted(FORMATS)})") from None


def iter_files(path: Path, fmt: str) -> list[Path]:
    """The files :func:`read_path` would read: ``path`` itself, or the format's files
    under the folder, recursively, sorted by path (so runs are repeatable)."""
    f = _format(fmt)
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no such file or folder: {path}")
    found: set[Path] = set()
    for pat in f.patterns:
        found.update(
            p for p in path.rglob(pat) if p.is_file() and not p.name.startswith((".", "~$"))
        )
    return sorted(found)


def read_path(
    path: Path, fmt: str, mapping: Path | None = None, skip_invalid: bool = False
) -> Iterator[ReadResult]:
    """Read a file or every file of a folder; one :class:`ReadResult` per file."""
    f = _format(fmt)
    if f.needs_mapping and mapping is None:
        raise ValueError(f"format {fmt!r} needs a mapping file (see docs/mapping.md)")
    parsed = Mapping.load(mapping) if f.needs_mapping and mapping is not None else None
    for p in iter_files(path, fmt):
        try:
            if parsed is not None:
                yield read_generic(p, parsed, skip_invalid=skip_invalid)
            else:
                yield f.read(p, skip_invalid=skip_invalid)
        except RowError as exc:  # a whole-file problem found by a row helper
            raise IngestError(p.name, None, exc.column, exc.reason) from None
        except UnicodeDecodeError as exc:
            raise IngestError(p.name, None, None, f"not UTF-8 text: {exc}") from None
