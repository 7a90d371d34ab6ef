"""``seawitness report``: an evidence report for one rule set, region and period, its
verification, and monthly series (:mod:`seawitness.report`)."""

from __future__ import annotations

from pathlib import Path

import click

from seawitness.cli.common import console, open_instance

__all__ = ["report"]


@click.command("report")
@click.option("--rules", help="Rule set: cn-gb14882, jp-mhlw, kr-mfds, codex, eu-2016-52, ...")
@click.option(
    "--region",
    help="fukushima, 3km, 10km, bbox:min_lon,min_lat,max_lon,max_lat or stations:ORG/CODE,...",
)
@click.option("--from", "since", metavar="DATE", help="First day (default: all data).")
@click.option("--to", "until", metavar="DATE", help="Last day, inclusive (default: all data).")
@click.option("--checkpoint", type=int, help="Tree size of a signed checkpoint (default: newest).")
@click.option("--lang", default="en", show_default=True, help="en, ja, zh or ko.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="report.html or report.pdf; a folder with --every.",
)
@click.option("--every", type=click.Choice(["month"]), help="One report per period, and an index.")
@click.option("--pdf", "with_pdf", is_flag=True, help="With --every: a PDF beside each report.")
@click.option(
    "--verify",
    "verify_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Recompute this HTML report from the log and compare.",
)
@click.pass_context
def report(
    ctx: click.Context,
    rules: str | None,
    region: str | None,
    since: str | None,
    until: str | None,
    checkpoint: int | None,
    lang: str,
    out: Path | None,
    every: str | None,
    with_pdf: bool,
    verify_path: Path | None,
) -> None:
    """Make an evidence report: a rule set applied to a region's results at a checkpoint.

    The report (HTML or PDF) says what was measured, how it compares with the rules
    (with uncertainty), the worst results with the log leaves behind them, censored
    summaries, the before/after comparison with the pre-discharge baseline and dose,
    and where every input came from. The same checkpoint and options give the same
    bytes; --verify recomputes a report and names the sections that differ.

    \b
    Examples:
      seawitness report --rules cn-gb14882 --region fukushima \\
          --from 2023-08-24 --out cn.pdf
      seawitness report --rules jp-tepco-sea --region 3km --lang ja \\
          --out tepco.html
      seawitness report --verify cn.html
      seawitness report --rules jp-tepco-sea --region 10km --every month \\
          --out monthly/
    """
    from seawitness.report import ReportRequest, build, html_to_pdf, render_html, verify_report
    from seawitness.report.schedule import write_series

    inst = open_instance(ctx)
    if verify_path is not None:
        result = verify_report(inst.store, verify_path)
        req = result.request
        if result.ok:
            click.echo(f"{verify_path}: matches the log at checkpoint {req.checkpoint}")
            return
        for name in result.differing:
            click.echo(f"{verify_path}: section {name!r} differs from the log", err=True)
        for name in result.missing:
            click.echo(f"{verify_path}: section {name!r} is missing", err=True)
        raise click.ClickException(
            f"{verify_path} does not match the log at checkpoint {req.checkpoint}"
        )
    if not rules or not region:
        raise click.UsageError("give --rules and --region (or --verify REPORT.html)")
    if out is None:
        raise click.UsageError("give --out report.html, report.pdf (or a folder with --every)")
    req = ReportRequest(rules, region, since, until, checkpoint, lang)
    if every:
        written = write_series(
            inst.store, req, out, every=every, pdf=html_to_pdf if with_pdf else None
        )
        console.print(f"[green]Wrote[/] {len(written)} reports and index.html to {out}")
        return
    suffix = out.suffix.lower()
    if suffix not in (".html", ".pdf"):
        raise click.BadParameter("must end in .html or .pdf", param_hint="--out")
    html = render_html(build(inst.store, req))
    if suffix == ".pdf":
        out.write_bytes(html_to_pdf(html))
    else:
        out.write_text(html, encoding="utf-8")
    console.print(f"[green]Wrote[/] {out}")
