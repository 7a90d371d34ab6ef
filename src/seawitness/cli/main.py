"""The ``seawitness`` command line: thin commands over the library."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from seawitness import __version__
from seawitness.cli.common import (
    SeawitnessGroup,
    console,
    open_instance,
    print_json,
    print_table,
)
from seawitness.instance import Instance
from seawitness.store.store import Query


@click.group(cls=SeawitnessGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    Start here:
      seawitness demo                  load the bundled real data and open the dashboard
      seawitness init mylog            make an empty instance
      seawitness import data/ --format orbs
      seawitness query --nuclide H-3 --station T-0-1A
    """
    ctx.ensure_object(dict)
    ctx.obj["instance"] = instance
    ctx.obj["db"] = db


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--origin", help="Log origin name for checkpoints (default: a random local one).")
@click.pass_context
def init(ctx: click.Context, directory: Path, origin: str | None) -> None:
    """Create an empty instance in DIRECTORY: database, log key and administrator key.

    \b
    Example:
      seawitness init mylog --origin example.org/seawitness/fukushima
    """
    inst = Instance.create(directory, db_url=ctx.obj.get("db"), origin=origin)
    console.print(f"[green]Created[/] seawitness instance in {inst.root}")
    console.print(f"  origin:  {inst.origin}")
    console.print(f"  log key: {inst.log_key().vkey}")
    console.print(f"  database: {inst.db_url}")


def run_import(
    inst: Instance,
    path: Path,
    fmt: str,
    mapping: Path | None,
    skip_invalid: bool,
    rejected_out: Path | None,
) -> None:
    """Read, diff, sign and log one file or folder, with a progress bar per file."""
    from seawitness.ingest.importer import import_results
    from seawitness.ingest.readers import iter_files, read_path

    files = list(iter_files(path, fmt))
    if not files:
        raise click.ClickException(f"{path}: no {fmt} files found")
    with _progress() as bar:
        task = bar.add_task(f"Reading {path.name}", total=len(files))
        results = []
        for r in read_path(path, fmt, mapping=mapping, skip_invalid=skip_invalid):
            results.append(r)
            bar.advance(task)
        task2 = bar.add_task("Signing and logging", total=len(results))
        report = import_results(
            inst.store,
            results,
            inst.demo_signer(),
            after_append=inst.checkpoint,
            on_file=lambda _r: bar.advance(task2),
        )
    console.print(
        f"[green]Imported[/] {path}: {report.total('read')} results read, "
        f"{report.total('new')} new, {report.total('revised')} revised (source revised), "
        f"{report.total('unchanged')} unchanged, {report.total('not_analysed')} not analysed, "
        f"{len(report.rejected)} rejected. Log size {report.tree_size}."
    )
    for w in sorted({w for f in report.files for w in f.warnings})[:10]:
        console.print(f"  [yellow]warning[/] {w}")
    if report.rejected and rejected_out:
        with rejected_out.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["file", "line", "column", "reason", "row"])
            for rej in report.rejected:
                writer.writerow([rej.file, rej.line or "", rej.column or "", rej.reason, rej.raw])
        console.print(f"  rejected rows written to {rejected_out}")


FORMATS = ["orbs", "nra", "maris", "csv", "seawitness"]


@cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="Source format of the file or folder.",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Mapping file (TOML) for --format csv; see docs/mapping.md.",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the good rows and set bad rows aside instead of failing.",
)
@click.option(
    "--rejected",
    "rejected_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --skip-invalid: write rejected rows and reasons to this CSV.",
)
@click.pass_context
def import_(
    ctx: click.Context,
    path: Path,
    fmt: str,
    mapping: Path | None,
    skip_invalid: bool,
    rejected_out: Path | None,
) -> None:
    """Import a file or a folder of files into the log.

    Importing the same file twice adds nothing; a later download of the same source adds
    its new results and logs each changed value as a new version ("source revised").
    One import is one transaction: a bad row leaves the database unchanged.

    \b
    Examples:
      seawitness import downloads/Seawater --format orbs
      seawitness import close1F_water.xlsx --format nra
      seawitness import lab.csv --format csv --mapping lab.toml --skip-invalid --rejected bad.csv
    """
    if fmt == "csv" and mapping is None:
        raise click.UsageError("--format csv needs --mapping FILE (see docs/mapping.md)")
    if rejected_out and not skip_invalid:
        raise click.UsageError("--rejected goes with --skip-invalid")
    run_import(open_instance(ctx), path, fmt, mapping, skip_invalid, rejected_out)


