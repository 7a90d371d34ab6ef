"""Commands of the trust core: keys, stakeholders, signed submissions, witnessing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from seawitness.cli.common import (
    CONTEXT_SETTINGS,
    Instant,
    OrderedGroup,
    console,
    open_instance,
    print_table,
)

if TYPE_CHECKING:
    from seawitness.model.entry import Entry
    from seawitness.model.records import Measurement
    from seawitness.trust.keyring import KeyPair

__all__ = ["correct", "keygen", "stakeholder", "submit", "witness"]


@click.command(short_help="Make an Ed25519 key pair for a stakeholder or witness.")
@click.argument("name")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder for NAME.key (mode 0600) and NAME.pub.",
)
def keygen(name: str, out: Path) -> None:
    """Make an Ed25519 key pair for a stakeholder or witness called NAME.

    Prints the verifier key (c2sp.org/signed-note) to register with the log's
    administrator, and the same key as a witness cosigning key (cosignature/v1).

    \b
    Example:
      seawitness keygen KINS --out ~/.seawitness
    """
    from seawitness.tlog.note import ALG_COSIGNATURE_V1, format_vkey
    from seawitness.trust import keyring

    key, skey = keyring.generate(name)
    path = keyring.save(out, name, skey, key.vkey)
    console.print(f"[green]Wrote[/] {path} (private, mode 0600) and {path.with_suffix('.pub')}")
    click.echo(f"verifier key:        {key.vkey}")
    click.echo(
        f"witness key (0x04):  {format_vkey(key.name, ALG_COSIGNATURE_V1, key.public_bytes)}"
    )


@click.group(
    cls=OrderedGroup,
    context_settings=CONTEXT_SETTINGS,
    short_help="Register stakeholders and their keys (administrator).",
)
def stakeholder() -> None:
    """Register stakeholders and manage their keys (administrator only).

    Each registration, key and revocation is a log entry signed by the instance's
    administrator key, so an auditor can check who could sign what, and when.

    \b
    Examples:
      seawitness stakeholder add KINS --name "Korea Institute of Nuclear Safety" \\
          --country KR --kind lab --vkey "KINS+1a2b3c4d+AQ..."
      seawitness stakeholder rotate KINS --vkey "KINS+5e6f7a8b+AQ..."
      seawitness stakeholder revoke "KINS+1a2b3c4d" --reason "key lost"
      seawitness stakeholder list
    """


KINDS = ["lab", "programme", "regulator", "operator", "witness", "admin"]


def _key_record(
    sid: str, vkey: str, valid_from: datetime, valid_until: datetime | None
) -> dict[str, object]:
    from seawitness.model.times import format_utc
    from seawitness.tlog.note import NoteError, parse_vkey

    try:
        vk = parse_vkey(vkey)
    except NoteError as exc:
        raise click.BadParameter(f"not a verifier key: {exc}", param_hint="--vkey") from None
    rec: dict[str, object] = {
        "key_id": f"{vk.name}+{vk.key_id.hex()}",
        "stakeholder": sid,
        "vkey": vkey,
        "valid_from": format_utc(valid_from),
    }
    if valid_until:
        rec["valid_until"] = format_utc(valid_until)
    return rec


@stakeholder.command("add", short_help="Register a stakeholder with its first key.")
@click.argument("sid")
@click.option("--name", required=True, help="Full name of the organisation or person.")
@click.option("--country", help="ISO 3166-1 alpha-2 code, e.g. JP, CN, KR.")
@click.option("--kind", type=click.Choice(KINDS), default="lab", show_default=True)
@click.option("--vkey", required=True, help="Verifier key printed by `seawitness keygen`.")
@click.option("--valid-from", type=Instant(), help="Key valid from (ISO 8601; default now).")
@click.option("--valid-until", type=Instant(), help="Key valid until (ISO 8601; default open).")
@click.pass_context
def stakeholder_add(
    ctx: click.Context,
    sid: str,
    name: str,
    country: str | None,
    kind: str,
    vkey: str,
    valid_from: datetime | None,
    valid_until: datetime | None,
) -> None:
    """Register stakeholder SID with a key; both are log entries signed by the admin.

    \b
    Example:
      seawitness stakeholder add KINS --name "Korea Institute of Nuclear Safety" \\
          --country KR --kind lab --vkey "$(cat KINS.pub)"
    """
    from seawitness.model.times import now_utc

    inst = open_instance(ctx)
    rec = _key_record(sid, vkey, valid_from or now_utc(), valid_until)
    person: dict[str, object] = {"id": sid, "name": name, "kind": kind}
    if country:
        person["country"] = country.upper()
    with inst.store.transaction() as conn:
        leaves = inst.submit_records(
            conn, inst.admin_key(), "admin", [("stakeholder", person), ("key", rec)]
        )
        inst.checkpoint(conn)
    console.print(f"[green]Registered[/] {sid} with key {rec['key_id']} (leaves {leaves})")


@stakeholder.command("rotate", short_help="Register a new key and revoke the current ones.")
@click.argument("sid")
@click.option("--vkey", required=True, help="The new verifier key.")
@click.option("--keep-old", is_flag=True, help="Do not revoke the current key(s).")
@click.pass_context
def stakeholder_rotate(ctx: click.Context, sid: str, vkey: str, keep_old: bool) -> None:
    """Register a new key for SID and revoke its current keys from now on.

    \b
    Example:
      seawitness stakeholder rotate KINS --vkey "$(cat KINS-2026.pub)"
    """
    from sqlalchemy import select

    from seawitness.model.times import format_utc, now_utc
    from seawitness.store import schema as s

    inst = open_instance(ctx)
    now = now_utc()
    rec = _key_record(sid, vkey, now, None)
    with inst.store.transaction() as conn:
        old = [
            r[0]
            for r in conn.execute(
                select(s.keys.c.key_id).where(
                    s.keys.c.stakeholder == sid, s.keys.c.revoked_at.is_(None)
                )
            )
        ]
        if (
            not old
            and conn.execute(select(s.stakeholders.c.id).where(s.stakeholders.c.id == sid)).first()
            is None
        ):
            raise click.ClickException(f"unknown stakeholder {sid!r}; add it first")
        records: list[tuple[str, dict[str, object]]] = [("key", rec)]
        if not keep_old:
            records += [
                (
                    "revocation",
                    {
                        "key_id": k,
                        "revoked_at": format_utc(now),
                        "reason": "rotated",
                    },
                )
                for k in old
            ]
        inst.submit_records(conn, inst.admin_key(), "admin", records)
        inst.checkpoint(conn)
    console.print(
        f"[green]Rotated[/] {sid}: new key {rec['key_id']}"
        + ("" if keep_old else f", revoked {', '.join(old) or 'none'}")
    )


@stakeholder.command("revoke", short_help="Revoke a key from now on.")
@click.argument("key_id")
@click.option("--reason", required=True, help="Why (e.g. 'key compromised').")
@click.pass_context
def stakeholder_revoke(ctx: click.Context, key_id: str, reason: str) -> None:
    """Revoke KEY_ID from now on: later entries signed with it are rejected.

    Entries it signed while it was valid stay valid; a revocation cannot be backdated,
    since that would rewrite what the log already accepted.

    \b
    Example:
      seawitness stakeholder revoke "KINS+1a2b3c4d" --reason "key compromised"
    """
    from seawitness.model.times import format_utc, now_utc

    inst = open_instance(ctx)
    rec: dict[str, object] = {
        "key_id": key_id,
        "revoked_at": format_utc(now_utc()),
        "reason": reason,
    }
    with inst.store.transaction() as conn:
        inst.submit_records(conn, inst.admin_key(), "admin", [("revocation", rec)])
        inst.checkpoint(conn)
    console.print(f"[green]Revoked[/] {key_id}")


@stakeholder.command("grant", short_help="Let a stakeholder publish for another, or more.")
@click.argument("sid")
@click.argument(
    "grant", metavar="GRANT", type=click.Choice(["publish-for", "publish-ruleset", "raise-alerts"])
)
@click.argument("target", required=False)
@click.pass_context
def stakeholder_grant(ctx: click.Context, sid: str, grant: str, target: str | None) -> None:
    """Log a grant, signed by the administrator: what SID may sign beyond its own results.

    \b
    publish-for ORG     results whose organisation (or lab) is ORG: how an
                        importer of public files publishes for their makers
    publish-ruleset ID  the rule set ID (limits of a jurisdiction)
    raise-alerts        alert entries

    A grant is a log entry like any other: an auditor sees who was allowed what, and
    since when. Without one, results whose organisation is not the signer are refused.

    \b
    Examples:
      seawitness stakeholder grant IMPORTER publish-for TEPCO
      seawitness stakeholder grant MFDS publish-ruleset kr-mfds
    """
    if grant != "raise-alerts" and not target:
        raise click.UsageError(f"{grant} needs a TARGET (an organisation or a rule set id)")
    if grant == "raise-alerts" and target:
        raise click.UsageError("raise-alerts takes no TARGET")
    rec: dict[str, object] = {"stakeholder": sid, "grant": grant}
    if target:
        rec["org" if grant == "publish-for" else "ruleset"] = target
    inst = open_instance(ctx)
    with inst.store.transaction() as conn:
        inst.submit_records(conn, inst.admin_key(), "admin", [("grant", rec)])
        inst.checkpoint(conn)
    console.print(f"[green]Granted[/] {sid} {grant}{' ' + target if target else ''}")


@stakeholder.command("list")
@click.pass_context
def stakeholder_list(ctx: click.Context) -> None:
    """List stakeholders and their keys (demo keys are marked).

    \b
    Example:
      seawitness stakeholder list
    """
    from sqlalchemy import select

    from seawitness.store import schema as s

    inst = open_instance(ctx)
    with inst.store.engine.connect() as c:
        rows = [
            dict(r)
            for r in c.execute(
                select(
                    s.keys.c.stakeholder,
                    s.stakeholders.c.kind,
                    s.keys.c.key_id,
                    s.keys.c.valid_from,
                    s.keys.c.revoked_at,
                    s.keys.c.demo,
                ).join(s.stakeholders, s.stakeholders.c.id == s.keys.c.stakeholder)
            ).mappings()
        ]
    print_table(rows, ["stakeholder", "kind", "key_id", "valid_from", "revoked_at", "demo"])


def _load_records(path: Path, fmt: str, mapping: Path | None) -> list[Measurement]:
    from seawitness.ingest.readers import read_path

    return [m for r in read_path(path, fmt, mapping=mapping) for m in r.measurements]


def _sign_all(
    key: KeyPair, submitter: str, start_seq: int, items: list[tuple[str, bytes]]
) -> list[Entry]:
    from seawitness.model.entry import Entry
    from seawitness.model.times import now_utc

    out = []
    when = now_utc()
    for i, (kind, body) in enumerate(items):
        e = Entry(
            kind=kind,
            record_bytes=body,
            submitter=submitter,
            key_id=key.key_id,
            seq=start_seq + i,
            submitted_at=when,
        )
        out.append(e.signed(key.sign))
    return out


def _send(
    ctx: click.Context,
    key_path: Path,
    as_: str | None,
    server: str | None,
    items: list[tuple[str, bytes]],
) -> None:
    """Sign ``items`` with the key and submit them locally or to ``server``."""
    from seawitness.trust import keyring

    key = keyring.load(key_path)
    submitter = as_ or key.name
    if server:
        from seawitness.ingest.remote import RemoteLog

        remote = RemoteLog(server)
        entries = _sign_all(key, submitter, remote.next_seq(submitter), items)
        got = remote.submit(entries)
    else:
        from seawitness.ingest.submit import submit

        inst = open_instance(ctx)
        with inst.store.transaction() as conn:
            seq = inst.store.next_seqs(conn, [submitter])[submitter]
            entries = _sign_all(key, submitter, seq, items)
            acc = submit(inst.store, conn, entries)
            inst.checkpoint(conn)
        got = {"first_leaf": acc.first_leaf, "tree_size": acc.tree_size}
    console.print(
        f"[green]Accepted[/] {len(items)} entries from {submitter} "
        f"(leaves {got['first_leaf']}..{got['tree_size'] - 1}); "
        f"log size {got['tree_size']}"
    )


@click.command(short_help="Sign a file of records with your key and submit them.")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--key",
    "key_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Your private key file (from `seawitness keygen`).",
)
@click.option("--as", "as_", help="Stakeholder id to submit as (default: the key's name).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["seawitness", "csv", "orbs", "nra", "maris"]),
    default="seawitness",
    show_default=True,
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Mapping file for --format csv.",
)
@click.option(
    "--server", metavar="URL", help="Submit to a seawitness server instead of the local instance."
)
@click.pass_context
def submit(
    ctx: click.Context,
    path: Path,
    key_path: Path,
    as_: str | None,
    fmt: str,
    mapping: Path | None,
    server: str | None,
) -> None:
    """Sign every record in PATH with your key and submit them to the log.

    Each record is signed over its canonical bytes with your stakeholder id, key id, a
    sequence number and the submission time. The whole file is accepted or none of it;
    a rejection names the record and the reason.

    \b
    Examples:
      seawitness submit results.csv --format csv --mapping lab.toml --key KINS.key
      seawitness submit results.csv --key KINS.key --server https://log.example
    """
    records = _load_records(path, fmt, mapping)
    if not records:
        raise click.ClickException(f"{path}: no records found")
    _send(ctx, key_path, as_, server, [("measurement", m.canonical()) for m in records])


@click.command(short_help="Correct or retract a record, as a new signed entry.")
@click.argument("leaf", type=int)
@click.option("--reason", required=True, help="Why the record is corrected or retracted.")
@click.option(
    "--replacement",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON file with the corrected record; without it the record is retracted.",
)
@click.option(
    "--key", "key_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
@click.option("--as", "as_", help="Stakeholder id to submit as (default: the key's name).")
@click.option("--server", metavar="URL")
@click.pass_context
def correct(
    ctx: click.Context,
    leaf: int,
    reason: str,
    replacement: Path | None,
    key_path: Path,
    as_: str | None,
    server: str | None,
) -> None:
    """Correct (or, without --replacement, retract) the record at leaf LEAF.

    Nothing is deleted: the correction is a new signed entry that points at LEAF; views
    show the newest version and the history shows all.

    \b
    Examples:
      seawitness correct 1234 --reason "unit typo" --replacement fixed.json \\
          --key KINS.key
      seawitness correct 1234 --reason "sample contaminated" --key KINS.key
    """
    import json

    from seawitness.errors import InputError
    from seawitness.model import Correction, Measurement, canonical_bytes

    rep = None
    if replacement is not None:
        try:
            doc = json.loads(replacement.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"not a JSON file: {exc}", where=str(replacement)) from None
        if not isinstance(doc, dict):
            raise InputError(
                f"holds a JSON {type(doc).__name__}",
                where=str(replacement),
                expected="a JSON object: the corrected measurement record",
            )
        try:
            rep = Measurement.from_dict(doc)
        except InputError as exc:
            raise InputError(str(exc), where=str(replacement)) from None
    body = canonical_bytes(Correction(supersedes=leaf, reason=reason, replacement=rep).to_dict())
    _send(ctx, key_path, as_, server, [("correction", body)])


@click.command()
@click.option("--log", "log_url", required=True, metavar="URL", help="The log's base URL.")
@click.option(
    "--key",
    "key_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The witness's private key file.",
)
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the witness's state (last cosigned checkpoint).",
)
@click.option(
    "--log-key",
    "log_vkey",
    help="The log's verifier key (needed the first time; pinned in the state folder after that).",
)
@click.option(
    "--interval", type=float, default=0, help="Seconds between rounds (0: one round and exit)."
)
def witness(
    log_url: str, key_path: Path, state_dir: Path, log_vkey: str | None, interval: float
) -> None:
    """Check that the log only grows, and cosign its checkpoints.

    Each round fetches the newest checkpoint, verifies it against the last one this
    witness cosigned with a consistency proof computed from the log's own tiles, then
    cosigns (cosignature/v1) and delivers the cosignature to the log. A fork (a smaller
    tree, or the same size with another root) is refused, kept as evidence in the state
    folder, and ends the command with exit code 2.

    \b
    Example:
      seawitness witness --log http://127.0.0.1:8000 --key KINS.key \\
          --state kins-witness \\
          --log-key "seawitness.local/demo+1a2b3c4d+AQ..." --interval 60
    """
    from seawitness.trust import keyring
    from seawitness.trust.witness import Witness, WitnessError

    signer = keyring.load(key_path).signer.cosigner()
    try:
        w = Witness(log_url, signer, state_dir, log_vkey=log_vkey)
        while True:
            r = w.round()
            console.print(f"[green]{r.message}[/] (previous {r.old_size})")
            if interval <= 0:
                break
            import time

            time.sleep(interval)
    except WitnessError as exc:
        console.print(f"[red]witness: {exc}[/]")
        raise SystemExit(2 if exc.fork else 1) from None
