"""The report's words in English, Japanese, Chinese and Korean.

One TOML catalogue per language under ``i18n/``, with the same keys in each (a test checks
it), so a report never mixes languages silently. Numbers, units, nuclide names, station
codes, organisation names, rule titles and sources are data and stay as the data says.
The report keeps its own catalogues rather than the dashboard's: the two faces stand side
by side in the layers and neither may import the other.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["LANGS", "Catalogue", "catalogue"]

LANGS: dict[str, str] = {"en": "English", "ja": "日本語", "zh": "中文", "ko": "한국어"}
_DIR = Path(__file__).parent / "i18n"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The messages of one language."""
    data = tomllib.loads((_DIR / f"{lang}.toml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


class Catalogue:
    """``t("key", n=3)``: the message in the report's language (English if it lacks one)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else "en"
        self._msgs = catalogue(self.lang)
        self._en = catalogue("en")

    def __call__(self, key: str, **kw: Any) -> str:
        text = self._msgs.get(key) or self._en.get(key) or key
        return text.format(**kw) if kw else text

    def chart_labels(self) -> dict[str, str]:
        """The words :func:`seawitness.charts.svg.series_chart` draws."""
        keys = ("log_scale", "discharge_start", "nondetect", "nd_nolimit")
        out = {k: self(f"chart_{k}") for k in keys}
        for level in (
            "limit",
            "investigation",
            "suspension",
            "guideline",
            "guidance",
            "screening",
            "operational",
        ):
            out[f"level_{level}"] = self(f"level_{level}")
        return out

    def map_labels(self) -> dict[str, str]:
        """The words :func:`seawitness.charts.svg.station_map` draws."""
        keys = ("title", "square", "circle", "outlet", "plant", "plant_short", "results")
        out = {k: self(f"map_{k}") for k in keys}
        for zone in ("outlet-3km", "square-10km", "offshore", "unknown"):
            out[f"zone_{zone}"] = self(f"zone_{zone}")
        return out
