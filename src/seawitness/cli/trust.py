"""CLI commands for trusting nothing: ``publish``, ``audit``, ``check``, ``prove``,
``verify-proof``.

Thin wrappers over :mod:`seawitness.mirror`. ``audit`` and ``verify-proof`` need no
instance and no database: they work from a mirror or a proof file alone.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

import click

from seawitness.cli.common import console, json_text, open_instance, out, print_json, progress

__all__ = ["audit_command", "check_command", "prove", "publish_command", "verify_proof_command"]


def _key_text(value: str | None) -> str | None:
    """A verifier key given inline, or the path of a file holding one."""
    if value is None:
        return None
    path = Path(value)
    if "+" not in value or path.is_file():
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise click.BadParameter(
                f"{value} is neither a verifier key nor a readable file: {exc}"
            ) from None
    return value.strip()


def _policy_text(path: Path | None) -> str | None:
    return None if path is None else path.read_text(encoding="utf-8")


_policy_option = click.option(
    "--policy",
    "policy_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Trust policy (c2sp.org/tlog-policy): log key(s), witnesses and quorum.",
)
_trust_log_key_option = click.option(
    "--trust-log-key",
    metavar="VKEY|FILE",
    help="The log's verifier key, obtained from the operator out of band.",
)
_admin_vkey_option = click.option(
    "--admin-vkey",
    metavar="VKEY|FILE",
    help="The administrator trust anchor that registers every key.",
)


@click.command("publish", short_help="Write the log as static tiles a mirror can serve.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--witness",
    "witnesses",
    multiple=True,
    metavar="VKEY",
    help="A witness cosignature/v1 verifier key to list in the policy (repeatable).",
)
@click.option(
    "--quorum",
    type=int,
    default=0,
    show_default=True,
    help="How many of the --witness keys must cosign (0: none required).",
)
@_policy_option
@click.pass_context
def publish_command(
    ctx: click.Context,
    directory: Path,
    witnesses: tuple[str, ...],
    quorum: int,
    policy_file: Path | None,
) -> None:
    """Write the log as static files (c2sp.org/tlog-tiles) in DIRECTORY.

    Writes checkpoint (with witness cosignatures), hash tiles, entry bundles, the log
    and administrator keys, the trust policy and a README. Running it again writes only
    what changed. Serve the directory with any web server, or copy it anywhere.

    \b
    Examples:
      seawitness publish /srv/www/log
      seawitness publish /srv/www/log --witness "witness-KR+...+B..." --quorum 1
    """
    from seawitness.mirror.publish import publish

    inst = open_instance(ctx)
    try:
        with progress(transient=True) as bar:
            task = bar.add_task("Publishing tiles", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = publish(
                inst.store,
                directory,
                policy=_policy_text(policy_file),
                witnesses=witnesses,
                quorum=quorum,
                progress=advance,
            )
    finally:
        inst.store.close()
    console.print(
        f"[green]Published[/] {report.origin} at size {report.tree_size} to {directory}: "
        f"{report.tiles_written} tiles and {report.bundles_written} entry bundles written, "
        f"{report.skipped} already there; updated: {', '.join(report.files_written) or 'none'}"
    )


@click.command("check", short_help="Check the instance's own store: entries, tiles, indexes.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def check_command(ctx: click.Context, as_json: bool) -> None:
    """Recompute the log from the stored entries and compare it with the store.

    Leaf hashes, every hash tile, the latest checkpoint's root and the index tables
    (entries, measurements, series heads) are recomputed from the entry bundles and
    compared with what is stored: after a crash, a restore or a manual repair, this
    says whether the database still holds the log it signed. Exits 1 on any problem.
    (`seawitness audit` does the same for a published mirror, without a database.)

    \b
    Examples:
      seawitness check
      seawitness --instance mylog check --json
    """
    from seawitness.store.integrity import check

    inst = open_instance(ctx)
    console.print(f"Recomputing the log of {inst.root} from its entries...")
    problems = check(inst.store)
    size = inst.store.tree_size()
    if as_json:
        print_json({"ok": not problems, "tree_size": size, "problems": problems})
    elif problems:
        out.print(f"[bold red]STORE DAMAGED[/] {len(problems)} problem(s):", highlight=False)
        for p in problems:
            out.print(f"  - {p}", highlight=False, markup=False)
    else:
        out.print(
            f"[bold green]STORE OK[/] {size:,} leaves: entries, tiles, checkpoint and "
            "indexes agree",
            highlight=False,
        )
    if problems:
        sys.exit(1)


@click.command("audit", short_help="Re-verify a published log, offline, from a mirror.")
@click.argument("source")
@_policy_option
@_trust_log_key_option
@_admin_vkey_option
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the last verified checkpoint is kept "
    "(default: ~/.local/state/seawitness/audit/<origin>).",
)
@click.option("--no-state", is_flag=True, help="Neither read nor save the last checkpoint.")
@click.option("--workers", type=int, help="Processes for signature checks (default: all CPUs).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def audit_command(
    source: str,
    policy_file: Path | None,
    trust_log_key: str | None,
    admin_vkey: str | None,
    state_dir: Path | None,
    no_state: bool,
    workers: int | None,
    as_json: bool,
) -> None:
    """Re-verify a published log from SOURCE (a directory or an http(s) URL).

    Checks the checkpoint's signatures, every entry's signature against the keys the
    log itself registered, sequence numbers, corrections, every hash tile and the root,
    and that the log extends the one verified last time. Needs no database.

    \b
    Examples:
      seawitness audit https://example.org/log/ --trust-log-key log.pub
      seawitness audit /srv/www/log --policy policy.txt --json
    """
    from rich.markup import escape

    from seawitness.errors import RemoteError, VerificationError
    from seawitness.mirror.audit import audit

    try:
        with progress(transient=True) as bar:
            task = bar.add_task("Verifying entries", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = audit(
                source,
                policy=_policy_text(policy_file),
                trust_log_key=_key_text(trust_log_key),
                admin_vkey=_key_text(admin_vkey),
                state_dir=None if no_state else state_dir,
                default_state=not no_state,
                workers=workers,
                progress=advance,
            )
    except (VerificationError, RemoteError) as exc:  # a failed check, or an unreadable mirror
        out.print(f"[bold red]AUDIT FAILED[/] {escape(exc.diagnostics())}", highlight=False)
        sys.exit(1)
    for warning in report.warnings:
        console.print(f"[yellow]warning[/] {escape(warning)}", highlight=False)
    if as_json:
        summary = {
            "ok": True,
            "source": report.source,
            "origin": report.origin,
            "tree_size": report.tree_size,
            "root_hash": report.root_hash.hex(),
            "log_key": report.log_key,
            "witnesses": report.witnesses,
            "by_kind": dict(report.by_kind),
            "by_submitter": dict(report.by_submitter),
            "tiles_checked": report.tiles_checked,
            "previous_size": report.previous_size,
            "seconds": round(report.seconds, 3),
            "records_per_second": round(report.records_per_second, 1),
            "warnings": report.warnings,
        }
        print_json(summary)
        return
    history = (
        "first audit of this log (state saved)"
        if report.previous_size is None
        else f"consistent with the checkpoint of size {report.previous_size} verified before"
    )
    if report.state_file is None:
        history = "no audit state kept"
    witnessed = ", ".join(report.witnesses) or "none required"
    lines = [
        f"[bold green]AUDIT PASSED[/] {escape(report.origin)} at {escape(report.source)}",
        f"  entries:     {report.tree_size}, all signatures, keys and sequence numbers valid",
        f"  root:        {report.root_hash.hex()} ({report.tiles_checked} tiles identical)",
        f"  signed by:   {report.log_key}; witnesses: {witnessed}",
        f"  history:     {history}",
        "  by kind:     " + ", ".join(f"{k} {n}" for k, n in sorted(report.by_kind.items())),
        "  by submitter: " + ", ".join(f"{k} {n}" for k, n in report.by_submitter.most_common()),
        f"  speed:       {report.records_per_second:,.0f} records/s "
        f"({report.seconds:.1f} s, {report.workers} worker processes)",
    ]
    for line in lines:
        out.print(line, highlight=False)


@click.command("prove")
@click.argument("record")
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the proof to a file instead of standard output.",
)
@click.pass_context
def prove(ctx: click.Context, record: str, out_file: Path | None) -> None:
    """Print a self-contained JSON proof that RECORD is in the log.

    RECORD is a leaf index or a record id (SHA-256 hex of the record's canonical
    bytes). The proof holds the signed entry, the signer's key registration, RFC 9162
    inclusion proofs and the cosigned checkpoint; check it with `seawitness verify-proof`.

    \b
    Examples:
      seawitness prove 1234 > record.proof.json
      seawitness prove 26edb2a1fb6c...e9ce5 --out record.proof.json
    """
    from seawitness.mirror.proof import build_proof

    inst = open_instance(ctx)
    try:
        bundle = build_proof(inst.store, record)
    finally:
        inst.store.close()
    text = json_text(bundle)
    if out_file is None:
        click.echo(text, nl=False)
    else:
        out_file.write_text(text, encoding="utf-8")
        console.print(f"Proof for leaf {bundle['leaf_index']} written to {out_file}")


@click.command("verify-proof", short_help="Check a proof made by `seawitness prove`, offline.")
@click.argument("proof_file", type=click.File("rb"))
@_trust_log_key_option
@_policy_option
@_admin_vkey_option
def verify_proof_command(
    proof_file: BinaryIO,
    trust_log_key: str | None,
    policy_file: Path | None,
    admin_vkey: str | None,
) -> None:
    """Check a proof made by `seawitness prove`, offline (FILE or - for stdin).

    Prints one PASS / FAIL / WARN line per check and exits non-zero if any failed.

    \b
    Examples:
      seawitness verify-proof record.proof.json --trust-log-key log.pub
      seawitness prove 1234 | seawitness verify-proof - --policy policy.txt
    """
    from rich.markup import escape

    from seawitness.mirror.proof import verify_proof

    report = verify_proof(
        proof_file.read(),
        policy=_policy_text(policy_file),
        trust_log_key=_key_text(trust_log_key),
        admin_vkey=_key_text(admin_vkey),
    )
    colours = {"PASS": "green", "FAIL": "bold red", "WARN": "yellow"}
    for check in report.checks:
        colour = colours.get(check.status, "white")
        detail = f": {escape(check.detail)}" if check.detail else ""
        out.print(f"[{colour}]{check.status:<5}[/] {check.name}{detail}", highlight=False)
    if report.ok:
        where = escape(str(report.origin))
        out.print(f"[bold green]PROOF VALID[/] leaf {report.leaf_index} is in {where}")
    else:
        out.print("[bold red]PROOF INVALID[/]")
        sys.exit(1)
