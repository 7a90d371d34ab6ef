"""Station names in Japanese where a published source gives them (``station_names.toml``).

Station codes stay the key everywhere; a Japanese name is shown beside the code, with
its source, on the station page and in the map's popups.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["SOURCE", "japanese_name"]

_FILE = Path(__file__).parent / "station_names.toml"


@cache
def _table() -> dict[str, Any]:
    return tomllib.loads(_FILE.read_text(encoding="utf-8"))


SOURCE: str = str(_table()["source"])


def japanese_name(org: str, code: str) -> str | None:
    """The Japanese name of a station, or None when no source we hold gives one."""
    names = _table().get("ja", {}).get(org, {})
    name = names.get(code)
    return str(name) if name else None
