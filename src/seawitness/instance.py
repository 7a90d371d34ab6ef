"""An instance: a folder holding a seawitness database, its keys and its settings.

Like a git repository, an instance is found by walking up from the current directory to
the first folder with a ``seawitness.toml``; ``--db URL`` points the database elsewhere
(e.g. PostgreSQL) while the keys stay in the folder.

    seawitness-demo/
      seawitness.toml        settings: log origin, database URL
      seawitness.db          SQLite database (the embedded default)
      keys/log.key|.pub      the log's checkpoint-signing key
      keys/admin.key|.pub    the administrator key that registers stakeholders and keys
      keys/demo/ORG.key      demo keys of organisations whose public data was imported
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, select

from seawitness.errors import ConfigError
from seawitness.ingest.submit import submit
from seawitness.model.canonical import canonical_bytes
from seawitness.model.entry import Entry
from seawitness.model.times import format_utc, now_utc
from seawitness.store import schema as s
from seawitness.store.log import sign_checkpoint
from seawitness.store.store import Store
from seawitness.trust import keyring
from seawitness.trust.keyring import KeyPair
from seawitness.trust.registry import key_id_of

SETTINGS = "seawitness.toml"
ADMIN = "admin"

# Organisations whose public results ship with seawitness, with a display name and
# country, for the demo stakeholders that sign them.
KNOWN_ORGS = {
    "TEPCO": ("Tokyo Electric Power Company Holdings", "JP"),
    "NRA": ("Nuclear Regulation Authority, Japan", "JP"),
    "MOE": ("Ministry of the Environment, Japan", "JP"),
    "Fukushima Pref.": ("Fukushima Prefecture", "JP"),
    "FA": ("Fisheries Agency, Japan", "JP"),
}


class InstanceError(ConfigError):
    """No instance here, or its settings or keys are unusable."""


def find_instance(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` that holds a ``seawitness.toml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SETTINGS).is_file():
            return folder
    return None


@dataclass
class Instance:
    root: Path
    origin: str
    db_url: str
    store: Store

    # -- creating and opening -----------------------------------------------------------
    @classmethod
    def create(
        cls, root: Path, *, db_url: str | None = None, origin: str | None = None
    ) -> Instance:
        """Make a new instance: settings, log and admin keys, database, first checkpoint."""
        root = root.resolve()
        if (root / SETTINGS).exists():
            raise InstanceError(f"{root} is already a seawitness instance")
        root.mkdir(parents=True, exist_ok=True)
        origin = origin or f"seawitness.local/{secrets.token_hex(4)}"
        settings = f'origin = "{origin}"\ncreated = "{format_utc(now_utc())}"\n'
        if db_url:
            settings += f'database = "{db_url}"\n'
        keys_dir = root / "keys"
        log_key, log_skey = keyring.generate(origin)
        keyring.save(keys_dir, "log", log_skey, log_key.vkey)
        admin_key, admin_skey = keyring.generate(ADMIN)
        keyring.save(keys_dir, ADMIN, admin_skey, admin_key.vkey)
        (root / SETTINGS).write_text(settings)
        inst = cls.open(root, db_url=db_url)
        with inst.store.transaction() as conn:
            if inst.store.tree_size(conn) == 0:
                inst.store.set_meta(conn, "origin", origin)
                inst.store.set_meta(conn, "log_vkey", log_key.vkey)
                inst.store.set_meta(conn, "admin_vkey", admin_key.vkey)
                inst.register(
                    conn,
                    ADMIN,
                    "Instance administrator",
                    None,
                    "admin",
                    admin_key,
                    signer=admin_key,
                    admin=True,
                )
                inst.checkpoint(conn)
        return inst

    @classmethod
    def open(cls, root: Path, *, db_url: str | None = None) -> Instance:
        root = root.resolve()
        try:
            settings = tomllib.loads((root / SETTINGS).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InstanceError(f"cannot read {root / SETTINGS}: {exc}") from None
        url = (
            db_url
            or os.environ.get("SEAWITNESS_DB")
            or settings.get("database")
            or str(root / "seawitness.db")
        )
        return cls(root=root, origin=settings["origin"], db_url=url, store=Store.open(url))

    # -- keys -----------------------------------------------------------------------------
    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def bulk_dir(self) -> Path:
        """Where ``seawitness bulk`` writes the bulk files the server sends."""
        return self.root / "bulk"

    def log_key(self) -> KeyPair:
        return keyring.load(self.keys_dir / "log.key")

    def admin_key(self) -> KeyPair:
        return keyring.load(self.keys_dir / f"{ADMIN}.key")

    def register(
        self,
        conn: Connection,
        sid: str,
        name: str,
        country: str | None,
        kind: str,
        key: KeyPair,
        *,
        signer: KeyPair | None = None,
        admin: bool = False,
        demo: bool = False,
        valid_from: datetime | None = None,
        vkey: str | None = None,
    ) -> None:
        """Log a stakeholder (if new) and one of its keys, signed by the administrator.

        ``vkey`` registers another form of ``key`` (a witness registers the cosignature/v1
        form of its key, see c2sp.org/tlog-cosignature); by default ``key.vkey``.
        """
        signer = signer or self.admin_key()
        known = (
            conn.execute(select(s.stakeholders.c.id).where(s.stakeholders.c.id == sid)).first()
            is not None
        )
        records: list[tuple[str, dict[str, object]]] = []
        if not known:
            rec: dict[str, object] = {"id": sid, "name": name, "kind": kind}
            if country:
                rec["country"] = country
            records.append(("stakeholder", rec))
        vkey = vkey or key.vkey
        krec: dict[str, object] = {
            "key_id": key_id_of(vkey)[0],
            "stakeholder": sid,
            "vkey": vkey,
            "valid_from": format_utc(valid_from or datetime(2000, 1, 1, tzinfo=UTC)),
        }
        if admin:
            krec["admin"] = True
        if demo:
            krec["demo"] = True
            krec["label"] = (
                "DEMO KEY held by this seawitness instance, not by the "
                "organisation: it signs the organisation's public results so "
                "they can be logged; it is not the organisation's signature"
            )
        records.append(("key", krec))
        self.submit_records(conn, signer, ADMIN, records)

    def submit_records(
        self,
        conn: Connection,
        key: KeyPair,
        submitter: str,
        records: Iterable[tuple[str, dict[str, object]]],
    ) -> list[int]:
        """Sign records with ``key`` as ``submitter`` and submit them (the checked path)."""
        seq = self.store.next_seqs(conn, [submitter])[submitter]
        entries = []
        for kind, rec in records:
            e = Entry(
                kind=kind,
                record_bytes=canonical_bytes(rec),
                submitter=submitter,
                key_id=key.key_id,
                seq=seq,
                submitted_at=now_utc(),
            )
            entries.append(e.signed(key.sign))
            seq += 1
        return submit(self.store, conn, entries).leaves

    def demo_signer(self):
        """A signer for bulk import: each organisation's demo key, made and logged on
        first use, so public results enter the log signed, as any submission does."""
        cache: dict[str, KeyPair] = {}
        demo_dir = self.keys_dir / "demo"

        def signer(conn: Connection, org: str) -> tuple[str, KeyPair]:
            if org in cache:
                return org, cache[org]
            path = demo_dir / f"{keyring.file_name(org)}.key"
            if path.exists():
                key = keyring.load(path)
            else:
                key, skey = keyring.generate(org)
                keyring.save(demo_dir, org, skey, key.vkey)
            registered = (
                conn.execute(select(s.keys.c.key_id).where(s.keys.c.key_id == key.key_id)).first()
                is not None
            )
            if not registered:
                name, country = KNOWN_ORGS.get(org, (org, None))
                self.register(conn, org, name, country, "lab", key, demo=True)
            cache[org] = key
            return org, key

        return signer

    def checkpoint(self, conn: Connection) -> str:
        """Sign a checkpoint for the current tree, inside the transaction that grew it."""
        return sign_checkpoint(conn, self.origin, self.log_key())
