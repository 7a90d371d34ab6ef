"""``seawitness stats alerts``: results above a rule set's levels, and EWMA and CUSUM
signals of each station against its own baseline, over
:func:`seawitness.analysis.station_alerts.station_alerts`."""

from __future__ import annotations

from datetime import datetime

import click

from seawitness.cli.baseline import discharge_options, split_times
from seawitness.cli.common import Instant, NuclideName, open_instance, print_json, print_table

__all__ = ["alerts_command"]


@click.command("alerts", short_help="Level, EWMA and CUSUM alerts of each station.")
@click.option("--station", help="Only this station.")
@click.option("--nuclide", type=NuclideName(), help="Only this nuclide (default: every nuclide).")
@click.option("--medium", default="seawater", show_default=True)
@click.option("--rules", default="jp-tepco-sea", show_default=True, help="Rule set of levels.")
@click.option("--since", type=Instant(), help="Show only alerts from this date on.")
@discharge_options
@click.option("--no-ewma", is_flag=True, help="Skip the EWMA chart.")
@click.option("--no-cusum", is_flag=True, help="Skip the CUSUM chart.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def alerts_command(
    ctx: click.Context,
    station: str | None,
    nuclide: str | None,
    medium: str,
    rules: str,
    since: datetime | None,
    discharge_start: datetime | None,
    baseline_since: datetime | str | None,
    no_ewma: bool,
    no_cusum: bool,
    as_json: bool,
) -> None:
    """Alerts: results above investigation/suspension levels, EWMA and CUSUM signals.

    Level alerts come from the rule set (TEPCO's sea-area levels by default).
    EWMA (lambda 0.2, L 3) and CUSUM (k 0.5, h 5) chart each station's results
    after the discharge start against its own pre-discharge baseline: the
    detected results since --baseline-since, on the log scale. Series without
    two detected baseline results are listed as not charted.

    \b
    Examples:
      seawitness stats alerts --nuclide H-3
      seawitness stats alerts --station T-0-1A --since 2025-01-01
      seawitness stats alerts --no-cusum --json
    """
    from seawitness.analysis.from_store import current_measurements, station_zones
    from seawitness.analysis.station_alerts import station_alerts
    from seawitness.store.store import Query

    start, baseline_start = split_times(discharge_start, baseline_since)
    inst = open_instance(ctx)
    ms = current_measurements(
        inst.store, Query(station=station, nuclide=nuclide, medium=medium or None)
    )
    if not ms:
        raise click.ClickException(
            "no results match"
            + "".join(f" {k} {v}" for k, v in (("station", station), ("nuclide", nuclide)) if v)
        )
    found, skipped, notes = station_alerts(
        ms,
        station_zones(inst.store),
        rules=rules,
        discharge_start=start,
        baseline_since=baseline_start,
        ewma=not no_ewma,
        cusum=not no_cusum,
    )
    if since is not None:
        found = [a for a in found if a.time >= since]
    if as_json:
        print_json(
            {
                "results": len(ms),
                "alerts": [a.to_dict() for a in found],
                "not_charted": skipped,
                "warnings": notes,
            }
        )
        return
    for line in notes + skipped:
        click.echo(line, err=True)
    if not found:
        click.echo(f"no alerts ({len(ms)} results checked)")
        return
    click.echo(f"{len(found)} alert(s) in {len(ms)} results")
    print_table(
        [
            {
                "time": a.time,
                "station": a.station,
                "nuclide": a.nuclide,
                "kind": a.kind.upper(),
                "value": a.value,
                "unit": a.unit,
                "against": f"level {a.level:g}" if a.kind == "level" else f"baseline {a.level:.3g}",
                "reason": a.reason,
            }
            for a in found
        ],
        ["time", "station", "nuclide", "kind", "value", "unit", "against"],
        note="reason",
    )
