"""c2sp.org/tlog-policy parsing and quorum evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seawitness.tlog.checkpoint import Checkpoint, sign_checkpoint
from seawitness.tlog.keys import generate_private_key
from seawitness.tlog.note import (
    CosignatureV1Signer,
    Ed25519Signer,
    InvalidSignatureError,
    NoteSignature,
    parse_note,
)
from seawitness.tlog.policy import (
    NONE,
    PolicyError,
    PolicyGroup,
    QuorumNotMetError,
    parse_policy,
)

VECTORS = Path(__file__).parent / "vectors"
NOTES = json.loads((VECTORS / "note.json").read_text())
REMORA_VKEY = next(
    v["vkey"] for v in NOTES["vkey_vectors"] if v["vkey"].startswith("remora.n621.de+")
)
WIT1 = next(v for v in NOTES["note_vectors"] if v["id"] == "generated-cosignature-v1")

ORIGIN = "seawitness.example/log"
LOG = Ed25519Signer(ORIGIN, generate_private_key())
WITNESSES = {
    name: CosignatureV1Signer(f"{name.lower()}.witness.example", generate_private_key())
    for name in ("JP1", "JP2", "JP3", "KR1", "KR2", "CN1")
}


def witness_lines() -> str:
    return "".join(f"witness {name} {signer.vkey}\n" for name, signer in WITNESSES.items())


POLICY_TEXT = f"""
# Log operated by the project.
log {LOG.vkey} https://seawitness.example/log/

{witness_lines()}
group japan 2 JP1 JP2 JP3
group korea any KR1 KR2
group china all CN1
  group countries 2 japan korea\tchina
