"""Bundled public data: the raw ORBS download, its station table and the NRA workbook.

The files are copies of public data (see ``ATTRIBUTION.md`` next to this module); nothing
here is code. :func:`bundled_path` finds them whether the package is installed or run from
a source checkout.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_path"]

_ROOT = Path(__file__).resolve().parent


def bundled_path(*parts: str) -> Path:
    """Path of a bundled data file or folder, e.g. ``bundled_path("orbs", "Seawater")``."""
    return _ROOT.joinpath(*parts)
