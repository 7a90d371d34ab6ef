"""Unit conversion of activity concentrations (seawitness.harmonize.units)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from seawitness.harmonize.units import (
    ACCEPTED_UNITS,
    TU_BQ_PER_KG,
    ConversionError,
    UnknownUnit,
    basis_of_unit,
    canonical_unit,
    convert,
    harmonize_measurement,
)
from seawitness.model.records import Basis, Detection, Measurement, Medium

SOURCE_SPELLINGS = [
    "Bq/L",
    "mBq/L",
    "Bq/m3",
    "Bq/m³",
    "Bq/kg",
    "Bq/kg-fresh",
    "Bq/kgw",
    "Bq/kgd",
    "Bq/kg wet",
    "Bq/kg dry",
    "TU",
    "Bq/L-combustion water",
    "Bq/L-water",
]


@pytest.mark.parametrize("spelling", SOURCE_SPELLINGS)
def test_every_source_spelling_is_accepted(spelling: str) -> None:
    assert canonical_unit(spelling)


def test_si_prefixes_and_cubic_metres() -> None:
    # 1 m3 = 1000 L (SI); MARIS stores seawater in Bq/m3.
    assert convert(1.0, "Bq/L", "Bq/m³", nuclide="Cs-137", basis="water") == 1000.0
    assert convert(2.5, "mBq/L", "Bq/m3", nuclide="Cs-137", basis="water") == 2.5
    assert convert(3.0, "mBq/L", "Bq/L", nuclide="Cs-137", basis="water") == 0.003


def test_tritium_unit_from_its_definition() -> None:
    # 1 TU = 1 T per 1e18 H; with T1/2 = 4500 d (Lucas & Unterweger 2000, J. Res. NIST
    # 105:541) this is 0.11919 Bq/kg of water; Univ. Ottawa tritium lab: "1 TU = 0.119 Bq/L".
    tu = TU_BQ_PER_KG
    assert tu == pytest.approx(0.11919, abs=5e-6)
    assert convert(1.0, "TU", "Bq/L", nuclide="H-3", basis=None, density=1.0) == pytest.approx(
        0.119, abs=5e-4
    )
    back = convert(TU_BQ_PER_KG, "Bq/kg", "TU", nuclide="H-3", basis="water")
    assert back == pytest.approx(1.0)


def test_tritium_units_refused_for_other_nuclides() -> None:
    with pytest.raises(ConversionError, match="tritium"):
        convert(1.0, "TU", "Bq/kg", nuclide="Cs-137", basis="water")


def test_per_litre_to_per_kg_needs_density() -> None:
    with pytest.raises(ConversionError, match="density"):
        convert(1.0, "Bq/L", "Bq/kg", nuclide="H-3", basis="water")
    # Bq/kg = (Bq/L) / rho, seawater rho ~ 1.025 kg/L (research notes, units)
    v = convert(1.025, "Bq/L", "Bq/kg", nuclide="H-3", basis="water", density=1.025)
    assert v == pytest.approx(1.0)


def test_wet_dry_needs_ratio() -> None:
    with pytest.raises(ConversionError, match="dry/wet"):
        convert(1.0, "Bq/kg-fresh", "Bq/kgd", nuclide="Cs-137", basis=None)
    # Bq/kg dry = Bq/kg wet / (dry/wet ratio)
    assert convert(1.0, "Bq/kgw", "Bq/kg dry", nuclide="Cs-137", basis=None, dry_wet_ratio=0.2) == (
        pytest.approx(5.0)
    )
    assert convert(5.0, "Bq/kgd", "Bq/kgw", nuclide="Cs-137", basis=None, dry_wet_ratio=0.2) == (
        pytest.approx(1.0)
    )


def test_extracted_water_needs_water_yield() -> None:
    with pytest.raises(ConversionError, match="water yield"):
        convert(3.1, "Bq/L-water", "Bq/kg-fresh", nuclide="H-3:TFWT", basis=None)
    v = convert(3.1, "Bq/L-water", "Bq/kg-fresh", nuclide="H-3:TFWT", basis=None, water_yield=0.8)
    assert v == pytest.approx(2.48)


def test_water_basis_and_biota_mass_do_not_mix() -> None:
    with pytest.raises(ConversionError, match="different quantities"):
        convert(1.0, "Bq/kg", "Bq/kg-fresh", nuclide="Cs-137", basis="water")


def test_plain_bq_per_kg_needs_a_basis() -> None:
    with pytest.raises(ConversionError, match="basis"):
        convert(1.0, "Bq/kg", "Bq/kgd", nuclide="Cs-137", basis=None)
    assert basis_of_unit("Bq/kg") is None
    assert basis_of_unit("Bq/kg-fresh") is Basis.WET


def test_conflicting_basis_is_an_error() -> None:
    with pytest.raises(ConversionError, match="states basis"):
        convert(1.0, "Bq/kgw", "Bq/kgd", nuclide="Cs-137", basis="dry", dry_wet_ratio=0.2)


def test_unknown_unit_lists_accepted_spellings() -> None:
    with pytest.raises(UnknownUnit) as exc:
        convert(1.0, "pCi/L", "Bq/L", nuclide="Cs-137", basis="water")
    for s in ("Bq/L", "Bq/kgd", "TU"):
        assert s in str(exc.value)
    assert set(SOURCE_SPELLINGS) <= set(ACCEPTED_UNITS)


def test_harmonize_measurement_converts_value_uncertainty_and_limit() -> None:
    m = Measurement(
        org="MARIS",
        station="X",
        medium=Medium.SEAWATER,
        sampled_at=datetime(2024, 1, 1, tzinfo=UTC),
        nuclide="Cs-137",
        detection=Detection.DETECTED,
        value=1500.0,
        unit="Bq/m3",
        basis=Basis.WATER,
        uncertainty=150.0,
        detection_limit=300.0,
    )
    h = harmonize_measurement(m, "Bq/L")
    assert (h.value, h.uncertainty, h.detection_limit, h.unit) == (1.5, 0.15, 0.3, "Bq/L")
    nd = m.replace(detection=Detection.NOT_DETECTED, value=None, uncertainty=None)
    assert harmonize_measurement(nd, "mBq/L").value is None


def test_harmonize_measurement_sets_target_basis() -> None:
    m = Measurement(
        org="FP",
        station="F",
        medium=Medium.FISH,
        sampled_at=datetime(2024, 1, 1, tzinfo=UTC),
        nuclide="Cs-137",
        detection=Detection.DETECTED,
        value=2.0,
        unit="Bq/kg",
        basis=Basis.WET,
    )
    h = harmonize_measurement(m, "Bq/kgd", dry_wet_ratio=0.25)
    assert h.basis is Basis.DRY and h.unit == "Bq/kg" and math.isclose(h.value or 0, 8.0)
