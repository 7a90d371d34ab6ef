"""Interlaboratory comparison and proficiency-test scoring.

Two schemes are provided:

* **ISO 13528:2022** (statistical methods for proficiency testing, used with
  ISO/IEC 17043): assigned value ``x_pt`` from a reference value with its
  standard uncertainty, or as the robust consensus of Algorithm A (Annex C.3)
  with ``u(x_pt) = 1.25 s*/sqrt(p)`` (clause 7.7.3); performance statistics
  D, D%, z, z', zeta and En (clause 9) and their classification (9.4--9.7).
* **IAEA proficiency tests** (IAEA-TEL / ALMERA reports of the IAEA/AQ
  series): relative bias against a maximum acceptable relative bias (MARB)
  for trueness and the u-test with limit 2.58 for precision, giving
  "Accepted", "Warning" or "Not accepted".

Units: results, uncertainties, ``x_pt`` and ``sigma_pt`` share one unit (e.g.
Bq/L); scores are dimensionless, D% and relative bias are in percent.
Uncertainties are *standard* uncertainties unless a coverage factor is given
with an expanded one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from seawitness.errors import InputError

__all__ = [
    "ISO_MAD_FACTOR",
    "ISO_SD_FACTOR",
    "IAEA_U_TEST_LIMIT",
    "AssignedValue",
    "IaeaScore",
    "LabResult",
    "LabScore",
    "RobustEstimate",
    "algorithm_a",
    "assigned_by_algorithm_a",
    "assigned_from_reference",
    "classify_en",
    "classify_z",
    "en_score",
    "iaea_score",
    "percent_difference",
    "score_iaea",
    "score_iso13528",
    "u_robust_consensus",
    "z_prime_score",
    "z_score",
    "zeta_score",
]

#: ISO 13528 Annex C.3 constants of Algorithm A.
ISO_MAD_FACTOR = 1.483
ISO_SD_FACTOR = 1.134
#: Two-sided 99 % normal quantile used by the IAEA u-test.
IAEA_U_TEST_LIMIT = 2.58


class IlcInputError(InputError):
    """Inputs unusable for a proficiency-test evaluation."""


@dataclass(frozen=True)
class RobustEstimate:
    """Result of Algorithm A: robust mean ``x_star`` and robust SD ``s_star``."""

    x_star: float
    s_star: float
    iterations: int
    p: int


@dataclass(frozen=True)
class AssignedValue:
    """Assigned value ``x_pt`` with its standard uncertainty and provenance."""

    value: float
    u: float
    method: str


@dataclass(frozen=True)
class LabResult:
    """One participant's result.

    :ivar uncertainty: standard uncertainty, or expanded uncertainty when
        ``coverage_factor`` is given.
    """

    lab: str
    value: float
    uncertainty: float
    coverage_factor: float | None = None

    @property
    def u(self) -> float:
        """Standard uncertainty u(x)."""
        k = self.coverage_factor
        return self.uncertainty / k if k else self.uncertainty


@dataclass(frozen=True)
class LabScore:
    """ISO 13528 performance statistics of one participant (clause 9)."""

    lab: str
    value: float
    u: float
    D: float
    D_percent: float
    z: float
    z_prime: float
    zeta: float
    En: float
    z_class: str
    z_prime_class: str
    zeta_class: str
    En_class: str
    #: class used for the overall verdict: z, or z' when u(x_pt) > 0.3 sigma_pt (ISO 13528 9.5)
    klass: str
    class_basis: str

    def as_dict(self) -> dict[str, object]:
        """Plain-JSON representation."""
        return {
            "lab": self.lab,
            "value": self.value,
            "u": self.u,
            "D": self.D,
            "D_percent": self.D_percent,
            "z": self.z,
            "z_prime": self.z_prime,
            "zeta": self.zeta,
            "En": self.En,
            "class": self.klass,
            "class_basis": self.class_basis,
            "z_class": self.z_class,
            "z_prime_class": self.z_prime_class,
            "zeta_class": self.zeta_class,
            "En_class": self.En_class,
        }


# --------------------------------------------------------------------------- robust statistics


def algorithm_a(values: ArrayLike, *, tol: float = 1e-10, max_iter: int = 1000) -> RobustEstimate:
    """Robust mean and standard deviation by ISO 13528:2022 Annex C.3 (Algorithm A).

    Start ``x* = median(x)``, ``s* = 1.483 median|x_i - x*|``; then repeat
    ``delta = 1.5 s*``, winsorise ``x_i`` to ``[x* - delta, x* + delta]``,
    ``x* = mean``, ``s* = 1.134 sqrt(sum (x_i* - x*)^2 / (p - 1))`` until
    neither changes by more than ``tol`` (relative). Full convergence is
    used; the standard accepts it (C.3.1 note).

    :param values: participant results (same unit).
    :raises IlcInputError: fewer than 3 results or zero robust spread.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size < 3:
        raise IlcInputError("Algorithm A needs at least 3 results")
    if not np.all(np.isfinite(x)):
        raise IlcInputError("results must be finite numbers")
    p = int(x.size)
    xs = float(np.median(x))
    ss = ISO_MAD_FACTOR * float(np.median(np.abs(x - xs)))
    if ss == 0.0:
        raise IlcInputError(
            "Algorithm A: more than half of the results are identical (s* = 0); "
            "ISO 13528 C.3 requires another estimator"
        )
    for it in range(1, max_iter + 1):
        delta = 1.5 * ss
        w = np.clip(x, xs - delta, xs + delta)
        new_x = float(np.mean(w))
        new_s = ISO_SD_FACTOR * math.sqrt(float(np.sum((w - new_x) ** 2)) / (p - 1))
        done = abs(new_x - xs) <= tol * max(1.0, abs(xs)) and abs(new_s - ss) <= tol * max(1.0, ss)
        xs, ss = new_x, new_s
        if done:
            return RobustEstimate(xs, ss, it, p)
    return RobustEstimate(xs, ss, max_iter, p)


