"""Committed effective dose from eating seafood and drinking water.

The annual committed effective dose from ingestion is [1]_

    E = Σ_pathways Σ_nuclides C · I · e(50)

with C the activity concentration [Bq/kg fresh mass, or Bq/L for water], I the yearly
intake [kg/yr or L/yr] and e(50) the adult ingestion dose coefficient of ICRP
Publication 72 [Sv/Bq] [2]_. Intakes are daily rates times :data:`DAYS_PER_YEAR` (365, as
in WHO's 2 L/day = 730 L/yr [3]_). The result is compared with the 1 mSv/yr dose limit
for members of the public and with the 50 µSv/yr dose constraint the NRA set for the
discharge ("considerably below 50 µSv/yr") [4]_.

Coefficients and diets are data files (``rules/dose/coefficients.toml``,
``rules/dose/diets.toml``) with a source and confidence for every number; a number graded
LOW or taken from memory raises a :class:`~seawitness.analysis.limits.LowConfidenceWarning`
when it is used, and the assessment lists it.

Tritium: ``H-3`` and ``H-3:TFWT`` (tissue free water) take the HTO coefficient
1.8e-11 Sv/Bq; ``H-3:OBT`` the organically bound tritium coefficient 4.2e-11 Sv/Bq.

References
----------
.. [1] ICRP Publication 72 (1996), Age-dependent doses to members of the public from intake
   of radionuclides, Part 5. Ann. ICRP 26(1).
.. [2] ICRP 72 adult values as reproduced in WHO GDWQ 4th ed. Table 9.2 (H-3 1.8e-11,
   C-14 5.8e-10, Sr-90 2.8e-8, I-131 2.2e-8, Cs-134 1.9e-8, Cs-137 1.3e-8 Sv/Bq).
.. [3] WHO, Guidelines for Drinking-water Quality, 4th ed., chapter 9: individual dose
   criterion 0.1 mSv/yr at 2 L/day; 10,000 Bq/L × 730 L/yr × 1.8e-11 Sv/Bq ≈ 0.13 mSv/yr.
.. [4] Yomiuri Shimbun, 2022-05-19, on the NRA review of TEPCO's radiological impact
   assessment (0.03-0.4 µSv/yr vs. the 50 µSv/yr requirement).
"""

from __future__ import annotations

import math
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from seawitness.analysis.limits import LowConfidenceWarning, is_low_confidence
from seawitness.errors import InputError

__all__ = [
    "DAYS_PER_YEAR",
    "DOSE_CONSTRAINT_SV_PER_YEAR",
    "DOSE_DATA_DIR",
    "PUBLIC_DOSE_LIMIT_SV_PER_YEAR",
    "Diet",
    "DoseAssessment",
    "DoseCoefficient",
    "DoseError",
    "DoseTerm",
    "annual_ingestion_dose",
    "assess_dose",
    "dose_coefficient",
    "list_diets",
    "list_dose_coefficients",
    "load_diet",
]

#: Directory of the dose data files (ships inside the package).
DOSE_DATA_DIR: Path = Path(__file__).parent / "rules" / "dose"

#: Days per year used to turn daily intakes into yearly ones (WHO: 2 L/day = 730 L/yr) [3]_.
DAYS_PER_YEAR: float = 365.0

#: Effective dose limit for members of the public [Sv/yr] (ICRP Publication 103, 2007;
#: the basis of the Japanese and Codex food limits).
PUBLIC_DOSE_LIMIT_SV_PER_YEAR: float = 1e-3

#: Dose constraint for the ALPS treated-water discharge [Sv/yr] (NRA: "considerably
#: below 50 µSv/yr") [4]_.
DOSE_CONSTRAINT_SV_PER_YEAR: float = 50e-6

_FOODS = ("fish", "shellfish", "seaweed")


class DoseError(InputError):
    """A dose that cannot be computed with what was given; the message says what is missing."""


