"""Before/after comparison of a station's results against its pre-discharge baseline.

For one station (or every station of a zone) and one nuclide, the current results in the
store are split at the start of the ALPS treated-water discharge and each side is
summarised with censored-data statistics; the two sides are compared and the
post-discharge series is tested for a monotonic trend:

* summaries -- Kaplan--Meier by default (or ROS / lognormal MLE), through
  :func:`seawitness.analysis.censored.summarize` (Helsel [1]_ ch. 6). A side that is
  unfit (more than 80 % non-detects, fewer than 2 detects) is **not** summarised: the
  refusal says why, and only the detection frequency, the detection limits and the
  detected range are reported, as Helsel advises;
* difference -- the Peto--Prentice generalized Wilcoxon test
  (:func:`~seawitness.analysis.censored.peto_prentice_test`; Helsel [1]_ sec. 9.3),
  which uses the non-detects as "below their limit" without substituting a value;
* trend after the discharge -- Mann--Kendall with the Theil--Sen slope when every result
  is detected, else Kendall's tau with the Akritas--Theil--Sen line (Helsel [1]_ ch. 12;
  :mod:`seawitness.analysis.trends`). For a zone, the pooled trend is the *regional*
  Kendall test (Helsel & Frans [2]_): Kendall's S summed over stations, each station
  compared only with itself, with the ATS line of all results;
* the largest post-discharge detected results, with station, sampling time and source.

Units: values, limits, means and medians are in the unit of the series (e.g. Bq/L);
slopes are in that unit per year (decimal years, :func:`trends.to_decimal_years`).

Sources of one station. The same station code may come from two publications of the same
TEPCO results, e.g. the NRA workbook (2011--2023) and ORBS (2021--); they carry the same
``org`` and station code and are treated as one series. Results published twice are
recognised as identical (station, sampling time, detection code, value) and kept once;
the count of removed duplicates and the results per source are part of every report.
Replicate results of one sampling with *different* values (e.g. a re-count with a longer
counting time) are all kept.

References
----------
.. [1] Helsel, D. R., Statistics for Censored Environmental Data Using Minitab and R,
   2nd ed., Wiley, 2012.
.. [2] Helsel, D. R. and Frans, L. M., Regional Kendall test for trend, Environmental
   Science & Technology 40(13):4066--4073, 2006.
"""

from __future__ import annotations

from seawitness.analysis.baseline.compare import (
    compare_before_after,
    observations,
    regional_trend,
    shift_score,
    unique_results,
)
from seawitness.analysis.baseline.results import (
    DEFAULT_BASELINE_SINCE,
    DISCHARGE_START,
    BaselineError,
    BeforeAfter,
    Observation,
    PeriodSummary,
    ZoneBeforeAfter,
)
from seawitness.analysis.baseline.store import station_baseline, zone_baseline

__all__ = [
    "DEFAULT_BASELINE_SINCE",
    "DISCHARGE_START",
    "BaselineError",
    "BeforeAfter",
    "Observation",
    "PeriodSummary",
    "ZoneBeforeAfter",
    "compare_before_after",
    "observations",
    "regional_trend",
    "shift_score",
    "station_baseline",
    "unique_results",
    "zone_baseline",
]
