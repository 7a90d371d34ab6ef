"""Station names in Japanese where a published source gives them (``station_names.toml``).

Station codes stay the key everywhere; a Japanese name is shown beside the code, with
its source, on the station page and in the map's popups.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["japanese_name"]

_FILE = Path(__file__).parent / "station_names.toml"


@cache
def _table() -> dict[str, Any]:
    return tomllib.loads(_FILE.read_text(encoding="utf-8"))


def japanese_name(org: str, code: str) -> tuple[str, str] | None:
    """``(Japanese name, source)`` of a station, or None when no source we hold gives one."""
    got = _table().get("ja", {}).get(org, {}).get(code)
    if not got:
        return None
    name, src = got
    return str(name), str(_table()["sources"][src])