def u_robust_consensus(s_star: float, p: int) -> float:
    """Standard uncertainty of a robust consensus, ``1.25 s* / sqrt(p)`` (ISO 13528 7.7.3)."""
    return 1.25 * s_star / math.sqrt(p)


def assigned_from_reference(value: float, u: float) -> AssignedValue:
    """Assigned value from a reference/formulation value with standard uncertainty ``u``."""
    if not (math.isfinite(value) and math.isfinite(u)) or u < 0:
        raise IlcInputError("assigned value and its uncertainty must be finite, u >= 0")
    return AssignedValue(float(value), float(u), "reference")


def assigned_by_algorithm_a(values: ArrayLike) -> tuple[AssignedValue, RobustEstimate]:
    """Robust consensus ``x_pt = x*`` with ``u(x_pt) = 1.25 s*/sqrt(p)`` (ISO 13528 C.3, 7.7.3)."""
    est = algorithm_a(values)
    return AssignedValue(est.x_star, u_robust_consensus(est.s_star, est.p), "algorithm-a"), est


# --------------------------------------------------------------------------- scores


def percent_difference(x: float, x_pt: float) -> float:
    """D% = 100 (x - x_pt) / x_pt (ISO 13528 9.3)."""
    return 100.0 * (x - x_pt) / x_pt if x_pt != 0 else math.nan


def z_score(x: float, x_pt: float, sigma_pt: float) -> float:
    """z = (x - x_pt) / sigma_pt (ISO 13528 9.4)."""
    return (x - x_pt) / sigma_pt


def z_prime_score(x: float, x_pt: float, sigma_pt: float, u_x_pt: float) -> float:
    """z' = (x - x_pt) / sqrt(sigma_pt^2 + u^2(x_pt)) (ISO 13528 9.5)."""
    return (x - x_pt) / math.sqrt(sigma_pt**2 + u_x_pt**2)


def zeta_score(x: float, x_pt: float, u_x: float, u_x_pt: float) -> float:
    """zeta = (x - x_pt) / sqrt(u^2(x) + u^2(x_pt)), standard uncertainties (ISO 13528 9.6)."""
    den = math.sqrt(u_x**2 + u_x_pt**2)
    return (x - x_pt) / den if den > 0 else math.nan


def en_score(x: float, x_pt: float, big_u_x: float, big_u_x_pt: float) -> float:
    """En = (x - x_pt) / sqrt(U^2(x) + U^2(x_pt)), expanded uncertainties (ISO 13528 9.7)."""
    den = math.sqrt(big_u_x**2 + big_u_x_pt**2)
    return (x - x_pt) / den if den > 0 else math.nan


def classify_z(score: float) -> str:
    """Classify z, z' or zeta (ISO 13528 9.4.1; ISO/IEC 17043).

    |s| <= 2 satisfactory, 2 < |s| < 3 questionable, |s| >= 3 unsatisfactory.
    """
    if not math.isfinite(score):
        return "undefined"
    a = abs(score)
    if a <= 2.0:
        return "satisfactory"
    if a < 3.0:
        return "questionable"
    return "unsatisfactory"


def classify_en(score: float) -> str:
    """ISO 13528 9.7.2: |En| <= 1 satisfactory, > 1 unsatisfactory."""
    if not math.isfinite(score):
        return "undefined"
    return "satisfactory" if abs(score) <= 1.0 else "unsatisfactory"


