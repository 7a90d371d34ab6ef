"""How a record enters a comparison: its unit factor, its detection limit, detected or not.

Shared by single-result rules (:mod:`~seawitness.analysis.limits.engine`) and sums
(:mod:`~seawitness.analysis.limits.aggregate`) so that both read a record the same way.
"""

from __future__ import annotations

from seawitness.analysis.limits.evaluation import Ctx
from seawitness.harmonize.units import conversion_factor
from seawitness.model.records import Basis, Detection, Measurement

__all__ = ["detection_limit", "factor", "is_detect"]


def factor(m: Measurement, unit: str, basis: Basis, ctx: Ctx) -> float:
    """Factor that expresses ``m`` in ``unit`` on ``basis``.

    Uses the call's density [kg/L], dry/wet ratio [kg/kg] and water yield [L/kg] where a
    conversion needs them; raises :class:`~seawitness.harmonize.units.ConversionError`
    when it needs one the call did not give.
    """
    return conversion_factor(
        m.unit,
        unit,
        nuclide=m.nuclide,
        basis=m.basis,
        to_basis=basis,
        density=ctx.density,
        dry_wet_ratio=ctx.dry_wet_ratio,
        water_yield=ctx.water_yield,
    )


def detection_limit(m: Measurement) -> float | None:
    """The detection limit of a non-detect: the value of a ``<``, else the reported limit."""
    if m.detection is Detection.BELOW_LIMIT:
        return m.value
    return m.detection_limit


def is_detect(m: Measurement) -> bool:
    """Detected (``=``) or derived (``DE``) results have a value to compare."""
    return m.detection in (Detection.DETECTED, Detection.DERIVED)
