"""Who may sign what, for whom, and when: the rules of the log's own registry.

The log registers its participants in its own entries, signed by the administrator:
``stakeholder`` (a party and its role), ``key`` (an Ed25519 key of a stakeholder, valid
from a time, perhaps until one), ``revocation`` (a key may sign nothing from a time on)
and ``grant`` (a stakeholder may publish for another organisation, or publish a named rule
set, or raise alerts). Replaying those entries in log order gives the :class:`Registry`,
and every entry must satisfy it at the moment it is appended:

1. its key is registered (by an earlier entry, or is the administrator's trust anchor),
   belongs to the submitter, and is valid at the time the log received the entry: after
   ``valid_from``, before ``valid_until`` and before any revocation;
2. administrative kinds (stakeholder, key, revocation, grant) are signed by an
   administrator, rule sets by the stakeholder granted that rule set, alerts by an
   administrator or a stakeholder granted alerts;
3. a measurement's organisation, and its lab where the lab is a registered stakeholder,
   is the submitter itself or one the submitter was granted to publish for;
4. a submitter's sequence numbers run 0, 1, 2, ... with no gap and no repeat;
5. only a record's own submitter, or an administrator, may correct it, and only its
   current version.

This module is pure code: no database, no network. The submission gate
(:mod:`seawitness.ingest.submit`) builds the registry from the store's index (which holds
what those same entries said) and the offline audit (:mod:`seawitness.mirror.audit`) from
a mirror's entries; both call the same methods, so each rule is written once and cannot
drift between the server and the auditor (as sigstore-python keeps one verifier for both).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from seawitness.errors import InputError
from seawitness.model.times import parse_instant
from seawitness.tlog.note import ALG_COSIGNATURE_V1, ALG_ED25519, NoteError, parse_vkey

__all__ = [
    "ADMIN_KINDS",
    "GRANTS",
    "KeyInfo",
    "Registry",
    "TrustError",
    "MAX_CLOCK_SKEW",
    "check_clock",
    "check_correction",
    "check_seq",
]

#: How far a signer's ``submitted_at`` may be from the time the log received the entry.
#: Ten minutes covers clocks that are a little off and batches signed just before they
#: are sent; anything further is refused, so no one can sign "in the past" (before a
#: revocation) or "in the future" (after an expiry they expect).
MAX_CLOCK_SKEW = timedelta(minutes=10)

#: Entry kinds only an administrator may sign.
ADMIN_KINDS = frozenset({"stakeholder", "key", "revocation", "grant"})
#: What a ``grant`` entry may allow: publish results for another organisation, publish a
#: named rule set, raise alerts.
GRANTS = frozenset({"publish-for", "publish-ruleset", "raise-alerts"})
#: Stakeholder kinds (roles) a ``stakeholder`` entry may give.
STAKEHOLDER_KINDS = frozenset({"lab", "programme", "regulator", "operator", "witness", "admin"})

_REQUIRED = {
    "stakeholder": ("id", "name", "kind"),
    "key": ("key_id", "stakeholder", "vkey", "valid_from"),
    "revocation": ("key_id", "revoked_at", "reason"),
    "grant": ("stakeholder", "grant"),
}
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


class TrustError(InputError):
    """An entry its signer may not sign (unknown, foreign, expired or revoked key; a kind
    or organisation the signer has no right to), or a malformed registry record."""

    code = "not_authorized"


@dataclass
class KeyInfo:
    """A registered key: whose it is and when it may sign."""

    key_id: str
    stakeholder: str
    public_key: bytes
    valid_from: datetime
    valid_until: datetime | None = None
    revoked_at: datetime | None = None
    demo: bool = False

    def invalid_at(self, t: datetime) -> str | None:
        """None if the key may sign at ``t``, else the reason it may not."""
        if t < self.valid_from:
            return f"key {self.key_id} is not valid before {self.valid_from.isoformat()}"
        if self.valid_until is not None and t >= self.valid_until:
            return f"key {self.key_id} expired at {self.valid_until.isoformat()}"
        if self.revoked_at is not None and t >= self.revoked_at:
            return f"key {self.key_id} was revoked at {self.revoked_at.isoformat()}"
        return None


def key_id_of(vkey: str) -> tuple[str, bytes]:
    """``(key id, public key)`` of a signed-note verifier key; the key id is
    ``name+hash`` as log entries name it."""
    vk = parse_vkey(vkey)
    return f"{vk.name}+{vk.key_id.hex()}", vk.public_key


def key_alg(vkey: str) -> int:
    """The signed-note algorithm byte of a verifier key (0x01 Ed25519, 0x04 cosignature)."""
    return parse_vkey(vkey).alg


@dataclass
class Registry:
    """The stakeholders, keys and grants in force, replayed from the log in order."""

    anchor: str
    """Key id of the administrator's trust anchor (fixed when the log was made)."""
    keys: dict[str, KeyInfo] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    """Stakeholder id → kind (role)."""
    grants: set[tuple[str, str, str]] = field(default_factory=set)
    """(stakeholder, grant, object): ("KINS", "publish-for", "KINS-Daejeon"), ..."""

    @classmethod
    def anchored(cls, admin_vkey: str) -> Registry:
        """An empty registry that trusts only the administrator's verifier key."""
        try:
            key_id, public = key_id_of(admin_vkey.strip())
        except NoteError as exc:
            raise TrustError(f"bad administrator key: {exc}") from None
        name = key_id.split("+", 1)[0]
        reg = cls(anchor=key_id)
        reg.keys[key_id] = KeyInfo(key_id, name, public, _BEGINNING)
        return reg

    # -- questions --------------------------------------------------------------------
    def is_admin(self, key: KeyInfo) -> bool:
        """An administrator key: the trust anchor, or a key of an ``admin`` stakeholder."""
        return key.key_id == self.anchor or self.kinds.get(key.stakeholder) == "admin"

    def may_publish_for(self, stakeholder: str, org: str) -> bool:
        """Whether ``stakeholder`` may publish results in the name of ``org``."""
        return org == stakeholder or (stakeholder, "publish-for", org) in self.grants

    def authorize(self, kind: str, submitter: str, key_id: str, at: datetime) -> KeyInfo:
        """The key that may sign an entry of ``kind`` for ``submitter`` at time ``at``.

        :param at: when the log received the entry (UTC); key validity, expiry and
            revocation are judged at that time, never at a time the signer claims.
        :raises TrustError: with the reason the entry may not be signed so.
        """
        key = self.keys.get(key_id)
        if key is None:
            raise TrustError(f"unknown key {key_id!r}: no earlier entry registers it")
        if self.kinds.get(key.stakeholder) == "witness":
            raise TrustError(f"{key_id} is a witness key: it cosigns checkpoints, not entries")
        if key.stakeholder != submitter:
            raise TrustError(f"key {key_id} belongs to {key.stakeholder!r}, not {submitter!r}")
        why = key.invalid_at(at)
        if why:
            raise TrustError(why)
        if kind in ADMIN_KINDS and not self.is_admin(key):
            raise TrustError(f"{kind} entries must be signed by an administrator key")
        if kind == "alert" and not (
            self.is_admin(key) or (submitter, "raise-alerts", "") in self.grants
        ):
            raise TrustError(f"{submitter!r} may not raise alerts (no grant from an administrator)")
        return key

    def authorize_record(self, kind: str, submitter: str, record: Mapping[str, Any]) -> None:
        """The record's identity must be one the submitter may speak for.

        A measurement's ``org`` (and its ``lab``, where the lab is a registered
        stakeholder) must be the submitter or an organisation an administrator granted it
        to publish for; a rule set may be published only by the stakeholder granted it.
        """
        if kind == "measurement":
            org = record.get("org")
            if not isinstance(org, str) or not self.may_publish_for(submitter, org):
                raise TrustError(
                    f"{submitter!r} may not publish results for organisation {org!r}; an "
                    "administrator must grant it (grant publish-for)"
                )
            lab = record.get("lab")
            if (
                isinstance(lab, str)
                and lab in self.kinds
                and not self.may_publish_for(submitter, lab)
            ):
                raise TrustError(
                    f"lab {lab!r} is a registered stakeholder; {submitter!r} may not "
                    "publish results in its name"
                )
        elif kind == "ruleset":
            rid = record.get("id")
            if (submitter, "publish-ruleset", rid) not in self.grants:
                raise TrustError(
                    f"{submitter!r} is not the registered publisher of rule set {rid!r}"
                )

    # -- replaying the registry's own entries -----------------------------------------
    def apply(self, kind: str, record: Mapping[str, Any], at: datetime) -> None:
        """Check an administrative record and apply it (the entry was authorized).

        :param at: when the log received the entry; a revocation takes effect no later.
        :raises TrustError: the record is malformed or contradicts the registry.
        """
        if kind not in ADMIN_KINDS:
            return
        for name in _REQUIRED[kind]:
            if not isinstance(record.get(name), str) or not record[name]:
                raise TrustError(f"{kind} record needs a non-empty text field {name!r}")
        if kind == "stakeholder":
            if record["kind"] not in STAKEHOLDER_KINDS:
                raise TrustError(
                    f"stakeholder kind {record['kind']!r} is not one of "
                    f"{', '.join(sorted(STAKEHOLDER_KINDS))}"
                )
            self.kinds[record["id"]] = record["kind"]
        elif kind == "key":
            self._apply_key(record)
        elif kind == "revocation":
            key = self.keys.get(record["key_id"])
            if key is None:
                raise TrustError(f"revocation of unknown key {record['key_id']!r}")
            revoked_at = _time(record, "revoked_at")
            key.revoked_at = min(revoked_at, at) if key.revoked_at is None else key.revoked_at
        else:
            self._apply_grant(record)

    def _apply_key(self, record: Mapping[str, Any]) -> None:
        try:
            key_id, public = key_id_of(record["vkey"])
        except NoteError as exc:
            raise TrustError(f"bad verifier key: {exc}") from None
        if record["key_id"] != key_id:
            raise TrustError(f"key_id {record['key_id']!r} does not match the verifier key")
        if key_id in self.keys and key_id != self.anchor:
            raise TrustError(f"key {key_id} is registered a second time")
        if record["stakeholder"] not in self.kinds:
            raise TrustError(
                f"key for stakeholder {record['stakeholder']!r}, which no earlier entry registers"
            )
        witness = self.kinds[record["stakeholder"]] == "witness"
        alg = key_alg(record["vkey"])
        if witness and alg != ALG_COSIGNATURE_V1:
            raise TrustError(
                f"{record['stakeholder']!r} is a witness: its key must be a cosignature/v1 "
                "key (c2sp.org/tlog-cosignature, algorithm 0x04), as `seawitness keygen` "
                "prints it, not an entry-signing key"
            )
        if not witness and alg != ALG_ED25519:
            raise TrustError(f"an entry-signing key must be an Ed25519 key (0x01), not 0x{alg:02x}")
        if key_id == self.anchor:
            return  # the anchor's own registration: it is valid from the beginning
        until = record.get("valid_until")
        self.keys[key_id] = KeyInfo(
            key_id=key_id,
            stakeholder=record["stakeholder"],
            public_key=public,
            valid_from=_time(record, "valid_from"),
            valid_until=None if until is None else _time(record, "valid_until"),
            demo=record.get("demo") is True,
        )

    def _apply_grant(self, record: Mapping[str, Any]) -> None:
        grant = record["grant"]
        if grant not in GRANTS:
            raise TrustError(f"grant {grant!r} is not one of {', '.join(sorted(GRANTS))}")
        if record["stakeholder"] not in self.kinds:
            raise TrustError(f"grant to {record['stakeholder']!r}, which is not registered")
        target = record.get("org" if grant == "publish-for" else "ruleset", "")
        if grant != "raise-alerts" and (not isinstance(target, str) or not target):
            field_name = "org" if grant == "publish-for" else "ruleset"
            raise TrustError(f"a {grant} grant needs a non-empty text field {field_name!r}")
        self.grants.add((record["stakeholder"], grant, target or ""))