def score_iso13528(
    results: Sequence[LabResult],
    assigned: AssignedValue,
    sigma_pt: float,
    *,
    k: float = 2.0,
) -> list[LabScore]:
    """Score every participant by ISO 13528:2022 clause 9.

    ``En`` uses expanded uncertainties ``U = k u`` for both the result and the
    assigned value (``k`` default 2; a participant's own coverage factor, when
    given, is used for its ``U``). The overall ``class`` follows z, or z' when
    ``u(x_pt) > 0.3 sigma_pt`` (the criterion of ISO 13528 9.5 / 7.9).

    :param sigma_pt: standard deviation for proficiency assessment (> 0).
    """
    if not (sigma_pt > 0 and math.isfinite(sigma_pt)):
        raise IlcInputError("sigma_pt must be a positive number")
    x_pt, u_pt = assigned.value, assigned.u
    use_prime = u_pt > 0.3 * sigma_pt
    out = []
    for r in results:
        u_x = r.u
        big_u_x = r.uncertainty if r.coverage_factor else k * u_x
        z = z_score(r.value, x_pt, sigma_pt)
        zp = z_prime_score(r.value, x_pt, sigma_pt, u_pt)
        zeta = zeta_score(r.value, x_pt, u_x, u_pt)
        en = en_score(r.value, x_pt, big_u_x, k * u_pt)
        zc, zpc = classify_z(z), classify_z(zp)
        out.append(
            LabScore(
                lab=r.lab,
                value=r.value,
                u=u_x,
                D=r.value - x_pt,
                D_percent=percent_difference(r.value, x_pt),
                z=z,
                z_prime=zp,
                zeta=zeta,
                En=en,
                z_class=zc,
                z_prime_class=zpc,
                zeta_class=classify_z(zeta),
                En_class=classify_en(en),
                klass=zpc if use_prime else zc,
                class_basis="z_prime" if use_prime else "z",
            )
        )
    return out


# --------------------------------------------------------------------------- IAEA scheme


@dataclass(frozen=True)
class IaeaScore:
    """IAEA proficiency-test evaluation of one result.

    :ivar relative_bias: RB = 100 (x_lab - x_IAEA)/x_IAEA, percent.
    :ivar u_test: |x_IAEA - x_lab| / sqrt(u_IAEA^2 + u_lab^2).
    :ivar precision: P = 100 sqrt((u_IAEA/x_IAEA)^2 + (u_lab/x_lab)^2), percent.
    :ivar trueness: "Accepted" when |RB| <= MARB, else "Not accepted".
    :ivar precision_ok: u-test < 2.58 and P <= MARB.
    :ivar status: "Accepted", "Warning" or "Not accepted".
    """

    lab: str
    value: float
    u: float
    relative_bias: float
    u_test: float
    precision: float
    trueness: str
    precision_ok: bool
    status: str

    def as_dict(self) -> dict[str, object]:
        """Plain-JSON representation."""
        return {
            "lab": self.lab,
            "value": self.value,
            "u": self.u,
            "relative_bias": self.relative_bias,
            "u_test": self.u_test,
            "precision": self.precision,
            "trueness": self.trueness,
            "precision_ok": self.precision_ok,
            "class": self.status,
        }


def iaea_score(
    x_lab: float,
    u_lab: float,
    x_iaea: float,
    u_iaea: float,
    marb_percent: float,
    *,
    lab: str = "",
    u_limit: float = IAEA_U_TEST_LIMIT,
) -> IaeaScore:
    """Evaluate one result by the IAEA proficiency-test criteria (IAEA/AQ report series).

    Trueness passes when ``|RB| <= MARB``. Precision passes when the u-test
    ``|x_IAEA - x_lab| / sqrt(u_IAEA^2 + u_lab^2) < 2.58`` (99 % level) and the
    combined relative uncertainty ``P <= MARB``. Final score: "Accepted" if
    both pass, "Warning" if only trueness passes, "Not accepted" if trueness
    fails. All uncertainties are standard uncertainties (k = 1).

    :param marb_percent: maximum acceptable relative bias in percent
        (analyte- and level-specific, set by the PT provider).
    """
    if x_iaea == 0 or x_lab == 0:
        raise IlcInputError("IAEA scores need non-zero target and reported values")
    rb = 100.0 * (x_lab - x_iaea) / x_iaea
    den = math.sqrt(u_iaea**2 + u_lab**2)
    ut = abs(x_iaea - x_lab) / den if den > 0 else math.inf
    prec = 100.0 * math.sqrt((u_iaea / x_iaea) ** 2 + (u_lab / x_lab) ** 2)
    true_ok = abs(rb) <= marb_percent
    prec_ok = ut < u_limit and prec <= marb_percent
    status = ("Accepted" if prec_ok else "Warning") if true_ok else "Not accepted"
    return IaeaScore(
        lab=lab,
        value=x_lab,
        u=u_lab,
        relative_bias=rb,
        u_test=ut,
        precision=prec,
        trueness="Accepted" if true_ok else "Not accepted",
        precision_ok=prec_ok,
        status=status,
    )


def score_iaea(
    results: Sequence[LabResult], assigned: AssignedValue, marb_percent: float
) -> list[IaeaScore]:
    """Apply :func:`iaea_score` to every participant against one target value."""
    return [
        iaea_score(r.value, r.u, assigned.value, assigned.u, marb_percent, lab=r.lab)
        for r in results
    ]


__all__ += ["IlcInputError"]
