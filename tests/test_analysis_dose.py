"""Ingestion dose (seawitness.analysis.dose) against published numbers."""

from __future__ import annotations

import warnings

import pytest

from seawitness.analysis.dose import (
    DOSE_CONSTRAINT_SV_PER_YEAR,
    PUBLIC_DOSE_LIMIT_SV_PER_YEAR,
    DoseError,
    annual_ingestion_dose,
    assess_dose,
    dose_coefficient,
    list_diets,
    load_diet,
)
from seawitness.analysis.limits import LowConfidenceWarning


def test_who_tritium_check() -> None:
    # WHO GDWQ 4th ed. ch. 9: 10,000 Bq/L x 730 L/yr x 1.8e-11 Sv/Bq = 0.1314 mSv/yr,
    # i.e. the 0.1 mSv/yr individual dose criterion (project domain notes, section 5).
    assert annual_ingestion_dose(10_000, 730, 1.8e-11) == pytest.approx(1.314e-4)
    a = assess_dose(water={"H-3": 10_000}, diet="who-dw")
    assert a.total_msv_per_year == pytest.approx(0.1314)
    assert a.terms[0].intake_per_year == 730
    assert a.fraction_of_public_limit == pytest.approx(0.1314)
    assert a.fraction_of_dose_constraint == pytest.approx(1.314e-4 / 50e-6)


@pytest.mark.parametrize(
    ("nuclide", "sv_per_bq"),
    [
        # ICRP 72 adult ingestion, as reproduced in WHO GDWQ 4th ed. Table 9.2
        ("H-3", 1.8e-11),
        ("C-14", 5.8e-10),
        ("Sr-90", 2.8e-8),
        ("I-131", 2.2e-8),
        ("Cs-134", 1.9e-8),
        ("Cs-137", 1.3e-8),
        ("Pu-239", 2.5e-7),
        ("Am-241", 2.0e-7),
        # ICRP 72 organically bound tritium, adult (quoted in the Cardiff Bay flounder study)
        ("H-3:OBT", 4.2e-11),
        # tissue free-water tritium takes the HTO value
        ("H-3:TFWT", 1.8e-11),
    ],
)
def test_icrp72_coefficients(nuclide: str, sv_per_bq: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", LowConfidenceWarning)
        dc = dose_coefficient(nuclide)
    assert dc.sv_per_bq == sv_per_bq and dc.source


def test_memory_coefficients_warn() -> None:
    # I-129 1.1e-7 Sv/Bq is from memory of ICRP 72 (MED): configuration with a warning.
    with pytest.warns(LowConfidenceWarning, match="I-129"):
        dc = dose_coefficient("I-129")
    assert dc.sv_per_bq == 1.1e-7 and dc.low_confidence


def test_unknown_nuclide() -> None:
    with pytest.raises(DoseError, match="Pu-239\\+240"):
        dose_coefficient("Pu-239+240")


def test_reference_levels() -> None:
    # ICRP 103 public limit 1 mSv/yr; NRA: "considerably below 50 uSv/yr" (Yomiuri 2022-05-19)
    assert PUBLIC_DOSE_LIMIT_SV_PER_YEAR == 1e-3
    assert DOSE_CONSTRAINT_SV_PER_YEAR == 50e-6


def test_seafood_dose_with_explicit_rates() -> None:
    # 1 Bq/kg Cs-137 in 100 g/day of fish: 36.5 kg/yr x 1.3e-8 Sv/Bq = 0.4745 uSv/yr
    a = assess_dose(fish={"Cs-137": 1.0}, fish_g_per_day=100)
    assert a.total_sv_per_year == pytest.approx(36.5 * 1.3e-8)
    assert a.diet is None and not a.low_confidence_inputs


def test_low_confidence_diet_warns_and_is_listed() -> None:
    with pytest.warns(LowConfidenceWarning, match="jp-heavy"):
        a = assess_dose(fish={"Cs-137": 1.0}, diet="jp-heavy")
    assert a.low_confidence_inputs and a.total_sv_per_year == pytest.approx(0.190 * 365 * 1.3e-8)
    with pytest.warns(LowConfidenceWarning):
        assert load_diet("jp-average").fish_g_per_day == 58.0
    assert {d.id for d in list_diets()} == {"who-dw", "jp-average", "jp-heavy"}


def test_missing_rate_is_an_error_not_a_guess() -> None:
    with pytest.raises(DoseError, match="fish consumption rate"):
        assess_dose(fish={"Cs-137": 1.0})
    with pytest.raises(DoseError, match="shellfish"):
        assess_dose(shellfish={"Cs-137": 1.0}, diet="who-dw")


def test_nothing_to_assess() -> None:
    with pytest.raises(DoseError, match="nothing"):
        assess_dose(diet="who-dw")
