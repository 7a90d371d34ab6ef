"""Benchmark of the CLI's start-up: ``seawitness --version`` and ``--help`` against a bare
``python -c pass``.

    python bench/bench_cli_start.py              # 21 runs of each
    python bench/bench_cli_start.py --repeat 51

Every run is a fresh process, as a user's is, with stdout and stderr to /dev/null. The
contenders run in turn within each round, so that a slow spell of the machine hits all
of them; the medians and their ratios to the bare interpreter are printed. The target
(read-path issue) is ``--version`` within 10x of ``python -c pass``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 10.0


def seawitness_command() -> list[str]:
    """The installed console script next to this interpreter, else the module's entry."""
    script = Path(sys.executable).with_name("seawitness")
    if script.is_file():
        return [str(script)]
    found = shutil.which("seawitness")
    if found:
        return [found]
    return [sys.executable, "-c", "from seawitness.cli.main import main; main()"]


def once(argv: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21, help="runs of each (default 21)")
    args = parser.parse_args()
    sw = seawitness_command()
    contenders = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "seawitness --version": [*sw, "--version"],
        "seawitness --help": [*sw, "--help"],
        "seawitness stats limits --help": [*sw, "stats", "limits", "--help"],
    }
    for argv in contenders.values():  # warm the file cache and the bytecode
        once(argv)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeat):
        for name, argv in contenders.items():
            times[name].append(once(argv))
    base = statistics.median(times["python -c pass"])
    print(f"{args.repeat} runs each, medians ({' '.join(sw)})")
    for name, xs in times.items():
        med = statistics.median(xs)
        print(f"  {name:32} {med * 1000:7.1f} ms   {med / base:5.1f}x python -c pass")
    ratio = statistics.median(times["seawitness --version"]) / base
    verdict = "within" if ratio <= TARGET else "NOT within"
    print(
        f"seawitness --version is {ratio:.1f}x a bare interpreter: {verdict} the {TARGET:g}x target"
    )


if __name__ == "__main__":
    main()
