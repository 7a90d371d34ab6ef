"""Domain types and validation: what a measurement is, independent of storage or transport."""

from seawitness.model.canonical import canonical_bytes, parse_canonical, record_id
from seawitness.model.nuclides import UnknownNuclide, is_tritium, normalize_nuclide
from seawitness.model.records import (
    CORRECTION_SCHEMA,
    MEASUREMENT_SCHEMA,
    Analysis,
    Basis,
    Correction,
    Detection,
    Measurement,
    Medium,
    RecordError,
    Stakeholder,
    Station,
    check_coordinates,
    parse_utc,
)

__all__ = [
    "CORRECTION_SCHEMA",
    "MEASUREMENT_SCHEMA",
    "Analysis",
    "Basis",
    "Correction",
    "Detection",
    "Measurement",
    "Medium",
    "RecordError",
    "Stakeholder",
    "Station",
    "UnknownNuclide",
    "canonical_bytes",
    "check_coordinates",
    "is_tritium",
    "normalize_nuclide",
    "parse_canonical",
    "parse_utc",
    "record_id",
]
