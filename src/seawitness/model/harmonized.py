"""What a result *means* when its source wrote it loosely: unit, tritium form, depth.

The record keeps what the source wrote (``unit``, ``nuclide``, ``depth``); the index keeps
these harmonized readings beside it, so that one series is not split by a change of
spelling and a depth filter can work on free text. They are pure text rules, here in the
model so that the store can write them with each index row and a migration can fill them
in for rows already stored; :mod:`seawitness.harmonize.units` builds its conversion table
from :data:`UNIT_SPELLINGS`.

Units
    ``Bq/kg-fresh`` and ``Bq/kg`` of the same programme are one wet-weight unit: ORBS's
    Fukushima Prefecture fish results switch spelling in 2023 with the same detection
    limits (see :mod:`seawitness.ingest.orbs`); the basis column records wet/dry/water.
Tritium in biota
    tritium per litre of *combustion* water is organically bound tritium (OBT), per litre
    of *tissue free water* it is free-water tritium (TFWT); ORBS writes some of these as
    plain ``H-3`` with the unit saying which (``Bq/L-combustion water``, ``Bq/L-water``).
    The two forms have different dose coefficients (ICRP Publication 72: HTO/TFWT
    1.8e-11 Sv/Bq, OBT 4.2e-11 Sv/Bq) and Codex's H-3 guideline is for OBT only.
Depth
    parsed to metres where the text gives a number, and to a layer class: ``surface``
    (surface layer, upper layer, the top 0.5 m, or a stated depth of at most 2 m),
    ``bottom`` (bottom/lower layer, "2 to 3 m above seabed"), ``mid`` (a middle layer, or
    a stated depth below 2 m that the text does not call the bottom). The 2 m bound is the
    deepest of the surface samplings ORBS states in metres next to a "surface" block at
    the same point (``0.5m``, ``1m``, ``1.5m``, ``2m``); a deeper sample without a stated
    bottom is mid-water.
"""

from __future__ import annotations

import re

from seawitness.model.records import Basis

__all__ = [
    "DEPTH_CLASSES",
    "SURFACE_MAX_M",
    "UNIT_SPELLINGS",
    "depth_class",
    "harmonized_unit",
    "nuclide_form",
]

#: (spelling, pint scale, kind, basis the spelling states, canonical spelling, extracted
#: water) for every unit spelling the sources use; the one table of unit spellings.
UNIT_SPELLINGS: tuple[tuple[str, str, str, Basis | None, str, bool], ...] = (
    ("Bq/L", "Bq/L", "volume", Basis.WATER, "Bq/L", False),
    ("mBq/L", "mBq/L", "volume", Basis.WATER, "mBq/L", False),
    ("Bq/m3", "Bq/m**3", "volume", Basis.WATER, "Bq/m3", False),
    ("Bq/m³", "Bq/m**3", "volume", Basis.WATER, "Bq/m3", False),
    ("mBq/m3", "mBq/m**3", "volume", Basis.WATER, "mBq/m3", False),
    ("Bq/L-water", "Bq/L", "volume", Basis.WATER, "Bq/L", True),
    ("Bq/L-combustion water", "Bq/L", "volume", Basis.WATER, "Bq/L", True),
    ("Bq/kg", "Bq/kg", "mass", None, "Bq/kg", False),
    ("mBq/kg", "mBq/kg", "mass", None, "mBq/kg", False),
    ("Bq/kg-fresh", "Bq/kg", "mass", Basis.WET, "Bq/kg", False),
    ("Bq/kg wet", "Bq/kg", "mass", Basis.WET, "Bq/kg", False),
    ("Bq/kg-wet", "Bq/kg", "mass", Basis.WET, "Bq/kg", False),
    ("Bq/kgw", "Bq/kg", "mass", Basis.WET, "Bq/kg", False),
    ("Bq/kg dry", "Bq/kg", "mass", Basis.DRY, "Bq/kg", False),
    ("Bq/kg-dry", "Bq/kg", "mass", Basis.DRY, "Bq/kg", False),
    ("Bq/kgd", "Bq/kg", "mass", Basis.DRY, "Bq/kg", False),
    ("TU", "dimensionless", "tu", Basis.WATER, "TU", False),
)

_CANONICAL = {" ".join(s[0].split()).lower(): s[4] for s in UNIT_SPELLINGS}
_FORM_BY_UNIT = {"bq/l-combustion water": "H-3:OBT", "bq/l-water": "H-3:TFWT"}

#: Layer classes of :func:`depth_class`, top to bottom.
DEPTH_CLASSES: tuple[str, ...] = ("surface", "mid", "bottom")
#: Deepest stated sampling depth still read as the surface layer [m] (module docstring).
SURFACE_MAX_M = 2.0

_METRES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*m\s*$", re.IGNORECASE)
_SURFACE_TO = re.compile(r"surface to a depth of\s*(\d+(?:\.\d+)?)\s*m", re.IGNORECASE)
_BOTTOM_WORDS = ("bottom", "lower layer", "seabed", "sea bed", "下層", "底層", "海底")
_MID_WORDS = ("middle layer", "mid layer", "mid-depth", "中層")
_SURFACE_WORDS = ("surface", "upper layer", "表層", "上層")


def harmonized_unit(unit: str) -> str:
    """The canonical spelling of ``unit`` (``"Bq/kg-fresh"`` → ``"Bq/kg"``); a spelling
    not in :data:`UNIT_SPELLINGS` is returned as written."""
    return _CANONICAL.get(" ".join(unit.split()).lower(), unit)


def nuclide_form(nuclide: str, unit: str) -> str:
    """The tritium form a result is of: ``H-3`` per litre of combustion water is
    ``H-3:OBT``, per litre of tissue water ``H-3:TFWT``; every other result keeps its
    nuclide (a form already named, e.g. ``H-3:OBT``, stays as it is)."""
    if nuclide != "H-3":
        return nuclide
    return _FORM_BY_UNIT.get(" ".join(unit.split()).lower(), nuclide)


def depth_class(depth: str | None, depth_m: float | None = None) -> tuple[float | None, str | None]:
    """``(metres, layer class)`` of a sampling depth as the source wrote it.

    :param depth: the source's text (``"Surface layer"``, ``"2 to 3 m above seabed"``,
        ``"100m"``, ``"表層水"``), or None.
    :param depth_m: the depth the record states in metres, if any (it wins over the text).
    :returns: the depth in metres below the surface where the text or record gives one
        (None for a layer name or a height above the seabed), and the class
        (``surface``, ``mid``, ``bottom``) or None when nothing is said.

    >>> depth_class("Sea surface to a depth of 0.5 m")
    (0.5, 'surface')
    >>> depth_class("2 to 3 m above seabed")
    (None, 'bottom')
    >>> depth_class("100m")
    (100.0, 'mid')
    """
    text = (depth or "").strip()
    metres = depth_m
    if metres is None and (m := _METRES.match(text)):
        metres = float(m.group(1))
    if metres is None and (m := _SURFACE_TO.search(text)):
        metres = float(m.group(1))
    low = text.lower()
    if any(w in low for w in _BOTTOM_WORDS):
        return metres, "bottom"
    if any(w in low for w in _MID_WORDS):
        return metres, "mid"
    if any(w in low for w in _SURFACE_WORDS):
        return metres, "surface"
    if metres is not None:
        return metres, "surface" if metres <= SURFACE_MAX_M else "mid"
    return None, None