def _query_options(f):
    opts = [
        click.option("--station", help="Station code, e.g. T-0-1A."),
        click.option("--nuclide", help="Canonical nuclide, e.g. H-3, Cs-137, H-3:OBT."),
        click.option("--medium", help="seawater, fish, shellfish, seaweed, sediment..."),
        click.option("--org", help="Organisation, e.g. TEPCO, MOE, NRA."),
        click.option("--since", type=click.DateTime(), help="Sampled at or after (UTC)."),
        click.option("--until", type=click.DateTime(), help="Sampled before (UTC)."),
        click.option("--bbox", help="min_lon,min_lat,max_lon,max_lat"),
        click.option("--history", is_flag=True, help="Every version, not only the current."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _make_query(station, nuclide, medium, org, since, until, bbox, history, limit=None) -> Query:
    box = None
    if bbox:
        try:
            parts = [float(x) for x in bbox.split(",")]
            if len(parts) != 4:
                raise ValueError
            box = (parts[0], parts[1], parts[2], parts[3])
        except ValueError:
            raise click.BadParameter(
                "expected four numbers: min_lon,min_lat,max_lon,max_lat", param_hint="--bbox"
            ) from None
    if nuclide:
        from seawitness.model import UnknownNuclide, normalize_nuclide

        try:
            nuclide = normalize_nuclide(nuclide)
        except UnknownNuclide as exc:
            raise click.BadParameter(str(exc), param_hint="--nuclide") from None

    def utc(t: datetime | None) -> datetime | None:
        return t.replace(tzinfo=UTC) if t else None

    return Query(
        station=station,
        nuclide=nuclide,
        medium=medium,
        org=org,
        since=utc(since),
        until=utc(until),
        bbox=box,
        history=history,
        limit=limit,
    )


@cli.command()
@_query_options
@click.option("--limit", type=int, default=50, show_default=True, help="Rows to show (0: all).")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.pass_context
def query(ctx: click.Context, limit: int, as_json: bool, **filters) -> None:
    """Show measurements matching the filters (current versions unless --history).

    \b
    Examples:
      seawitness query --nuclide H-3 --station T-0-1A --since 2025-08-01
      seawitness query --medium fish --nuclide Cs-137 --org "Fukushima Pref." --json
    """
    inst = open_instance(ctx)
    q = _make_query(**filters, limit=limit or None)
    rows = inst.store.measurements(q)
    total = inst.store.count(_make_query(**filters))
    if as_json:
        print_json({"total": total, "results": rows})
        return
    print_table(
        rows,
        [
            "leaf_index",
            "org",
            "station",
            "sampled_at",
            "medium",
            "nuclide",
            "detection",
            "value",
            "unit",
            "uncertainty",
            "version",
        ],
        title=f"{len(rows)} of {total} results",
    )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.pass_context
def stations(ctx: click.Context, as_json: bool) -> None:
    """List stations with coordinates, zone and number of results.

    \b
    Example:
      seawitness stations --json > stations.json
    """
    rows = open_instance(ctx).store.stations()
    if as_json:
        print_json(rows)
        return
    print_table(
        rows,
        ["org", "code", "name", "lat", "lon", "zone", "coords_known", "n_results"],
        title=f"{len(rows)} stations",
    )


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "geojson"]), required=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Output file (csv: a folder gets data + datapackage.json).",
)
@_query_options
@click.pass_context
def export(ctx: click.Context, fmt: str, out: Path, **filters) -> None:
    """Export current measurements (CSV, Parquet) or stations (GeoJSON).

    CSV has every field of the records, units in the header, ISO 8601 UTC times and the
    detection codes as stored. Exporting CSV to a folder also writes a Frictionless
    datapackage.json describing the tables.

    \b
    Examples:
      seawitness export --format csv --out seawater.csv --medium seawater
      seawitness export --format csv --out dump/          (measurements + stations + datapackage)
      seawitness export --format parquet --out all.parquet
      seawitness export --format geojson --out stations.geojson
    """
    from seawitness.export import write_csv, write_datapackage, write_geojson, write_parquet
    from seawitness.export.rows import export_rows
    from seawitness.model.columns import MEASUREMENT_FIELDS, STATION_FIELDS

    inst = open_instance(ctx)
    q = _make_query(**filters)
    if fmt == "geojson":
        n = write_geojson(inst.store.stations(), out)
    elif fmt == "parquet":
        n = write_parquet(list(export_rows(inst.store, q)), out)
    elif out.suffix.lower() == ".csv":
        n = write_csv(export_rows(inst.store, q), out)
    else:
        out.mkdir(parents=True, exist_ok=True)
        n = write_csv(export_rows(inst.store, q), out / "measurements.csv")
        write_csv(inst.store.stations(), out / "stations.csv", STATION_FIELDS)
        write_datapackage(
            out,
            {
                "measurements": ("measurements.csv", MEASUREMENT_FIELDS),
                "stations": ("stations.csv", STATION_FIELDS),
            },
            title=f"seawitness export of {inst.origin}",
            checkpoint=inst.store.latest_checkpoint_note(),
        )
    console.print(f"[green]Wrote[/] {n} rows to {out}")


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("seawitness-demo"),
    show_default=True,
    help="Instance folder.",
)
@click.option("--no-serve", is_flag=True, help="Stop after loading; do not start the server.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.pass_context
def demo(ctx: click.Context, directory: Path, no_serve: bool, port: int, host: str) -> None:
    """Create an instance, load the bundled real data, and serve the dashboard.

    Loads the newest ORBS download (seawater, fish, seaweed; TEPCO, MOE, NRA, Fukushima
    Prefecture, Fisheries Agency) and the NRA pre-discharge workbook (TEPCO seawater near
    the plant, 2011-2023). Each organisation's results are signed by a DEMO key made for
    it in this instance, clearly labelled as such in the log. Running it again reuses the
    instance and adds nothing.

    \b
    Example:
      seawitness demo --dir /tmp/sw --port 8080
    """
    from seawitness.data import bundled_path
    from seawitness.instance import SETTINGS

    if (directory / SETTINGS).exists():
        inst = Instance.open(directory, db_url=ctx.obj.get("db"))
        console.print(f"Using existing instance {inst.root}")
    else:
        inst = Instance.create(directory, db_url=ctx.obj.get("db"), origin="seawitness.local/demo")
        console.print(f"[green]Created[/] instance {inst.root}")
    run_import(inst, bundled_path("orbs"), "orbs", None, False, None)
    run_import(inst, bundled_path("nra", "close1F_water.xlsx"), "nra", None, False, None)
    if no_serve:
        return
    _serve(inst, host, port)


def _serve(inst: Instance, host: str, port: int) -> None:
    try:
        from seawitness.app import create_app
    except ImportError:  # pragma: no cover
        raise click.ClickException("the HTTP API is not available in this build") from None
    import uvicorn

    console.print(f"Dashboard: [bold]http://{host}:{port}/[/]   (Ctrl+C to stop)")
    uvicorn.run(create_app(inst), host=host, port=port, log_level="warning")


@cli.command()
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.pass_context
def serve(ctx: click.Context, port: int, host: str) -> None:
    """Serve the HTTP API and the dashboard for this instance.

    \b
    Example:
      seawitness serve --port 8080
    """
    _serve(open_instance(ctx), host, port)


def _register_subcommands() -> None:
    """Commands defined next to what they drive (analysis, trust core)."""
    try:
        from seawitness.analysis.stats_cli import stats
    except ImportError:  # pragma: no cover - the analysis extra is part of the package
        return
    try:
        from seawitness.analysis.limits_cli import dose_command, limits_command

        stats.add_command(limits_command, "limits")
        stats.add_command(dose_command, "dose")
    except ImportError:
        pass
    try:
        from seawitness.analysis.store_cli import STORE_COMMANDS
    except ImportError:  # written alongside; absent in a partial checkout
        STORE_COMMANDS = []
    for command in STORE_COMMANDS:
        stats.add_command(command)
    cli.add_command(stats)
    from seawitness.cli.admin import COMMANDS as ADMIN_COMMANDS

    for command in ADMIN_COMMANDS:
        cli.add_command(command)
    try:
        from seawitness.cli.trust import COMMANDS as TRUST_COMMANDS
    except ImportError:  # written alongside; absent in a partial checkout
        TRUST_COMMANDS = []
    for command in TRUST_COMMANDS:
        cli.add_command(command)


_register_subcommands()


def main() -> None:
    cli(prog_name="seawitness")


if __name__ == "__main__":
    main()
