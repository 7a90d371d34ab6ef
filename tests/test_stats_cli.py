"""Tests of the ``seawitness stats`` click group (ilc, censored, trend).

Numerical expectations come from the same published examples as the library
tests: ISO 13528:2022 Annex E (E.3 atrazine, E.4 mercury), NADA ``ShePyrene``
(NADA2 vignette), NADA ``CuZn`` (NADA2 ``cen1way``) and NADA2 ``Gales_Creek``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from seawitness.cli.main import cli
from seawitness.cli.stats import stats
from test_analysis_censored import (
    PYRENE,
    PYRENE_CEN,
    ZN_ALLUVIAL_FAN,
    ZN_ALLUVIAL_FAN_CEN,
    ZN_BASIN_TROUGH,
    ZN_BASIN_TROUGH_CEN,
)
from test_analysis_ilc import E3, E4, E4_BIG_U, E4_SIGMA, E4_XPT
from test_analysis_trends import GALES_CRND, GALES_DECTIME, GALES_SEASON, GALES_TCR


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["stats", *args])
    return res.exit_code, res.output


def test_ilc_reference_value_reproduces_iso13528_e4(tmp_path: Path) -> None:
    """ISO 13528:2022 Table E.7 z, z', zeta, En via the CLI (expanded U with k per row)."""
    lines = ["lab,value,uncertainty,coverage_factor"]
    lines += [f"{r[0]},{r[1]},{r[2]},{r[3]}" for r in E4]
    f = _write(tmp_path, "hg.csv", "\n".join(lines) + "\n")
    code, out = _run(
        "ilc", str(f), "--assigned", str(E4_XPT), "--u-assigned", str(E4_BIG_U / 2),
        "--sigma-pt", str(E4_SIGMA), "--json",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["assigned"] == {"value": E4_XPT, "u": E4_BIG_U / 2, "method": "reference"}
    by_lab = {d["lab"]: d for d in data["labs"]}
    for lab, *_rest, d_pct, z, zp, zeta, en in E4:
        got = by_lab[lab]
        assert got["D_percent"] == pytest.approx(d_pct, abs=0.05)
        assert got["z"] == pytest.approx(z, abs=0.005)
        assert got["z_prime"] == pytest.approx(zp, abs=0.005)
        assert got["zeta"] == pytest.approx(zeta, abs=0.005)
        assert got["En"] == pytest.approx(en, abs=0.005)
        assert got["class"] in {"satisfactory", "questionable", "unsatisfactory"}
    assert by_lab["L04"]["class"] == "unsatisfactory"  # z' = -3.99


def test_ilc_consensus_reproduces_iso13528_e3(tmp_path: Path) -> None:
    """ISO 13528:2022 E.3: Algorithm A x* = 0.2570, s* = 0.0395, u(x_pt) = 0.0085."""
    lines = ["lab,value,uncertainty"] + [f"P{i:02d},{v},0.01" for i, v in enumerate(E3, 1)]
    f = _write(tmp_path, "atrazine.csv", "\n".join(lines) + "\n")
    code, out = _run("ilc", str(f), "--consensus", "algorithm-a", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["robust"]["x_star"] == pytest.approx(0.2570, abs=5e-5)
    assert data["robust"]["s_star"] == pytest.approx(0.0395, abs=5e-5)
    assert data["assigned"]["u"] == pytest.approx(0.0085, abs=5e-5)
    assert data["sigma_pt"] == pytest.approx(data["robust"]["s_star"])
    assert len(data["labs"]) == 34


def test_ilc_iaea_scheme_and_human_table(tmp_path: Path) -> None:
    f = _write(tmp_path, "pt.csv", "lab,value,uncertainty\nA,10.2,0.5\nB,11.5,0.5\nC,13,0.5\n")
    code, out = _run(
        "ilc", str(f), "--assigned", "10", "--u-assigned", "0.1", "--scheme", "iaea", "--json"
    )
    assert code == 0, out
    assert [d["class"] for d in json.loads(out)["labs"]] == ["Accepted", "Warning", "Not accepted"]
    code, out = _run("ilc", str(f), "--assigned", "10", "--u-assigned", "0.1", "--sigma-pt", "1")
    assert code == 0, out
    assert "satisfactory" in out and "Traceback" not in out


def test_ilc_requires_one_assigned_value_source(tmp_path: Path) -> None:
    f = _write(tmp_path, "pt.csv", "lab,value,uncertainty\nA,1,0.1\nB,2,0.1\nC,3,0.1\n")
    code, out = _run("ilc", str(f))
    assert code == 2 and "--consensus" in out


def test_ilc_bad_number_names_file_line_and_column(tmp_path: Path) -> None:
    f = _write(tmp_path, "bad.csv", "lab,value,uncertainty\nA,1,0.1\nB,abc,0.1\n")
    code, out = _run("ilc", str(f), "--assigned", "1", "--u-assigned", "0.1", "--sigma-pt", "1")
    assert code == 1
    assert f"{f}:3:3: value 'abc' is not a number" in out


def test_censored_km_reproduces_pyrene(tmp_path: Path) -> None:
    """NADA ShePyrene KM: mean 164.2036, median 98, se 52.6439 (EnvStats)."""
    lines = ["value,censored"] + [
        f"{v},{'true' if c else 'false'}" for v, c in zip(PYRENE, PYRENE_CEN, strict=True)
    ]
    f = _write(tmp_path, "pyr.csv", "\n".join(lines) + "\n")
    code, out = _run("censored", str(f), "--json")
    assert code == 0, out
    d = json.loads(out)
    assert (d["n"], d["n_detected"]) == (56, 45)
    assert d["percent_censored"] == pytest.approx(19.64286, abs=5e-6)
    assert d["mean"] == pytest.approx(164.2036, abs=5e-5)
    assert d["median"] == 98
    assert d["se_mean"] == pytest.approx(52.6439, abs=5e-5)
    code, out = _run("censored", str(f), "--method", "ros", "--json")
    assert json.loads(out)["mean"] == pytest.approx(163.2494, abs=5e-5)
    code, out = _run("censored", str(f), "--method", "mle")
    assert code == 0 and "133.914" in out


def test_censored_groups_reproduce_cuzn_peto_test(tmp_path: Path) -> None:
    """NADA2 cen1way on CuZn Zn by Zone: chisq 5.183, p 0.0228."""
    lines = ["zone,value,censored"]
    for zone, vals, cens in (
        ("AlluvialFan", ZN_ALLUVIAL_FAN, ZN_ALLUVIAL_FAN_CEN),
        ("BasinTrough", ZN_BASIN_TROUGH, ZN_BASIN_TROUGH_CEN),
    ):
        lines += [f"{zone},{v},{int(c)}" for v, c in zip(vals, cens, strict=True)]
    f = _write(tmp_path, "zn.csv", "\n".join(lines) + "\n")
    code, out = _run("censored", str(f), "--group", "zone", "--json")
    assert code == 0, out
    d = json.loads(out)
    assert set(d["groups"]) == {"AlluvialFan", "BasinTrough"}
    assert d["groups"]["BasinTrough"]["n"] == 50
    assert d["test"]["statistic"] == pytest.approx(5.183, abs=5e-4)
    assert d["test"]["p"] == pytest.approx(0.0228, abs=5e-5)


def test_censored_refusal_is_a_clean_error(tmp_path: Path) -> None:
    f = _write(tmp_path, "nd.csv", "value,censored\n" + "1,1\n" * 9 + "5,0\n6,0\n")
    code, out = _run("censored", str(f))
    assert code == 1 and "80" in out and "Traceback" not in out


def test_censored_bad_flag_names_line(tmp_path: Path) -> None:
    f = _write(tmp_path, "x.csv", "value,censored\n1,maybe\n")
    code, out = _run("censored", str(f))
    assert code == 1 and f"{f}:2:3: censored 'maybe' is not true/false" in out


def _gales_csv(tmp_path: Path) -> Path:
    lines = ["time,value,censored,season"]
    lines += [
        f"{t},{v},{int(c)},{s}"
        for t, v, c, s in zip(GALES_DECTIME, GALES_TCR, GALES_CRND, GALES_SEASON, strict=True)
    ]
    return _write(tmp_path, "gales.csv", "\n".join(lines) + "\n")


def test_trend_censored_reproduces_nada2_ats(tmp_path: Path) -> None:
    """NADA2 ATS Gales Creek: slope -0.0896, intercept 181.2617, tau -0.234, p 0.00648."""
    code, out = _run("trend", str(_gales_csv(tmp_path)), "--censored", "--json")
    assert code == 0, out
    d = json.loads(out)
    assert d["method"] == "akritas-theil-sen"
    assert d["sen_slope"] == pytest.approx(-0.0896, abs=5e-5)
    assert d["intercept"] == pytest.approx(181.2617, abs=5e-5)
    assert d["tau"] == pytest.approx(-0.234, abs=5e-4)
    assert d["p"] == pytest.approx(0.00648, abs=5e-6)


def test_trend_seasonal_censored_reproduces_censeaken_s(tmp_path: Path) -> None:
    """NADA2 censeaken Gales Creek: S_SK = -203."""
    code, out = _run("trend", str(_gales_csv(tmp_path)), "--censored", "--seasonal", "--json")
    assert code == 0, out
    assert json.loads(out)["S"] == -203


def test_trend_dates_give_slope_per_year(tmp_path: Path) -> None:
    """Exact line: +1.5 per year on uneven ISO dates (closed form)."""
    f = _write(
        tmp_path,
        "h3.csv",
        "time,value\n2020-01-01,10\n2021-01-01,11.5\n2023-01-01,14.5\n2024-01-01,16\n2026-01-01,19\n",
    )
    code, out = _run("trend", str(f), "--json")
    assert code == 0, out
    d = json.loads(out)
    assert d["time_unit"] == "year"
    assert d["sen_slope"] == pytest.approx(1.5, rel=2e-3)  # 2020/2024 are leap years
    assert d["S"] == 10


def test_trend_seasonal_with_period_and_table(tmp_path: Path) -> None:
    rows = [f"2020-{m:02d}-15,{m}" for m in range(1, 13)] + [
        f"2021-{m:02d}-15,{m + 1}" for m in range(1, 13)
    ]
    f = _write(tmp_path, "m.csv", "time,value\n" + "\n".join(rows) + "\n")
    code, out = _run("trend", str(f), "--seasonal", "--period", "12", "--json")
    assert code == 0, out
    d = json.loads(out)
    assert d["S"] == 12 and d["method"] == "seasonal-kendall"
    code, out = _run("trend", str(f))
    assert code == 0 and "sen_slope" in out


def test_trend_bad_time_names_line_and_column(tmp_path: Path) -> None:
    f = _write(tmp_path, "t.csv", "time,value\n2020-01-01,1\nyesterday,2\n2020-03-01,3\n")
    code, out = _run("trend", str(f))
    assert code == 1 and f"{f}:3:1: time 'yesterday' is not a number or an ISO 8601 date" in out


def test_missing_column_is_reported(tmp_path: Path) -> None:
    f = _write(tmp_path, "t.csv", "when,value\n1,2\n")
    code, out = _run("trend", str(f))
    assert code == 1 and "missing column(s) time" in out


@pytest.mark.parametrize("name", ["ilc", "censored", "trend"])
def test_every_command_has_help_with_example(name: str) -> None:
    cmd = stats.commands[name]
    assert cmd.help and "Examples:" in cmd.help
    code, out = _run(name, "--help")
    assert code == 0 and "seawitness stats " + name in out


def test_group_help_has_example() -> None:
    assert stats.help and "Examples:" in stats.help