def _time(record: Mapping[str, Any], name: str) -> datetime:
    try:
        return parse_instant(record[name], field=name, naive=None, allow_date=False)
    except InputError as exc:
        raise TrustError(str(exc)) from None


def check_clock(submitted_at: datetime, logged_at: datetime, previous: datetime | None) -> None:
    """The log's clock only moves forward, and the signer's is close to it.

    :param previous: ``logged_at`` of the leaf before (None for the first leaf).
    """
    if previous is not None and logged_at < previous:
        raise TrustError(
            f"logged_at {logged_at.isoformat()} is earlier than the leaf before it "
            f"({previous.isoformat()}); the log's clock never runs backwards"
        )
    if abs(submitted_at - logged_at) > MAX_CLOCK_SKEW:
        raise TrustError(
            f"submitted_at {submitted_at.isoformat()} is more than "
            f"{int(MAX_CLOCK_SKEW.total_seconds() // 60)} minutes from the log's clock "
            f"({logged_at.isoformat()}); sign entries when you send them"
        )


def check_seq(submitter: str, seq: int, expected: int) -> None:
    """Each submitter's entries are numbered 0, 1, 2, ...: a replayed, reordered or
    dropped entry shows as a wrong number."""
    if seq != expected:
        what = "replayed or reordered" if seq < expected else "out of order (gap)"
        raise TrustError(f"sequence number {seq} of {submitter} is {what}; expected {expected}")


def check_correction(
    target: int, *, owner: str | None, superseded_by: int | None, submitter: str, admin: bool
) -> None:
    """A correction supersedes the current version of a measurement, and only the
    measurement's own submitter or an administrator may make it.

    :param owner: who submitted the first version of the target's series (None: the target
        is not a measurement version).
    :param superseded_by: the leaf of a later version of the target, if any.
    """
    if owner is None:
        raise TrustError(f"correction supersedes leaf {target}, which is not a logged measurement")
    if superseded_by is not None:
        raise TrustError(
            f"leaf {target} was already superseded by leaf {superseded_by}; "
            "correct the current version"
        )
    if owner != submitter and not admin:
        raise TrustError(
            f"leaf {target} was submitted by {owner!r}; only they or an administrator may "
            f"correct it, not {submitter!r}"
        )
