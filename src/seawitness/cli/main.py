"""The ``seawitness`` command: the root group, and every command registered on it.

Each command lives in the module named for what it does and imports what it needs
(the database layer, the analysis modules, the HTTP stack) inside its own body, so that
``seawitness --version`` and ``--help`` start in a fraction of a second. Every command
is registered here, by name, with no import that may silently fail: a broken module is
a traceback at start-up, not a missing command.
"""

from __future__ import annotations

from pathlib import Path

import click

from seawitness import __version__
from seawitness.cli import (
    admin,
    alerting,
    alerts,
    baseline,
    bulk,
    data,
    dose,
    limits,
    report,
    serve,
    splits,
    stats,
    trust,
)
from seawitness.cli.common import CONTEXT_SETTINGS, SeawitnessGroup

__all__ = ["cli", "main"]


@click.group("seawitness", cls=SeawitnessGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="seawitness")
@click.option(
    "--instance",
    "instance",
    type=click.Path(file_okay=False, path_type=Path),
    help="Instance folder (default: the nearest one at or above the current dir).",
)
@click.option(
    "--db",
    "db",
    metavar="URL",
    envvar="SEAWITNESS_DB",
    help="Database URL instead of the instance's, e.g. postgresql://host/db.",
)
@click.pass_context
def cli(ctx: click.Context, instance: Path | None, db: str | None) -> None:
    """seawitness: a verifiable, shared record of radioactivity in the sea.

    \b
    Examples:
      seawitness demo                    the bundled real data, in a dashboard
      seawitness init mylog              an empty instance
      seawitness import data/ --format orbs
      seawitness query --nuclide H-3 --station T-0-1A
    """
    ctx.ensure_object(dict)
    ctx.obj["instance"] = instance
    ctx.obj["db"] = db


# Getting results in and out of an instance, and looking at them.
cli.add_command(serve.demo)
cli.add_command(data.init)
cli.add_command(data.import_)
cli.add_command(data.query)
cli.add_command(data.stations)
cli.add_command(data.export)
cli.add_command(bulk.bulk)
cli.add_command(serve.serve)

# Analyses: of CSV files (ilc, censored, trend, limits, dose) and of the instance's store.
stats.stats.add_command(limits.limits_command)
stats.stats.add_command(dose.dose_command)
stats.stats.add_command(splits.splits_command)
stats.stats.add_command(baseline.baseline_command)
stats.stats.add_command(alerts.alerts_command)
cli.add_command(stats.stats)

# Evidence reports and alerts.
cli.add_command(report.report)
cli.add_command(alerting.alerts)

# Keys, stakeholders, signed submissions and witnessing.
cli.add_command(admin.keygen)
cli.add_command(admin.stakeholder)
cli.add_command(admin.submit)
cli.add_command(admin.correct)
cli.add_command(admin.witness)

# Trusting nothing: static mirrors, offline audit, record proofs.
cli.add_command(trust.publish_command)
cli.add_command(trust.audit_command)
cli.add_command(trust.check_command)
cli.add_command(trust.prove)
cli.add_command(trust.verify_proof_command)


def main() -> None:
    """The console script ``seawitness``."""
    cli(prog_name="seawitness")


if __name__ == "__main__":
    main()
