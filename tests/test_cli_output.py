"""The CLI's one table printer and one JSON printer, summaries first, and ``serve`` on a
port that is taken."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from seawitness.cli.common import format_cell, json_text, render_table
from seawitness.cli.main import cli
from seawitness.instance import Instance
from seawitness.model.records import Medium

# ---------------------------------------------------------------- tables


def test_a_table_that_fits_is_aligned_numbers_right() -> None:
    rows = [{"n": 1, "name": "x"}, {"n": 22.5, "name": "long"}]
    assert render_table(rows, ["n", "name"], width=80, title="2 things") == [
        "2 things",
        "   n  name",
        "----  ----",
        "   1  x",
        "22.5  long",
    ]


def test_a_short_header_in_the_table_the_key_in_blocks() -> None:
    rows = [{"leaf_index": 7, "station": "T-0-1A"}]
    table = render_table(rows, [("leaf_index", "leaf"), "station"], width=80)
    assert table[0] == "leaf  station"
    blocks = render_table(rows, [("leaf_index", "leaf"), "station"], width=10)
    assert blocks == ["leaf_index: 7", "station:    T-0-1A"]


def test_free_text_is_cut_to_fit_identifiers_are_not() -> None:
    rows = [{"id": "jp-tepco-sea", "title": "TEPCO sea-area monitoring: tritium levels"}]
    lines = render_table(rows, ["id", "title"], width=30, cut=["title"])
    assert lines == [
        "id            title",
        "------------  ----------------",
        "jp-tepco-sea  TEPCO sea-area …",
    ]
    assert all(len(line) <= 30 for line in lines)


def test_too_wide_even_cut_becomes_key_value_blocks_losing_nothing() -> None:
    rows = [
        {"stakeholder": "Fukushima Pref.", "key_id": "Fukushima_Pref.+8cffd291", "n": 3},
        {"stakeholder": "FA", "key_id": "FA+ee12c2d3", "n": 12345678},
    ]
    lines = render_table(rows, ["stakeholder", "key_id", "n"], width=40, cut=["n"])
    assert lines == [
        "stakeholder: Fukushima Pref.",
        "key_id:      Fukushima_Pref.+8cffd291",
        "n:           3",
        "",
        "stakeholder: FA",
        "key_id:      FA+ee12c2d3",
        "n:           12345678",
    ]


def test_a_note_goes_under_its_row_wrapped() -> None:
    rows = [{"class": "EXCEEDS", "why": "400 ± 20 Bq/L: the whole 95 % interval is above 350"}]
    lines = render_table(rows, ["class"], width=30, note="why")
    assert lines == [
        "class",
        "-------",
        "EXCEEDS",
        "    400 ± 20 Bq/L: the whole",
        "    95 % interval is above 350",
    ]


def test_on_a_terminal_the_header_is_bold() -> None:
    lines = render_table([{"a": "x"}], ["a"], width=80, tty=True)
    assert lines[0] == "\x1b[1ma\x1b[0m"


def test_cells() -> None:
    assert format_cell(datetime(2023, 8, 24, 13, 3)) == "2023-08-24T13:03:00Z"  # naive is UTC
    assert format_cell(date(2023, 8, 24)) == "2023-08-24"
    assert format_cell(141.05145833333336) == "141.051"
    assert format_cell(52000.0) == "52000"  # 4 digits would print 5.2e+04
    assert format_cell(None) == "" and format_cell(Medium.SEAWATER) == "seawater"


# ---------------------------------------------------------------- JSON


def test_json_is_standard_json() -> None:
    doc = {
        "z": float("nan"),
        "big": float("inf"),
        "t": datetime(2023, 8, 24, 4, 3, tzinfo=UTC),
        "d": date(2023, 8, 24),
        "m": Medium.FISH,
        "p": Path("a/b"),
        "xs": (1, "二"),
    }
    assert json.loads(json_text(doc)) == {
        "z": None,
        "big": None,
        "t": "2023-08-24T04:03:00Z",
        "d": "2023-08-24",
        "m": "fish",
        "p": "a/b",
        "xs": [1, "二"],
    }
    assert "二" in json_text(doc)  # UTF-8 as is, not \\u escapes
    with pytest.raises(TypeError, match="bytes"):
        json_text({"raw": b"\x00"})


# ---------------------------------------------------------------- stats limits

CSV = """station,medium,nuclide,value,unit,detection,uncertainty,sample
T-0-1A,seawater,H-3,52,Bq/L,=,3,
T-A2,seawater,H-3,400,Bq/L,=,20,
F-1,fish,Cs-137,95,Bq/kg-fresh,=,3,s1
F-1,fish,Cs-134,8,Bq/kg-fresh,<,,s1
"""


def limits(tmp_path: Path, *args: str) -> str:
    p = tmp_path / "results.csv"
    p.write_text(CSV, encoding="utf-8")
    res = CliRunner().invoke(
        cli, ["stats", "limits", "--rules", "jp-tepco-sea", "--rules", "jp-mhlw", *args, str(p)],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    return res.stdout


def test_limits_summary_comes_first_and_everything_fits_80_columns(tmp_path: Path) -> None:
    out = limits(tmp_path).splitlines()
    assert out[0] == "4 results, 5 evaluations:"
    assert out[1].startswith("exceeds 1, may_exceed 1, below 3")
    assert max(len(line) for line in out) <= 80
    first_row = next(i for i, line in enumerate(out) if "EXCEEDS" in line or "BELOW" in line)
    assert first_row > 1


def test_limits_only_keeps_the_rows_of_those_classes(tmp_path: Path) -> None:
    out = limits(tmp_path, "--only", "exceeds", "--only", "may-exceed")
    assert "exceeds 1, may_exceed 1, below 3" in out  # the summary still counts all
    assert "2 evaluations of class exceeds or may_exceed:" in out
    assert "EXCEEDS" in out and "MAY_EXCEED" in out and "BELOW" not in out
    doc = json.loads(limits(tmp_path, "--only", "may-exceed", "--json"))
    assert [e["class"] for e in doc["evaluations"]] == ["may_exceed"]
    assert doc["summary"]["below"] == 3 and doc["only"] == ["may_exceed"]
    assert "no evaluation of class inconclusive" in limits(tmp_path, "--only", "inconclusive")


def test_option_spellings_agree_with_the_library() -> None:
    """The CLI spells some choices out so that --help imports nothing heavy."""
    from seawitness.analysis import baseline as bl
    from seawitness.analysis.limits import Classification, NDPolicy
    from seawitness.cli import baseline, data, limits
    from seawitness.ingest.readers import FORMATS
    from seawitness.model.times import format_date, format_utc

    assert [c.replace("-", "_") for c in limits.CLASSES] == [c.value for c in Classification]
    assert [p.value for p in NDPolicy] == limits.ND_POLICIES
    assert list(FORMATS) == data.FORMATS
    assert format_utc(bl.DISCHARGE_START) == baseline.DISCHARGE_START_HELP
    assert format_date(bl.DEFAULT_BASELINE_SINCE) == baseline.BASELINE_SINCE_HELP


# ---------------------------------------------------------------- serve


@pytest.fixture
def taken_port():  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


@pytest.fixture
def bare(tmp_path: Path):  # type: ignore[no-untyped-def]
    inst = Instance.create(tmp_path / "inst", origin="test.local/serve")
    yield inst
    inst.store.close()


def test_serve_on_a_taken_port_is_one_line_and_no_url(bare, taken_port) -> None:  # type: ignore[no-untyped-def]
    res = CliRunner().invoke(
        cli, ["--instance", str(bare.root), "serve", "--port", str(taken_port)]
    )
    assert res.exit_code == 1
    assert res.output == (
        f"Error: port {taken_port} on 127.0.0.1 is already in use (is another server "
        "running?); stop it or choose another one with --port\n"
    )


def test_demo_on_a_taken_port_fails_before_loading(tmp_path: Path, taken_port: int) -> None:
    where = tmp_path / "demo"
    res = CliRunner().invoke(cli, ["demo", "--dir", str(where), "--port", str(taken_port)])
    assert res.exit_code == 1 and "already in use" in res.output
    assert "http://" not in res.output and not where.exists()


def test_serve_prints_the_url_it_listens_on_and_stops_cleanly(bare) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from seawitness.cli.main import main; main()",
         "--instance", str(bare.root), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.search(r"Dashboard: (http://127\.0\.0\.1:(\d+)/)", line)
        assert m and m.group(2) != "0", line
        # the socket listens before the URL is printed: a request waits, never fails
        with urllib.request.urlopen(m.group(1) + "api/v1/log", timeout=60) as r:
            assert r.status == 200 and json.load(r)["origin"] == "test.local/serve"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
