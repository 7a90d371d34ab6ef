"""Decay correction of activity concentrations to a reference time.

A result measured for a sample taken at ``t_m`` is corrected to a reference time ``t_ref``
by the law of radioactive decay [1]_:

    A(t_ref) = A(t_m) · exp(−λ (t_ref − t_m)),   λ = ln 2 / T½

so a correction to a *later* time gives a smaller activity and to an *earlier* time
(the usual decay-correction to the sampling date) a larger one. Progeny ingrowth is not
added: the correction applies to the named nuclide only.

Half-lives come from :mod:`radioactivedecay`, whose default dataset is ICRP Publication 107
(nuclear decay data for dosimetric calculations, 2008) [2]_: e.g. Cs-137 T½ = 30.1671 y,
Cs-134 2.0648 y, H-3 12.32 y, Sr-90 28.79 y, with the year taken as 365.2422 d. NNDC/ENSDF
and DDEP values differ slightly (Cs-137 30.08 y, Cs-134 2.0652 y) [3]_; every corrected
record says which dataset and half-life it used (``extra["decay_correction"]``).

References
----------
.. [1] seawitness research notes, "Uncertainty, decay, units": A(t_ref) = A(t_m)·exp(λ(t_m −
   t_ref)), λ = ln2/T½.
.. [2] ICRP, 2008. Nuclear Decay Data for Dosimetric Calculations. ICRP Publication 107.
   Ann. ICRP 38(3); as packaged by radioactivedecay (Malins & Lemoine, "radioactivedecay: a
   Python package for radioactive decay calculations", J. Open Source Softw. 7(71), 3318,
   2022, :doi:`10.21105/joss.03318`).
.. [3] NNDC NuDat / ENSDF half-lives: Cs-137 30.08 y, Cs-134 2.0652 y, H-3 12.32 y,
   Sr-90 28.79 y, Co-60 5.2713 y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import radioactivedecay as rd

from seawitness.errors import InputError
from seawitness.model.nuclides import decay_name
from seawitness.model.records import Measurement

__all__ = [
    "DATASET",
    "DecayError",
    "HalfLife",
    "correct_to",
    "decay_factor",
    "half_life",
]

#: The decay dataset used, as radioactivedecay names it, and its publication.
DATASET: str = f"ICRP-107 ({rd.DEFAULTDATA.dataset_name}, radioactivedecay {rd.__version__})"

_SECONDS_PER_YEAR = 365.2422 * 86400.0  # the year radioactivedecay and ICRP-107 use


class DecayError(InputError):
    """A nuclide that cannot be decay-corrected (a sum, a gross value, an unknown name)."""


@dataclass(frozen=True, slots=True)
class HalfLife:
    """A half-life with where it came from.

    ``seconds`` is T½ [s]; ``years`` the same in years of 365.2422 d [y]; ``dataset``
    names the data source (:data:`DATASET`).
    """

    nuclide: str
    seconds: float
    dataset: str = DATASET

    @property
    def years(self) -> float:
        return self.seconds / _SECONDS_PER_YEAR

    @property
    def decay_constant(self) -> float:
        """λ = ln 2 / T½ [1/s]."""
        return math.log(2.0) / self.seconds


def _rd_name(nuclide: str) -> str:
    """Map a canonical name to radioactivedecay's (``H-3:OBT`` → ``H-3``)."""
    name = decay_name(nuclide)
    if name is None:
        kind = "a sum of nuclides" if "+" in nuclide else "a gross measurement"
        raise DecayError(
            f"cannot decay-correct {nuclide!r}: it is {kind}, whose components decay at "
            "different rates; correct each nuclide separately"
        )
    return name


@lru_cache(maxsize=256)
def half_life(nuclide: str) -> HalfLife:
    """The half-life of ``nuclide`` from the ICRP-107 dataset [2]_.

    Parameters
    ----------
    nuclide : str
        Canonical nuclide name; tritium forms (``H-3:TFWT``, ``H-3:OBT``) map to H-3.

    Returns
    -------
    HalfLife

    Raises
    ------
    DecayError
        For sums (``Pu-239+240``), gross values and names the dataset does not know.
    """
    name = _rd_name(nuclide)
    try:
        seconds = float(rd.Nuclide(name).half_life("s"))
    except Exception as exc:  # radioactivedecay raises several error types
        raise DecayError(f"no half-life for {nuclide!r} in {DATASET}: {exc}") from None
    if not math.isfinite(seconds):
        raise DecayError(f"{nuclide!r} is stable in {DATASET}; nothing to correct")
    return HalfLife(nuclide=nuclide, seconds=seconds)


def decay_factor(nuclide: str, from_time: datetime, to_time: datetime) -> float:
    """The factor A(to_time)/A(from_time) for ``nuclide`` [1]_.

    Parameters
    ----------
    nuclide : str
        Canonical nuclide name.
    from_time, to_time : datetime
        Time-zone aware times; ``to_time`` may be before ``from_time`` (factor > 1).

    Returns
    -------
    float
        exp(−λ·(to_time − from_time)) [dimensionless].

    Examples
    --------
    >>> from datetime import datetime, timedelta, UTC
    >>> t0 = datetime(2023, 8, 24, tzinfo=UTC)
    >>> round(decay_factor("Cs-137", t0, t0 + timedelta(days=30.1671 * 365.2422)), 9)
    0.5
    """
    if from_time.tzinfo is None or to_time.tzinfo is None:
        raise DecayError("decay correction needs time-zone aware times")
    hl = half_life(nuclide)
    dt = (to_time - from_time).total_seconds()
    return math.exp(-hl.decay_constant * dt)


def correct_to(m: Measurement, reference_time: datetime) -> Measurement:
    """Return ``m`` decay-corrected to ``reference_time``.

    The activity refers to ``m.reference_date`` when the source gave one, else to
    ``m.sampled_at``. Value, standard uncertainty and detection limit are multiplied by
    :func:`decay_factor`; the half-life's own uncertainty is not propagated (ICRP-107 as
    packaged carries none). The result has ``reference_date = reference_time`` and
    ``extra["decay_correction"]`` naming the dataset, half-life and factor.

    Parameters
    ----------
    m : Measurement
        A single-nuclide result. [unit of m]
    reference_time : datetime
        Time-zone aware reference time.

    Raises
    ------
    DecayError
        For sums, gross values and naive times.
    """
    from_time = m.reference_date or m.sampled_at
    f = decay_factor(m.nuclide, from_time, reference_time)
    hl = half_life(m.nuclide)

    def scaled(v: float | None) -> float | None:
        return None if v is None else v * f

    extra = dict(m.extra)
    extra["decay_correction"] = (
        f"{DATASET}; T1/2 = {hl.years:.6g} y; factor {f:.8g} from "
        f"{from_time.isoformat()} to {reference_time.isoformat()}"
    )
    return m.replace(
        value=scaled(m.value),
        uncertainty=scaled(m.uncertainty),
        detection_limit=scaled(m.detection_limit),
        reference_date=reference_time,
        extra=extra,
    )
