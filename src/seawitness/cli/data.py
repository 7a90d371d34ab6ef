"""Getting results in and out of an instance: ``init``, ``import``, ``query``,
``stations`` and ``export``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from seawitness.cli.common import (
    Column,
    Instant,
    NuclideName,
    console,
    open_instance,
    print_json,
    print_table,
    progress,
)

if TYPE_CHECKING:
    from seawitness.instance import Instance
    from seawitness.store.store import Query

__all__ = ["FORMATS", "export", "import_", "init", "query", "run_import", "stations"]

#: The names of ``seawitness.ingest.readers.FORMATS``, spelled out so that ``--help``
#: need not import the readers (a test checks that the two agree).
FORMATS = ["orbs", "nra", "maris", "csv", "seawitness"]


@click.command(short_help="Create an empty instance: database and keys.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--origin", help="Log origin name for checkpoints (default: a random local one).")
@click.pass_context
def init(ctx: click.Context, directory: Path, origin: str | None) -> None:
    """Create an empty instance in DIRECTORY: database, log key and administrator key.

    \b
    Example:
      seawitness init mylog --origin example.org/seawitness/fukushima
    """
    from seawitness.instance import Instance

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
    with progress() as bar:
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
        import csv

        with rejected_out.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["file", "line", "column", "reason", "row"])
            for rej in report.rejected:
                writer.writerow([rej.file, rej.line or "", rej.column or "", rej.reason, rej.raw])
        console.print(f"  rejected rows written to {rejected_out}")


@click.command("import")
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
      seawitness import lab.csv --format csv --mapping lab.toml \\
          --skip-invalid --rejected bad.csv
    """
    if fmt == "csv" and mapping is None:
        raise click.UsageError("--format csv needs --mapping FILE (see docs/mapping.md)")
    if rejected_out and not skip_invalid:
        raise click.UsageError("--rejected goes with --skip-invalid")
    run_import(open_instance(ctx), path, fmt, mapping, skip_invalid, rejected_out)


def _bbox(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """``min_lon,min_lat,max_lon,max_lat`` as four floats."""
    if value is None:
        return None
    try:
        parts = [float(x) for x in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4:
        raise click.BadParameter("expected four numbers: min_lon,min_lat,max_lon,max_lat")
    return tuple(parts)


def _query_options(f: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.option("--station", help="Station code, e.g. T-0-1A."),
        click.option(
            "--nuclide", type=NuclideName(), help="Canonical nuclide, e.g. H-3, Cs-137, H-3:OBT."
        ),
        click.option("--medium", help="seawater, fish, shellfish, seaweed, sediment..."),
        click.option("--org", help="Organisation, e.g. TEPCO, MOE, NRA."),
        click.option("--since", type=Instant(), help="Sampled at or after (UTC)."),
        click.option("--until", type=Instant(), help="Sampled before (UTC)."),
        click.option("--bbox", callback=_bbox, help="min_lon,min_lat,max_lon,max_lat"),
        click.option("--history", is_flag=True, help="Every version, not only the current."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _make_query(
    station: str | None,
    nuclide: str | None,
    medium: str | None,
    org: str | None,
    since: datetime | None,
    until: datetime | None,
    bbox: tuple[float, float, float, float] | None,
    history: bool,
    limit: int | None = None,
) -> Query:
    from seawitness.store.store import Query

    return Query(
        station=station,
        nuclide=nuclide,
        medium=medium,
        org=org,
        since=since,
        until=until,
        bbox=bbox,
        history=history,
        limit=limit,
    )


#: The columns ``query`` shows, with short headers so that the table fits more often.
QUERY_COLUMNS: list[Column] = [
    ("leaf_index", "leaf"),
    "org",
    "station",
    "sampled_at",
    "medium",
    "nuclide",
    ("detection", "det"),
    "value",
    "unit",
    ("uncertainty", "u"),
    ("version", "ver"),
]


@click.command(short_help="Show measurements matching filters.")
@_query_options
@click.option("--limit", type=int, default=50, show_default=True, help="Rows to show (0: all).")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.pass_context
def query(ctx: click.Context, limit: int, as_json: bool, **filters: Any) -> None:
    """Show measurements matching the filters (current versions unless --history).

    \b
    Examples:
      seawitness query --nuclide H-3 --station T-0-1A --since 2025-08-01
      seawitness query --medium fish --nuclide Cs-137 --org MOE --json
    """
    inst = open_instance(ctx)
    rows = inst.store.measurements(_make_query(**filters, limit=limit or None))
    total = inst.store.count(_make_query(**filters))
    if as_json:
        print_json({"total": total, "results": rows})
        return
    print_table(rows, QUERY_COLUMNS, title=f"{len(rows)} of {total} results")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.pass_context
def stations(ctx: click.Context, as_json: bool) -> None:
    """List stations with coordinates, zone and number of results.

    \b
    Examples:
      seawitness stations
      seawitness stations --json > stations.json
    """
    rows = open_instance(ctx).store.stations()
    if as_json:
        print_json(rows)
        return
    print_table(
        rows,
        [
            "org",
            "code",
            "name",
            "lat",
            "lon",
            "zone",
            ("coords_known", "coords"),
            ("n_results", "results"),
        ],
        title=f"{len(rows)} stations",
        cut=["name"],
    )


@click.command(short_help="Export measurements (CSV, Parquet) or stations (GeoJSON).")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "geojson"]), required=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Output file (csv: a folder gets data + datapackage.json).",
)
@_query_options
@click.pass_context
def export(ctx: click.Context, fmt: str, out: Path, **filters: Any) -> None:
    """Export current measurements (CSV, Parquet) or stations (GeoJSON).

    CSV has every field of the records, units in the header, ISO 8601 UTC times and the
    detection codes as stored. Exporting CSV to a folder also writes a Frictionless
    datapackage.json describing the tables.

    \b
    Examples:
      seawitness export --format csv --out seawater.csv --medium seawater
      seawitness export --format csv --out dump/     (+ stations, datapackage)
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
