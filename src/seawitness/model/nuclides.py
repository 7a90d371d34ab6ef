"""Nuclide names: one canonical spelling for every way sources write them.

Sources write the same nuclide many ways (``137Cs``, ``Cs137``, ``Cs-137``, ``CS-137``,
``3H``, ``H-3:TFWT``). Records store the canonical form ``Symbol-A`` (e.g. ``Cs-137``),
with tritium's forms kept apart because their dose coefficients and meaning differ
(ICRP Publication 72, Annex F: HTO 1.8e-11 Sv/Bq, OBT 4.2e-11 Sv/Bq):

* ``H-3``       tritium in water (HTO), seawater or drinking water
* ``H-3:TFWT``  tissue free-water tritium in biota
* ``H-3:OBT``   organically bound tritium in biota

Sums and gross measurements keep a descriptive canonical name (``Pu-239+240``,
``gross-beta``, ``gross-alpha``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from seawitness.errors import InputError

TRITIUM_FORMS: frozenset[str] = frozenset({"H-3", "H-3:TFWT", "H-3:OBT"})

_GROSS = {
    "total beta": "gross-beta",
    "totalbeta": "gross-beta",
    "gross beta": "gross-beta",
    "t-beta": "gross-beta",
    "gross-beta": "gross-beta",
    "total alpha": "gross-alpha",
    "totalalpha": "gross-alpha",
    "gross alpha": "gross-alpha",
    "t-alpha": "gross-alpha",
    "gross-alpha": "gross-alpha",
}

_TRITIUM_FORM_ALIASES = {
    "": "H-3",
    "hto": "H-3",
    "water": "H-3",
    "tfwt": "H-3:TFWT",
    "fwt": "H-3:TFWT",
    "obt": "H-3:OBT",
}

# Element symbols that occur in marine radioactivity monitoring (MARIS dbo_nuclide table,
# the ALPS 29/30-nuclide list, natural series). Used to get capitalisation right.
_ELEMENT_SYMBOLS = (
    "H",
    "C",
    "S",
    "K",
    "Mn",
    "Fe",
    "Co",
    "Ni",
    "Se",
    "Sr",
    "Y",
    "Tc",
    "Ru",
    "Rh",
    "Ag",
    "Sb",
    "Te",
    "I",
    "Cs",
    "Ba",
    "Ce",
    "Pm",
    "Sm",
    "Eu",
    "Cd",
    "Zn",
    "Nb",
    "Zr",
    "Mo",
    "Ir",
    "Pb",
    "Po",
    "Ra",
    "Rn",
    "Th",
    "U",
    "Np",
    "Pu",
    "Am",
    "Cm",
    "Be",
    "Na",
    "Cr",
    "Bi",
    "Ac",
    "Pa",
    "La",
)
_ELEMENTS = {e.lower(): e for e in _ELEMENT_SYMBOLS}

_SYMBOL_FIRST = re.compile(r"^([A-Za-z]{1,2})[-\s]?(\d{1,3})(m\d?)?$")
_MASS_FIRST = re.compile(r"^(\d{1,3})(m\d?)?[-\s]?([A-Za-z]{1,2})$")


class UnknownNuclide(InputError):
    """A nuclide name that cannot be mapped to a canonical form."""


def _element(sym: str, original: str) -> str:
    try:
        return _ELEMENTS[sym.lower()]
    except KeyError:
        raise UnknownNuclide(
            f"unknown nuclide {original!r}: element {sym!r} is not known "
            "(expected a name like 'Cs-137', '137Cs', 'H-3:OBT' or 'gross-beta')"
        ) from None


@lru_cache(maxsize=4096)
def normalize_nuclide(name: str) -> str:
    """Return the canonical nuclide name for ``name``.

    Cached: a source spells the same few nuclides on every row, and every record checks
    its nuclide again when it is built.

    >>> normalize_nuclide("137Cs"), normalize_nuclide("H-3:TFWT"), normalize_nuclide("3H")
    ('Cs-137', 'H-3:TFWT', 'H-3')
    >>> normalize_nuclide("239Pu+240Pu")
    'Pu-239+240'
    """
    raw = name.strip()
    if not raw:
        raise UnknownNuclide("empty nuclide name")
    low = raw.lower()
    if low in _GROSS:
        return _GROSS[low]
    if low in ("tritium", "hto"):
        return "H-3"
    if low == "obt":
        return "H-3:OBT"
    if low in ("tfwt", "fwt"):
        return "H-3:TFWT"
    base, sep, form = raw.partition(":")
    if "+" in base:  # a sum such as 239Pu+240Pu or Pu-239+240
        parts = [p.strip() for p in base.split("+")]
        first = normalize_nuclide(parts[0])
        sym = first.split("-")[0]
        masses = [first.split("-", 1)[1]]
        for p in parts[1:]:
            if p.isdigit():
                masses.append(p)
            else:
                other = normalize_nuclide(p)
                if other.split("-")[0] != sym:
                    raise UnknownNuclide(f"unknown nuclide sum {name!r}: mixes elements")
                masses.append(other.split("-", 1)[1])
        return f"{sym}-{'+'.join(masses)}"
    m = _SYMBOL_FIRST.match(base.strip())
    if m:
        sym, mass, meta = m.group(1), m.group(2), m.group(3) or ""
    else:
        m = _MASS_FIRST.match(base.strip())
        if not m:
            raise UnknownNuclide(
                f"unknown nuclide {name!r} (expected a name like 'Cs-137', '137Cs', "
                "'H-3:OBT' or 'gross-beta')"
            )
        mass, meta, sym = m.group(1), m.group(2) or "", m.group(3)
    canonical = f"{_element(sym, name)}-{int(mass)}{meta.lower()}"
    if canonical == "H-3":
        key = form.strip().lower() if sep else ""
        if key not in _TRITIUM_FORM_ALIASES:
            raise UnknownNuclide(f"unknown tritium form {form!r} in {name!r} (HTO, TFWT or OBT)")
        return _TRITIUM_FORM_ALIASES[key]
    if sep:
        raise UnknownNuclide(f"a form suffix is only defined for tritium, not {name!r}")
    return canonical


def is_tritium(nuclide: str) -> bool:
    """True for every tritium form (HTO, TFWT, OBT)."""
    return nuclide in TRITIUM_FORMS


def decay_name(nuclide: str) -> str | None:
    """The single-nuclide name used for decay correction, or None for sums/gross values."""
    if nuclide.startswith("gross-") or "+" in nuclide:
        return None
    return nuclide.split(":")[0]
