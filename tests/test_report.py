"""Evidence reports: numbers from the log at a checkpoint, byte-identical reruns,
verification that names the edited section, and clear refusals of bad requests."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import load_files
from seawitness.cli.main import cli
from seawitness.data import bundled_path
from seawitness.model import Correction, Measurement
from seawitness.report import ReportRequest, build, html_to_pdf, render_html, verify_report
from seawitness.report.render import sections
from seawitness.store.records import record_of
from seawitness.store.store import Query
from seawitness.trust import keyring

#: The ORBS file of Fukushima Prefecture's fish at ORBS-278: its last line is the
#: Japanese-rule exceedance in the bundled data, Cs-137 270 Bq/kg-fresh in a black
#: rockfish (2021-04-01 JST, 2021-03-31 UTC).
FISH_278 = "Fishes_20_278.csv"


@pytest.fixture
def fish(instance: Any) -> Any:
    load_files(instance, [next(bundled_path("orbs").rglob(FISH_278))])
    return instance


def _leaf_270(inst: Any) -> int:
    rows = inst.store.measurements(Query(station="ORBS-278", nuclide="Cs-137"))
    (row,) = [r for r in rows if r["value"] == 270.0]
    return int(row["leaf_index"])


def _cli(inst: Any, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--instance", str(inst.root), *args])


def test_japanese_rules_find_the_270_exceedance_and_link_its_record(fish: Any) -> None:
    d = build(fish.store, ReportRequest("jp-mhlw", "fukushima"))
    co = d["compliance"]
    assert co["counts"]["exceeds"] == 1
    worst = co["worst"][0]
    # The published value (ORBS) against MHLW's 100 Bq/kg Cs-134+Cs-137 for general foods
    # (Cs-134 not detected in that sample: with nd_policy zero the sum is 270).
    assert worst["value"] == pytest.approx(270.0)
    assert worst["limit"] == 100.0
    assert worst["ratio"] == pytest.approx(2.7)
    assert worst["class"] == "exceeds"
    leaf = _leaf_270(fish)
    assert leaf in worst["leaves"]
    assert any(a <= leaf <= b for a, b in co["leaves"]["exceeds"])
    html = render_html(d)
    assert f'href="#leaf-{leaf}"' in html and f'id="leaf-{leaf}"' in html
    assert html.count(f'id="leaf-{leaf}"') == 1
    summary = sections(html)["summary"]
    assert "270" in summary and "270 %" in summary


def test_period_limits_the_results(fish: Any) -> None:
    d = build(fish.store, ReportRequest("jp-mhlw", "fukushima", "2023-08-24", None))
    assert d["compliance"]["counts"]["exceeds"] == 0  # the 270 is from 2021
    assert d["period"]["first"] >= "2023-08-24"


def test_same_checkpoint_same_bytes_after_new_submissions_and_a_correction(fish: Any) -> None:
    req = ReportRequest("jp-mhlw", "fukushima")
    first = render_html(build(fish.store, req))
    n = build(fish.store, req)["request"]["checkpoint"]
    assert render_html(build(fish.store, dataclasses.replace(req, checkpoint=n))) == first
    pdf = html_to_pdf(first)
    assert html_to_pdf(first) == pdf

    # A new submission, and a correction of the 270 result, both after the checkpoint.
    leaf = _leaf_270(fish)
    load_files(fish, [next(bundled_path("orbs").rglob("Fishes_20_279.csv"))])
    rec = record_of(fish.store.entries_data([leaf])[leaf])
    assert rec is not None
    fixed = Measurement.from_dict({**rec, "value": 27.0})
    key = keyring.load(fish.keys_dir / "demo" / f"{keyring.file_name('Fukushima Pref.')}.key")
    body = Correction(supersedes=leaf, reason="test: decimal point", replacement=fixed).to_dict()
    with fish.store.transaction() as conn:
        fish.submit_records(conn, key, "Fukushima Pref.", [("correction", body)])
        fish.checkpoint(conn)

    later = dataclasses.replace(req, checkpoint=n)
    again = render_html(build(fish.store, later))
    assert again == first
    assert html_to_pdf(again) == pdf
    newest = build(fish.store, req)
    assert newest["request"]["checkpoint"] > n
    assert newest["compliance"]["counts"]["exceeds"] == 0  # corrected to 27 Bq/kg
    assert newest["measured"]["n_results"] > build(fish.store, later)["measured"]["n_results"]


def test_verify_accepts_the_report_and_names_the_edited_section(fish: Any, tmp_path: Path) -> None:
    out = tmp_path / "jp.html"
    got = _cli(fish, "report", "--rules", "jp-mhlw", "--region", "fukushima", "--out", str(out))
    assert got.exit_code == 0, got.output
    ok = _cli(fish, "report", "--verify", str(out))
    assert ok.exit_code == 0, ok.output
    assert "matches the log" in ok.output

    text = out.read_text(encoding="utf-8")
    worst = sections(text)["worst"]
    edited = worst.replace("Cs-137 270 Bq", "Cs-137 27 Bq", 1)
    assert edited != worst
    out.write_text(text.replace(worst, edited), encoding="utf-8")
    bad = _cli(fish, "report", "--verify", str(out))
    assert bad.exit_code == 1
    assert "section 'worst' differs" in bad.output
    assert "section 'summary'" not in bad.output
    v = verify_report(fish.store, out)
    assert v.differing == ("worst",)


def test_verify_refuses_a_file_that_is_no_report(fish: Any, tmp_path: Path) -> None:
    f = tmp_path / "x.html"
    f.write_text("<html><body>hello</body></html>")
    got = _cli(fish, "report", "--verify", str(f))
    assert got.exit_code == 1
    assert "not a seawitness HTML report" in got.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rules", "xx-none", "--region", "fukushima"], "unknown rule set 'xx-none'"),
        (["--rules", "jp-mhlw", "--region", "atlantis"], "unknown region 'atlantis'"),
        (["--rules", "jp-mhlw", "--region", "fukushima", "--lang", "fr"], "unknown language"),
        (["--rules", "jp-mhlw", "--region", "fukushima", "--checkpoint", "7"], "tree size 7"),
        (["--rules", "jp-mhlw", "--region", "bbox:1,2,3"], "four numbers"),
        (["--rules", "jp-mhlw", "--region", "fukushima", "--from", "2024-13-01"], "--from"),
        (
            [
                "--rules",
                "jp-mhlw",
                "--region",
                "fukushima",
                "--from",
                "2024-02-01",
                "--to",
                "2024-01-01",
            ],
            "is not after",
        ),
    ],
)
def test_bad_requests_exit_non_zero_with_the_reason(
    instance: Any, tmp_path: Path, args: list[str], message: str
) -> None:
    got = _cli(instance, "report", *args, "--out", str(tmp_path / "r.html"))
    assert got.exit_code != 0
    assert message in got.output
    assert "Traceback" not in got.output
    assert not (tmp_path / "r.html").exists()


def test_a_period_without_data_is_a_report_that_says_so(instance: Any, tmp_path: Path) -> None:
    out = tmp_path / "empty.html"
    got = _cli(
        instance,
        "report",
        *("--rules", "cn-gb14882", "--region", "fukushima"),
        *("--from", "1999-01-01", "--to", "1999-12-31", "--out", str(out)),
    )
    assert got.exit_code == 0, got.output
    text = out.read_text(encoding="utf-8")
    assert "holds no results" in sections(text)["summary"]


@pytest.mark.parametrize(("lang", "word"), [("ja", "要約"), ("zh", "摘要"), ("ko", "요약")])
def test_reports_in_each_language_embed_cjk_fonts(instance: Any, lang: str, word: str) -> None:
    html = render_html(build(instance.store, ReportRequest("jp-tepco-sea", "10km", lang=lang)))
    assert f'<html lang="{lang}">' in html and word in html
    assert shutil.which("pdffonts"), "pdffonts (Debian poppler-utils) checks the embedding"
    pdf = Path(instance.root) / f"r-{lang}.pdf"
    pdf.write_bytes(html_to_pdf(html))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    cjk = [ln for ln in fonts.stdout.splitlines() if "Noto-Sans-CJK" in ln]
    assert cjk, fonts.stdout
    assert all(re.search(r"\byes\s+yes\s+yes\b", ln) for ln in cjk)  # embedded, subset, unicode


def test_low_confidence_numbers_are_marked_where_used(instance: Any) -> None:
    html = render_html(build(instance.store, ReportRequest("jp-tepco-sea", "10km")))
    rules = sections(html)["rules"]
    # TEPCO's 20 Bq/L investigation level in the 10 km square is graded LOW (from memory).
    row = next(r for r in rules.split("<tr>") if "square-10km/H-3/investigation" in r)
    assert "20 Bq/L" in row and "†" in row and "LOW" in row
    assert "memory of the TEPCO Implementation Plan" in rules
    assert "square-10km/H-3/investigation: H-3 20 Bq/L (LOW" in sections(html)["provenance"]


def test_monthly_series_with_an_index_each_verifiable(instance: Any, tmp_path: Path) -> None:
    out = tmp_path / "monthly"
    got = _cli(
        instance,
        "report",
        *("--rules", "jp-tepco-sea", "--region", "10km", "--every", "month"),
        *("--from", "2025-01-01", "--to", "2025-03-31", "--out", str(out)),
    )
    assert got.exit_code == 0, got.output
    assert sorted(p.name for p in out.iterdir()) == [
        "2025-01.html",
        "2025-02.html",
        "2025-03.html",
        "index.html",
    ]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="2025-02.html"' in index and "--every month" in index
    v = verify_report(instance.store, out / "2025-02.html")
    assert v.ok and v.request.since == "2025-02-01" and v.request.until == "2025-02-28"


def test_catalogues_have_the_same_keys() -> None:
    from seawitness.report.i18n import LANGS, catalogue

    en = set(catalogue("en"))
    for lang in LANGS:
        assert set(catalogue(lang)) == en, lang


RULES_TOML = """
schema = "seawitness/ruleset/v1"
id = "test-published"
title = "A rule set its publisher signed into the log"
jurisdiction = "XX"
publisher = "the instance administrator (test)"
nd_policy = "zero"
[[rules]]
id = "fish/Cs-137"
level = "limit"
media = ["fish"]
nuclides = ["Cs-137"]
aggregation = "single"
limit = 200.0
unit = "Bq/kg"
basis = "wet"
source = "test"
confidence = "HIGH"
"""


def _publish_rules(inst: Any) -> int:
    """Log a ``ruleset`` entry through the submission gate: the administrator first grants
    itself ``publish-ruleset`` for the id, then signs the rule set; returns its leaf."""
    admin = inst.admin_key()
    grant = {"stakeholder": "admin", "grant": "publish-ruleset", "ruleset": "test-published"}
    record = {"id": "test-published", "toml": RULES_TOML}
    with inst.store.transaction() as conn:
        leaves = inst.submit_records(conn, admin, "admin", [("grant", grant), ("ruleset", record)])
        inst.checkpoint(conn)
    return leaves[1]


def test_a_rule_set_signed_into_the_log_is_used_and_named(fish: Any) -> None:
    leaf = _publish_rules(fish)
    d = build(fish.store, ReportRequest("test-published", "fukushima"))
    info = d["provenance"]["rule_set"]
    assert info["origin"] == "logged" and info["leaf_index"] == leaf
    assert d["compliance"]["counts"]["exceeds"] == 1  # the 270 Bq/kg against 200
    # At the checkpoint before its grant and itself, the log holds no such rule set.
    with pytest.raises(Exception, match="unknown rule set 'test-published'"):
        build(fish.store, ReportRequest("test-published", "fukushima", checkpoint=leaf - 1))


def test_a_rule_set_whose_signature_fails_stops_the_report(fish: Any, tmp_path: Path) -> None:
    from sqlalchemy import update

    from seawitness.store import schema as s

    _publish_rules(fish)
    other, _ = keyring.generate("someone-else")
    with fish.store.transaction() as conn:  # the registered key no longer matches
        conn.execute(
            update(s.keys)
            .where(s.keys.c.key_id == fish.admin_key().key_id)
            .values(public_key=other.public_bytes)
        )
    got = _cli(
        fish, "report", "--rules", "test-published", "--region", "fukushima",
        "--out", str(tmp_path / "r.html"),
    )  # fmt: skip
    assert got.exit_code == 1
    assert "does not verify" in got.output and "refusing to use it" in got.output
    assert not (tmp_path / "r.html").exists()