@dataclass(frozen=True, slots=True)
class DoseCoefficient:
    """An adult ingestion dose coefficient e(50) [Sv/Bq] with its source."""

    nuclide: str
    sv_per_bq: float
    form: str
    source: str
    confidence: str

    @property
    def low_confidence(self) -> bool:
        return is_low_confidence(self.confidence, self.source)


@dataclass(frozen=True, slots=True)
class Diet:
    """Daily consumption: fish, shellfish, seaweed [g/day fresh mass]; water [L/day]."""

    id: str
    title: str
    source: str
    confidence: str
    fish_g_per_day: float | None = None
    shellfish_g_per_day: float | None = None
    seaweed_g_per_day: float | None = None
    water_l_per_day: float | None = None

    @property
    def low_confidence(self) -> bool:
        return is_low_confidence(self.confidence, self.source)


def _load_toml(name: str) -> dict[str, Any]:
    return tomllib.loads((DOSE_DATA_DIR / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _coefficients() -> dict[str, DoseCoefficient]:
    data = _load_toml("coefficients.toml")
    out: dict[str, DoseCoefficient] = {}
    for c in data["coefficients"]:
        dc = DoseCoefficient(
            nuclide=str(c["nuclide"]),
            sv_per_bq=float(c["e_ing_sv_per_bq"]),
            form=str(c.get("form", "")),
            source=str(c["source"]),
            confidence=str(c["confidence"]),
        )
        out[dc.nuclide] = dc
    return out


@lru_cache(maxsize=1)
def _diets() -> dict[str, Diet]:
    data = _load_toml("diets.toml")
    out: dict[str, Diet] = {}
    for d in data["diets"]:
        out[d["id"]] = Diet(
            id=str(d["id"]),
            title=str(d.get("title", d["id"])),
            source=str(d["source"]),
            confidence=str(d["confidence"]),
            fish_g_per_day=d.get("fish_g_per_day"),
            shellfish_g_per_day=d.get("shellfish_g_per_day"),
            seaweed_g_per_day=d.get("seaweed_g_per_day"),
            water_l_per_day=d.get("water_l_per_day"),
        )
    return out


def list_dose_coefficients() -> list[DoseCoefficient]:
    """All bundled coefficients, in file order."""
    return list(_coefficients().values())


def dose_coefficient(nuclide: str) -> DoseCoefficient:
    """The ICRP 72 adult ingestion coefficient for ``nuclide`` [2]_.

    Emits a :class:`LowConfidenceWarning` for values graded LOW or taken from memory.

    Raises
    ------
    DoseError
        No coefficient is bundled for the nuclide (sums such as ``Pu-239+240`` included).
    """
    coefficients = _coefficients()
    if nuclide not in coefficients:
        raise DoseError(
            f"no ingestion dose coefficient for {nuclide!r}; bundled: {', '.join(coefficients)}"
        )
    dc = coefficients[nuclide]
    if dc.low_confidence:
        warnings.warn(
            f"dose coefficient for {nuclide} {dc.sv_per_bq:g} Sv/Bq is low-confidence "
            f"({dc.confidence}; {dc.source})",
            LowConfidenceWarning,
            stacklevel=2,
        )
    return dc


def list_diets() -> list[Diet]:
    """The bundled diets."""
    return list(_diets().values())


def load_diet(name: str) -> Diet:
    """A bundled diet by id (``"jp-average"``, ``"jp-heavy"``, ``"who-dw"``).

    Emits a :class:`LowConfidenceWarning` for diets graded LOW or taken from memory.
    """
    diets = _diets()
    if name not in diets:
        raise DoseError(f"unknown diet {name!r}; bundled diets: {', '.join(diets)}")
    d = diets[name]
    if d.low_confidence:
        warnings.warn(
            f"diet {name!r} is low-confidence ({d.confidence}; {d.source})",
            LowConfidenceWarning,
            stacklevel=2,
        )
    return d


def annual_ingestion_dose(concentration: float, intake_per_year: float, sv_per_bq: float) -> float:
    """Committed effective dose from one year's intake [Sv/yr] [1]_.

    Parameters
    ----------
    concentration : float
        Activity concentration in what is eaten or drunk. [Bq/kg or Bq/L]
    intake_per_year : float
        Amount eaten or drunk per year. [kg/yr or L/yr]
    sv_per_bq : float
        Ingestion dose coefficient e(50). [Sv/Bq]

    Examples
    --------
    WHO's check of its tritium guidance level (GDWQ 4th ed., chapter 9):

    >>> round(annual_ingestion_dose(10_000, 730, 1.8e-11) * 1e3, 4)  # mSv/yr
    0.1314
    """
    for name, v in (
        ("concentration", concentration),
        ("intake_per_year", intake_per_year),
        ("sv_per_bq", sv_per_bq),
    ):
        if not (math.isfinite(v) and v >= 0):
            raise DoseError(f"{name} must be a non-negative number, got {v}")
    return concentration * intake_per_year * sv_per_bq


@dataclass(frozen=True, slots=True)
class DoseTerm:
    """One pathway and nuclide of an assessment; units as named."""

    pathway: str
    nuclide: str
    concentration: float
    concentration_unit: str
    intake_per_year: float
    intake_unit: str
    sv_per_bq: float
    dose_sv_per_year: float
    source: str
    confidence: str
    low_confidence: bool


@dataclass(frozen=True, slots=True)
class DoseAssessment:
    """The sum of the terms [Sv/yr] and its fractions of the limit and the constraint."""

    terms: tuple[DoseTerm, ...]
    total_sv_per_year: float
    diet: str | None
    days_per_year: float
    low_confidence_inputs: tuple[str, ...] = field(default=())

    @property
    def total_msv_per_year(self) -> float:
        return self.total_sv_per_year * 1e3

    @property
    def fraction_of_public_limit(self) -> float:
        """Total over 1 mSv/yr [dimensionless]."""
        return self.total_sv_per_year / PUBLIC_DOSE_LIMIT_SV_PER_YEAR

    @property
    def fraction_of_dose_constraint(self) -> float:
        """Total over 50 µSv/yr [dimensionless]."""
        return self.total_sv_per_year / DOSE_CONSTRAINT_SV_PER_YEAR

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "total_sv_per_year": self.total_sv_per_year,
            "total_msv_per_year": self.total_msv_per_year,
            "public_dose_limit_sv_per_year": PUBLIC_DOSE_LIMIT_SV_PER_YEAR,
            "fraction_of_public_limit": self.fraction_of_public_limit,
            "dose_constraint_sv_per_year": DOSE_CONSTRAINT_SV_PER_YEAR,
            "fraction_of_dose_constraint": self.fraction_of_dose_constraint,
            "diet": self.diet,
            "days_per_year": self.days_per_year,
            "coefficients": "ICRP Publication 72, adult ingestion e(50)",
            "low_confidence_inputs": list(self.low_confidence_inputs),
            "terms": [
                {
                    "pathway": t.pathway,
                    "nuclide": t.nuclide,
                    "concentration": t.concentration,
                    "concentration_unit": t.concentration_unit,
                    "intake_per_year": t.intake_per_year,
                    "intake_unit": t.intake_unit,
                    "sv_per_bq": t.sv_per_bq,
                    "dose_sv_per_year": t.dose_sv_per_year,
                    "source": t.source,
                    "confidence": t.confidence,
                    "low_confidence": t.low_confidence,
                }
                for t in self.terms
            ],
        }


def assess_dose(
    *,
    fish: Mapping[str, float] | None = None,
    shellfish: Mapping[str, float] | None = None,
    seaweed: Mapping[str, float] | None = None,
    water: Mapping[str, float] | None = None,
    diet: Diet | str | None = None,
    fish_g_per_day: float | None = None,
    shellfish_g_per_day: float | None = None,
    seaweed_g_per_day: float | None = None,
    water_l_per_day: float | None = None,
    days_per_year: float = DAYS_PER_YEAR,
) -> DoseAssessment:
    """Annual committed effective dose from seafood and water [1]_ [2]_.

    Parameters
    ----------
    fish, shellfish, seaweed : mapping of str to float, optional
        Nuclide → activity concentration in the food as eaten. [Bq/kg fresh mass]
    water : mapping of str to float, optional
        Nuclide → activity concentration in drinking water. [Bq/L]
    diet : Diet or str, optional
        Consumption rates (:func:`load_diet`); explicit rates below override it.
    fish_g_per_day, shellfish_g_per_day, seaweed_g_per_day : float, optional
        Consumption. [g/day fresh mass]
    water_l_per_day : float, optional
        Drinking water. [L/day]
    days_per_year : float
        Days per year. [d/yr]

    Returns
    -------
    DoseAssessment

    Raises
    ------
    DoseError
        A pathway has concentrations but no consumption rate (from ``diet`` or given), or a
        nuclide has no coefficient.
    """
    d = load_diet(diet) if isinstance(diet, str) else diet
    given = {
        "fish": fish_g_per_day,
        "shellfish": shellfish_g_per_day,
        "seaweed": seaweed_g_per_day,
        "water": water_l_per_day,
    }
    rates: dict[str, float | None] = {}
    for pathway, value in given.items():
        attr = "water_l_per_day" if pathway == "water" else f"{pathway}_g_per_day"
        rates[pathway] = value if value is not None else (getattr(d, attr) if d else None)
    concs = {"fish": fish, "shellfish": shellfish, "seaweed": seaweed, "water": water}
    terms: list[DoseTerm] = []
    low: list[str] = []
    if d is not None and d.low_confidence:
        low.append(f"diet {d.id} ({d.confidence}; {d.source})")
    for pathway, conc in concs.items():
        if not conc:
            continue
        rate = rates[pathway]
        flag = "water_l_per_day" if pathway == "water" else f"{pathway}_g_per_day"
        if rate is None:
            raise DoseError(
                f"{pathway} concentrations were given but no {pathway} consumption rate: give "
                f"{flag} or a diet that has one"
            )
        rate_f = float(rate)
        if not (math.isfinite(rate_f) and rate_f >= 0):
            raise DoseError(f"{flag} must be a non-negative number, got {rate}")
        if pathway == "water":
            intake, iu, cu = rate_f * days_per_year, "L/yr", "Bq/L"
        else:
            intake, iu, cu = rate_f / 1000.0 * days_per_year, "kg/yr", "Bq/kg"
        for nuclide, c in conc.items():
            dc = dose_coefficient(nuclide)
            if dc.low_confidence:
                low.append(f"{nuclide} {dc.sv_per_bq:g} Sv/Bq ({dc.confidence}; {dc.source})")
            terms.append(
                DoseTerm(
                    pathway=pathway,
                    nuclide=nuclide,
                    concentration=float(c),
                    concentration_unit=cu,
                    intake_per_year=intake,
                    intake_unit=iu,
                    sv_per_bq=dc.sv_per_bq,
                    dose_sv_per_year=annual_ingestion_dose(float(c), intake, dc.sv_per_bq),
                    source=dc.source,
                    confidence=dc.confidence,
                    low_confidence=dc.low_confidence,
                )
            )
    if not terms:
        raise DoseError("no concentrations given: nothing to assess")
    return DoseAssessment(
        terms=tuple(terms),
        total_sv_per_year=math.fsum(t.dose_sv_per_year for t in terms),
        diet=d.id if d is not None else None,
        days_per_year=days_per_year,
        low_confidence_inputs=tuple(dict.fromkeys(low)),
    )
