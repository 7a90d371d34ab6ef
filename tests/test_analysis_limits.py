"""The limits engine (seawitness.analysis.limits): rule sets and classification."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import Any

import pytest

from seawitness.analysis.limits import (
    COVERAGE_95,
    Classification,
    LowConfidenceWarning,
    RuleSetError,
    classify,
    evaluate_all,
    list_rule_sets,
    load_rules,
    summarize,
)
from seawitness.model.records import Basis, Detection, Measurement, Medium

C = Classification
T = datetime(2025, 8, 11, 1, 0, tzinfo=UTC)
EXPECTED_SETS = [
    "cn-gb14882",
    "codex",
    "eu-2016-52",
    "jp-mhlw",
    "jp-tepco-discharge",
    "jp-tepco-sea",
    "kr-mfds",
    "who-dw",
]


def rules(name: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowConfidenceWarning)
        return load_rules(name)


def meas(**kw: Any) -> Measurement:
    d: dict[str, Any] = dict(
        org="TEPCO",
        station="T-0-1A",
        medium=Medium.SEAWATER,
        sampled_at=T,
        nuclide="H-3",
        detection=Detection.DETECTED,
        value=1.0,
        unit="Bq/L",
        basis=Basis.WATER,
    )
    d.update(kw)
    return Measurement(**d)


def by_rule(evs: list[Any], suffix: str) -> Any:
    [ev] = [e for e in evs if e.rule_id.endswith(suffix)]
    return ev


# -- rule sets ------------------------------------------------------------------------------


def test_bundled_rule_sets() -> None:
    assert list_rule_sets() == EXPECTED_SETS


@pytest.mark.parametrize("name", EXPECTED_SETS)
def test_every_number_has_source_and_confidence(name: str) -> None:
    rs = rules(name)
    assert rs.rules
    for r in rs.rules:
        assert r.source and r.confidence
        for c in r.components:
            assert c.source and c.confidence


@pytest.mark.parametrize(
    ("name", "suffix", "limit", "unit"),
    [
        # METI "Monitoring of ALPS treated water": 700 near the outlet, 30 in the 10 km square
        ("jp-tepco-sea", "outlet-3km/H-3/suspension", 700, "Bq/L"),
        ("jp-tepco-sea", "square-10km/H-3/suspension", 30, "Bq/L"),
        # TBS News 2023-08-26: investigation 350 Bq/L near the outlet
        ("jp-tepco-sea", "outlet-3km/H-3/investigation", 350, "Bq/L"),
        # METI / JAIF: < 1,500 Bq/L after dilution; 60,000 Bq/L regulatory limit
        ("jp-tepco-discharge", "diluted/H-3/operational", 1500, "Bq/L"),
        ("jp-tepco-discharge", "diluted/H-3/regulatory", 60000, "Bq/L"),
        # MHLW 2012 via Fukushima Prefecture: 100 Bq/kg general foods, 10 Bq/kg water
        ("jp-mhlw", "general-foods/Cs/limit", 100, "Bq/kg"),
        ("jp-mhlw", "drinking-water/Cs/limit", 10, "Bq/kg"),
        # GB 14882-1994 meat/fish/shrimp row
        ("cn-gb14882", "meat-fish-shrimp/Cs-137/limit", 800, "Bq/kg"),
        ("cn-gb14882", "meat-fish-shrimp/Sr-90/limit", 290, "Bq/kg"),
        ("cn-gb14882", "meat-fish-shrimp/H-3/limit", 650000, "Bq/kg"),
        # Reg. (Euratom) 2016/52 other food: 1,250 Bq/kg other nuclides (Cs)
        ("eu-2016-52", "other-food/other-nuclides/limit", 1250, "Bq/kg"),
        # WHO GDWQ 4th ed. Table 9.2: H-3 10,000 Bq/L
        ("who-dw", "H-3/guidance", 10000, "Bq/L"),
    ],
)
def test_published_limit_values(name: str, suffix: str, limit: float, unit: str) -> None:
    [r] = [r for r in rules(name).rules if r.id.endswith(suffix)]
    assert (r.limit, r.unit) == (limit, unit)


def test_codex_caesium_group() -> None:
    # Codex CXS 193-1995: Cs-134, Cs-137 1,000 Bq/kg in other foods (HIGH)
    rs = rules("codex")
    [g] = [r for r in rs.rules if "cs-co-group" in r.id]
    comps = {c.nuclide: c for c in g.components}
    assert comps["Cs-137"].limit == 1000 and comps["Cs-137"].confidence == "HIGH"
    assert not comps["Cs-137"].low_confidence and comps["Co-60"].low_confidence


def test_low_confidence_numbers_warn() -> None:
    # 20 Bq/L investigation level in the 10 km square: from memory (LOW)
    with pytest.warns(LowConfidenceWarning, match="square-10km/H-3/investigation"):
        rs = load_rules("jp-tepco-sea")
    [r] = [r for r in rs.rules if r.id.endswith("square-10km/H-3/investigation")]
    assert r.limit == 20 and r.confidence == "LOW" and r.low_confidence
    with warnings.catch_warnings():
        warnings.simplefilter("error", LowConfidenceWarning)
        load_rules("jp-mhlw")  # all HIGH: no warning


def test_unknown_rule_set() -> None:
    with pytest.raises(RuleSetError, match="bundled rule sets"):
        load_rules("nowhere")


def test_bad_rule_file_names_the_field(tmp_path: Any) -> None:
    p = tmp_path / "x.toml"
    p.write_text(
        'schema = "seawitness/ruleset/v1"\nid = "x"\nnd_policy = "zero"\n'
        '[[rules]]\nid = "a"\nlevel = "limit"\nmedia = ["fish"]\nnuclides = ["Cs-137"]\n'
        'aggregation = "single"\nlimit = -1\nunit = "Bq/kg"\nsource = "s"\nconfidence = "HIGH"\n'
    )
    with pytest.raises(RuleSetError, match=r"rules\[0\]\.limit"):
        load_rules(p)


# -- classification at the boundaries ---------------------------------------------------------


def test_exactly_at_the_limit() -> None:
    assert classify(350.0, 0.0, 350.0) is C.BELOW  # "not more than L"
    assert classify(350.0, 0.0, 350.0, compliant_at_limit=False) is C.EXCEEDS  # "less than L"
    assert classify(350.0, 1.0, 350.0) is C.MAY_EXCEED  # upper end above


def test_lower_end_equal_to_the_limit_is_not_exceeds() -> None:
    u = 50.0
    v = 448.0
    assert v - COVERAGE_95 * u == 350.0
    assert classify(v, u, 350.0) is C.MAY_EXCEED
    assert classify(v + 0.01, u, 350.0) is C.EXCEEDS


def test_upper_end_equal_to_the_limit_is_below() -> None:
    assert classify(252.0, 50.0, 350.0) is C.BELOW


def test_tepco_outlet_levels_with_uncertainty() -> None:
    rs = rules("jp-tepco-sea")
    evs = evaluate_all([meas(value=448.0, uncertainty=50.0)], rs)
    assert by_rule(evs, "outlet-3km/H-3/investigation").classification is C.MAY_EXCEED
    assert by_rule(evs, "outlet-3km/H-3/suspension").classification is C.BELOW
    ev = by_rule(evs, "outlet-3km/H-3/investigation")
    assert ev.ratio == pytest.approx(448 / 350) and ev.margin == pytest.approx(350 - 448)
    assert ev.lower95 == pytest.approx(350.0) and ev.source and ev.confidence == "MED"
    assert ev.zone == "outlet-3km"


def test_unknown_uncertainty_is_marked() -> None:
    evs = evaluate_all([meas(value=400.0)], rules("jp-tepco-sea"))
    ev = by_rule(evs, "outlet-3km/H-3/investigation")
    assert ev.classification is C.EXCEEDS and ev.u_assumed_zero
    assert "u = 0" in ev.reason


def test_non_detect_below_and_above_the_limit() -> None:
    rs = rules("jp-tepco-sea")
    low = evaluate_all([meas(detection=Detection.BELOW_LIMIT, value=10.0)], rs)
    assert {e.classification for e in low} == {C.BELOW}
    # square-10km: rapid-analysis DL ~10 Bq/L is below 30 but a DL of 40 is not
    sq = meas(station="T-S4", detection=Detection.BELOW_LIMIT, value=40.0)
    ev = by_rule(
        evaluate_all([sq], rs, zones={"T-S4": "square-10km"}), "square-10km/H-3/suspension"
    )
    assert ev.classification is C.INCONCLUSIVE
    eq = meas(station="T-S4", detection=Detection.BELOW_LIMIT, value=30.0)
    ev = by_rule(
        evaluate_all([eq], rs, zones={"T-S4": "square-10km"}), "square-10km/H-3/suspension"
    )
    assert ev.classification is C.BELOW
    nd = meas(detection=Detection.NOT_DETECTED, value=None)
    assert {e.classification for e in evaluate_all([nd], rs)} == {C.INCONCLUSIVE}


def test_low_confidence_level_flags_its_evaluations() -> None:
    rs = rules("jp-tepco-sea")
    evs = evaluate_all(
        [meas(station="T-S4", value=25.0, uncertainty=1.0)], rs, zones={"T-S4": "square-10km"}
    )
    inv = by_rule(evs, "square-10km/H-3/investigation")
    assert inv.classification is C.EXCEEDS and inv.low_confidence
    assert not by_rule(evs, "square-10km/H-3/suspension").low_confidence


def test_unknown_zone_is_not_applicable() -> None:
    evs = evaluate_all([meas(station="Z-9")], rules("jp-tepco-sea"))
    assert evs and {e.classification for e in evs} == {C.NOT_APPLICABLE}
    assert "zone" in evs[0].reason


def test_other_media_are_skipped() -> None:
    assert (
        evaluate_all(
            [meas(medium=Medium.FISH, unit="Bq/kg", basis=Basis.WET)], rules("jp-tepco-sea")
        )
        == []
    )


# -- sums ------------------------------------------------------------------------------------


def fish(nuclide: str, **kw: Any) -> Measurement:
    d: dict[str, Any] = dict(
        org="FP",
        station="F-1",
        medium=Medium.FISH,
        nuclide=nuclide,
        unit="Bq/kg",
        basis=Basis.WET,
    )
    d.update(kw)
    return meas(**d)


def test_japan_caesium_sum_exceeds() -> None:
    # MHLW: Cs-134 + Cs-137 <= 100 Bq/kg; 30 + 80 = 110 with u = 2 each
    ms = [fish("Cs-134", value=30.0, uncertainty=2.0), fish("Cs-137", value=80.0, uncertainty=2.0)]
    [ev] = evaluate_all(ms, rules("jp-mhlw"))
    assert ev.classification is C.EXCEEDS and ev.value == pytest.approx(110.0)
    assert ev.uncertainty == pytest.approx(2 * 2**0.5)


def test_dry_basis_without_ratio_is_not_applicable() -> None:
    ms = [fish("Cs-137", value=80.0, basis=Basis.DRY)]
    [ev] = evaluate_all(ms, rules("jp-mhlw"))
    assert ev.classification is C.NOT_APPLICABLE and "dry/wet" in ev.reason
    [ev] = evaluate_all(ms, rules("jp-mhlw"), dry_wet_ratio=0.2)
    assert ev.value == pytest.approx(16.0) and ev.classification is C.BELOW


def alps(nuclide: str, **kw: Any) -> Measurement:
    d: dict[str, Any] = dict(
        station="K4-B",
        medium=Medium.TREATED_WATER,
        nuclide=nuclide,
        extra={"stage": "before_dilution"},
        sample_id="K4-B-2024-07-26",
    )
    d.update(kw)
    return meas(**d)


def test_sum_of_ratios_nd_at_detection_limit_vs_zero() -> None:
    # Notification limits Cs-137 90 Bq/L, Cs-134 60 Bq/L (TEPCO table, expydoc 7597579):
    # 36/90 = 0.4 detected; Cs-134 < 40 -> 0.667 at its detection limit.
    ms = [
        alps("Cs-137", value=36.0, uncertainty=1.0),
        alps("Cs-134", detection=Detection.BELOW_LIMIT, value=40.0),
    ]
    rs = rules("jp-tepco-discharge")
    [dl] = evaluate_all(ms, rs)  # rule set default: ND at DL (TEPCO)
    assert dl.nd_policy == "detection_limit"
    assert dl.value == pytest.approx(0.4 + 40 / 60)
    assert dl.classification is C.INCONCLUSIVE and "detection limits" in dl.reason
    [zero] = evaluate_all(ms, rs, nd_policy="zero")
    assert zero.value == pytest.approx(0.4) and zero.classification is C.BELOW
    # With the ND at a DL that keeps the sum under 1 both conventions agree on "below".
    ms2 = [ms[0], alps("Cs-134", detection=Detection.BELOW_LIMIT, value=6.0)]
    [ev] = evaluate_all(ms2, rs)
    assert ev.value == pytest.approx(0.5) and ev.classification is C.BELOW


def test_sum_of_ratios_exceeds_on_detects_alone() -> None:
    ms = [
        alps("Cs-137", value=100.0, uncertainty=1.0),
        alps("Cs-134", detection=Detection.BELOW_LIMIT, value=1.0),
    ]
    [ev] = evaluate_all(ms, rules("jp-tepco-discharge"))
    assert ev.classification is C.EXCEEDS


def test_sum_of_ratios_exactly_one_is_over_a_less_than_criterion() -> None:
    # "sum of ratios ... is less than 1": a sum of exactly 1 does not meet it.
    [ev] = evaluate_all([alps("Cs-137", value=90.0)], rules("jp-tepco-discharge"))
    assert ev.value == pytest.approx(1.0) and ev.classification is C.EXCEEDS


def test_sum_of_ratios_flags_low_confidence_components() -> None:
    ms = [alps("Cs-137", value=9.0, uncertainty=0.5), alps("I-129", value=0.9, uncertainty=0.1)]
    [ev] = evaluate_all(ms, rules("jp-tepco-discharge"))
    assert ev.value == pytest.approx(0.2) and ev.low_confidence and ev.confidence == "LOW"


def test_stage_is_required_for_discharge_rules() -> None:
    m = alps("H-3", value=200.0, extra={})
    evs = evaluate_all([m], rules("jp-tepco-discharge"))
    assert evs and {e.classification for e in evs} == {C.NOT_APPLICABLE}
    d = alps("H-3", value=1500.0, extra={"stage": "after_dilution"})
    ev = by_rule(evaluate_all([d], rules("jp-tepco-discharge")), "diluted/H-3/operational")
    assert ev.classification is C.EXCEEDS  # "< 1,500 Bq/L": 1,500 itself fails


def test_codex_tritium_group_applies_to_obt_only() -> None:
    rs = rules("codex")
    assert evaluate_all([fish("H-3:TFWT", value=5.0)], rs) == []
    [ev] = evaluate_all([fish("H-3:OBT", value=5.0)], rs)
    assert ev.value == pytest.approx(5.0 / 10000)


def test_gb14882_sums_tritium_forms_per_kg_fresh() -> None:
    ms = [
        fish("H-3:TFWT", value=2.4),
        fish("H-3:OBT", value=0.12),
        fish("H-3:OBT", value=0.88, unit="Bq/L", basis=Basis.WATER),
    ]
    [ev] = [e for e in evaluate_all(ms, rules("cn-gb14882")) if "H-3" in e.rule_id]
    assert ev.value == pytest.approx(2.52) and ev.classification is C.BELOW


def test_summarize_counts_every_class() -> None:
    evs = evaluate_all([meas(value=400.0), meas(station="Z-9")], rules("jp-tepco-sea"))
    s = summarize(evs)
    assert set(s) == {c.value for c in C}
    assert s["exceeds"] == 1 and s["below"] == 1 and s["not_applicable"] == 4


def test_to_dict_is_json_ready() -> None:
    [ev] = evaluate_all([fish("Cs-137", value=5.0)], rules("jp-mhlw"))
    d = ev.to_dict(with_inputs=True)
    assert d["class"] == "below" and d["source"] and d["confidence"] == "HIGH"
    assert len(d["inputs"]) == 1


# -- the grade and source of every number used ----------------------------------------------


def test_evaluation_lists_every_number_it_used_with_grade_and_source() -> None:
    # Sum of ratios with Cs-137 (90 Bq/L, HIGH) and I-129 (9 Bq/L, LOW, from memory):
    # the evaluation names the rule's 1, both component limits, and which one is LOW.
    ms = [alps("Cs-137", value=9.0, uncertainty=0.5), alps("I-129", value=0.9, uncertainty=0.1)]
    [ev] = evaluate_all(ms, rules("jp-tepco-discharge"))
    got = {(n.role, n.nuclides): n for n in ev.numbers}
    assert set(got) == {("limit", "ratio"), ("component", "Cs-137"), ("component", "I-129")}
    assert (got["component", "Cs-137"].value, got["component", "Cs-137"].unit) == (90.0, "Bq/L")
    assert not got["component", "Cs-137"].low_confidence
    assert got["component", "I-129"].low_confidence and got["component", "I-129"].value == 9.0
    assert [n.nuclides for n in ev.low_confidence_numbers] == ["I-129"]
    d = ev.to_dict()["numbers"]
    assert {x["nuclides"]: x["low_confidence"] for x in d} == {
        "ratio": False,
        "Cs-137": False,
        "I-129": True,
    }
    assert all(x["source"] and x["confidence"] for x in d)


def test_single_rule_evaluation_carries_its_limit_number() -> None:
    evs = evaluate_all(
        [meas(station="T-S4", value=25.0, uncertainty=1.0)],
        rules("jp-tepco-sea"),
        zones={"T-S4": "square-10km"},
    )
    inv = by_rule(evs, "square-10km/H-3/investigation")
    [n] = inv.numbers
    assert (n.role, n.nuclides, n.value, n.unit) == ("limit", "H-3", 20.0, "Bq/L")
    assert n.low_confidence and n.confidence == "LOW"
    [s] = by_rule(evs, "square-10km/H-3/suspension").numbers
    assert s.value == 30.0 and not s.low_confidence


def test_rule_set_lists_all_numbers_and_the_low_ones() -> None:
    rs = rules("jp-tepco-discharge")
    numbers = rs.numbers()
    assert len(numbers) == sum(1 + len(r.components) for r in rs.rules)
    low = [n.describe() for n in numbers if n.low_confidence]
    assert low == rs.low_confidence_numbers() and len(low) == 7  # Sr-90 ... Tc-99 (memory)
    [sor] = [r for r in rs.rules if r.aggregation == "sum_of_ratios"]
    assert not sor.low_confidence and sor.uses_low_confidence


# GB 14882-1994 clause 3.1 Table 1 as printed in http://xcupkbj.cn/col3/articleinfo.php?infoid=124
# (grain, tubers, vegetables & fruit, meat/fish/shrimp) with the exponents the two stored
# copies lose; the meat/fish/shrimp row is the one the rule set loads.
GB14882_TABLE1 = {
    #          grain,  tubers, veg & fruit, meat/fish/shrimp   [Bq/kg]
    "H-3": (2.1e5, 7.2e4, 1.7e5, 6.5e5),
    "Sr-89": (1.2e3, 5.4e2, 9.7e2, 2.9e3),
    "Sr-90": (9.6e1, 3.3e1, 7.7e1, 2.9e2),
    "I-131": (1.9e2, 8.9e1, 1.6e2, 4.7e2),
    "Cs-137": (2.6e2, 9.0e1, 2.1e2, 8.0e2),
    "Pm-147": (1.0e4, 3.7e3, 8.2e3, 2.4e4),
    "Pu-239": (3.4, 1.2, 2.7, 10.0),
}


@pytest.mark.parametrize("nuclide", [n for n in GB14882_TABLE1 if n != "Cs-137"])
def test_gb14882_meat_fish_row_has_the_exponents_of_the_other_rows(nuclide: str) -> None:
    """Hand check of the reconstructed exponents. GB 14882 derives each limit as an annual
    intake limit of the nuclide divided by the annual consumption of the food, so the
    ratio of two nuclides' limits is nearly the same in every food row (decay before
    eating makes short-lived ones differ a little). Against Cs-137, each nuclide's ratio
    in the meat/fish/shrimp row is within a factor 2 of its ratio in every other row (1.7
    for Sr-89 and I-131 against tubers, 1.4 for Pm-147, within 7 % for H-3, Sr-90 and
    Pu-239), where a
    wrong power of ten would be a factor 10. The loaded rule values are that row."""
    ratios = [v / c for v, c in zip(GB14882_TABLE1[nuclide], GB14882_TABLE1["Cs-137"], strict=True)]
    meat, others = ratios[3], ratios[:3]
    assert all(1 / 2 < meat / r < 2 for r in others), (nuclide, ratios)
    rs = rules("cn-gb14882")
    [rule] = [r for r in rs.rules if r.id.endswith(f"meat-fish-shrimp/{nuclide}/limit")]
    assert rule.limit == GB14882_TABLE1[nuclide][3]
    [cs] = [r for r in rs.rules if r.id.endswith("meat-fish-shrimp/Cs-137/limit")]
    assert cs.limit == GB14882_TABLE1["Cs-137"][3]


def test_korean_limits_are_sourced_not_from_memory() -> None:
    rs = rules("kr-mfds")
    assert rs.low_confidence_numbers() == []
    assert {r.limit for r in rs.rules} == {100.0} and {r.confidence for r in rs.rules} == {"MED"}
