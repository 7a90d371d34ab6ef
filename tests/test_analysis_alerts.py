"""Anomaly alerts (seawitness.analysis.alerts)."""

from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from seawitness.analysis.alerts import (
    AlertError,
    Baseline,
    cusum_alerts,
    ewma_alerts,
    level_alerts,
)
from seawitness.analysis.limits import LowConfidenceWarning
from seawitness.model.records import Basis, Detection, Measurement, Medium

T0 = datetime(2020, 1, 1, tzinfo=UTC)


def meas(value: float | None, day: int, **kw: Any) -> Measurement:
    d: dict[str, Any] = dict(
        org="TEPCO",
        station="T-0-1A",
        medium=Medium.SEAWATER,
        sampled_at=T0 + timedelta(days=day),
        nuclide="H-3",
        detection=Detection.DETECTED,
        value=value,
        unit="Bq/L",
        basis=Basis.WATER,
    )
    d.update(kw)
    return Measurement(**d)


BASE = [0.3, 0.35, 0.25, 0.3, 0.4, 0.2, 0.3, 0.35, 0.25, 0.3]  # mean 0.3, sd 0.0577


def test_investigation_level_alert() -> None:
    # TEPCO: investigate above 350 Bq/L within ~3 km of the outlet (TBS News 2023-08-26)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowConfidenceWarning)
        alerts = level_alerts([meas(400.0, 1, uncertainty=10.0), meas(52.0, 2)], "jp-tepco-sea")
    [a] = alerts
    assert (a.kind, a.station, a.nuclide, a.value, a.level) == ("level", "T-0-1A", "H-3", 400, 350)
    assert a.time == T0 + timedelta(days=1) and "investigation" in a.reason


def test_baseline_from_first_detects() -> None:
    ms = [meas(v, i) for i, v in enumerate(BASE)]
    ms.insert(3, meas(None, 3, detection=Detection.NOT_DETECTED))
    b = Baseline.from_first_detects(ms, 10)
    assert b.n == 10 and b.mean == pytest.approx(0.3)
    assert b.sd == pytest.approx(0.05773502691896258)
    assert b.label == "2020"


def test_ewma_signals_a_shift_with_reason() -> None:
    # Montgomery ch. 9: lambda = 0.2, L = 3. A +2 sigma step: E1 = 0.4, sigma_E1 =
    # sqrt(0.2/1.8 * (1 - 0.8**2)) = 0.2 -> 2.0 sigma (no signal); E2 = 0.2*2 + 0.8*0.4 = 0.72,
    # sigma_E2 = sqrt(0.2/1.8 * (1 - 0.8**4)) = 0.2530 -> 2.85 sigma; E3 = 0.976,
    # sigma_E3 = 0.2848 -> 3.43 sigma: signalled at the third point.
    ms = [meas(v, i) for i, v in enumerate(BASE)]
    b = Baseline.from_first_detects(ms, 10)
    shifted = [meas(0.3 + 2 * b.sd, 100 + i) for i in range(5)]
    alerts = ewma_alerts(ms + shifted, b)
    assert alerts
    first = alerts[0]
    assert first.time == T0 + timedelta(days=102)
    assert first.kind == "ewma" and "EWMA 3.4σ above baseline mean 0.3 Bq/L" in first.reason
    assert first.statistic == pytest.approx(0.976 / math.sqrt(0.2 / 1.8 * (1 - 0.8**6)))


def test_no_alert_in_control() -> None:
    ms = [meas(v, i) for i, v in enumerate(BASE)]
    b = Baseline.from_first_detects(ms, 10)
    later = [meas(v, 100 + i) for i, v in enumerate(BASE)]
    assert ewma_alerts(ms + later, b) == []
    assert cusum_alerts(ms + later, b) == []


def test_cusum_k_half_h_five() -> None:
    # Montgomery ch. 9: tabular CUSUM with k = 0.5, h = 5; a +2 sigma shift adds 1.5 per
    # point, so C+ = 1.5, 3.0, 4.5, 6.0 -> signal at the 4th point, then restart.
    ms = [meas(v, i) for i, v in enumerate(BASE)]
    b = Baseline.from_first_detects(ms, 10)
    shifted = [meas(0.3 + 2 * b.sd, 100 + i) for i in range(8)]
    alerts = cusum_alerts(ms + shifted, b, use_uncertainty=False)
    assert [a.time for a in alerts] == [T0 + timedelta(days=103), T0 + timedelta(days=107)]
    assert alerts[0].statistic == pytest.approx(6.0)
    assert "h=5" in alerts[0].reason


def test_log_baseline_uses_geometric_mean() -> None:
    ms = [meas(v, i) for i, v in enumerate([0.1, 1.0, 0.1, 1.0])]
    b = Baseline.from_period(ms, T0, T0 + timedelta(days=10), log=True)
    assert b.center == pytest.approx(math.sqrt(0.1))
    assert "geometric mean" in b.describe()


def test_mixed_series_refused() -> None:
    ms = [meas(0.3, 1), meas(0.3, 2, station="T-1")]
    with pytest.raises(AlertError, match="one station"):
        Baseline.from_first_detects(ms, 2)
