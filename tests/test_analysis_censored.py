"""Tests of seawitness.analysis.censored against published NADA / NADA2 / EnvStats outputs.

Data sets are those shipped with the R package NADA (Lee & Helsel), from
Helsel (2012) "Statistics for Censored Environmental Data Using Minitab and R":
``ShePyrene`` (pyrene in Sheldon's sediments), ``CuZn`` (zinc, two aquifer
zones) and ``Golden`` (lead in heron livers). Expected values are those printed
in the NADA2 vignettes "Censored_Data_Analysis" and "DataAnalysis" (Julian &
Helsel, NADA2 1.1.x), which show the output of NADA ``cenfit``/``cenros``/
``cenmle``/``censtats``, EnvStats ``enparCensored`` and NADA2 ``cen1way``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

import refdata
from seawitness.analysis import censored as cen


def _flags(s: str) -> list[bool]:
    return [ch in "1T" for ch in s.replace(" ", "")]


# NADA::ShePyrene (Helsel 2012), 56 values, 11 non-detects.
PYRENE = [
    28, 31, 32, 34, 35, 35, 40, 47, 48, 58, 59, 63, 64, 64, 67, 67, 67, 72, 73, 84, 86,
    86, 87, 94, 98, 100, 103, 103, 105, 107, 110, 111, 117, 119, 119, 122, 122, 132, 133,
    133, 138, 163, 163, 163, 163, 174, 187, 190, 222, 238, 273, 289, 306, 333, 459, 2982,
]  # fmt: skip
PYRENE_CEN = _flags("TFFFTTFFFTFFFFFFFFFFFTFFFFFFFFFFTFFTFFFFFTTTFTFFFFFFFFFF")

# NADA::Golden, Liver lead by Dosage group.
GOLDEN_LIVER = [
    0.3016412, 0.136149733, 0.04, 0.098927875, 0.04, 0.059551887, 0.039300847,
    0.174832536, 0.327969349, 0.116129032, 0.238457043, 0.037241379, 0.04, 0.04,
    7.085059172, 34.561128527, 0.037130542, 0.192421384, 0.114814815, 30.694444444,
    0.433145363, 0.261548471, 0.215394089, 0.219843852, 0.402298851, 46.469687093, 0.06,
]  # fmt: skip
GOLDEN_LIVER_CEN = _flags("001010000000110000000000000")
GOLDEN_DOSAGE = [0.0] * 7 + [0.01] * 7 + [0.05] * 6 + [0.25] * 7

# NADA::CuZn, Zn by Zone (rows with missing Zn dropped).
ZN_ALLUVIAL_FAN = [
    10,
    9,
    5,
    18,
    10,
    12,
    10,
    11,
    11,
    19,
    8,
    3,
    10,
    10,
    10,
    10,
    10,
    10,
    10,
    10,
    10,
    10,
    10,
    10,
    10,
    10,
    10,
    20,
    20,
    10,
    20,
    20,
    20,
    10,
    10,
    20,
    620,
    40,
    50,
    33,
    10,
    20,
    10,
    10,
    10,
    30,
    20,
    10,
    20,
    20,
    20,
    10,
    20,
    23,
    17,
    10,
    10,
    10,
    20,
    29,
    20,
    10,
    10,
    10,
    10,
    7,
    10,
]
ZN_ALLUVIAL_FAN_CEN = _flags("1000100000011100001010101000010001000000000000000001000010000101001")
ZN_BASIN_TROUGH = [
    20,
    10,
    60,
    20,
    12,
    8,
    10,
    14,
    10,
    17,
    3,
    11,
    5,
    12,
    4,
    3,
    6,
    3,
    15,
    13,
    4,
    20,
    20,
    70,
    60,
    40,
    30,
    40,
    17,
    10,
    20,
    20,
    5,
    10,
    50,
    30,
    25,
    10,
    10,
    40,
    20,
    10,
    20,
    20,
    30,
    20,
    30,
    50,
    90,
    20,
]
ZN_BASIN_TROUGH_CEN = _flags("00000010101000000000000000000000000001000000000000")


def test_km_reproduces_nada_and_envstats_pyrene() -> None:
    """ShePyrene KM: NADA cenfit n=56, n.cen=11, median 98, mean 164.2036, "sd" 393.9509;
    EnvStats enparCensored sd 389.3761, se.mean 52.6439, t-interval 58.70286--269.70433."""
    km = cen.kaplan_meier(PYRENE, PYRENE_CEN)
    assert (km.n, km.n - km.n_detected) == (56, 11)
    assert km.percent_censored == pytest.approx(19.64286, abs=5e-6)
    assert km.median == 98
    assert km.mean == pytest.approx(164.2036, abs=5e-5)
    assert km.sd == pytest.approx(389.3761, abs=5e-5)
    assert km.se_mean == pytest.approx(52.6439, abs=5e-5)
    assert km.extra["nada_sd"] == pytest.approx(393.9509, abs=5e-5)
    lcl, ucl = cen.kaplan_meier_t_interval(km, 0.95)
    assert lcl == pytest.approx(58.70286, abs=5e-6)
    assert ucl == pytest.approx(269.70433, abs=5e-6)


def test_ros_reproduces_nada_cenros_pyrene() -> None:
    """ShePyrene cenros: mean 163.2494, sd 393.1068, quantiles 5%..95% as printed."""
    r = cen.ros(PYRENE, PYRENE_CEN)
    assert r.mean == pytest.approx(163.2494, abs=5e-5)
    assert r.sd == pytest.approx(393.1068, abs=5e-5)
    assert r.median == pytest.approx(90.5)
    printed = {5: 30.78771, 10: 33.0, 25: 63.45761, 50: 90.5, 75: 132.25, 90: 255.5, 95: 312.75}
    for q, v in printed.items():
        assert r.percentiles[q] == pytest.approx(v, abs=5e-6)


def test_ros_plotting_positions_reproduce_nada_censummary_pexceed() -> None:
    """ShePyrene censummary: exceedance probabilities at the 8 detection limits."""
    _, pe = cen.ros_plotting_positions(PYRENE, PYRENE_CEN)
    printed = [
        0.9636368,
        0.8545470,
        0.7818206,
        0.5636411,
        0.3350722,
        0.2947735,
        0.1968254,
        0.1785714,
    ]
    assert list(pe) == pytest.approx(printed, abs=5e-8)


def test_mle_reproduces_nada_cenmle_pyrene() -> None:
    """ShePyrene cenmle (lognormal): median 91.64813, mean 133.91419, sd 142.66984;
    mean(cenmle) se 19.06506 and 95 % interval 102.51010--174.93895."""
    m = cen.lognormal_mle(PYRENE, PYRENE_CEN)
    assert m.median == pytest.approx(91.64813, rel=1e-6)
    assert m.mean == pytest.approx(133.91419, rel=1e-6)
    assert m.sd == pytest.approx(142.66984, rel=1e-6)
    assert m.se_mean == pytest.approx(19.06506, rel=1e-6)
    lcl, ucl = cen.lognormal_cox_interval(m, 0.95)
    assert lcl == pytest.approx(102.51010, rel=1e-6)
    assert ucl == pytest.approx(174.93895, rel=1e-6)


def test_peto_prentice_reproduces_nada2_cen1way_cuzn() -> None:
    """CuZn Zn by Zone, NADA2 cen1way: Peto-Peto chisq = 5.183 on 1 df, p = 0.0228."""
    t = cen.peto_prentice_test(
        {
            "AlluvialFan": (ZN_ALLUVIAL_FAN, ZN_ALLUVIAL_FAN_CEN),
            "BasinTrough": (ZN_BASIN_TROUGH, ZN_BASIN_TROUGH_CEN),
        }
    )
    assert t.df == 1
    assert t.statistic == pytest.approx(5.183, abs=5e-4)
    assert t.p == pytest.approx(0.0228, abs=5e-5)


def test_peto_prentice_reproduces_nada2_cen1way_golden_four_groups() -> None:
    """Golden Liver by Dosage, NADA2 cen1way: chisq = 7.795 on 3 df, p = 0.0504."""
    groups: dict[float, tuple[list[float], list[bool]]] = {}
    for v, c, d in zip(GOLDEN_LIVER, GOLDEN_LIVER_CEN, GOLDEN_DOSAGE, strict=True):
        groups.setdefault(d, ([], []))
        groups[d][0].append(v)
        groups[d][1].append(c)
    t = cen.peto_prentice_test({str(k): v for k, v in groups.items()})
    assert t.df == 3
    assert t.statistic == pytest.approx(7.795, abs=5e-4)
    assert t.p == pytest.approx(0.0504, abs=5e-5)


def test_km_group_means_reproduce_nada2_cen1way_golden() -> None:
    """Golden Liver KM means/SDs of the censored dosage groups 0 and 0.01 (cen1way:
    0.1020 / 0.08834 and 0.1384 / 0.10590)."""
    a = cen.kaplan_meier(GOLDEN_LIVER[:7], GOLDEN_LIVER_CEN[:7])
    b = cen.kaplan_meier(GOLDEN_LIVER[7:14], GOLDEN_LIVER_CEN[7:14])
    assert a.mean == pytest.approx(0.1020, abs=5e-5)
    assert a.sd == pytest.approx(0.08834, abs=5e-6)
    assert b.mean == pytest.approx(0.1384, abs=5e-5)
    assert b.sd == pytest.approx(0.10590, abs=5e-5)


def test_km_without_censoring_is_the_empirical_distribution() -> None:
    """Closed form: with no non-detects KM mean = arithmetic mean, sd = population SD."""
    x = [1.0, 2.0, 4.0, 7.0]
    km = cen.kaplan_meier(x, [False] * 4)
    assert km.mean == pytest.approx(3.5)
    assert km.sd == pytest.approx(math.sqrt(sum((v - 3.5) ** 2 for v in x) / 4))


def test_refuses_more_than_80_percent_censored() -> None:
    """Helsel (2012): with > 80 % non-detects report only detection frequency."""
    vals = [1.0] * 9 + [5.0, 6.0]
    flags = [True] * 9 + [False, False]
    for method in ("km", "ros", "mle"):
        with pytest.raises(cen.CensoredDataError):
            cen.summarize(vals, flags, method)
    with pytest.raises(cen.MethodNotApplicable, match="80"):
        cen.kaplan_meier([1.0] * 13 + [5.0, 6.0, 7.0], [True] * 13 + [False] * 3)


def test_ros_and_mle_need_three_detects() -> None:
    with pytest.raises(cen.InsufficientData):
        cen.ros([1, 2, 3, 4, 5], [True, True, False, False, True])
    with pytest.raises(cen.InsufficientData):
        cen.lognormal_mle([1, 2, 3, 4, 5], [True, True, False, False, True])


def test_unknown_method_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        cen.summarize([1.0, 2.0, 3.0], [False] * 3, "dl2")


# -- references: R NADA 1.6-1.1 cenfit / cendiff and survival 3.5-3 on NADA's own data ---


def _groups(values: list[float], flags: list[bool], labels: list[str]) -> dict[str, Any]:
    out: dict[str, tuple[list[float], list[bool]]] = {}
    for v, c, g in zip(values, flags, labels, strict=True):
        out.setdefault(g, ([], []))
        out[g][0].append(v)
        out[g][1].append(c)
    return out


DATA = {
    "Atrazine": _groups(refdata.ATRAZINE, refdata.ATRAZINE_CEN, refdata.ATRAZINE_MONTH),
    "Cadmium": _groups(refdata.CADMIUM, refdata.CADMIUM_CEN, refdata.CADMIUM_REGION),
}
# NADA stores Atrazine in single precision (0.0099999998 for 0.01): compare to 1e-7.
REL = {"Atrazine": 1e-7, "Cadmium": 1e-12}

# R 4.2.2, NADA 1.6-1.1: f = with(Atrazine, cenfit(Atra, AtraCen, Month)) and
# with(Cadmium, cenfit(Cd, CdCen, Region)); print(f), mean(f[i]), sd(f[i]).
#            n, n.cen, median, mean,               sd (NADA),          se of the mean
KM_NADA = {
    ("Atrazine", "June"): (24, 9, 0.02, 0.0479166662920833, 0.075414281643571, 0.0153938757787741),
    ("Atrazine", "Sept"): (24, 5, 0.06, 3.97250002614209, 18.0869268389512, 3.69197848087341),
    ("Cadmium", "COLOPLT"): (9, 3, 0.4, 0.588888888888889, 0.351925918130296, 0.117308639376765),
    ("Cadmium", "SRKYMT"): (10, 1, 3.0, 10.54, 25.0689539071737, 7.92749929044462),
}  # fmt: skip

# quantile(f) of the same fits (NADAprobs 5..95 %); None where NADA prints NA.
Q_NADA = {
    ("Atrazine", "June"): (None, None, None, 0.02, 0.04, 0.09, 0.11),
    ("Atrazine", "Sept"): (None, None, 0.02, 0.06, 0.50, 0.84, 2.66),
    ("Cadmium", "COLOPLT"): (None, None, None, 0.4, 0.7, None, None),
    ("Cadmium", "SRKYMT"): (None, None, 0.6, 3.0, 4.6, None, None),
}
# survival 3.5-3: ff - quantile(survfit(Surv(ff - x, !cen) ~ 1), probs = 1 - p), ff =
# max(x) + 1, for p = 25, 50, 75, 90, 95 %: the midpoint convention of quantile.survfit.
Q_SURVIVAL = {
    ("Atrazine", "June"): (None, 0.02, 0.045, 0.09, 0.11),
    ("Atrazine", "Sept"): (0.02, 0.075, 0.54, 0.84, 2.66),
    ("Cadmium", "COLOPLT"): (None, 0.4, 0.7, 1.4, 1.4),
    ("Cadmium", "SRKYMT"): (0.6, 3.2, 4.6, 43.1, 81.3),
}


def _approx(expected: tuple[float | None, ...], rel: float) -> list[Any]:
    return [pytest.approx(v, rel=rel) if v is not None else None for v in expected]


def _finite_or_none(xs: Any) -> list[float | None]:
    return [x if math.isfinite(x) else None for x in xs]


@pytest.mark.parametrize(("data", "group"), list(KM_NADA))
def test_km_reproduces_nada_cenfit_on_atrazine_and_cadmium(data: str, group: str) -> None:
    """In Sept (Atrazine) and SRKYMT (Cadmium) the KM cdf sits exactly at 0.5 over an
    interval: NADA prints the lower end (0.06, 3.0), the smallest value whose cdf reaches
    0.5, which is the default quantile rule here; mean and NADA's sd agree as well."""
    n, n_cen, median, mean, nada_sd, se = KM_NADA[data, group]
    vals, flags = DATA[data][group]
    r = cen.kaplan_meier(vals, flags)
    rel = REL[data]
    assert (r.n, r.n - r.n_detected) == (n, n_cen)
    assert r.median == pytest.approx(median, rel=rel)
    assert r.mean == pytest.approx(mean, rel=rel)
    assert r.extra["nada_sd"] == pytest.approx(nada_sd, rel=rel)
    assert r.se_mean == pytest.approx(se, rel=rel)
    q = cen.kaplan_meier(vals, flags, quantile_rule="nada").percentiles
    assert _finite_or_none(q.values()) == _approx(Q_NADA[data, group], rel)


