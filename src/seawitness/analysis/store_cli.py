"""``seawitness stats splits|baseline|alerts``: analyses over the instance's store.

Thin click layers over :mod:`seawitness.analysis.splits`, :mod:`seawitness.analysis.baseline`
and :mod:`seawitness.analysis.alerts`; the commands are exported as :data:`STORE_COMMANDS`
and registered in the ``stats`` group by the main CLI. Each prints a table, or JSON with
``--json``, and turns refusals of the statistics into one-line errors.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import click

from seawitness.analysis import alerts as al
from seawitness.analysis import baseline as bl
from seawitness.analysis import splits as sp
from seawitness.analysis.from_store import current_measurements, station_zones
from seawitness.analysis.limits import RuleSetError, load_rules
from seawitness.cli.common import open_instance, print_json, print_table
from seawitness.instance import Instance
from seawitness.model.records import Measurement
from seawitness.store.store import Query

__all__ = ["STORE_COMMANDS", "alerts_cmd", "baseline_cmd", "splits_cmd"]


def _parse_when(value: str, option: str) -> datetime:
    """An ISO date or date-time; naive values are UTC."""
    try:
        if "T" in value or " " in value.strip():
            t = datetime.fromisoformat(value.strip())
        else:
            d = date.fromisoformat(value.strip())
            t = datetime(d.year, d.month, d.day)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date (2023-08-24) or date-time (2023-08-24T04:03Z)",
            param_hint=option,
        ) from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _when_option(name: str) -> Callable[[click.Context, click.Parameter, str | None], Any]:
    def cb(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
        if value is None:
            return None
        return _parse_when(value, name)

    return cb


def _baseline_since(ctx: click.Context, param: click.Parameter, value: str) -> datetime | None:
    if value.strip().lower() == "all":
        return None
    return _parse_when(value, "--baseline-since")


def _instance() -> Instance:
    return open_instance(click.get_current_context())


def _g(v: float | None, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:.{digits}g}"


def _day(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d") if t else "-"


# --------------------------------------------------------------------------- splits


@click.command("splits")
@click.option("--nuclide", help="Only this nuclide, e.g. H-3.")
@click.option("--reference-lab", metavar="LAB", help="Score against this laboratory's result.")
@click.option(
    "--reference",
    type=float,
    metavar="VALUE",
    help="Assigned value x_pt given by you (e.g. a reference material) [sample unit].",
)
@click.option("--u-reference", type=float, metavar="U", help="Standard uncertainty of --reference.")
@click.option("--sigma-pt", type=float, help="sigma_pt [sample unit]; default: robust s*.")
@click.option("--sigma-pt-percent", type=float, help="sigma_pt as a percentage of x_pt [%].")
@click.option("--marb", type=float, help="Also apply the IAEA scheme with this MARB [%].")
@click.option(
    "-k", "--coverage", type=float, default=2.0, show_default=True, help="Coverage factor for En."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def splits_cmd(
    nuclide: str | None,
    reference_lab: str | None,
    reference: float | None,
    u_reference: float | None,
    sigma_pt: float | None,
    sigma_pt_percent: float | None,
    marb: float | None,
    coverage: float,
    as_json: bool,
) -> None:
    """Score laboratories on split samples (ISO 13528:2022; optionally IAEA).

    A split sample is one sample_id and nuclide with results from two or more
    laboratories. With three or more detected results the assigned value is the
    Algorithm A consensus; with two, the laboratories are compared with each other
    (En, zeta) unless --reference-lab or --reference is given. Non-detects are
    listed but not scored.

    \b
    Examples:
      seawitness stats splits
      seawitness stats splits --nuclide H-3 --reference-lab KINS --sigma-pt-percent 10
      seawitness stats splits --reference 0.31 --u-reference 0.02 --marb 20 --json
    """
    if (reference is None) != (u_reference is None):
        raise click.UsageError("--reference and --u-reference go together")
    if sigma_pt is not None and sigma_pt_percent is not None:
        raise click.UsageError("give --sigma-pt or --sigma-pt-percent, not both")
    inst = _instance()
    try:
        samples = sp.split_samples(inst.store, nuclide)
        scored = sp.score_splits(
            samples,
            reference_lab=reference_lab,
            reference=(reference, u_reference)
            if reference is not None and u_reference is not None
            else None,
            sigma_pt=sigma_pt,
            sigma_pt_percent=sigma_pt_percent,
            marb_percent=marb,
            k=coverage,
        )
    except sp.SplitError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json({"split_samples": [s.as_dict() for s in scored]})
        return
    if not scored:
        what = f" for {nuclide}" if nuclide else ""
        click.echo(
            f"no split samples{what}: no sample_id has results from two or more laboratories"
        )
        return
    for s in scored:
        smp = s.sample
        head = (
            f"sample {smp.sample_id}  {smp.nuclide} [{smp.unit}]  {smp.medium}  "
            f"{', '.join(smp.stations)}  {_day(smp.sampled_at)}  labs: {', '.join(smp.labs)}"
        )
        click.echo(head)
        if s.refusal:
            click.echo(f"  not scored: {s.refusal}")
        else:
            if s.assigned is not None:
                click.echo(
                    f"  x_pt = {_g(s.assigned.value)} (u = {_g(s.assigned.u, 3)}, "
                    f"{s.assigned.method})"
                    + (f", sigma_pt = {_g(s.sigma_pt)}" if s.sigma_pt else "")
                )
            else:
                click.echo("  pairwise comparison (no assigned value)")
            rows = [
                {
                    "lab": sc.lab,
                    "value": sc.value,
                    "u": sc.u,
                    "D%": sc.D_percent,
                    "z": sc.z,
                    "z'": sc.z_prime,
                    "zeta": sc.zeta,
                    "En": sc.En,
                    "class": f"{sc.klass} ({sc.class_basis})",
                }
                for sc in s.scores
            ]
            print_table(rows, ["lab", "value", "u", "D%", "z", "z'", "zeta", "En", "class"])
            if s.iaea:
                print_table(
                    [
                        {
                            "lab": i.lab,
                            "RB %": i.relative_bias,
                            "u-test": i.u_test,
                            "P %": i.precision,
                            "IAEA": i.status,
                        }
                        for i in s.iaea
                    ],
                    ["lab", "RB %", "u-test", "P %", "IAEA"],
                    title=f"IAEA scheme, MARB {marb:g} %",
                )
        for lab, why in s.not_scored.items():
            r = next(x for x in smp.results if x.lab == lab)
            shown = f"< {_g(r.value)}" if r.value is not None else "ND"
            click.echo(f"  {lab}: {shown} {smp.unit} — {why}")
        for n in s.notes:
            click.echo(f"  note: {n}")
        click.echo("")


# --------------------------------------------------------------------------- baseline


def _period_rows(b: bl.BeforeAfter) -> list[dict[str, Any]]:
    def col(p: bl.PeriodSummary) -> dict[str, str]:
        s = p.summary
        return {
            "period": f"{_day(p.first)} .. {_day(p.last)}",
            "n": str(p.n),
            "detected": str(p.n_detected),
            "% non-detect": _g(p.percent_censored, 3),
            "detected range": (
                f"{_g(p.detected_min)} .. {_g(p.detected_max)}" if p.n_detected else "-"
            ),
            "median of detects": _g(p.detected_median),
            "detection limits": (
                f"{_g(p.limit_min)} .. {_g(p.limit_max)}" if p.limit_min is not None else "-"
            ),
            "mean": f"{_g(s.mean)} ({s.method})" if s else "refused",
            "median": f"{_g(s.median)} ({s.method})" if s else "refused",
            "UCL95 of mean": _g(s.ucl95) if s else "-",
        }

    pre, post = col(b.before), col(b.after)
    return [{"quantity": k, "before": pre[k], "after": post[k]} for k in pre]


def _echo_before_after(b: bl.BeforeAfter) -> None:
    since = f"since {_day(b.baseline_since)}" if b.baseline_since else "all pre-discharge results"
    print_table(
        _period_rows(b),
        ["quantity", "before", "after"],
        title=(
            f"{b.scope}  {b.nuclide} [{b.unit}]: before/after {b.discharge_start:%Y-%m-%d %H:%M}Z "
            f"(baseline {since})"
        ),
    )
    for p in (b.before, b.after):
        if p.refusal:
            click.echo(f"{p.label}: no summary: {p.refusal}")
    if b.test:
        click.echo(
            f"{b.test.method}: chi2 = {b.test.statistic:.4g} on {b.test.df} df, "
            f"p = {b.test.p:.3g}; shift score {b.shift:+.3f}: {b.direction}"
        )
    else:
        click.echo(f"difference not tested: {b.test_refusal}")
    if b.trend:
        t = b.trend
        click.echo(
            f"trend after the discharge ({t.method}, n = {t.n}): tau = {t.tau:+.3f}, "
            f"p = {t.p:.3g}, slope = {t.sen_slope:+.3g} {b.unit}/year"
        )
    else:
        click.echo(f"trend after the discharge not tested: {b.trend_refusal}")
    if b.largest:
        click.echo("largest results after the discharge:")
        for o in b.largest:
            click.echo(
                f"  {o.value:g} {b.unit}  {o.station}  {o.time:%Y-%m-%d %H:%M}Z  ({o.source})"
            )
    for n in b.notes:
        click.echo(f"note: {n}")


@click.command("baseline")
@click.option("--station", help="Station code, e.g. T-0-1A.")
@click.option("--zone", help="Every station of a zone, e.g. outlet-3km, and the zone pooled.")
@click.option("--nuclide", required=True, help="Nuclide, e.g. H-3 or Cs-137.")
@click.option("--medium", default="seawater", show_default=True)
@click.option(
    "--discharge-start",
    default=bl.DISCHARGE_START.isoformat(),
    show_default=True,
    callback=_when_option("--discharge-start"),
    help="Split time (ISO date or date-time; naive = UTC).",
)
@click.option(
    "--baseline-since",
    default=bl.DEFAULT_BASELINE_SINCE.date().isoformat(),
    show_default=True,
    callback=_baseline_since,
    help="First date of the pre-discharge baseline, or 'all'.",
)
@click.option("--until", callback=_when_option("--until"), help="Ignore results from this date.")
@click.option("--method", type=click.Choice(["km", "ros", "mle"]), default="km", show_default=True)
@click.option("--top", type=int, default=5, show_default=True, help="Largest results to list.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def baseline_cmd(
    station: str | None,
    zone: str | None,
    nuclide: str,
    medium: str,
    discharge_start: datetime,
    baseline_since: datetime | None,
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
      seawitness stats baseline --station T-1 --nuclide Cs-137 --baseline-since all
    """
    if (station is None) == (zone is None):
        raise click.UsageError("give exactly one of --station or --zone")
    try:
        from seawitness.model.nuclides import normalize_nuclide

        nuclide = normalize_nuclide(nuclide)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--nuclide") from None
    inst = _instance()
    opts: dict[str, Any] = {
        "discharge_start": discharge_start,
        "baseline_since": baseline_since,
        "until": until,
        "method": method,
        "top": top,
    }
    try:
        if station is not None:
            one = bl.station_baseline(inst.store, station, nuclide, medium=medium, **opts)
            if as_json:
                print_json(sp.finite_json(one.as_dict()))
                return
            _echo_before_after(one)
            return
        assert zone is not None
        res = bl.zone_baseline(inst.store, zone, nuclide, medium=medium, **opts)
    except bl.BaselineError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json(sp.finite_json(res.as_dict()))
        return
    _echo_before_after(res.pooled)
    click.echo(f"\nstations of zone {res.zone} (medians by {method}; P-P = Peto-Prentice):")
    for b in res.stations:
        test = f"P-P p={_g(b.test.p, 2)} {b.direction}" if b.test else "not tested"
        trend = (
            f"trend {_g(b.trend.sen_slope, 2)} {b.unit}/yr p={_g(b.trend.p, 2)}"
            if b.trend
            else "no trend test"
        )
        click.echo(
            f"  {b.scope:8} before n={b.before.n:<4} ND {_g(b.before.percent_censored, 2):>3}% "
            f"median {_median(b.before):8} | after n={b.after.n:<4} "
            f"ND {_g(b.after.percent_censored, 2):>3}% median {_median(b.after):8} "
            f"max {_g(b.after.detected_max, 3):5} | {test} | {trend}"
        )


