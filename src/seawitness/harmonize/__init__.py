"""Harmonization of results: units and decay correction.

* :mod:`seawitness.harmonize.units` — activity concentration units (Bq/L, mBq/L, Bq/m³,
  Bq/kg wet/dry, TU) with pint; conversions that need a physical quantity (density, dry/wet
  ratio, water yield) ask for it instead of assuming it.
* :mod:`seawitness.harmonize.decay` — decay correction with radioactivedecay (ICRP-107).
"""

from seawitness.harmonize.decay import (
    DATASET,
    DecayError,
    HalfLife,
    correct_to,
    decay_factor,
    half_life,
)
from seawitness.harmonize.units import (
    ACCEPTED_UNITS,
    TU_BQ_PER_KG,
    TYPICAL_SEAWATER_DENSITY_KG_PER_L,
    ConversionError,
    UnitSpec,
    UnknownUnit,
    basis_of_unit,
    canonical_unit,
    conversion_factor,
    convert,
    harmonize_measurement,
    parse_unit,
)

__all__ = [
    "ACCEPTED_UNITS",
    "DATASET",
    "TU_BQ_PER_KG",
    "TYPICAL_SEAWATER_DENSITY_KG_PER_L",
    "ConversionError",
    "DecayError",
    "HalfLife",
    "UnitSpec",
    "UnknownUnit",
    "basis_of_unit",
    "canonical_unit",
    "conversion_factor",
    "convert",
    "correct_to",
    "decay_factor",
    "half_life",
    "harmonize_measurement",
    "parse_unit",
]
