"""The `stats limits` and `stats dose` commands."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from seawitness.cli.main import cli

CSV = """station,medium,nuclide,value,unit,detection,uncertainty,sample
T-0-1A,seawater,H-3,52,Bq/L,=,3,
T-A2,seawater,H-3,400,Bq/L,=,20,
F-1,fish,Cs-137,95,Bq/kg-fresh,=,3,s1
F-1,fish,Cs-134,8,Bq/kg-fresh,<,,s1
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "results.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_list_rule_sets() -> None:
    r = CliRunner().invoke(cli, ["stats", "limits", "--list"])
    assert r.exit_code == 0
    for name in ("jp-tepco-sea", "codex", "who-dw", "eu-2016-52"):
        assert name in r.output


def test_list_rules_marks_low_confidence() -> None:
    r = CliRunner().invoke(cli, ["stats", "limits", "--rules", "jp-tepco-sea", "--list"])
    assert r.exit_code == 0
    assert "square-10km/H-3/investigation" in r.output and "LOW CONFIDENCE" in r.output


def test_evaluate_text(tmp_path: Path) -> None:
    p = write(tmp_path, CSV)
    r = CliRunner().invoke(
        cli, ["stats", "limits", "--rules", "jp-tepco-sea", "--rules", "jp-mhlw", str(p)]
    )
    assert r.exit_code == 0, r.output
    # 400 +- 20 Bq/L: lower 95 % end 360.8 > 350 Bq/L investigation level (TBS News)
    assert "EXCEEDS" in r.output and "T-A2" in r.output
    # MHLW 100 Bq/kg: 95 +- 3 -> upper end 100.9
    assert "MAY_EXCEED" in r.output
    assert "exceeds 1, may_exceed 1, below 3" in r.output


def test_evaluate_json(tmp_path: Path) -> None:
    p = write(tmp_path, CSV)
    r = CliRunner().invoke(cli, ["stats", "limits", "--rules", "jp-mhlw", "--json", str(p)])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["summary"]["may_exceed"] == 1
    [ev] = doc["evaluations"]
    assert ev["limit"] == 100 and ev["unit"] == "Bq/kg" and ev["sampled_at"] is None
    assert ev["source"] and ev["confidence"] == "HIGH"


def test_nd_policy_option(tmp_path: Path) -> None:
    p = write(tmp_path, CSV)
    r = CliRunner().invoke(
        cli,
        [
            "stats",
            "limits",
            "--rules",
            "jp-mhlw",
            "--nd-policy",
            "detection_limit",
            "--json",
            str(p),
        ],
    )
    [ev] = json.loads(r.stdout)["evaluations"]
    assert ev["value"] == 103 and ev["nd_policy"] == "detection_limit"


def test_bad_cell_reports_file_line_column(tmp_path: Path) -> None:
    p = write(tmp_path, "station,medium,nuclide,value,unit,detection\nA,seawater,H-3,abc,Bq/L,=\n")
    r = CliRunner().invoke(cli, ["stats", "limits", "--rules", "jp-tepco-sea", str(p)])
    assert r.exit_code == 1
    assert f"{p}:2:16: value 'abc' is not a number" in r.output


def test_bad_unit_lists_spellings(tmp_path: Path) -> None:
    p = write(tmp_path, "station,medium,nuclide,value,unit,detection\nA,seawater,H-3,1,pCi/L,=\n")
    r = CliRunner().invoke(cli, ["stats", "limits", "--rules", "jp-tepco-sea", str(p)])
    assert r.exit_code == 1 and f"{p}:2:18:" in r.output and "Bq/kgd" in r.output


def test_missing_column(tmp_path: Path) -> None:
    p = write(tmp_path, "station,medium,nuclide,value,unit\nA,seawater,H-3,1,Bq/L\n")
    r = CliRunner().invoke(cli, ["stats", "limits", "--rules", "jp-tepco-sea", str(p)])
    assert r.exit_code == 1 and ":1:1: missing column(s) detection" in r.output


def test_unknown_rule_set(tmp_path: Path) -> None:
    p = write(tmp_path, CSV)
    r = CliRunner().invoke(cli, ["stats", "limits", "--rules", "nowhere", str(p)])
    assert r.exit_code == 1 and "bundled rule sets" in r.output


def test_help_has_examples() -> None:
    for name in ("limits", "dose"):
        r = CliRunner().invoke(cli, ["stats", name, "--help"])
        assert r.exit_code == 0 and "Examples:" in r.output
        assert f"seawitness stats {name}" in r.output


def test_dose_who_check() -> None:
    # WHO GDWQ: 10,000 Bq/L x 730 L/yr x 1.8e-11 Sv/Bq = 0.1314 mSv/yr
    r = CliRunner().invoke(
        cli, ["stats", "dose", "--water-bq-per-l", "H-3=10000", "--water-l-per-day", "2", "--json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert abs(doc["total_msv_per_year"] - 0.1314) < 1e-9


def test_dose_errors() -> None:
    r = CliRunner().invoke(cli, ["stats", "dose", "--fish-bq-per-kg", "Cs-137=1"])
    assert r.exit_code == 1 and "--fish-g-per-day" in r.output
    r = CliRunner().invoke(cli, ["stats", "dose", "--fish-bq-per-kg", "Cs137"])
    assert r.exit_code == 2 and "NUCLIDE=VALUE" in r.output


def test_dose_diet_warning_goes_to_stderr() -> None:
    r = CliRunner().invoke(
        cli, ["stats", "dose", "--diet", "jp-average", "--fish-bq-per-kg", "Cs-137=1"]
    )
    assert r.exit_code == 0
    assert "low-confidence" in r.stderr and "total" in r.stdout
