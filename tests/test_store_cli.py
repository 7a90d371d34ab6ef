"""The ``seawitness stats splits|baseline|alerts`` commands over an instance's store.

The instance holds four real ORBS files (among them T-0-1A seawater, 2021-03 .. 2026-07);
the alerts test adds the NRA workbook's T-0-1A tritium results (2013 .. 2023) for a
pre-discharge baseline; split samples are submitted signed by registered laboratories
(see test_analysis_splits.py).
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner, Result

from seawitness.cli.main import cli
from seawitness.ingest.importer import import_results
from test_analysis_baseline import _tritium_results
from test_analysis_splits import submit_split


def _run(inst, *args: str) -> Result:  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        cli, ["--instance", str(inst.root), "--db", inst.db_url, "stats", *args]
    )


@pytest.mark.parametrize("name", ["splits", "baseline", "alerts"])
def test_help_has_examples(name: str) -> None:
    r = CliRunner().invoke(cli, ["stats", name, "--help"])
    assert r.exit_code == 0 and "Examples:" in r.output
    assert f"seawitness stats {name}" in r.output


def test_baseline_station_json_and_table(instance) -> None:  # type: ignore[no-untyped-def]
    r = _run(instance, "baseline", "--station", "T-0-1A", "--nuclide", "h3", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["scope"] == "T-0-1A" and doc["nuclide"] == "H-3" and doc["unit"] == "Bq/L"
    assert doc["baseline_since"].startswith("2020-01-01")
    before, after = doc["before"], doc["after"]
    # ORBS alone: one detect in 127 pre-discharge results (2021-03 .. 2023-08).
    assert (before["n"], before["n_detected"]) == (127, 1) and before["summary"] is None
    assert "1 detected value(s) of 127" in before["refusal"]
    assert after["summary"]["method"] == "km" and after["detected"]["max"] == 52.0
    assert doc["largest_after"][0]["value"] == 52.0
    assert doc["sources"] == {"orbs:Seawater_10_5.csv": before["n"] + after["n"]}
    assert doc["test"]["method"].startswith("Peto-Prentice")
    assert doc["trend_after"]["slope_unit"] == "Bq/L/year"

    r = _run(instance, "baseline", "--station", "T-0-1A", "--nuclide", "H-3", "--method", "ros")
    assert r.exit_code == 0, r.output
    assert "Peto-Prentice" in r.output and "largest results after the discharge" in r.output
    assert "(ros)" in r.output and "refused" in r.output


def test_baseline_errors(instance) -> None:  # type: ignore[no-untyped-def]
    r = _run(instance, "baseline", "--nuclide", "H-3")
    assert r.exit_code == 2 and "exactly one of --station or --zone" in r.output
    r = _run(instance, "baseline", "--station", "X-9", "--nuclide", "H-3")
    assert r.exit_code == 1 and "no seawater results for H-3 at station 'X-9'" in r.output
    r = _run(instance, "baseline", "--station", "T-0-1A", "--nuclide", "H-3", "--until", "soon")
    assert r.exit_code == 2 and "not an ISO date" in r.output
    r = _run(instance, "baseline", "--station", "T-0-1A", "--nuclide", "Xx-1")
    assert r.exit_code == 2


def test_baseline_zone(instance) -> None:  # type: ignore[no-untyped-def]
    r = _run(instance, "baseline", "--zone", "outlet-3km", "--nuclide", "H-3", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    # T-0 is not one of TEPCO's ten named points; it is within 3 km of the estimated
    # outlet position, so the station table tags it outlet-3km too.
    assert [s["scope"] for s in doc["stations"]] == ["T-0", "T-0-1A"]
    assert doc["pooled"]["trend_after"]["method"] == "regional-kendall"


def test_alerts(instance) -> None:  # type: ignore[no-untyped-def]
    # ORBS alone holds one pre-discharge tritium detect at T-0-1A: no baseline.
    r = _run(instance, "alerts", "--station", "T-0-1A", "--nuclide", "H-3", "--json")
    doc = json.loads(r.stdout)
    assert doc["alerts"] == [] and "T-0-1A H-3 seawater [Bq/L]: no chart" in doc["not_charted"][0]
    # The NRA workbook adds the 2020-2023 detects (T-0-1A tritium only, to stay small).
    nra = [
        dataclasses.replace(
            res,
            measurements=[m for m in res.measurements if m.station == "T-0-1A"],
            stations=[st for st in res.stations if st.code == "T-0-1A"],
        )
        for res in _tritium_results()
        if res.source == "nra"
    ]
    import_results(instance.store, nra, instance.demo_signer(), after_append=instance.checkpoint)
    r = _run(instance, "alerts", "--nuclide", "H-3", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    kinds = {(a["station"], a["kind"]) for a in doc["alerts"]}
    # Tritium at T-0-1A reached 52 Bq/L: far above its pre-discharge baseline (geometric
    # mean ~1 Bq/L), far below TEPCO's 350 Bq/L investigation level.
    assert ("T-0-1A", "ewma") in kinds and ("T-0-1A", "cusum") in kinds
    assert not any(k == "level" for _, k in kinds)
    assert all(a["reason"] for a in doc["alerts"])
    assert any("low-confidence" in w for w in doc["warnings"])
    assert doc["not_charted"] == []
    first = min(a["time"] for a in doc["alerts"])

    r = _run(instance, "alerts", "--nuclide", "H-3", "--since", "2025-06-01", "--json")
    recent = json.loads(r.stdout)["alerts"]
    assert recent and all(a["time"] >= "2025-06-01" for a in recent)
    assert len(recent) < len(doc["alerts"]) and first < "2025-06-01"

    r = _run(instance, "alerts", "--station", "T-0-1A", "--nuclide", "H-3", "--no-cusum")
    assert r.exit_code == 0, r.output
    assert "EWMA" in r.stdout and "CUSUM" not in r.stdout and "alert(s) in" in r.stdout

    r = _run(instance, "alerts", "--station", "NOWHERE")
    assert r.exit_code == 1 and "no results match station NOWHERE" in r.output
    r = _run(instance, "alerts", "--rules", "nowhere")
    assert r.exit_code == 1 and "unknown rule set" in r.output


def test_splits(instance) -> None:  # type: ignore[no-untyped-def]
    r = _run(instance, "splits")
    assert r.exit_code == 0 and "no split samples" in r.output
    submit_split(
        instance,
        "S-1",
        [
            ("A-LAB", 10.0, 1.0, 2.0, "="),
            ("B-LAB", 11.0, 1.0, 2.0, "="),
            ("C-LAB", 10.5, 1.0, 2.0, "="),
            ("D-LAB", 3.0, None, None, "<"),
        ],
    )
    r = _run(instance, "splits", "--sigma-pt-percent", "10", "--marb", "20")
    assert r.exit_code == 0, r.output
    assert "sample S-1" in r.output and "algorithm-a" in r.output
    assert "D-LAB: < 3 Bq/L" in r.output and "not scored" in r.output
    assert "IAEA scheme" in r.output

    r = _run(instance, "splits", "--nuclide", "H-3", "--reference-lab", "A-LAB", "--json")
    doc = json.loads(r.stdout)
    (s,) = doc["split_samples"]
    assert s["method"] == "reference" and s["assigned"]["value"] == 10.0
    assert [x["lab"] for x in s["scores"]] == ["B-LAB", "C-LAB"]
    # No sigma_pt given: robust s* of three results.
    assert s["sigma_pt"] == pytest.approx(s["robust"]["s_star"])

    r = _run(instance, "splits", "--reference", "10")
    assert r.exit_code == 2 and "--u-reference" in r.output
