"""Split samples in the store: one physical sample analysed by several laboratories.

A *split sample* is a set of current results with the same ``sample_id`` and nuclide
from at least two distinct laboratories (``lab``, or the submitting ``org`` when the
record names no lab). :func:`split_samples` finds them; :func:`score_splits` scores
every laboratory with the statistics of ISO 13528:2022 [1]_ (clause 9; the functions of
:mod:`seawitness.analysis.ilc`), and optionally by the IAEA proficiency-test criteria.

How the assigned value ``x_pt`` is chosen, per sample:

``reference``
    a value the caller gives (e.g. a certified reference material) or the result of a
    designated reference laboratory (ISO 13528 clause 7: a reference value from
    one laboratory); that laboratory is not scored against itself;
``algorithm-a``
    with three or more scored laboratories and no reference, the robust consensus of
    Algorithm A (Annex C.3) with ``u(x_pt) = 1.25 s*/sqrt(p)`` (clause 7.7.3). A
    consensus of a handful of laboratories is fragile: ``u(x_pt)/s* = 1.25/sqrt(p)``
    exceeds 0.3 for p < 18, so with ``sigma_pt = s*`` the verdict is based on z'
    (clause 9.5) and each score says so;
``pairwise``
    with two laboratories and no reference, no consensus exists: the two are compared
    with each other, ``En = (x_1 - x_2)/sqrt(U_1^2 + U_2^2)`` and
    ``zeta = (x_1 - x_2)/sqrt(u_1^2 + u_2^2)`` (clause 9.6/9.7 with the other laboratory
    in the place of the assigned value). A disagreement is a property of the pair; it
    does not say which laboratory is wrong.

``sigma_pt`` (standard deviation for proficiency assessment, clause 8) is the caller's
absolute value, or a percentage of ``x_pt`` (fitness for purpose), or by default the
robust ``s*`` of the sample's own results (from the data of the round, clause 8), which
needs at least three results.

Non-detects ("< DL") are listed with their limit but **not scored**: a limit says only
that the value is below it, and ISO 13528 Annex E.1 shows that each way of turning it into
a number (ignoring the "<", deleting, substituting) changes the consensus. A non-detect
whose limit is below the assigned value is flagged, because the laboratory then reports
less than the others found. ``ND`` results without a limit are listed likewise.

Units: values, uncertainties, ``x_pt`` and ``sigma_pt`` share the unit of the sample
(results in other units are converted to the most common one); scores are
dimensionless; D% and relative bias are percent. Stored uncertainties are standard
(k = 1); a laboratory's own coverage factor, when it reported one, gives its expanded
uncertainty for En.

References
----------
.. [1] ISO 13528:2022, Statistical methods for use in proficiency testing by
   interlaboratory comparison.
.. [2] IAEA Analytical Quality in Nuclear Applications (IAEA/AQ) reports: relative bias
   vs. MARB and the u-test, see :func:`seawitness.analysis.ilc.iaea_score`.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from seawitness.analysis import ilc
from seawitness.errors import InputError
from seawitness.harmonize.units import ConversionError, conversion_factor
from seawitness.model.records import Analysis, Detection, Measurement
from seawitness.store.records import measurement_from_index
from seawitness.store.store import Query, Store

__all__ = [
    "SplitError",
    "SplitResult",
    "SplitSample",
    "SplitScore",
    "find_splits",
    "score_split",
    "score_splits",
    "split_samples",
]

NOT_SCORED_ND = (
    "non-detect: a result below its detection limit has no value to compare; "
    "not scored (ISO 13528:2022 E.1: every substitution changes the consensus)"
)


class SplitError(InputError):
    """A split sample that cannot be scored as asked (e.g. unknown reference lab)."""


@dataclass(frozen=True, slots=True)
class SplitResult:
    """One laboratory's result for a split sample, in the sample's unit.

    :ivar value: the result, or the detection limit when ``detection`` is ``"<"``;
        None for ``ND``.
    :ivar u: standard uncertainty (k = 1), None when not reported.
    :ivar coverage_factor: the coverage factor the laboratory reported, if any.
    :ivar replicates: how many of the laboratory's results were combined (mean).
    """

    lab: str
    org: str
    detection: str
    value: float | None
    u: float | None
    coverage_factor: float | None
    replicates: int = 1
    sampled_at: datetime | None = None
    station: str = ""

    @property
    def detected(self) -> bool:
        return self.detection in (Detection.DETECTED.value, Detection.DERIVED.value)

    def as_lab_result(self) -> ilc.LabResult:
        """The ISO 13528 participant result (expanded uncertainty when ``k`` is known)."""
        assert self.value is not None
        u = math.nan if self.u is None else self.u
        k = self.coverage_factor
        if k:
            return ilc.LabResult(self.lab, self.value, u * k, k)
        return ilc.LabResult(self.lab, self.value, u)

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON representation."""
        return {
            "lab": self.lab,
            "org": self.org,
            "detection": self.detection,
            "value": self.value,
            "u": self.u,
            "coverage_factor": self.coverage_factor,
            "replicates": self.replicates,
        }


