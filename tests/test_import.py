"""The bundled real data, imported in full on SQLite and PostgreSQL.

The expected counts come from a deliberately simple scan of the source cells (csv and
openpyxl, none of the readers' code): per organisation, nuclide and detection code, and per
source file. The store must hold exactly those results, one current version each.

One full import per backend per module (about 165k results: ~40 s on SQLite); every test
here reads that database, and the one that writes (re-importing) must add nothing.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from conftest import _PG_REASON, PG_URL, load_files
from seawitness.data import bundled_path
from seawitness.ingest.importer import import_results
from seawitness.ingest.readers import read_path
from seawitness.instance import Instance

ORBS = bundled_path("orbs")
NRA = bundled_path("nra", "close1F_water.xlsx")
DATE = "Date and time of Sampling"
CATEGORY = {"Seawater": "Seawater", "Fishes": "Fish", "Seaweeds": "Seaweed"}


# -- the independent count --------------------------------------------------------------


def _orgs_by_file() -> dict[str, str]:
    """Organisation of each raw file from the ORBS station list (id -> org).

    ORBS allocates its location ids in blocks per organisation; a file whose id the list
    lacks takes the organisation of the nearest listed id below it in the same category.
    """
    listed = json.loads((ORBS / "station_by_id.json").read_text(encoding="utf-8"))
    orgs = {(cat, e["id"]): e["org"] for cat, entries in listed.items() for e in entries}
    out = {}
    for p in ORBS.rglob("*.csv"):
        m = re.fullmatch(r"(Seawater|Fishes|Seaweeds)_\d+_(\d+)", p.stem)
        if not m:
            continue
        cat, fid = CATEGORY[m.group(1)], int(m.group(2))
        below = [i for (c, i) in orgs if c == cat and i <= fid]
        out[p.name] = orgs[(cat, max(below))]
    return out


def _kind(dt: str, nd: str) -> str | None:
    """ORBS Dt/ND pair: a value in Dt is detected, else a limit in ND; '-'/'' both: none."""
    dt, nd = dt.strip(), nd.strip()
    if dt in ("", "-") and nd in ("", "-"):
        return None
    return "=" if dt not in ("", "-") else "<"


def scan_orbs() -> tuple[Counter, Counter, int]:
    """(org, nuclide, code) and (source, nuclide, code) counts, and not-analysed cells."""
    orgs = _orgs_by_file()
    by_org: Counter = Counter()
    by_file: Counter = Counter()
    not_analysed = 0
    for name, org in orgs.items():
        path = next(ORBS.rglob(name))
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        heads = [i for i, r in enumerate(rows) if r and r[0] == DATE]
        for n, h in enumerate(heads):
            biota = rows[h][1] == "Sample"
            # a stacked block starts two rows (depth title, nuclides) above its header
            end = (heads[n + 1] - (0 if biota else 2)) if n + 1 < len(heads) else len(rows)
            data = [r for r in rows[h + 1 : end] if any(c.strip() for c in r)]
            if biota:  # Date, Sample, Radionuclide, Dt, ND, Unit
                cells = [(r[2].strip(), r[3], r[4]) for r in data]
            else:  # side-by-side blocks: each Dt column belongs to the date column left of it
                dates = [j for j, c in enumerate(rows[h]) if c == DATE]
                pairs = [
                    (rows[h - 1][j].strip(), j, max(d for d in dates if d < j))
                    for j, c in enumerate(rows[h])
                    if c == "Dt"
                ]
                cells = [
                    (nuc, r[j], r[j + 1])
                    for r in data
                    for nuc, j, d in pairs
                    if r[d].strip() not in ("", "-")  # padding of a shorter block
                ]
            for nuc, dt, nd in cells:
                code = _kind(dt, nd)
                if code is None:
                    not_analysed += 1
                    continue
                by_org[(org, nuc, code)] += 1
                by_file[(f"orbs:{name}", nuc, code)] += 1
    return by_org, by_file, not_analysed


def _nra_nuclide(label: str) -> str:
    special = {"Total beta": "gross-beta", "Total alpha": "gross-alpha"}
    if label in special:
        return special[label]
    if label == "239Pu+240Pu":
        return "Pu-239+240"
    mass, meta, element = re.fullmatch(r"(\d+)(m?)([A-Z][a-z]?)", label).groups()  # type: ignore[union-attr]
    return f"{element}-{mass}{meta}"


def scan_nra() -> Counter:
    """(org, nuclide, code) counts of the NRA workbook: a number is detected, 'ND' with a
    limit beside it is '<', 'ND' alone is 'ND'; empty cells are not results."""
    out: Counter = Counter()
    wb = openpyxl.load_workbook(NRA, read_only=True, data_only=True)
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        header = [str(c or "") for c in rows[1]]
        conc = {}
        for j, h in enumerate(header):
            m = re.match(r"(.+?) radioactivity concentration", h)
            if m:
                lim = f"{m.group(1)} detection limit"
                dl = next((k for k, hh in enumerate(header) if hh.startswith(lim)), None)
                conc[j] = (_nra_nuclide(m.group(1)), dl)
        for r in rows[2:]:
            first = r[0] if r else None
            if isinstance(first, str) and not first[:1].isdigit():
                break  # the notes and the location block below the data
            if not isinstance(first, datetime | date | str):
                continue
            for j, (nuc, dl) in conc.items():
                v = r[j] if j < len(r) else None
                if v is None or (isinstance(v, str) and not v.strip()):
                    continue
                limit = r[dl] if dl is not None and dl < len(r) else None
                if isinstance(v, str) and v.strip() == "ND":
                    code = "ND" if limit in (None, "") else "<"
                else:
                    code = "="
                out[("TEPCO", nuc, code)] += 1
    wb.close()
    return out


@pytest.fixture(scope="module")
def expected() -> dict[str, object]:
    by_org, by_file, not_analysed = scan_orbs()
    nra = scan_nra()
    by_file.update({("nra:close1F_water", nuc, code): n for (_, nuc, code), n in nra.items()})
    return {
        "by_org": by_org + nra,
        "by_file": by_file,
        "not_analysed": not_analysed,
        "orbs": sum(by_org.values()),
        "nra": sum(nra.values()),
    }


# -- one full import per backend ----------------------------------------------------------


def fresh_db_url(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield str(tmp / "full.db")
        return
    if _PG_REASON:
        pytest.skip(_PG_REASON)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def full(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """An instance holding all of the bundled ORBS download and the NRA workbook."""
    tmp = tmp_path_factory.mktemp(f"full-{request.param}")
    for url in fresh_db_url(request.param, tmp):
        inst = Instance.create(tmp / "inst", db_url=url, origin="test.local/full")
        orbs = load_files(inst, [ORBS], "orbs")
        nra = load_files(inst, [NRA], "nra")
        yield inst, orbs, nra
        inst.store.close()


def _as_counter(rows: list[dict], *cols: str) -> Counter:
    return Counter({tuple(r[c] for c in cols): r["n"] for r in rows})


@pytest.mark.slow
def test_counts_by_org_nuclide_detection_match_the_source_cells(full, expected):
    inst, orbs, nra = full
    got = _as_counter(
        inst.store.counts_by("org", "nuclide", "detection"), "org", "nuclide", "detection"
    )
    assert got == expected["by_org"]
    assert orbs.total("new") == expected["orbs"] > 120_000
    assert nra.total("new") == expected["nra"] > 40_000
    assert orbs.total("revised") == nra.total("revised") == 0
    assert orbs.total("duplicates") == nra.total("duplicates") == 0


def test_counts_per_source_file_match(full, expected):
    inst, _, _ = full
    got = _as_counter(
        inst.store.counts_by("source", "nuclide", "detection"), "source", "nuclide", "detection"
    )
    assert got == expected["by_file"]


def test_not_analysed_cells_are_counted_not_stored(full, expected):
    inst, orbs, nra = full
    assert orbs.total("not_analysed") == expected["not_analysed"] > 0
    # nothing stored carries a made-up value for them: every row is '=', '<' or 'ND'
    codes = {r["detection"] for r in inst.store.counts_by("detection")}
    assert codes <= {"=", "<", "ND"}


def test_every_result_is_one_leaf_and_one_current_version(full, expected):
    inst, orbs, nra = full
    total = expected["orbs"] + expected["nra"]
    history = sum(r["n"] for r in inst.store.counts_by("org", history=True))
    assert history == total
    assert sum(r["n"] for r in inst.store.counts_by("org")) == total
    # leaves: the results plus the administrator's and the demo keys' registrations
    admin_leaves = inst.store.tree_size() - total
    assert 0 < admin_leaves < 20
    assert nra.tree_size == inst.store.tree_size()


def test_checkpoint_covers_the_whole_log(full):
    inst, _, _ = full
    note = inst.store.latest_checkpoint_note()
    assert note is not None
    lines = note.splitlines()
    assert lines[0] == inst.origin
    assert int(lines[1]) == inst.store.tree_size()


def test_same_download_again_adds_nothing(full):
    inst, _, _ = full
    before = (
        inst.store.tree_size(),
        inst.store.counts_by("org", "nuclide", "detection", history=True),
        inst.store.latest_checkpoint_note(),
        len(inst.store.imports()),
    )
    again = load_files(inst, [ORBS], "orbs")
    assert again.total("new") == again.total("revised") == 0
    assert again.total("unchanged") == again.total("read") > 120_000
    after = (
        inst.store.tree_size(),
        inst.store.counts_by("org", "nuclide", "detection", history=True),
        inst.store.latest_checkpoint_note(),
        len(inst.store.imports()),
    )
    assert after == before


def test_stations_have_their_results(full):
    inst, _, _ = full
    stations = inst.store.stations()
    assert sum(st["n_results"] for st in stations) == inst.store.count()
    by_code = {(st["org"], st["code"]): st for st in stations}
    assert by_code[("TEPCO", "T-0-1A")]["n_results"] > 0
    assert by_code[("TEPCO", "T-0-1A")]["coords_known"]


def test_reader_and_import_agree_file_by_file(full):
    """Each file's report: what it read is what it added (first import of a fresh log)."""
    _, orbs, nra = full
    for fr in orbs.files + nra.files:
        assert fr.read == fr.new, fr.path
        assert not fr.rejected
        assert len(fr.sha256) == 64


def test_import_results_accepts_an_empty_download(full):
    inst, _, _ = full
    size = inst.store.tree_size()
    report = import_results(inst.store, [], inst.demo_signer(), after_append=inst.checkpoint)
    assert report.tree_size == size == inst.store.tree_size()


def test_reading_twice_gives_the_same_records():
    """The reader is deterministic: the natural keys and record ids of two reads agree."""
    path = next(ORBS.rglob("Seawater_10_1.csv"))
    a = [m.id for r in read_path(path, "orbs") for m in r.measurements]
    b = [m.id for r in read_path(path, "orbs") for m in r.measurements]
    assert a == b and len(a) > 100
