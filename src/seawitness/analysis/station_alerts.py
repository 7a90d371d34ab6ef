"""Every alert of a set of results: level alerts of a rule set, and EWMA and CUSUM charts
of each station's series against its own pre-discharge baseline.

This is the scan ``seawitness stats alerts`` runs; the charts themselves and their
parameters are :mod:`seawitness.analysis.alerts` (Montgomery 2013, chapter 9).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from seawitness.analysis import alerts as al
from seawitness.analysis import baseline as bl
from seawitness.analysis.limits import load_rules
from seawitness.model.records import Measurement

__all__ = ["station_alerts"]


def station_alerts(
    measurements: Sequence[Measurement],
    zones: dict[str, str],
    *,
    rules: str = "jp-tepco-sea",
    discharge_start: datetime = bl.DISCHARGE_START,
    baseline_since: datetime | None = bl.DEFAULT_BASELINE_SINCE,
    ewma: bool = True,
    cusum: bool = True,
) -> tuple[list[al.Alert], list[str], list[str]]:
    """Level alerts plus EWMA/CUSUM alerts of each station and nuclide against its baseline.

    The chart baseline is the station's detected results in ``[baseline_since,
    discharge_start)`` on the log scale (:meth:`~seawitness.analysis.alerts.Baseline.
    from_period`); the charts start at ``discharge_start``. Results published twice
    (e.g. in the NRA workbook and in ORBS) count once
    (:func:`seawitness.analysis.baseline.unique_results`).

    :param zones: station code → zone, for the rule set's zoned levels.
    :param rules: the rule set of levels (a bundled name or a TOML path).
    :param baseline_since: first time of the baseline; None: every earlier result.
    :returns: the alerts in time order, one line per series that could not be charted
        (saying why), and the rule set's low-confidence warnings.
    :raises RuleSetError: an unknown or invalid rule set.
    """
    measurements = bl.unique_results(measurements)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rule_set = load_rules(rules)
    notes = [f"warning: {w.message}" for w in caught]
    skipped: list[str] = []
    out = al.level_alerts(measurements, rule_set, zones=zones)
    if not (ewma or cusum):
        return sorted(out, key=lambda a: (a.time, a.station, a.nuclide, a.kind)), skipped, notes
    series: dict[tuple[str, str, str, str, str], list[Measurement]] = defaultdict(list)
    for m in measurements:
        series[(m.station, m.nuclide, m.medium.value, m.unit, m.basis.value)].append(m)
    start = baseline_since or datetime(1900, 1, 1, tzinfo=UTC)
    for (st, nuc, med, unit, _basis), ms in sorted(series.items()):
        if not any(m.sampled_at >= discharge_start for m in ms):
            continue
        try:
            base = al.Baseline.from_period(ms, start, discharge_start, log=True)
        except al.AlertError as exc:
            skipped.append(f"{st} {nuc} {med} [{unit}]: no chart: {exc}")
            continue
        if ewma:
            out += al.ewma_alerts(ms, base, start=discharge_start)
        if cusum:
            out += al.cusum_alerts(ms, base, start=discharge_start)
    out.sort(key=lambda a: (a.time, a.station, a.nuclide, a.kind))
    return out, skipped, notes
