"""Conversion of activity concentrations between the units sources publish.

Sources write the same kind of result in many units: ORBS and the NRA workbook give
seawater in Bq/L, MARIS in Bq/m³, biota in Bq/kg fresh (wet) or dry mass, tritium in water
sometimes in tritium units (TU), and tritium in biota per litre of tissue free water or of
combustion water. This module converts between them with :mod:`pint` for the scale
factors and explicit, caller-supplied physical quantities for every change of *kind*:

=====================================  ==========================================
conversion                             needs
=====================================  ==========================================
Bq/L ↔ mBq/L ↔ Bq/m³                   nothing (SI prefixes, 1 m³ = 1000 L)
Bq/L (water) ↔ Bq/kg (water)           ``density`` of the water [kg/L]
TU ↔ Bq/kg (water)                     nothing: 1 TU = :data:`TU_BQ_PER_KG` Bq/kg
Bq/kg wet ↔ Bq/kg dry                  ``dry_wet_ratio`` [kg dry / kg wet]
Bq/L of extracted water ↔ Bq/kg wet    ``water_yield`` [L water / kg wet]
=====================================  ==========================================

A conversion whose quantity the caller did not give raises :class:`ConversionError`
naming that quantity. Nothing is ever assumed: seawater density varies with temperature
and salinity (1.020–1.030 kg/L), a fish's dry/wet ratio with species and tissue, and both
must come with the sample [1]_.

References
----------
.. [1] seawitness research notes, "Uncertainty, decay, units": Bq/kg = (Bq/L)/ρ with
   seawater ρ ≈ 1.025 kg/L; Bq/kg dry = Bq/kg wet / (dry/wet ratio); "always carry wet/dry
   basis ... as metadata, never infer".
.. [2] IAEA, MARIS unit table (``unit_id``): 1 Bq/m³, 3 Bq/kg, 4 Bq/kgd, 5 Bq/kgw, 7 TU.
.. [3] Tritium unit: 1 TU = one ³H atom per 10¹⁸ hydrogen atoms. Activity per kg of water
   computed here from that definition with the half-life T½ = 4500 d = 12.32 y of
   Lucas, L. L. and Unterweger, M. P., "Comprehensive review and critical evaluation of
   the half-life of tritium", J. Res. Natl. Inst. Stand. Technol. 105, 541 (2000),
   :doi:`10.6028/jres.105.043` (the value ICRP-107 also adopts), giving
   1 TU = 0.11919 Bq/kg; University of Ottawa tritium laboratory: "in water,
   1 TU = 0.119 Bq/L". The older figure 0.118 Bq/kg corresponds to T½ = 12.43 y.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pint

from seawitness.errors import InputError
from seawitness.model.harmonized import UNIT_SPELLINGS
from seawitness.model.nuclides import is_tritium
from seawitness.model.records import Basis, Measurement

__all__ = [
    "ACCEPTED_UNITS",
    "TU_BQ_PER_KG",
    "TYPICAL_SEAWATER_DENSITY_KG_PER_L",
    "ConversionError",
    "UnitSpec",
    "UnknownUnit",
    "basis_of_unit",
    "canonical_unit",
    "convert",
    "conversion_factor",
    "harmonize_measurement",
    "parse_unit",
]

_UREG: Any = pint.UnitRegistry()

# -- the tritium unit, from its definition -------------------------------------------
_AVOGADRO_PER_MOL = 6.02214076e23  # exact, SI 2019
_MOLAR_MASS_WATER_G_PER_MOL = 18.01528  # H2O with natural isotopic composition
_TRITIUM_HALF_LIFE_S = 4500.0 * 86400.0  # Lucas & Unterweger (2000), 4500 ± 8 d

#: Activity of one tritium unit (³H/H = 1e-18) per kg of water [Bq/kg]; see [3]_.
TU_BQ_PER_KG: float = (2.0 * 1000.0 / _MOLAR_MASS_WATER_G_PER_MOL * _AVOGADRO_PER_MOL * 1e-18) * (
    math.log(2.0) / _TRITIUM_HALF_LIFE_S
)

#: A typical open-ocean seawater density [kg/L] (range 1.020–1.030 with T and S) [1]_.
#: Never applied silently: pass it as ``density=`` if that approximation is acceptable.
TYPICAL_SEAWATER_DENSITY_KG_PER_L: float = 1.025


class ConversionError(InputError):
    """A conversion that cannot be done with the quantities given; the message says why."""


class UnknownUnit(ConversionError):
    """A unit spelling that is not recognised; the message lists the accepted spellings."""


class _Kind(StrEnum):
    VOLUME = "volume"  # Bq per volume of water (seawater, drinking water, extracted water)
    MASS = "mass"  # Bq per mass; the basis says of what
    TU = "tu"  # tritium units (per kg of water)


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """A parsed unit spelling.

    ``pint_unit`` is the scale in pint's notation, ``kind`` the physical kind, ``basis``
    the basis the spelling itself states (None when it does not say, e.g. plain
    ``Bq/kg``), ``canonical`` the spelling records are stored with, and ``extracted``
    True for litres of water extracted from a solid sample (tissue free water or
    combustion water).
    """

    spelling: str
    pint_unit: str
    kind: _Kind
    basis: Basis | None
    canonical: str
    extracted: bool = False


def _spec(
    spelling: str,
    pint_unit: str,
    kind: _Kind,
    basis: Basis | None,
    canonical: str,
    extracted: bool = False,
) -> UnitSpec:
    return UnitSpec(spelling, pint_unit, kind, basis, canonical, extracted)


_UNITS: dict[str, UnitSpec] = {
    " ".join(spelling.split()).lower(): _spec(spelling, pint_unit, _Kind(kind), basis, canonical,
                                              extracted)
    for spelling, pint_unit, kind, basis, canonical, extracted in UNIT_SPELLINGS
}  # fmt: skip

#: Every unit spelling :func:`parse_unit` accepts (case-insensitive).
ACCEPTED_UNITS: tuple[str, ...] = tuple(s.spelling for s in _UNITS.values())


def parse_unit(unit: str) -> UnitSpec:
    """Parse a unit spelling as sources write it.

    Parameters
    ----------
    unit : str
        A spelling such as ``"Bq/L"``, ``"Bq/m³"``, ``"Bq/kg-fresh"``, ``"Bq/kgd"`` or
        ``"TU"`` (case and surrounding blanks ignored). MARIS spellings follow [2]_.

    Returns
    -------
    UnitSpec

    Raises
    ------
    UnknownUnit
        The spelling is not known; the message lists the accepted spellings.
    """
    key = " ".join(unit.strip().split()).lower()
    try:
        return _UNITS[key]
    except KeyError:
        raise UnknownUnit(
            f"unknown unit {unit!r}; accepted spellings: {', '.join(ACCEPTED_UNITS)}"
        ) from None


def canonical_unit(unit: str) -> str:
    """The spelling a record stores for ``unit`` (``"Bq/kg-fresh"`` → ``"Bq/kg"``)."""
    return parse_unit(unit).canonical


def basis_of_unit(unit: str) -> Basis | None:
    """The basis a unit spelling states itself, or None when it does not say (``Bq/kg``)."""
    return parse_unit(unit).basis


def _resolve_basis(spec: UnitSpec, given: Basis | None, which: str) -> Basis:
    if spec.basis is not None:
        if spec.kind is _Kind.MASS and given is not None and given is not spec.basis:
            raise ConversionError(
                f"{which} unit {spec.spelling!r} states basis {spec.basis.value!r} but "
                f"basis {given.value!r} was given"
            )
        return spec.basis
    if given is None:
        raise ConversionError(
            f"{which} unit {spec.spelling!r} does not say whether it is per kg wet, dry or "
            "of water; give the basis"
        )
    return given


def conversion_factor(
    from_unit: str,
    to_unit: str,
    *,
    nuclide: str,
    basis: Basis | str | None,
    to_basis: Basis | str | None = None,
    density: float | None = None,
    dry_wet_ratio: float | None = None,
    water_yield: float | None = None,
) -> float:
    """The factor ``f`` such that a value in ``from_unit`` times ``f`` is in ``to_unit``.

    All conversions here are linear, so a value, its standard uncertainty and its
    detection limit convert with the same factor. Arguments as in :func:`convert`.
    Factors are cached: pint's parsing costs far more than the arithmetic, and a data
    set uses a handful of unit pairs.
    """
    return _cached_factor(
        from_unit,
        to_unit,
        nuclide,
        Basis(basis) if basis is not None else None,
        Basis(to_basis) if to_basis is not None else None,
        density,
        dry_wet_ratio,
        water_yield,
    )


@functools.lru_cache(maxsize=4096)
def _cached_factor(
    from_unit: str,
    to_unit: str,
    nuclide: str,
    basis: Basis | None,
    to_basis: Basis | None,
    density: float | None,
    dry_wet_ratio: float | None,
    water_yield: float | None,
) -> float:
    src, dst = parse_unit(from_unit), parse_unit(to_unit)
    b_src = _resolve_basis(src, Basis(basis) if basis is not None else None, "source")
    b_dst_given = Basis(to_basis) if to_basis is not None else None
    if dst.basis is None and b_dst_given is None:
        b_dst_given = b_src  # plain "Bq/kg" as target: keep the source's basis
    b_dst = _resolve_basis(dst, b_dst_given, "target")
    if (src.kind is _Kind.TU or dst.kind is _Kind.TU) and not is_tritium(nuclide):
        raise ConversionError(f"tritium units (TU) apply to tritium only, not {nuclide!r}")
    for name, v in (
        ("density", density),
        ("dry_wet_ratio", dry_wet_ratio),
        ("water_yield", water_yield),
    ):
        if v is not None and not (math.isfinite(v) and v > 0):
            raise ConversionError(f"{name} must be a positive number, got {v}")
    if dry_wet_ratio is not None and dry_wet_ratio > 1.0:
        raise ConversionError(f"dry_wet_ratio must be in (0, 1], got {dry_wet_ratio}")

    # Each side is reduced to a pivot: Bq per litre of water, or Bq per kg of water, wet
    # or dry mass; the pivots are then bridged with the physical quantities given.
    f_src, p_src = _to_pivot(src, b_src)
    f_dst, p_dst = _to_pivot(dst, b_dst)
    bridge = _bridge(
        p_src,
        p_dst,
        density=density,
        dry_wet_ratio=dry_wet_ratio,
        water_yield=water_yield,
        extracted=src.extracted or dst.extracted,
    )
    return f_src * bridge / f_dst


_Pivot = tuple[str, Basis]  # ("L", water) | ("kg", water | wet | dry)


def _to_pivot(spec: UnitSpec, basis: Basis) -> tuple[float, _Pivot]:
    """Factor from ``spec`` to its pivot unit, and the pivot."""
    if spec.kind is _Kind.TU:
        return TU_BQ_PER_KG, ("kg", Basis.WATER)
    base, pivot = ("Bq/L", ("L", basis)) if spec.kind is _Kind.VOLUME else ("Bq/kg", ("kg", basis))
    # SI prefix factors are exact powers of ten; round away pint's binary noise.
    scale = float(_UREG.Quantity(1.0, spec.pint_unit).to(base).magnitude)
    return float(f"{scale:.12g}"), pivot


def _bridge(
    src: _Pivot,
    dst: _Pivot,
    *,
    density: float | None,
    dry_wet_ratio: float | None,
    water_yield: float | None,
    extracted: bool,
) -> float:
    """Factor from Bq per ``src`` pivot to Bq per ``dst`` pivot."""
    if src == dst:
        return 1.0
    if src[0] == "kg" and dst[0] == "kg" and {src[1], dst[1]} == {Basis.WET, Basis.DRY}:
        if dry_wet_ratio is None:
            raise ConversionError(
                "converting between per-kg wet and per-kg dry mass needs the sample's "
                "dry/wet mass ratio [kg dry / kg wet], which was not given"
            )
        # Bq/kg dry = Bq/kg wet / (dry/wet)
        return 1.0 / dry_wet_ratio if src[1] is Basis.WET else dry_wet_ratio
    if {src, dst} == {("L", Basis.WATER), ("kg", Basis.WATER)}:
        if density is None:
            raise ConversionError(
                "converting between per-litre and per-kg of water needs the density of the "
                "water [kg/L], which was not given (seawater is 1.020-1.030 kg/L)"
            )
        return 1.0 / density if src[0] == "L" else density  # Bq/kg = (Bq/L) / rho
    if src[0] == "L" and dst[0] == "kg" and dst[1] in (Basis.WET, Basis.DRY):
        if water_yield is None:
            what = "tissue free water or combustion water" if extracted else "water"
            raise ConversionError(
                f"converting per-litre of {what} to per-kg {dst[1].value} mass needs the "
                "water yield of the sample [L per kg wet], which was not given"
            )
        wet = ("kg", Basis.WET)
        return water_yield * _bridge(
            wet,
            dst,
            density=density,
            dry_wet_ratio=dry_wet_ratio,
            water_yield=water_yield,
            extracted=extracted,
        )
    if dst[0] == "L" and src[0] == "kg":
        return 1.0 / _bridge(
            dst,
            src,
            density=density,
            dry_wet_ratio=dry_wet_ratio,
            water_yield=water_yield,
            extracted=extracted,
        )
    raise ConversionError(
        f"cannot convert per kg of {src[1].value} to per kg of {dst[1].value}: a water "
        "basis (seawater, drinking water) and a biota mass basis are different quantities"
    )


def convert(
    value: float,
    from_unit: str,
    to_unit: str,
    *,
    nuclide: str,
    basis: Basis | str | None,
    to_basis: Basis | str | None = None,
    density: float | None = None,
    dry_wet_ratio: float | None = None,
    water_yield: float | None = None,
) -> float:
    """Convert an activity concentration between units and bases.

    Parameters
    ----------
    value : float
        The activity concentration in ``from_unit``. [from_unit]
    from_unit, to_unit : str
        Unit spellings (see :data:`ACCEPTED_UNITS`); the MARIS codes follow [2]_.
    nuclide : str
        Canonical nuclide name; tritium units are refused for anything but tritium.
    basis : Basis or str or None
        The basis of ``value`` where ``from_unit`` does not state it (``"Bq/kg"``):
        ``"water"``, ``"wet"`` or ``"dry"``. A conflicting basis is an error.
    to_basis : Basis or str, optional
        The basis wanted where ``to_unit`` does not state it; defaults to ``basis``.
    density : float, optional
        Density of the water [kg/L]; needed between per-litre and per-kg of water [1]_.
    dry_wet_ratio : float, optional
        Dry mass over wet mass of the sample [kg/kg]; needed between wet and dry bases [1]_.
    water_yield : float, optional
        Litres of tissue free water or combustion water per kg wet sample [L/kg]; needed
        between per-litre-of-extracted-water and per-kg results (tritium in biota).

    Returns
    -------
    float
        The value in ``to_unit``. [to_unit]

    Raises
    ------
    ConversionError
        A needed quantity is missing (the message names it) or the conversion is
        meaningless. :class:`UnknownUnit` for an unrecognised spelling.

    Examples
    --------
    >>> convert(1.0, "Bq/L", "Bq/m³", nuclide="Cs-137", basis="water")
    1000.0
    >>> round(convert(10.0, "TU", "Bq/kg", nuclide="H-3", basis="water"), 4)
    1.1919
    """
    return value * conversion_factor(
        from_unit,
        to_unit,
        nuclide=nuclide,
        basis=basis,
        to_basis=to_basis,
        density=density,
        dry_wet_ratio=dry_wet_ratio,
        water_yield=water_yield,
    )


def harmonize_measurement(
    m: Measurement,
    to_unit: str,
    *,
    to_basis: Basis | str | None = None,
    density: float | None = None,
    dry_wet_ratio: float | None = None,
    water_yield: float | None = None,
) -> Measurement:
    """Return ``m`` expressed in ``to_unit``: value, uncertainty and detection limit together.

    The record's ``unit`` becomes the canonical spelling of ``to_unit`` and its ``basis``
    the target basis. The conversion is linear, so the standard uncertainty scales with the
    value (the uncertainty of a supplied density or dry/wet ratio is not propagated).
    Parameters as in :func:`convert`.
    """
    dst = parse_unit(to_unit)
    f = conversion_factor(
        m.unit,
        to_unit,
        nuclide=m.nuclide,
        basis=m.basis,
        to_basis=to_basis,
        density=density,
        dry_wet_ratio=dry_wet_ratio,
        water_yield=water_yield,
    )
    if dst.basis is not None:
        new_basis = dst.basis
    elif to_basis is not None:
        new_basis = Basis(to_basis)
    else:
        new_basis = m.basis

    def scaled(v: float | None) -> float | None:
        return None if v is None else v * f

    return m.replace(
        value=scaled(m.value),
        uncertainty=scaled(m.uncertainty),
        detection_limit=scaled(m.detection_limit),
        unit=dst.canonical,
        basis=new_basis,
    )
