"""The units a record may carry, what each implies, and which media each fits.

Units are stored as the source writes them (``Bq/kg-fresh``, ``Bq/L-combustion water``);
converting between them is the harmonize layer's job (pint). What the model checks is
that a unit is one we know and that it fits the record: the basis it implies (per litre
of water, per kg wet or dry mass) and the medium's quantity. Seawater is measured per
volume; fish, seaweed and sediment per mass, except tritium, which is measured in the
water of a sample (free water, or the water of combustion for organically bound tritium:
ICRP 72 and the ORBS fish tables give both per litre).
"""

from __future__ import annotations

from seawitness.errors import InputError

__all__ = ["UNIT_BASIS", "WATER_MEDIA", "check_unit", "unit_basis"]

# Basis values as the model's Basis enum writes them (kept as text here so this module
# stands below records.py, which imports it).
WATER, WET, DRY = "water", "wet", "dry"

#: Units we know, with the basis they imply. None: the basis must come from elsewhere
#: (``Bq/kg`` alone does not say wet or dry).
UNIT_BASIS: dict[str, str | None] = {
    "Bq/L": WATER,
    "Bq/l": WATER,
    "mBq/L": WATER,
    "mBq/l": WATER,
    "Bq/m3": WATER,
    "Bq/m³": WATER,
    "mBq/m3": WATER,
    "TU": WATER,
    "Bq/L-water": WATER,
    "Bq/L-combustion water": WATER,
    "Bq/kg": None,
    "mBq/kg": None,
    "Bq/kg-fresh": WET,
    "Bq/kg-wet": WET,
    "Bq/kg wet": WET,
    "Bq/kgw": WET,
    "Bq/kg-dry": DRY,
    "Bq/kg dry": DRY,
    "Bq/kgd": DRY,
}

#: Media measured per volume of water.
WATER_MEDIA = frozenset({"seawater", "drinking_water", "treated_water"})


def unit_basis(unit: str, default: str | None = None) -> str:
    """The basis a unit implies; ``default`` decides for ``Bq/kg``; unknown units fail."""
    if unit not in UNIT_BASIS:
        raise InputError(
            f"unknown unit {unit!r} (expected one of {', '.join(sorted(UNIT_BASIS))})",
            where="unit",
        )
    b = UNIT_BASIS[unit]
    if b is None:
        if default is None:
            raise InputError(f"unit {unit!r} does not say wet or dry; set a basis", where="unit")
        return default
    return b


def check_unit(medium: str, nuclide: str, unit: str, basis: str) -> str | None:
    """None if ``unit`` and ``basis`` fit a result for ``nuclide`` in ``medium``, else why not.

    Water media are measured per litre or per kg *of water* (MARIS holds seawater in
    Bq/kg of seawater), never per kg wet or dry mass; biota and sediment per kg wet or dry
    mass, except tritium, which is measured in the sample's water.

    >>> check_unit("seawater", "H-3", "Bq/L", "water") is None
    True
    >>> check_unit("seawater", "Cs-137", "Bq/kg-fresh", "wet")
    'seawater is measured per litre or per kg of water, not per kg wet mass'
    >>> check_unit("fish", "H-3:OBT", "Bq/L-combustion water", "water") is None
    True
    """
    if unit not in UNIT_BASIS:
        return f"unknown unit {unit!r} (expected one of {', '.join(sorted(UNIT_BASIS))})"
    implied = UNIT_BASIS[unit]
    if implied is not None and implied != basis:
        return f"unit {unit!r} is per {implied}, but basis is {basis!r}"
    if medium in WATER_MEDIA:
        if basis != WATER:
            return f"{medium} is measured per litre or per kg of water, not per kg {basis} mass"
    elif basis == WATER:
        if not nuclide.startswith("H-3"):
            return (
                f"{medium} is measured per kg wet or dry mass; only tritium is measured in "
                f"the sample's water (basis 'water')"
            )
        if implied is None:
            return f"{unit!r} with basis 'water' in {medium}: use a per-litre unit (Bq/L-water)"
    return None
