"""``seawitness stats``: the group, and the statistics of CSV tables (``ilc``,
``censored``, ``trend``) over :mod:`seawitness.analysis`.

The tables are read by :func:`seawitness.ingest.csv_table.read_csv_table`, whose errors
name the file, line and column; the analysis modules are imported inside each command.
The other subcommands (``limits``, ``dose``, ``splits``, ``baseline``, ``alerts``) live
in their own modules and are added to :data:`stats` by :mod:`seawitness.cli.main`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from seawitness.cli.common import CONTEXT_SETTINGS, OrderedGroup, print_json, print_table

__all__ = ["censored_command", "ilc_command", "stats", "trend_command"]


@click.group(
    name="stats",
    short_help="Lab comparison, non-detects, trends, limits, dose, alerts.",
    cls=OrderedGroup,
    context_settings=CONTEXT_SETTINGS,
)
def stats() -> None:
    """Statistics: lab comparison, non-detects, trends, limits, dose, before/after, alerts.

    ilc, censored and trend read a CSV file; limits and dose take a file or options;
    splits, baseline and alerts work on the results of the instance.

    \b
    Examples:
      seawitness stats censored cs137.csv --method km --json
      seawitness stats limits --rules jp-tepco-sea --only exceeds
      seawitness stats baseline --station T-0-1A --nuclide H-3
    """


_file_argument = click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def _quantities(title: str, blocks: dict[str, dict[str, Any]], keys: list[str]) -> None:
    """A table of named quantities (rows) for one or more blocks of results (columns)."""
    names = list(blocks)
    print_table(
        [{"quantity": k, **{n: blocks[n].get(k) for n in names}} for k in keys],
        ["quantity", *names],
        title=title,
    )


# --------------------------------------------------------------------------- ilc


@stats.command("ilc", short_help="Score laboratories in a proficiency test (ISO 13528).")
@_file_argument
@click.option(
    "--assigned", type=float, help="Assigned (reference) value x_pt, same unit as results."
)
@click.option("--u-assigned", type=float, help="Standard uncertainty of --assigned.")
@click.option(
    "--consensus",
    type=click.Choice(["algorithm-a"]),
    help="Derive x_pt as robust consensus (ISO 13528 Algorithm A).",
)
@click.option("--sigma-pt", type=float, help="sigma_pt; default: robust s* of the results.")
@click.option(
    "--scheme", type=click.Choice(["iso13528", "iaea"]), default="iso13528", show_default=True
)
@click.option(
    "--marb",
    type=float,
    default=20.0,
    show_default=True,
    help="IAEA scheme: maximum acceptable relative bias, %.",
)
@click.option(
    "-k", "--coverage", type=float, default=2.0, show_default=True, help="Coverage factor for En."
)
@_json_option
def ilc_command(
    file: Path,
    assigned: float | None,
    u_assigned: float | None,
    consensus: str | None,
    sigma_pt: float | None,
    scheme: str,
    marb: float,
    coverage: float,
    as_json: bool,
) -> None:
    """Score laboratories in a proficiency test (ISO 13528:2022 or IAEA scheme).

    FILE is a CSV with columns lab,value,uncertainty[,coverage_factor]; the
    uncertainty is standard unless a coverage_factor is given on that row.

    \b
    Examples:
      seawitness stats ilc pt.csv --assigned 12.3 --u-assigned 0.2 --sigma-pt 1.2
      seawitness stats ilc pt.csv --consensus algorithm-a --json
      seawitness stats ilc pt.csv --assigned 12.3 --u-assigned 0.2 --scheme iaea
    """
    if (assigned is None) == (consensus is None):
        raise click.UsageError(
            "give exactly one of --assigned/--u-assigned or --consensus algorithm-a"
        )
    if assigned is not None and u_assigned is None:
        raise click.UsageError("--assigned needs --u-assigned (its standard uncertainty)")
    from seawitness.analysis import ilc
    from seawitness.ingest.csv_table import read_csv_table

    table = read_csv_table(file, ["lab", "value", "uncertainty"])
    results = []
    for row in table.rows:
        k = row.optional_number("coverage_factor")
        if k is not None and k <= 0:
            raise row.fail("coverage_factor", f"coverage_factor {k:g} must be > 0")
        if not row.text("lab"):
            raise row.fail("lab", "empty laboratory code")
        results.append(
            ilc.LabResult(
                lab=row.text("lab"),
                value=row.number("value"),
                uncertainty=row.number("uncertainty", non_negative=True),
                coverage_factor=k,
            )
        )
    robust: ilc.RobustEstimate | None = None
    if consensus:
        av, robust = ilc.assigned_by_algorithm_a([r.value for r in results])
    else:
        assert assigned is not None and u_assigned is not None
        av = ilc.assigned_from_reference(assigned, u_assigned)
    if sigma_pt is None and scheme == "iso13528":
        if robust is None:
            robust = ilc.algorithm_a([r.value for r in results])
        sigma_pt = robust.s_star
    doc: dict[str, Any] = {
        "scheme": scheme,
        "assigned": {"value": av.value, "u": av.u, "method": av.method},
        "sigma_pt": sigma_pt,
    }
    if robust is not None:
        doc["robust"] = {"x_star": robust.x_star, "s_star": robust.s_star}
    if scheme == "iso13528":
        assert sigma_pt is not None
        scores = ilc.score_iso13528(results, av, sigma_pt, k=coverage)
        doc["labs"] = [s.as_dict() for s in scores]
        cols = ["lab", "value", "D", "D%", "z", "z'", "zeta", "En", "class"]
        rows = [
            dict(zip(cols, [s.lab, s.value, s.D, s.D_percent, s.z, s.z_prime, s.zeta, s.En,
                            s.klass], strict=True))
            for s in scores
        ]  # fmt: skip
    else:
        iscores = ilc.score_iaea(results, av, marb)
        doc["marb_percent"] = marb
        doc["labs"] = [s.as_dict() for s in iscores]
        cols = ["lab", "value", "RB %", "u-test", "P %", "class"]
        rows = [
            dict(zip(cols, [s.lab, s.value, s.relative_bias, s.u_test, s.precision, s.status],
                     strict=True))
            for s in iscores
        ]  # fmt: skip
    if as_json:
        print_json(doc)
        return
    head = f"x_pt = {av.value:.6g} (u = {av.u:.3g}, {av.method})"
    if sigma_pt is not None:
        head += f", sigma_pt = {sigma_pt:.6g}"
    click.echo(head)
    print_table(rows, cols, title=f"{scheme} scores of {len(rows)} laboratories", digits=4)


# --------------------------------------------------------------------------- censored


@stats.command("censored", short_help="Summarise data with non-detects (KM, ROS, MLE).")
@_file_argument
@click.option("--method", type=click.Choice(["km", "ros", "mle"]), default="km", show_default=True)
@click.option("--group", "group_col", help="Column whose values split the data into groups.")
@_json_option
def censored_command(file: Path, method: str, group_col: str | None, as_json: bool) -> None:
    """Summarise data with non-detects (Kaplan-Meier, ROS or lognormal MLE).

    FILE is a CSV with columns value,censored; censored is true (1, yes, <)
    where value is a detection limit. With --group, each group is summarised
    and groups are compared by the Peto-Prentice test.

    \b
    Examples:
      seawitness stats censored cs137.csv --method km
      seawitness stats censored cs137.csv --method ros --group station --json
    """
    from seawitness.analysis import censored as cen
    from seawitness.ingest.csv_table import read_csv_table

    table = read_csv_table(file, ["value", "censored", *([group_col] if group_col else [])])
    data: dict[str, tuple[list[float], list[bool]]] = {}
    for row in table.rows:
        vals, flags = data.setdefault(row.text(group_col) if group_col else "all", ([], []))
        vals.append(row.number("value"))
        flags.append(row.flag("censored"))

    def summary(v: list[float], c: list[bool]) -> dict[str, Any]:
        return cen.summarize(v, c, method).as_dict()

    if not group_col:
        doc = summary(*data["all"])
    else:
        doc = summary(
            [x for v, _ in data.values() for x in v], [x for _, c in data.values() for x in c]
        )
        doc["groups"] = {name: summary(v, c) for name, (v, c) in data.items()}
        if len(data) >= 2:
            test = cen.peto_prentice_test(data)
            doc["test"] = {
                "statistic": test.statistic,
                "df": test.df,
                "p": test.p,
                "method": test.method,
            }
    if as_json:
        print_json(doc)
        return
    if "test" in doc:
        t = doc["test"]
        click.echo(f"{t['method']}: chi2 = {t['statistic']:.4g} on {t['df']} df, p = {t['p']:.4g}")
    keys = ["n", "n_detected", "percent_censored", "mean", "sd", "median", "se_mean", "ucl95"]
    _quantities(f"{method} summary", {"all": doc} | (doc.get("groups") or {}), keys)


# --------------------------------------------------------------------------- trend


@stats.command("trend", short_help="Mann-Kendall trend test and Sen slope.")
@_file_argument
@click.option("--seasonal", is_flag=True, help="Seasonal Kendall test (Hirsch et al. 1982).")
@click.option(
    "--period",
    type=int,
    help="Derive seasons from time: number of seasons per year (dates) or per cycle (numbers).",
)
@click.option(
    "--censored", "use_censored", is_flag=True, help="Use the censored column (Akritas-Theil-Sen)."
)
@_json_option
def trend_command(
    file: Path, seasonal: bool, period: int | None, use_censored: bool, as_json: bool
) -> None:
    """Mann-Kendall trend test and Sen slope (optionally seasonal or censored).

    FILE is a CSV with columns time,value[,censored][,season]. time is a number
    or an ISO date; with dates the slope is per year. --seasonal uses the season
    column, or seasons derived from time with --period N.

    \b
    Examples:
      seawitness stats trend h3.csv
      seawitness stats trend cs137.csv --seasonal --period 12 --json
      seawitness stats trend sr90.csv --censored
    """
    if period is not None and not seasonal:
        raise click.UsageError("--period only applies with --seasonal")
    from seawitness.analysis import trends as tr
    from seawitness.ingest.csv_table import read_csv_table

    required = ["time", "value"] + (["censored"] if use_censored else [])
    if seasonal and period is None:
        required.append("season")
    table = read_csv_table(file, required)
    times = [row.number_or_instant("time") for row in table.rows]
    values = [row.number("value") for row in table.rows]
    flags = [row.flag("censored") for row in table.rows] if use_censored else []
    seasons = [row.text("season") for row in table.rows] if seasonal and period is None else []
    dates = [t for t in times if isinstance(t, datetime)]
    numbers = [t for t in times if isinstance(t, float)]
    if dates and numbers:
        first = next(r for r, t in zip(table.rows, times, strict=True) if isinstance(t, float))
        raise first.fail("time", "column 'time' mixes numbers and dates")
    tnum = tr.to_decimal_years(dates) if dates else numbers
    if seasonal and period is not None:
        seasons = [str(s) for s in tr.seasons_from_time(dates or numbers, period)]
    if use_censored and seasonal:
        res = tr.censored_seasonal_kendall(values, flags, tnum, seasons)
    elif use_censored:
        res = tr.akritas_theil_sen(values, flags, tnum)
    elif seasonal:
        res = tr.seasonal_kendall(values, tnum, seasons)
    else:
        res = tr.mann_kendall(values, tnum)
    doc = res.as_dict()
    doc["time_unit"] = "year" if dates else "as given"
    if as_json:
        print_json(doc)
        return
    keys = ["n", "S", "var_S", "z", "p", "tau", "sen_slope", "intercept"]
    _quantities(f"{res.method} (slope per {doc['time_unit']})", {"value": doc}, keys)