@pytest.mark.parametrize(("data", "group"), list(Q_SURVIVAL))
def test_km_midpoint_rule_reproduces_survival_quantile(data: str, group: str) -> None:
    vals, flags = DATA[data][group]
    r = cen.kaplan_meier(vals, flags, percentiles=(25, 50, 75, 90, 95), quantile_rule="midpoint")
    assert _finite_or_none(r.percentiles.values()) == _approx(Q_SURVIVAL[data, group], REL[data])


def test_km_quantiles_without_censoring() -> None:
    """NADA 1.6-1.1 quantile(cenfit(1:5, rep(FALSE, 5))) at 5, 10, 20, 25, 50, 75, 80 %:
    1 1 1 2 3 4 NA; median(cenfit(1:4, ...)) = 2, the survival midpoint 2.5 = median()."""
    pct = (5, 10, 20, 25, 50, 75, 80)
    nada = cen.kaplan_meier([1, 2, 3, 4, 5], [False] * 5, percentiles=pct, quantile_rule="nada")
    assert _finite_or_none(nada.percentiles.values()) == [1, 1, 1, 2, 3, 4, None]
    inv = cen.kaplan_meier([1, 2, 3, 4, 5], [False] * 5, percentiles=pct)
    assert list(inv.percentiles.values()) == [1, 1, 1, 2, 3, 4, 4]
    assert cen.kaplan_meier([1, 2, 3, 4], [False] * 4).median == 2
    assert cen.kaplan_meier([1, 2, 3, 4], [False] * 4, quantile_rule="midpoint").median == 2.5
    with pytest.raises(cen.InputError, match="quantile rule"):
        cen.kaplan_meier([1, 2, 3], [False] * 3, quantile_rule="type7")