def _median(p: bl.PeriodSummary) -> str:
    if p.summary is None:
        return "refused" if p.n else "-"
    return _g(p.summary.median, 3)


# --------------------------------------------------------------------------- alerts


def station_alerts(
    measurements: Sequence[Measurement],
    zones: dict[str, str],
    *,
    rules: str = "jp-tepco-sea",
    discharge_start: datetime = bl.DISCHARGE_START,
    baseline_since: datetime | None = bl.DEFAULT_BASELINE_SINCE,
    ewma: bool = True,
    cusum: bool = True,
) -> tuple[list[al.Alert], list[str], list[str]]:
    """Level alerts plus EWMA/CUSUM alerts of each station and nuclide against its baseline.

    The chart baseline is the station's detected results in ``[baseline_since,
    discharge_start)`` on the log scale (:meth:`Baseline.from_period`); the charts start
    at ``discharge_start``. Returns the alerts in time order, one line per series that
    could not be charted (saying why) and the rule set's low-confidence warnings.
    Results published twice (e.g. in the NRA workbook and in ORBS) count once
    (:func:`seawitness.analysis.baseline.unique_results`).
    """
    measurements = bl.unique_results(measurements)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rule_set = load_rules(rules)
    notes = [f"warning: {w.message}" for w in caught]
    skipped: list[str] = []
    out = al.level_alerts(measurements, rule_set, zones=zones)
    series: dict[tuple[str, str, str, str, str], list[Measurement]] = defaultdict(list)
    for m in measurements:
        series[(m.station, m.nuclide, m.medium.value, m.unit, m.basis.value)].append(m)
    start = baseline_since or datetime(1900, 1, 1, tzinfo=UTC)
    for (st, nuc, med, unit, _basis), ms in sorted(series.items()):
        if not (ewma or cusum):
            break
        if not any(m.sampled_at >= discharge_start for m in ms):
            continue
        try:
            base = al.Baseline.from_period(ms, start, discharge_start, log=True)
        except al.AlertError as exc:
            skipped.append(f"{st} {nuc} {med} [{unit}]: no chart: {exc}")
            continue
        if ewma:
            out += al.ewma_alerts(ms, base, start=discharge_start)
        if cusum:
            out += al.cusum_alerts(ms, base, start=discharge_start)
    out.sort(key=lambda a: (a.time, a.station, a.nuclide, a.kind))
    return out, skipped, notes


