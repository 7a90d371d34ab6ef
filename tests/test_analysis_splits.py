"""Split samples in the store, scored by ISO 13528:2022 (seawitness.analysis.splits).

Results enter the log through the real submission path: each laboratory is registered
with its own key and submits signed measurements. The numbers of ISO 13528:2022 Annex E.4
(Table E.6: 21 laboratories' mercury results with expanded uncertainties) are recast as
the results of one split sample: the scores must match Table E.7 against the reference
value, and clause E.7 (Algorithm A consensus x* = 0.03161, s* = 0.0164, u = 0.0045)
without it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from seawitness.analysis import splits as sp
from seawitness.ingest.submit import submit
from seawitness.model import Basis, Detection, Measurement, Medium
from seawitness.model.entry import Entry
from seawitness.trust import keyring
from test_analysis_ilc import E4, E4_BIG_U, E4_SIGMA, E4_XPT

SAMPLED = datetime(2025, 9, 1, 1, 0, tzinfo=UTC)

# (lab, value, expanded uncertainty U, coverage factor k, detection code)
Row = tuple[str, float, float | None, float | None, str]


def submit_split(
    inst,  # type: ignore[no-untyped-def]
    sample_id: str,
    rows: Sequence[Row],
    *,
    nuclide: str = "H-3",
    unit: str = "Bq/L",
    lab_field: bool = True,
) -> None:
    """Register each laboratory (once) and submit its signed result for ``sample_id``."""
    keys: dict[str, keyring.KeyPair] = getattr(inst, "_test_keys", {})
    inst._test_keys = keys
    with inst.store.transaction() as conn:
        for lab, *_ in rows:
            if lab not in keys:
                key, _ = keyring.generate(lab)
                inst.register(
                    conn,
                    lab,
                    f"Laboratory {lab}",
                    "JP",
                    "lab",
                    key,
                    valid_from=datetime.now(UTC) - timedelta(days=1),
                )
                keys[lab] = key
        entries = []
        seqs = inst.store.next_seqs(conn, [r[0] for r in rows])
        for lab, value, big_u, k, det in rows:
            m = Measurement(
                org=lab,
                station="T-0-1A",
                medium=Medium.SEAWATER,
                sampled_at=SAMPLED,
                nuclide=nuclide,
                detection=Detection(det),
                value=value,
                unit=unit,
                basis=Basis.WATER,
                uncertainty=None if big_u is None else big_u / (k or 1.0),
                coverage_factor=k if big_u is not None and k != 1 else None,
                sample_id=sample_id,
                lab=lab if lab_field else None,
            )
            e = Entry(
                kind="measurement",
                record_bytes=m.canonical(),
                submitter=lab,
                key_id=keys[lab].key_id,
                seq=seqs[lab],
                submitted_at=datetime.now(UTC),
            )
            seqs[lab] += 1
            entries.append(
                Entry(
                    kind=e.kind,
                    record_bytes=e.record_bytes,
                    submitter=e.submitter,
                    key_id=e.key_id,
                    seq=e.seq,
                    submitted_at=e.submitted_at,
                    signature=keys[lab].sign(e.signed_message()),
                )
            )
        submit(inst.store, conn, entries)
        inst.checkpoint(conn)


E4_ROWS: list[Row] = [(lab, x, big_u, k, "=") for lab, x, big_u, k, *_ in E4]


def _close(computed: float, printed: float, decimals: int) -> bool:
    return abs(computed - printed) <= 0.5 * 10**-decimals + 1e-9


def test_iso13528_e4_and_e7_from_the_store(instance) -> None:  # type: ignore[no-untyped-def]
    """ISO 13528:2022 Table E.7 scores against the reference value; E.7 consensus."""
    submit_split(instance, "ISO13528-E4", E4_ROWS, nuclide="Cs-137", unit="Bq/kg")
    (sample,) = sp.split_samples(instance.store)
    assert sample.sample_id == "ISO13528-E4" and len(sample.labs) == 21
    (res,) = sp.score_splits(
        [sample], reference=(E4_XPT, E4_BIG_U / 2), sigma_pt=E4_SIGMA, marb_percent=20
    )
    assert res.method == "reference" and res.refusal is None
    by_lab = {s.lab: s for s in res.scores}
    for lab, *_x, d_pct, z, zp, zeta, en in E4:
        s = by_lab[lab]
        assert _close(s.D_percent, d_pct, 1), lab
        assert _close(s.z, z, 2), lab
        assert _close(s.z_prime, zp, 2), lab
        assert _close(s.zeta, zeta, 2), lab
        assert _close(s.En, en, 2), lab
        # u(x_pt) = 0.0041 > 0.3 sigma_pt: ISO 13528 9.5 asks for z'.
        assert s.class_basis == "z_prime"
    assert len(res.iaea) == 21
    assert {i.status for i in res.iaea} <= {"Accepted", "Warning", "Not accepted"}

    # ISO 13528:2022 E.7: Algorithm A on Table E.6, x* = 0.03161, s* = 0.0164, u = 0.0045.
    (res,) = sp.score_splits(sp.split_samples(instance.store, "Cs-137"))
    assert res.method == "algorithm-a"
    assert res.robust is not None and res.assigned is not None
    assert _close(res.robust.x_star, 0.03161, 5)
    assert _close(res.robust.s_star, 0.0164, 4)
    assert _close(res.assigned.u, 0.0045, 4)
    assert res.sigma_pt == res.robust.s_star
    # p = 21: u(x_pt)/s* = 1.25/sqrt(21) = 0.27 <= 0.3, so z is the basis.
    assert {s.class_basis for s in res.scores} == {"z"}
    l04 = next(s for s in res.scores if s.lab == "L04")
    assert l04.z == pytest.approx((0.013 - res.robust.x_star) / res.robust.s_star)
    # Against the consensus, which the low cluster pulls down, L04 is no longer an outlier
    # (z = -1.13); against the reference value it was (z' = -3.99): E.7's point.
    assert l04.z == pytest.approx(-1.13, abs=0.01) and l04.klass == "satisfactory"
    assert sp.split_samples(instance.store, "H-3") == []


def test_two_labs_are_compared_with_each_other(instance) -> None:  # type: ignore[no-untyped-def]
    """En = (10 - 12)/sqrt(1^2 + 1^2) = -1.41; zeta = -2/sqrt(0.5^2 + 0.5^2) = -2.83."""
    submit_split(
        instance, "S-2", [("KINS", 10.0, 1.0, 2.0, "="), ("TEPCO-LAB", 12.0, 1.0, 2.0, "=")]
    )
    (res,) = sp.score_splits(sp.split_samples(instance.store))
    assert res.method == "pairwise" and res.assigned is None
    (pair,) = res.scores
    assert pair.lab == "KINS vs TEPCO-LAB"
    assert pair.En == pytest.approx(-2 / math.sqrt(2))
    assert pair.zeta == pytest.approx(-2 / math.sqrt(0.5))
    assert (pair.En_class, pair.zeta_class, pair.klass) == (
        "unsatisfactory",
        "questionable",
        "unsatisfactory",
    )
    assert math.isnan(pair.z)
    # Against a designated reference laboratory: only the other one is scored.
    (ref,) = sp.score_splits(sp.split_samples(instance.store), reference_lab="TEPCO-LAB")
    assert ref.method == "reference" and ref.assigned is not None
    assert ref.assigned.value == 12.0 and ref.assigned.u == pytest.approx(0.5)
    (s,) = ref.scores
    assert s.lab == "KINS" and s.En == pytest.approx(-2 / math.sqrt(2))
    (s10,) = sp.score_splits(
        sp.split_samples(instance.store), reference_lab="TEPCO-LAB", sigma_pt_percent=10
    )[0].scores
    assert s10.z == pytest.approx(-2 / 1.2)
    (missing,) = sp.score_splits(sp.split_samples(instance.store), reference_lab="NOBODY")
    assert missing.refusal and "did not analyse" in missing.refusal


def test_non_detects_are_listed_not_scored(instance) -> None:  # type: ignore[no-untyped-def]
    submit_split(
        instance,
        "S-3",
        [
            ("A-LAB", 10.0, 1.0, 2.0, "="),
            ("B-LAB", 11.0, 1.0, 2.0, "="),
            ("C-LAB", 10.5, 1.0, 2.0, "="),
            ("D-LAB", 3.0, None, None, "<"),
        ],
    )
    (sample,) = sp.split_samples(instance.store)
    assert sample.labs == ("A-LAB", "B-LAB", "C-LAB", "D-LAB")
    (res,) = sp.score_splits([sample], sigma_pt=1.0)
    assert res.method == "algorithm-a"
    assert [s.lab for s in res.scores] == ["A-LAB", "B-LAB", "C-LAB"]
    why = res.not_scored["D-LAB"]
    assert "not scored" in why and "E.1" in why
    assert "below the assigned value" in why  # <3 while the others found ~10.5
    assert res.as_dict()["not_scored"]["D-LAB"] == why


def test_lab_defaults_to_org_and_single_lab_samples_are_not_splits(instance) -> None:  # type: ignore[no-untyped-def]
    submit_split(
        instance,
        "S-4",
        [("KINS", 1.0, 0.2, 2.0, "="), ("NRA-LAB", 1.1, 0.2, 2.0, "=")],
        lab_field=False,
    )
    submit_split(instance, "S-5", [("KINS", 1.0, 0.2, 2.0, "=")])
    (sample,) = sp.split_samples(instance.store)
    assert sample.sample_id == "S-4" and sample.labs == ("KINS", "NRA-LAB")
    # The bundled ORBS results carry no sample ids: none of them is a split sample.
    assert all(s.sample_id.startswith("S-") for s in sp.split_samples(instance.store))
