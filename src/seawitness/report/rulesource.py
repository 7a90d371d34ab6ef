"""Where a report's rule set comes from: a file bundled with the software, or a rule set
its publisher signed into the log.

DESIGN: each jurisdiction's rules are data, "signed by the stakeholder who publishes it
and kept in the log". A ``ruleset`` entry's record is ``{"id": NAME, "toml": TEXT}``, the
rule-set file as published, signed by the stakeholder an administrator granted
``publish-ruleset`` for NAME (:mod:`seawitness.trust.registry`). A report naming NAME uses
the newest such entry below its checkpoint, after checking the entry's Ed25519 signature
with the key the log registered for it; a signature that fails stops the report. A
bundled file is named as such in the provenance: it is the software's, not a publisher's.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import select

from seawitness.analysis.limits import (
    LowConfidenceWarning,
    RuleSet,
    RuleSetError,
    list_rule_sets,
    load_rules,
)
from seawitness.errors import VerificationError
from seawitness.mirror.replay import verify_signature
from seawitness.model.entry import Entry
from seawitness.store import schema as s
from seawitness.store.store import Store

__all__ = ["RuleSetSignatureError", "resolve_rule_set"]


class RuleSetSignatureError(VerificationError):
    """A rule set in the log whose signature does not verify with its registered key."""


def _info(rs: RuleSet, data: bytes, origin: str) -> dict[str, Any]:
    return {
        "id": rs.id,
        "title": rs.title,
        "jurisdiction": rs.jurisdiction,
        "publisher": rs.publisher,
        "file": f"{rs.id}.toml",
        "sha256": hashlib.sha256(data).hexdigest(),
        "origin": origin,
        "nd_policy": rs.nd_policy.value,
        "nd_policy_source": rs.nd_policy_source,
        "notes": rs.notes,
        "low_confidence_numbers": rs.low_confidence_numbers(),
    }


def _load(path: Path) -> RuleSet:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowConfidenceWarning)
        return load_rules(path)


def _logged(store: Store, name: str, size: int) -> tuple[RuleSet, dict[str, Any]] | None:
    e = s.entries
    with store.engine.connect() as c:
        leaves = [
            int(x)
            for x in c.execute(
                select(e.c.leaf_index)
                .where(e.c.kind == "ruleset", e.c.leaf_index < size)
                .order_by(e.c.leaf_index.desc())
            ).scalars()
        ]
        keys = {
            r.key_id: bytes(r.public_key)
            for r in c.execute(select(s.keys.c.key_id, s.keys.c.public_key))
        }
    datas = store.entries_data(leaves)
    for leaf in leaves:
        entry = Entry.from_bytes(datas[leaf])
        record = json.loads(entry.record_bytes)
        if not isinstance(record, dict) or record.get("id") != name:
            continue
        public = keys.get(entry.key_id)
        if public is None or not verify_signature(public, entry):
            raise RuleSetSignatureError(
                f"--rules {name}: the rule set logged at leaf {leaf} by {entry.submitter} "
                f"does not verify with key {entry.key_id}: refusing to use it"
            )
        text = record.get("toml")
        if not isinstance(text, str):
            raise RuleSetError(f"--rules {name}: the rule set at leaf {leaf} has no 'toml' text")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{name}.toml"
            path.write_text(text, encoding="utf-8")
            rs = _load(path)
        if rs.id != name:
            raise RuleSetError(f"--rules {name}: the rule set at leaf {leaf} has id {rs.id!r}")
        info = _info(rs, text.encode("utf-8"), "logged")
        info.update(leaf_index=leaf, submitter=entry.submitter, key_id=entry.key_id)
        return rs, info
    return None


def resolve_rule_set(store: Store, name: str, size: int) -> tuple[RuleSet, dict[str, Any]]:
    """The rule set NAME at checkpoint ``size`` and how the report states its origin.

    :raises RuleSetSignatureError: a logged rule set whose signature fails.
    :raises RuleSetError: no such rule set, bundled or logged.
    """
    if name in list_rule_sets():
        rs = _load(Path(name))
        return rs, _info(rs, rs.path.read_bytes(), "bundled")
    got = _logged(store, name, size)
    if got is None:
        load_rules(name)  # raises the "unknown rule set" error listing the bundled ones
        raise RuleSetError(f"unknown rule set {name!r}")  # pragma: no cover
    return got