quorum countries
"""


def cosigned_note(*witness_names: str, size: int = 10) -> str:
    checkpoint = Checkpoint(ORIGIN, size, bytes(range(32)))
    note = parse_note(sign_checkpoint(checkpoint, LOG))
    text = checkpoint.to_text().encode()
    cosignatures = [
        NoteSignature(signer.name, signer.key_id, signer.sign_at(text, 1_700_000_000))
        for signer in (WITNESSES[name] for name in witness_names)
    ]
    return note.with_signatures(*cosignatures).to_text()


def test_example_policy_parses() -> None:
    policy = parse_policy(POLICY_TEXT)
    assert [log.vkey for log in policy.logs] == [LOG.vkey]
    assert policy.logs[0].url == "https://seawitness.example/log/"
    assert policy.logs[0].name == ORIGIN
    assert [w.name for w in policy.witnesses] == list(WITNESSES)
    assert policy.groups[-1] == PolicyGroup("countries", 2, ("japan", "korea", "china"))
    assert policy.groups[2].threshold == 1  # "all" of one member
    assert policy.quorum == "countries"


@pytest.mark.parametrize(
    ("witnessed", "satisfied"),
    [
        (set(), False),
        ({"JP1", "JP2"}, False),  # one country only
        ({"JP1", "KR2"}, False),  # Japan needs two of three
        ({"JP1", "JP3", "KR2"}, True),
        ({"KR1", "CN1"}, True),
        ({"JP1", "JP2", "JP3", "KR1", "KR2"}, True),
        ({"CN1", "JP2"}, False),
    ],
)
def test_nested_quorum(witnessed: set[str], satisfied: bool) -> None:
    assert parse_policy(POLICY_TEXT).is_satisfied(witnessed) is satisfied


def test_quorum_none_needs_no_witness() -> None:
    policy = parse_policy(f"log {LOG.vkey}\nquorum none\n")
    assert policy.quorum == NONE
    assert policy.is_satisfied(set())
    assert policy.verify(sign_checkpoint(Checkpoint(ORIGIN, 1, bytes(32)), LOG)).witnesses == set()


def test_single_witness_quorum() -> None:
    policy = parse_policy(f"witness W {REMORA_VKEY}\nquorum W\n")
    assert policy.is_satisfied({"W"})
    assert not policy.is_satisfied({"X"})
    assert policy.logs == ()


def test_verify_accepts_a_checkpoint_meeting_the_quorum() -> None:
    policy = parse_policy(POLICY_TEXT)
    result = policy.verify(cosigned_note("JP1", "JP3", "CN1"))
    assert result.witnesses == {"JP1", "JP3", "CN1"}
    assert result.checkpoint.size == 10
    assert result.log.vkey == LOG.vkey


def test_verify_rejects_a_checkpoint_below_the_quorum() -> None:
    with pytest.raises(QuorumNotMetError, match="JP1, KR1"):
        parse_policy(POLICY_TEXT).verify(cosigned_note("JP1", "KR1"))


def test_verify_ignores_cosignatures_from_unlisted_witnesses() -> None:
    text = f"log {LOG.vkey}\n" + witness_lines().replace(
        f"witness CN1 {WITNESSES['CN1'].vkey}\n", ""
    )
    policy = parse_policy(text + "group g 2 JP1 JP2 KR1 KR2\nquorum g\n")
    with pytest.raises(QuorumNotMetError):
        policy.verify(cosigned_note("JP1", "CN1"))
    assert policy.verify(cosigned_note("JP1", "CN1", "KR2")).witnesses == {"JP1", "KR2"}


def test_verify_rejects_a_bad_cosignature() -> None:
    note = parse_note(cosigned_note("JP1", "JP2", "KR1"))
    bad = note.signatures[1]
    forged = NoteSignature(
        bad.name, bad.key_id, bad.signature[:-1] + bytes([bad.signature[-1] ^ 1])
    )
    message = parse_note(cosigned_note()).with_signatures(forged, *note.signatures[2:])
    with pytest.raises(InvalidSignatureError):
        parse_policy(POLICY_TEXT).verify(message.to_text())


def test_verify_requires_the_log_key_name_to_be_the_origin() -> None:
    # The real sum.golang.org checkpoint has origin "go.sum database tree", which is not
    # the name of its log key, so a tlog-policy verifier cannot accept it.
    vkeys = WIT1["verifier_keys"]
    policy = parse_policy(f"log {vkeys[0]}\nwitness W {vkeys[1]}\nquorum W\n")
    with pytest.raises(PolicyError, match="not signed by a policy log"):
        policy.verify(WIT1["note"])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no quorum"),
        ("quorum none\nquorum none\n", "exactly one quorum"),
        ("quorum W\n", "not defined above"),
        (f"quorum W\nwitness W {REMORA_VKEY}\n", "not defined above"),
        (f"witness W {REMORA_VKEY}\nwitness W2 {REMORA_VKEY}\nquorum W\n", "same key"),
        (f"witness W {REMORA_VKEY}\nwitness W {WITNESSES['JP1'].vkey}\nquorum W\n", "already"),
        (f"witness none {REMORA_VKEY}\nquorum none\n", "already defined"),
        (f"witness W {LOG.vkey}\nquorum W\n", "signature type 0x01"),
        (f"log {REMORA_VKEY}\nquorum none\n", "signature type 0x04"),
        (f"log {LOG.vkey}\nlog {LOG.vkey}\nquorum none\n", "duplicate log"),
        ("log not-a-key\nquorum none\n", "bad log key"),
        (f"witness W {REMORA_VKEY}\ngroup g 2 W\nquorum g\n", "threshold"),
        (f"witness W {REMORA_VKEY}\ngroup g 0 W\nquorum g\n", "threshold"),
        (f"witness W {REMORA_VKEY}\ngroup g 01 W\nquorum g\n", "threshold"),
        (f"witness W {REMORA_VKEY}\ngroup g any\nquorum g\n", "expected: group"),
        (f"witness W {REMORA_VKEY}\ngroup g any X\nquorum W\n", "not defined above"),
        (f"witness W {REMORA_VKEY}\ngroup g any none\nquorum g\n", "not defined above"),
        (
            f"witness W {REMORA_VKEY}\ngroup g any W\ngroup h any W\nquorum h\n",
            "already a member",
        ),
        (f"witness W {REMORA_VKEY}\ngroup g any W W\nquorum g\n", "already a member"),
        (f"witness W {REMORA_VKEY} url extra\nquorum W\n", "expected: witness"),
        ("quorum a b\n", "expected: quorum"),
        ("quorum none # comments take whole lines\n", "expected: quorum"),
        ("monitor x\nquorum none\n", "unknown keyword"),
        ("quorum none\r\n", "control character"),
        (b"quorum none # \xff\n", "UTF-8"),
    ],
)
def test_invalid_policies_are_rejected(text: str | bytes, reason: str) -> None:
    with pytest.raises(PolicyError, match=reason):
        parse_policy(text)


def test_policy_errors_carry_the_line_number() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy("# comment\n\nquorum nobody\n")
    assert caught.value.line == 3
    assert str(caught.value).startswith("line 3:")


def test_comments_and_blank_lines_are_ignored() -> None:
    policy = parse_policy(b"  # only a quorum\n\n\t\nquorum none  \n")
    assert policy.quorum == NONE
