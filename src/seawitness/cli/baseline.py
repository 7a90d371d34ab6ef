"""``seawitness stats baseline``: a station's or a zone's results before and after the
start of the ALPS discharge, over :mod:`seawitness.analysis.baseline`.

The defaults of ``--discharge-start`` and ``--baseline-since`` are the library's
(``DISCHARGE_START``, ``DEFAULT_BASELINE_SINCE``), applied when the option is not given
so that ``--help`` need not import the statistics; the help text states them and a test
checks that it states them right.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from seawitness.cli.common import (
    Instant,
    NuclideName,
    echo_wrapped,
    number_text,
    open_instance,
    print_json,
    print_table,
)

if TYPE_CHECKING:
    from seawitness.analysis.baseline import BeforeAfter, PeriodSummary

__all__ = [
    "BASELINE_SINCE_HELP",
    "DISCHARGE_START_HELP",
    "baseline_command",
    "discharge_options",
    "split_times",
]

#: What the help says the defaults are (checked against the library by a test).
DISCHARGE_START_HELP = "2023-08-24T04:03:00Z"
BASELINE_SINCE_HELP = "2020-01-01"


def discharge_options(f: Any) -> Any:
    """``--discharge-start`` and ``--baseline-since``, shared with ``stats alerts``."""
    f = click.option(
        "--baseline-since",
        type=Instant(words=["all"]),
        help="First date of the pre-discharge baseline, or 'all' "
        f"[default: {BASELINE_SINCE_HELP}].",
    )(f)
    return click.option(
        "--discharge-start",
        type=Instant(),
        help="End of the baseline and start of the period after it (ISO date or "
        f"date-time; naive = UTC) [default: {DISCHARGE_START_HELP}, the first discharge].",
    )(f)


def split_times(
    discharge_start: datetime | None, baseline_since: datetime | str | None
) -> tuple[datetime, datetime | None]:
    """The options' values, or the library's defaults; ``all`` is no start (None)."""
    from seawitness.analysis import baseline as bl

    start = discharge_start or bl.DISCHARGE_START
    if baseline_since == "all":
        return start, None
    if isinstance(baseline_since, datetime):
        return start, baseline_since
    return start, bl.DEFAULT_BASELINE_SINCE


def _period_rows(b: BeforeAfter) -> list[dict[str, Any]]:
    from seawitness.model.times import format_date

    g = number_text

    def col(p: PeriodSummary) -> dict[str, str]:
        s = p.summary
        return {
            "period": f"{format_date(p.first)} .. {format_date(p.last)}",
            "n": str(p.n),
            "detected": str(p.n_detected),
            "% non-detect": g(p.percent_censored, 3),
            "detected range": (
                f"{g(p.detected_min)} .. {g(p.detected_max)}" if p.n_detected else "-"
            ),
            "median of detects": g(p.detected_median),
            "detection limits": (
                f"{g(p.limit_min)} .. {g(p.limit_max)}" if p.limit_min is not None else "-"
            ),
            "mean": f"{g(s.mean)} ({s.method})" if s else "refused",
            "median": f"{g(s.median)} ({s.method})" if s else "refused",
            "UCL95 of mean": g(s.ucl95) if s else "-",
        }

    pre, post = col(b.before), col(b.after)
    return [{"quantity": k, "before": pre[k], "after": post[k]} for k in pre]


def _echo_before_after(b: BeforeAfter) -> None:
    from seawitness.model.times import format_date, format_utc

    g = number_text
    since = (
        f"since {format_date(b.baseline_since)}"
        if b.baseline_since
        else "all pre-discharge results"
    )
    echo_wrapped(
        f"{b.scope}  {b.nuclide} [{b.unit}]: before/after {format_utc(b.discharge_start)} "
        f"(baseline {since})"
    )
    if b.test:
        echo_wrapped(
            f"{b.test.method}: chi2 = {b.test.statistic:.4g} on {b.test.df} df, "
            f"p = {b.test.p:.3g}; shift score {b.shift:+.3f}: {b.direction}"
        )
    else:
        echo_wrapped(f"difference not tested: {b.test_refusal}")
    if b.trend:
        t = b.trend
        echo_wrapped(
            f"trend after the discharge ({t.method}, n = {t.n}): tau = {t.tau:+.3f}, "
            f"p = {t.p:.3g}, slope = {t.sen_slope:+.3g} {b.unit}/year"
        )
    else:
        echo_wrapped(f"trend after the discharge not tested: {b.trend_refusal}")
    print_table(_period_rows(b), ["quantity", "before", "after"])
    for p in (b.before, b.after):
        if p.refusal:
            echo_wrapped(f"{p.label}: no summary: {p.refusal}")
    if b.largest:
        click.echo("largest results after the discharge:")
        for o in b.largest:
            click.echo(
                f"  {g(o.value, 6)} {b.unit}  {o.station}  {format_utc(o.time)}  ({o.source})"
            )
    for n in b.notes:
        echo_wrapped(f"note: {n}")


def _median(p: PeriodSummary) -> str:
    if p.summary is None:
        return "refused" if p.n else "-"
    return number_text(p.summary.median, 3)


@click.command("baseline", short_help="Compare results before and after the discharge.")
@click.option("--station", help="Station code, e.g. T-0-1A.")
@click.option("--zone", help="Every station of a zone, e.g. outlet-3km, and the zone pooled.")
@click.option("--nuclide", type=NuclideName(), required=True, help="Nuclide, e.g. H-3 or Cs-137.")
@click.option("--medium", default="seawater", show_default=True)
@discharge_options
@click.option("--until", type=Instant(), help="Ignore results from this date.")
@click.option("--method", type=click.Choice(["km", "ros", "mle"]), default="km", show_default=True)
@click.option("--top", type=int, default=5, show_default=True, help="Largest results to list.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def baseline_command(
    ctx: click.Context,
    station: str | None,
    zone: str | None,
    nuclide: str,
    medium: str,
    discharge_start: datetime | None,
    baseline_since: datetime | str | None,
    until: datetime | None,
    method: str,
    top: int,
    as_json: bool,
) -> None:
    """Compare results before and after the start of the ALPS discharge.

    Each side is summarised with censored-data statistics (Kaplan-Meier by
    default; refused with the reason when more than 80 % are non-detects), the
    difference is tested with the Peto-Prentice test, and the post-discharge
    series is tested for a trend (Mann-Kendall / Akritas-Theil-Sen; regional
    Kendall for a zone). The same station published by two sources is one
    series; results published twice are counted once.

    \b
    Examples:
      seawitness stats baseline --station T-0-1A --nuclide H-3
      seawitness stats baseline --zone outlet-3km --nuclide H-3 --json
      seawitness stats baseline --station T-1 --nuclide Cs-137 \\
          --baseline-since all
    """
    if (station is None) == (zone is None):
        raise click.UsageError("give exactly one of --station or --zone")
    from seawitness.analysis import baseline as bl

    start, since = split_times(discharge_start, baseline_since)
    inst = open_instance(ctx)
    opts: dict[str, Any] = {
        "discharge_start": start,
        "baseline_since": since,
        "until": until,
        "method": method,
        "top": top,
    }
    if station is not None:
        one = bl.station_baseline(inst.store, station, nuclide, medium=medium, **opts)
        if as_json:
            print_json(one.as_dict())
        else:
            _echo_before_after(one)
        return
    assert zone is not None
    res = bl.zone_baseline(inst.store, zone, nuclide, medium=medium, **opts)
    if as_json:
        print_json(res.as_dict())
        return
    _echo_before_after(res.pooled)
    g = number_text
    rows = [
        {
            "station": b.scope,
            "n before": b.before.n,
            "% ND before": b.before.percent_censored,
            "median before": _median(b.before),
            "n after": b.after.n,
            "% ND after": b.after.percent_censored,
            "median after": _median(b.after),
            "max after": b.after.detected_max,
            "Peto-Prentice": f"p={g(b.test.p, 2)} {b.direction}" if b.test else "not tested",
            "trend per year": (
                f"{g(b.trend.sen_slope, 2)} p={g(b.trend.p, 2)}" if b.trend else "not tested"
            ),
        }
        for b in res.stations
    ]
    click.echo("")
    print_table(
        rows,
        list(rows[0]) if rows else [],
        title=f"stations of zone {res.zone} (medians by {method}):",
    )