def test_km_quantile_below_the_smallest_detect_has_no_value() -> None:
    """COLOPLT: detects 1.4, 0.8, 0.7, 0.4 x3 and limits <0.3, <0.4, <0.6. Going down,
    F(0.8) = 8/9, F(0.7) = 7/8 F(0.8) = 7/9, F(0.4) = 6/7 F(0.7) = 6/9 and, with 5 at
    risk at 0.4 of which 3 detects, P(X < 0.4) = 2/5 * 6/9 = 4/15. The 25 % quantile
    lies below 0.4, among the non-detects: NaN (null in JSON), as NADA's NA."""
    vals, flags = DATA["Cadmium"]["COLOPLT"]
    r = cen.kaplan_meier(vals, flags)
    assert r.extra["p_below_smallest_detect"] == pytest.approx(4 / 15, rel=1e-12)
    assert math.isnan(r.percentiles[25.0]) and r.as_dict()["percentiles"]["25"] is None


# with(Atrazine, cendiff(Atra, AtraCen, Month)) and with(Cadmium, cendiff(Cd, CdCen,
# Region)), i.e. survival::survdiff(flip(Cen(obs, cen)) ~ groups, rho = 1): Chisq, p and
# the weighted Observed / Expected columns, groups in factor-level order.
CENDIFF = {
    "Atrazine": (6.63578559265843, 0.00999501080925848, (8.89583333333333, 14.3541666666667),
                 (13.9375, 9.3125), ("June", "Sept")),
    "Cadmium": (7.01616524472385, 0.00807770457332631, (2.84210526315789, 6.84210526315789),
                (6.13157894736842, 3.55263157894737), ("COLOPLT", "SRKYMT")),
}  # fmt: skip