@dataclass(frozen=True)
class SplitSample:
    """A sample analysed by at least two laboratories, one result per laboratory."""

    sample_id: str
    nuclide: str
    unit: str
    medium: str
    stations: tuple[str, ...]
    sampled_at: datetime
    results: tuple[SplitResult, ...]

    @property
    def labs(self) -> tuple[str, ...]:
        return tuple(r.lab for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON representation."""
        return {
            "sample_id": self.sample_id,
            "nuclide": self.nuclide,
            "unit": self.unit,
            "medium": self.medium,
            "stations": list(self.stations),
            "sampled_at": self.sampled_at.isoformat(),
            "results": [r.as_dict() for r in self.results],
        }


@dataclass(frozen=True)
class SplitScore:
    """Scores of the laboratories of one split sample.

    ``scores`` are ISO 13528 :class:`~seawitness.analysis.ilc.LabScore` objects (for
    ``pairwise``: one, for the first laboratory against the second, with only D, D%,
    zeta and En defined). ``not_scored`` maps a laboratory to the reason.
    """

    sample: SplitSample
    method: str
    assigned: ilc.AssignedValue | None
    sigma_pt: float | None
    robust: ilc.RobustEstimate | None
    scores: list[ilc.LabScore]
    iaea: list[ilc.IaeaScore]
    not_scored: dict[str, str]
    refusal: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON representation (non-finite numbers become None)."""
        out: dict[str, Any] = {
            **self.sample.as_dict(),
            "method": self.method,
            "assigned": (
                {
                    "value": self.assigned.value,
                    "u": self.assigned.u,
                    "method": self.assigned.method,
                }
                if self.assigned
                else None
            ),
            "sigma_pt": self.sigma_pt,
            "robust": (
                {"x_star": self.robust.x_star, "s_star": self.robust.s_star, "p": self.robust.p}
                if self.robust
                else None
            ),
            "scores": [s.as_dict() for s in self.scores],
            "iaea": [s.as_dict() for s in self.iaea],
            "not_scored": dict(self.not_scored),
            "refusal": self.refusal,
            "notes": list(self.notes),
        }
        return finite_json(out)


def finite_json(obj: Any) -> Any:
    """``obj`` with NaN and infinities (undefined scores) as None, for JSON output."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [finite_json(v) for v in obj]
    return obj


# --------------------------------------------------------------------------- finding


def _lab_of(m: Measurement) -> str:
    return (m.lab or "").strip() or m.org


def _one_per_lab(lab: str, ms: list[Measurement], unit: str, basis: str) -> SplitResult:
    """Combine one laboratory's results for a sample into one participant result.

    A precise analysis is preferred over a rapid one. Several detected results are
    replicates: their mean, with ``u = sqrt(sum u_i^2)/n`` (GUM, uncorrelated). With no
    detect, the lowest detection limit is kept (the most informative statement).
    """
    precise = [m for m in ms if m.analysis is Analysis.PRECISE]
    pool = precise or ms

    def factor(m: Measurement) -> float:
        if (m.unit, m.basis.value) == (unit, basis):
            return 1.0
        return conversion_factor(m.unit, unit, nuclide=m.nuclide, basis=m.basis, to_basis=basis)

    det = [m for m in pool if m.detection in (Detection.DETECTED, Detection.DERIVED)]
    first = pool[0]
    if det:
        vals = [float(m.value) * factor(m) for m in det if m.value is not None]
        us = [m.uncertainty * factor(m) if m.uncertainty is not None else None for m in det]
        u: float | None
        if any(x is None for x in us):
            u = None
        else:
            u = math.sqrt(sum(x * x for x in us if x is not None)) / len(us)
        ks = {m.coverage_factor for m in det}
        return SplitResult(
            lab=lab,
            org=det[0].org,
            detection=det[0].detection.value,
            value=statistics.fmean(vals),
            u=u,
            coverage_factor=ks.pop() if len(ks) == 1 else None,
            replicates=len(vals),
            sampled_at=det[0].sampled_at,
            station=det[0].station,
        )
    lims = [m for m in pool if m.detection is Detection.BELOW_LIMIT and m.value is not None]
    if lims:
        best = min(lims, key=lambda m: float(m.value or 0.0) * factor(m))
        return SplitResult(
            lab=lab,
            org=best.org,
            detection=Detection.BELOW_LIMIT.value,
            value=float(best.value or 0.0) * factor(best),
            u=None,
            coverage_factor=None,
            replicates=len(pool),
            sampled_at=best.sampled_at,
            station=best.station,
        )
    return SplitResult(
        lab=lab,
        org=first.org,
        detection=Detection.NOT_DETECTED.value,
        value=None,
        u=None,
        coverage_factor=None,
        replicates=len(pool),
        sampled_at=first.sampled_at,
        station=first.station,
    )


def find_splits(measurements: Iterable[Measurement]) -> list[SplitSample]:
    """Group results by (sample id, nuclide) and keep those from two or more laboratories.

    Results without a ``sample_id`` cannot be matched and are ignored. Each laboratory
    contributes one result (see :func:`_one_per_lab`). Results in another unit are
    converted to the sample's most common unit; a result that cannot be converted
    raises :class:`SplitError` naming it.
    """
    groups: dict[tuple[str, str], list[Measurement]] = defaultdict(list)
    for m in measurements:
        if m.sample_id:
            groups[(m.sample_id, m.nuclide)].append(m)
    out: list[SplitSample] = []
    for (sid, nuc), ms in sorted(groups.items()):
        by_lab: dict[str, list[Measurement]] = defaultdict(list)
        for m in ms:
            by_lab[_lab_of(m)].append(m)
        if len(by_lab) < 2:
            continue
        (unit, basis), _ = Counter((m.unit, m.basis.value) for m in ms).most_common(1)[0]
        try:
            results = tuple(
                _one_per_lab(lab, lab_ms, unit, basis) for lab, lab_ms in sorted(by_lab.items())
            )
        except ConversionError as exc:
            raise SplitError(f"sample {sid!r} {nuc}: results not on one scale: {exc}") from None
        out.append(
            SplitSample(
                sample_id=sid,
                nuclide=nuc,
                unit=unit,
                medium=Counter(m.medium.value for m in ms).most_common(1)[0][0],
                stations=tuple(sorted({m.station for m in ms})),
                sampled_at=min(m.sampled_at for m in ms),
                results=results,
            )
        )
    return out


def split_samples(store: Store, nuclide: str | None = None) -> list[SplitSample]:
    """Split samples among the current results in the store (optionally one nuclide).

    Only results with a sample id become records, read a batch at a time: making every
    current result a record first held a million of them (3.4 GB) to keep a few."""
    rows = (r for b in store.measurement_batches(Query(nuclide=nuclide)) for r in b)
    return find_splits(measurement_from_index(r) for r in rows if r["sample_id"])


# --------------------------------------------------------------------------- scoring


def _values(results: Sequence[SplitResult]) -> list[float]:
    return [r.value for r in results if r.value is not None]


def _pairwise(a: SplitResult, b: SplitResult, k: float) -> ilc.LabScore:
    """Lab ``a`` against lab ``b`` in the place of the assigned value (ISO 13528 9.6/9.7)."""
    assert a.value is not None and b.value is not None
    ra, rb = a.as_lab_result(), b.as_lab_result()
    big_ub = rb.uncertainty if rb.coverage_factor else k * rb.u
    return _en_zeta_score(f"{a.lab} vs {b.lab}", ra, b.value, rb.u, big_ub, k)


def _en_zeta_score(
    lab: str, r: ilc.LabResult, x_ref: float, u_ref: float, big_u_ref: float, k: float
) -> ilc.LabScore:
    """Scores that need no sigma_pt: D, D%, zeta and En (ISO 13528 9.3, 9.6, 9.7); the
    class follows En. z and z' are undefined without a standard deviation for PT."""
    big_u = r.uncertainty if r.coverage_factor else k * r.u
    zeta = ilc.zeta_score(r.value, x_ref, r.u, u_ref)
    en = ilc.en_score(r.value, x_ref, big_u, big_u_ref)
    en_class = ilc.classify_en(en)
    return ilc.LabScore(
        lab=lab,
        value=r.value,
        u=r.u,
        D=r.value - x_ref,
        D_percent=ilc.percent_difference(r.value, x_ref),
        z=math.nan,
        z_prime=math.nan,
        zeta=zeta,
        En=en,
        z_class="undefined",
        z_prime_class="undefined",
        zeta_class=ilc.classify_z(zeta),
        En_class=en_class,
        klass=en_class,
        class_basis="En",
    )


def score_split(
    sample: SplitSample,
    *,
    reference_lab: str | None = None,
    reference: tuple[float, float] | None = None,
    sigma_pt: float | None = None,
    sigma_pt_percent: float | None = None,
    marb_percent: float | None = None,
    k: float = 2.0,
) -> SplitScore:
    """Score the laboratories of one split sample (see the module docstring).

    Parameters
    ----------
    sample : SplitSample
        From :func:`split_samples`.
    reference_lab : str, optional
        Laboratory whose result is the assigned value (if it analysed this sample and
        detected the nuclide; otherwise the sample is refused, with the reason).
    reference : (float, float), optional
        Assigned value and its standard uncertainty, given by the caller
        [sample unit]. Takes precedence over ``reference_lab``.
    sigma_pt : float, optional
        Standard deviation for proficiency assessment [sample unit].
    sigma_pt_percent : float, optional
        ``sigma_pt`` as a percentage of ``x_pt`` [%].
    marb_percent : float, optional
        Also score by the IAEA criteria with this maximum acceptable relative bias [%].
    k : float
        Coverage factor for the expanded uncertainties of En when a laboratory
        reported none (default 2).

    Returns
    -------
    SplitScore
        Never raises for data reasons: ``refusal`` says why nothing was scored.
    """
    if sigma_pt is not None and sigma_pt_percent is not None:
        raise SplitError("give sigma_pt or sigma_pt_percent, not both")
    not_scored: dict[str, str] = {}
    scorable: list[SplitResult] = []
    for r in sample.results:
        if r.detection == Detection.NOT_DETECTED.value:
            not_scored[r.lab] = "not detected, no detection limit reported; not scored"
        elif not r.detected:
            not_scored[r.lab] = NOT_SCORED_ND
        else:
            scorable.append(r)
    notes: list[str] = []
    for r in scorable:
        if r.u is None:
            notes.append(f"{r.lab}: no uncertainty reported; zeta and En undefined")
        if r.replicates > 1:
            notes.append(f"{r.lab}: mean of {r.replicates} replicate results")

    def refuse(method: str, why: str) -> SplitScore:
        return SplitScore(sample, method, None, None, None, [], [], not_scored, why, notes)

    assigned: ilc.AssignedValue | None = None
    robust: ilc.RobustEstimate | None = None
    participants = scorable
    if reference is not None:
        try:
            assigned = ilc.assigned_from_reference(*reference)
        except ilc.IlcInputError as exc:
            raise SplitError(str(exc)) from None
        method = "reference"
    elif reference_lab is not None:
        ref = next((r for r in sample.results if r.lab == reference_lab), None)
        if ref is None:
            return refuse("reference", f"reference laboratory {reference_lab!r} did not analyse it")
        if not ref.detected or ref.value is None:
            return refuse(
                "reference", f"reference laboratory {reference_lab!r} reports a non-detect"
            )
        u_ref = ref.u if ref.u is not None else math.nan
        if not math.isfinite(u_ref):
            notes.append(f"reference laboratory {reference_lab!r} reports no uncertainty: u = 0")
            u_ref = 0.0
        assigned = ilc.assigned_from_reference(ref.value, u_ref)
        method = "reference"
        participants = [r for r in scorable if r.lab != reference_lab]
    elif len(scorable) >= 3:
        try:
            assigned, robust = ilc.assigned_by_algorithm_a(_values(scorable))
        except ilc.IlcInputError as exc:
            return refuse("algorithm-a", str(exc))
        method = "algorithm-a"
    elif len(scorable) == 2:
        a, b = scorable
        pair = _pairwise(a, b, k)
        if marb_percent is not None:
            notes.append("IAEA scheme needs an assigned value: not applied to a pair")
        return SplitScore(sample, "pairwise", None, None, None, [pair], [], not_scored, None, notes)
    else:
        return refuse(
            "none",
            f"{len(scorable)} detected result(s): at least two are needed to compare laboratories",
        )
    if not participants:
        return refuse(method, "no other laboratory with a detected result to score")

    sp: float | None = sigma_pt
    if sp is None and sigma_pt_percent is not None:
        sp = abs(assigned.value) * sigma_pt_percent / 100.0
    if sp is None:
        if robust is None and len(scorable) >= 3:
            try:
                robust = ilc.algorithm_a(_values(scorable))
            except ilc.IlcInputError as exc:
                notes.append(f"no robust s*: {exc}")
        if robust is not None:
            sp = robust.s_star
            notes.append("sigma_pt = robust s* of the results (ISO 13528 clause 8)")
    results = [r.as_lab_result() for r in participants]
    if sp is not None and sp > 0:
        scores = ilc.score_iso13528(results, assigned, sp, k=k)
    else:
        # No sigma_pt: only the uncertainty-based scores (zeta, En) are defined.
        notes.append("no sigma_pt (give one, or three or more results): z and z' undefined")
        scores = [_without_sigma(r, assigned, k) for r in results]
        sp = None
    if robust is not None and method == "algorithm-a":
        notes.append(
            f"consensus of {robust.p} laboratories: u(x_pt) = 1.25 s*/sqrt(p) "
            f"= {assigned.u:.3g}; a consensus of few laboratories is fragile"
        )
    for r in sample.results:
        if (
            r.detection == Detection.BELOW_LIMIT.value
            and r.value is not None
            and r.value < assigned.value
        ):
            not_scored[r.lab] += (
                f"; its detection limit {r.value:.3g} is below the assigned value "
                f"{assigned.value:.3g}: inconsistent with the other laboratories"
            )
    iaea: list[ilc.IaeaScore] = []
    if marb_percent is not None:
        try:
            iaea = ilc.score_iaea(results, assigned, marb_percent)
        except ilc.IlcInputError as exc:
            notes.append(f"IAEA scheme not applied: {exc}")
    return SplitScore(sample, method, assigned, sp, robust, scores, iaea, not_scored, None, notes)


def _without_sigma(r: ilc.LabResult, assigned: ilc.AssignedValue, k: float) -> ilc.LabScore:
    return _en_zeta_score(r.lab, r, assigned.value, assigned.u, k * assigned.u, k)


def score_splits(
    samples: Sequence[SplitSample],
    *,
    reference_lab: str | None = None,
    reference: tuple[float, float] | None = None,
    sigma_pt: float | None = None,
    sigma_pt_percent: float | None = None,
    marb_percent: float | None = None,
    k: float = 2.0,
) -> list[SplitScore]:
    """:func:`score_split` for each sample, with the same options."""
    return [
        score_split(
            s,
            reference_lab=reference_lab,
            reference=reference,
            sigma_pt=sigma_pt,
            sigma_pt_percent=sigma_pt_percent,
            marb_percent=marb_percent,
            k=k,
        )
        for s in samples
    ]