@click.command("alerts")
@click.option("--station", help="Only this station.")
@click.option("--nuclide", help="Only this nuclide (default: every nuclide).")
@click.option("--medium", default="seawater", show_default=True)
@click.option("--rules", default="jp-tepco-sea", show_default=True, help="Rule set of levels.")
@click.option(
    "--since", callback=_when_option("--since"), help="Show only alerts from this date on."
)
@click.option(
    "--discharge-start",
    default=bl.DISCHARGE_START.isoformat(),
    show_default=True,
    callback=_when_option("--discharge-start"),
    help="End of the baseline and start of the charts.",
)
@click.option(
    "--baseline-since",
    default=bl.DEFAULT_BASELINE_SINCE.date().isoformat(),
    show_default=True,
    callback=_baseline_since,
    help="First date of the chart baseline, or 'all'.",
)
@click.option("--no-ewma", is_flag=True, help="Skip the EWMA chart.")
@click.option("--no-cusum", is_flag=True, help="Skip the CUSUM chart.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def alerts_cmd(
    station: str | None,
    nuclide: str | None,
    medium: str,
    rules: str,
    since: datetime | None,
    discharge_start: datetime,
    baseline_since: datetime | None,
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
    if nuclide is not None:
        from seawitness.model.nuclides import normalize_nuclide

        try:
            nuclide = normalize_nuclide(nuclide)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--nuclide") from None
    inst = _instance()
    ms = current_measurements(
        inst.store, Query(station=station, nuclide=nuclide, medium=medium or None)
    )
    if not ms:
        raise click.ClickException(
            "no results match"
            + "".join(f" {k} {v}" for k, v in (("station", station), ("nuclide", nuclide)) if v)
        )
    try:
        found, skipped, notes = station_alerts(
            ms,
            station_zones(inst.store),
            rules=rules,
            discharge_start=discharge_start,
            baseline_since=baseline_since,
            ewma=not no_ewma,
            cusum=not no_cusum,
        )
    except (RuleSetError, al.AlertError) as exc:
        raise click.ClickException(str(exc)) from None
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
    for a in found:
        what = (
            f"level {a.level:g} {a.unit}"
            if a.kind == "level"
            else f"baseline {a.level:.3g} {a.unit}"
        )
        click.echo(
            f"{a.time:%Y-%m-%d %H:%M}Z  {a.station:8} {a.nuclide:7} {a.kind.upper():6} "
            f"{a.value:g} {a.unit} ({what})"
        )
        click.echo(f"    {a.reason}")
    click.echo(f"{len(found)} alert(s) in {len(ms)} results")


STORE_COMMANDS: list[click.Command] = [splits_cmd, baseline_cmd, alerts_cmd]
