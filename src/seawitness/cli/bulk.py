"""``seawitness bulk``: build the bulk files of the current checkpoint
(:mod:`seawitness.export.bulk`), list them, drop old ones."""

from __future__ import annotations

import click

from seawitness.cli.common import console, open_instance, print_table, progress

__all__ = ["bulk"]


@click.command("bulk", short_help="Build the whole-dataset CSV and Parquet files.")
@click.option(
    "--format",
    "formats",
    type=click.Choice(["csv", "parquet"]),
    multiple=True,
    help="Only this format (repeatable; default: both).",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=7,
    show_default=True,
    help="Keep the files of this many checkpoints; delete older ones.",
)
@click.option("--list", "list_only", is_flag=True, help="List the files; build nothing.")
@click.pass_context
def bulk(ctx: click.Context, formats: tuple[str, ...], keep: int, list_only: bool) -> None:
    """Write the whole current dataset as CSV and Parquet, named by checkpoint.

    The files go to the instance's bulk/ folder. `seawitness serve` sends them
    at /api/v1/bulk, and redirects a whole-dataset download to them while they
    hold the current checkpoint. Each has a description with its checkpoint,
    rows and SHA-256. A checkpoint already built is not built again. Run it
    daily (cron) on a large instance.

    \b
    Examples:
      seawitness bulk
      seawitness bulk --format parquet --keep 30
      seawitness bulk --list
    """
    from seawitness.export import bulk as bulk_files

    inst = open_instance(ctx)
    folder = inst.bulk_dir
    if not list_only:
        with progress() as bar:
            task = bar.add_task("Writing", total=None)

            def start(rows: int) -> None:
                bar.reset(task, total=rows, description="Writing bulk file")

            built = bulk_files.build(
                inst.store,
                folder,
                formats or ("csv", "parquet"),
                progress=lambda n: bar.advance(task, n),
                total=start,
            )
        for bf in built:
            console.print(f"[green]Ready[/] {folder / bf.name}  ({bf.rows:,} rows, {bf.bytes:,} B)")
        for name in bulk_files.prune(folder, keep):
            console.print(f"Deleted {name} (older than the {keep} newest checkpoints)")
    files = bulk_files.listing(folder)
    if list_only and not files:
        console.print("No bulk files yet: `seawitness bulk` builds them.")
        return
    if list_only:
        print_table(
            [b.to_dict() for b in files],
            ["name", ("tree_size", "tree size"), "rows", "bytes", "sha256"],
            title=f"Bulk files in {folder}",
        )