@pytest.mark.parametrize("data", list(CENDIFF))
def test_peto_prentice_reproduces_nada_cendiff(data: str) -> None:
    chisq, p, obs, exp, order = CENDIFF[data]
    t = cen.peto_prentice_test({g: DATA[data][g] for g in order})
    assert t.df == 1 and t.groups == order
    assert t.statistic == pytest.approx(chisq, rel=1e-12)
    assert t.p == pytest.approx(p, rel=1e-12)
    assert t.observed == pytest.approx(obs, rel=1e-12)
    assert t.expected == pytest.approx(exp, rel=1e-12)
    flipped = cen.peto_prentice_test({g: DATA[data][g] for g in reversed(order)})
    assert flipped.statistic == pytest.approx(chisq, rel=1e-12)


def test_peto_prentice_drops_a_group_with_nothing_at_risk() -> None:
    """survdiff drops groups whose expected count is 0 (here one whose every value is a
    limit above all detects) and lowers the degrees of freedom with them."""
    a = ([1.0, 2.0, 3.0, 4.0], [False] * 4)
    b = ([2.5, 3.5, 5.0], [False] * 3)
    only_high_limits = ([10.0, 12.0], [True, True])
    two = cen.peto_prentice_test({"a": a, "b": b})
    three = cen.peto_prentice_test({"a": a, "b": b, "c": only_high_limits})
    assert three.df == 1 and three.expected[2] == 0
    assert three.statistic == pytest.approx(two.statistic, rel=1e-12)
