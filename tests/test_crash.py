"""Crash safety: SIGKILL a real-size import at random moments; nothing acknowledged is lost.

A child process imports the bundled ORBS download file by file through the real import
path, one transaction per file, and prints ``ACK <file> <tree size>`` only after each
commit returns. The test kills it with SIGKILL at a random moment, checks that the store
is consistent (entries, tiles, checkpoint and indexes agree: ``store.integrity.check``)
and that every acknowledged file is in it, then restarts the child, which carries on.
50 kills, then one run to completion, which must end with every result logged once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seawitness.data import bundled_path
from seawitness.instance import Instance
from seawitness.store.integrity import check
from seawitness.store.store import Query

CHILD = r"""
import sys
from pathlib import Path
from seawitness.instance import Instance
from seawitness.ingest.importer import import_results
from seawitness.ingest.readers import iter_files, read_path

inst = Instance.open(Path(sys.argv[1]))
for path in iter_files(Path(sys.argv[2]), "orbs"):
    report = import_results(inst.store, list(read_path(path, "orbs")), inst.demo_signer(),
                            after_append=inst.checkpoint)
    print(f"ACK {path.name} {report.tree_size}", flush=True)
print("DONE", flush=True)
"""

KILLS = int(os.environ.get("SEAWITNESS_CRASH_RUNS", "50"))


def _run(root: Path, data: Path, kill_after: float | None) -> list[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    if kill_after is None:
        out, _ = proc.communicate(timeout=900)
        assert proc.returncode == 0
        return out.split("\n")
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    return out.split("\n")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
def test_sigkill_during_import_loses_nothing_acknowledged(tmp_path: Path, backend: str) -> None:
    root = tmp_path / "inst"
    Instance.create(root, origin="crash.test/seawitness").store.close()
    data = bundled_path("orbs")
    rng = random.Random(20230824)
    acked: dict[str, int] = {}
    for _ in range(KILLS):
        lines = _run(root, data, kill_after=rng.uniform(0.8, 3.0))
        for line in lines:
            if line.startswith("ACK "):
                _, name, size = line.split()
                acked[name] = int(size)
        inst = Instance.open(root)
        assert check(inst.store) == []
        size = inst.store.tree_size()
        assert size >= max(acked.values(), default=0), "an acknowledged import was lost"
        inst.store.close()
    assert acked, "no import was ever acknowledged; the kill window is too short"
    lines = _run(root, data, kill_after=None)
    assert "DONE" in lines
    inst = Instance.open(root)
    assert check(inst.store) == []
    # every result exactly once: the same count as one uninterrupted import of the source
    from seawitness.ingest.readers import read_path

    expected = sum(len(r.measurements) for r in read_path(data, "orbs"))
    assert inst.store.count(Query()) == expected
    assert inst.store.count(Query(history=True)) == expected
