"""Message catalogues for the dashboard: English, Japanese, Chinese and Korean.

Each language is one TOML file of ``key = "text"`` under ``i18n/``; English is complete
and the others must have the same keys (a test checks it), so a page never mixes
languages silently. Nuclide names, units and station codes are data and are never
translated; names that come with the data (organisations, rule titles) have entries
``"org:<id>"`` and ``"rule:<rule set>/<rule id>"`` (see :meth:`Translator.data`).
``{name}`` placeholders are filled
with :meth:`str.format`.

The language comes from ``?lang=``, then the ``lang`` cookie, then the browser's
``Accept-Language``, then English.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LANGS: dict[str, str] = {"en": "English", "ja": "日本語", "zh": "中文", "ko": "한국어"}
DEFAULT = "en"
_DIR = Path(__file__).parent / "i18n"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The messages of one language (unknown keys fall back to English at lookup)."""
    data = tomllib.loads((_DIR / f"{lang}.toml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def negotiate(query: str | None, cookie: str | None, accept: str | None) -> str:
    """The language to use, from the query parameter, cookie or Accept-Language."""
    for choice in (query, cookie):
        if choice in LANGS:
            return str(choice)
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LANGS:
            return tag[:2]
    return DEFAULT


class Translator:
    """``t("key", n=3)``: the message in the chosen language, English if it lacks one."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else DEFAULT
        self._msgs = catalogue(self.lang)
        self._en = catalogue(DEFAULT)

    def data(self, kind: str, key: str, default: str | None = None) -> str:
        """A name from the data in the visitor's language: ``kind:key`` in the catalogue
        (``org:TEPCO``, ``rule:jp-mhlw/general-foods/Cs/limit``), else ``default``, else
        the key itself (a code is better than nothing)."""
        k = f"{kind}:{key}"
        return self._msgs.get(k) or self._en.get(k) or default or key

    def __call__(self, key: str, **kw: Any) -> str:
        text = self._msgs.get(key) or self._en.get(key) or key
        return text.format(**kw) if kw else text
