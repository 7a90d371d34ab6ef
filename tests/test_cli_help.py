"""Every command's ``--help``, found by walking the click tree (no list to forget one),
works and shows an example, at 80 columns without a terminal; errors are one line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from seawitness.cli.main import cli
from test_cli_startup import command_paths

PATHS = command_paths()
NO_TTY_80 = {"COLUMNS": "80"}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=NO_TTY_80)


def test_the_walk_finds_every_level() -> None:
    names = {" ".join(p) for p in PATHS}
    assert {"query", "stats", "stats limits", "stakeholder", "stakeholder add"} <= names


@pytest.mark.parametrize("path", [[], *PATHS], ids=lambda p: " ".join(p) or "seawitness")
def test_help_works_shows_an_example_and_fits_80_columns(path: list[str]) -> None:
    res = run(*path, "--help")
    assert res.exit_code == 0, res.output
    words = " ".join(["seawitness", *path])
    assert res.output.startswith(f"Usage: {words} ")
    # an "Example:" or "Examples:" heading, then at least one indented line running it
    example = re.search(r"Examples?:\n(?:\s+.*\n)*?\s+" + re.escape(words) + r"\b", res.output)
    assert example, res.output
    too_long = [line for line in res.output.splitlines() if len(line) > 80]
    assert too_long == [], too_long


def test_help_through_a_pipe_at_80_columns() -> None:
    """As a user reads it with ``COLUMNS=80 seawitness --help | cat``."""
    proc = subprocess.run(
        [sys.executable, "-c", "from seawitness.cli.main import main; main()", "--help"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "\x1b[" not in proc.stdout  # no colour codes into a pipe
    commands = [line.split()[0] for line in lines[lines.index("Commands:") + 1 :] if line]
    # listed in the order a new user needs them, not alphabetically
    assert commands[:3] == ["demo", "init", "import"] and commands[-1] == "verify-proof"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["stats", "limits"], 2, "give --rules NAME"),
        (["stats", "limits", "--rules", "nowhere", "--list"], 1, "unknown rule set 'nowhere'"),
        (["stats", "limits", "--rules", "jp-mhlw", "--only", "worse"], 2, "'exceeds'"),
        (["stats", "dose", "--fish-bq-per-kg", "Xx-1=3"], 2, "unknown nuclide"),
        (["query", "--since", "yesterday"], 2, "is not an ISO date"),
        (["stats", "baseline", "--nuclide", "H-3", "--station", "T-1", "--baseline-since", "x"],
         2, "or 'all'"),
        (["serve", "--port", "70000"], 2, "0<=x<=65535"),
    ],
)  # fmt: skip
def test_errors_are_one_line(args: list[str], code: int, says: str) -> None:
    res = run(*args)
    assert res.exit_code == code, res.output
    errors = [line for line in res.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and says in errors[0], res.output
    assert "Traceback" not in res.output


def test_a_library_error_is_one_line_from_the_root_group(tmp_path: Path) -> None:
    bad = tmp_path / "t.csv"
    bad.write_text("time,value\n2020-01-01,1\n2021-01-01,x\n", encoding="utf-8")
    res = run("stats", "trend", str(bad))
    assert res.exit_code == 1
    assert res.output == f"Error: {bad}:3:12: value 'x' is not a number\n"
