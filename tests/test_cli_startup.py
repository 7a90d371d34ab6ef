"""Starting the CLI imports nothing heavy: not for ``--version``, ``--help``, nor any
command's ``--help``.

Each check runs in a fresh interpreter (this test process has imported everything
already) and reads ``sys.modules`` there. The timing claim itself is a benchmark
(``bench/bench_cli_start.py``), not a test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import click
import pytest

from seawitness.cli.main import cli

#: Top-level packages that take tenths of a second to seconds to import, and the
#: project's own modules that pull them in. None may load before a command runs.
HEAVY_PACKAGES = [
    "scipy",
    "numpy",
    "pint",
    "radioactivedecay",
    "pyarrow",
    "fastapi",
    "starlette",
    "uvicorn",
    "openpyxl",
    "sqlalchemy",
    "alembic",
    "httpx",
    "cryptography",
    "pandas",
    "matplotlib",
    "rich",
]
HEAVY_PROJECT = [
    "seawitness.analysis",
    "seawitness.harmonize",
    "seawitness.store",
    "seawitness.api",
    "seawitness.web",
    "seawitness.mirror",
    "seawitness.instance",
    "seawitness.ingest",
]


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    """Every command and group under ``group``, as the words that invoke it."""
    paths: list[list[str]] = []
    for name, cmd in group.commands.items():
        paths.append([*prefix, name])
        if isinstance(cmd, click.Group):
            paths += command_paths(cmd, (*prefix, name))
    return paths


_PROBE = textwrap.dedent(
    """
    import json, sys
    from seawitness.cli.main import cli
    for argv in json.loads(sys.argv[1]):
        try:
            cli.main(argv, prog_name="seawitness", standalone_mode=True)
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
    heavy = sorted({m for m in sys.modules if m.split(".")[0] in json.loads(sys.argv[2])}
                   | {m for m in sys.modules
                      if any(m == p or m.startswith(p + ".") for p in json.loads(sys.argv[3]))})
    sys.stderr.write("HEAVY " + json.dumps(heavy) + "\\n")
    """
)


def loaded_heavy(argvs: list[list[str]]) -> list[str]:
    """The heavy modules a fresh interpreter holds after running each of ``argvs``."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argvs), json.dumps(HEAVY_PACKAGES),
         json.dumps(HEAVY_PROJECT)],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("HEAVY "))
    return list(json.loads(line.removeprefix("HEAVY ")))


def test_importing_the_cli_imports_nothing_heavy() -> None:
    assert loaded_heavy([]) == []


@pytest.mark.parametrize("argv", [["--version"], ["--help"]], ids=["version", "help"])
def test_version_and_help_import_nothing_heavy(argv: list[str]) -> None:
    assert loaded_heavy([argv]) == []


def test_every_commands_help_imports_nothing_heavy() -> None:
    paths = command_paths()
    assert len(paths) > 25  # the walk found the tree, not an empty group
    assert loaded_heavy([[*p, "--help"] for p in paths]) == []


def test_the_probe_can_fail() -> None:
    """The same probe sees the heavy modules a real command loads."""
    assert "seawitness.analysis.dose" in loaded_heavy([["stats", "dose", "--list-diets"]])
