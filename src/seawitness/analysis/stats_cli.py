"""``seawitness stats``: command-line face of :mod:`seawitness.analysis`.

The group is exported as :data:`stats`; the main CLI registers it with
``cli.add_command(stats)``. Subcommands here: ``ilc``, ``censored``, ``trend``.
Inputs are CSV files with a header row; errors name the file, line and column.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from seawitness.analysis import censored as cen
from seawitness.analysis import ilc as ilc_mod
from seawitness.analysis import trends as tr

__all__ = ["stats"]

_TRUE = {"1", "true", "t", "yes", "y", "<"}
_FALSE = {"0", "false", "f", "no", "n", ""}


class _Rows:
    """CSV rows with their line numbers, for precise error messages."""

    def __init__(self, path: Path, required: Sequence[str]) -> None:
        self.path = path
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{path}: cannot read file: {exc}") from exc
        reader = csv.DictReader(text.splitlines())
        if reader.fieldnames is None:
            raise click.ClickException(f"{path}: empty file, expected a header row")
        self.fields = [f.strip() for f in reader.fieldnames]
        reader.fieldnames = self.fields
        missing = [c for c in required if c not in self.fields]
        if missing:
            raise click.ClickException(
                f"{path}, line 1: missing column(s) {', '.join(missing)}; "
                f"found {', '.join(self.fields) or 'none'}"
            )
        self.rows: list[tuple[int, dict[str, str]]] = []
        for row in reader:
            if not any((v or "").strip() for v in row.values()):
                continue
            self.rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}))
        if not self.rows:
            raise click.ClickException(f"{path}: no data rows")

    def fail(self, line: int, column: str, why: str) -> click.ClickException:
        return click.ClickException(f"{self.path}, line {line}, column {column!r}: {why}")

    def number(
        self, line: int, row: dict[str, str], column: str, *, positive: bool = False
    ) -> float:
        raw = row.get(column, "")
        try:
            val = float(raw)
        except ValueError:
            raise self.fail(line, column, f"not a number: {raw!r}") from None
        if not math.isfinite(val):
            raise self.fail(line, column, f"not a finite number: {raw!r}")
        if positive and val < 0:
            raise self.fail(line, column, f"must not be negative: {raw!r}")
        return val

    def flag(self, line: int, row: dict[str, str], column: str) -> bool:
        raw = row.get(column, "").lower()
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise self.fail(line, column, f"expected true/false (or 1/0), got {raw!r}")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}" if math.isfinite(v) else str(v)
    return "" if v is None else str(v)


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    t = Table(title=title, box=None, header_style="bold")
    for c in columns:
        t.add_column(
            c, justify="left" if c in {"lab", "quantity", "class"} else "right", no_wrap=True
        )
    for r in rows:
        t.add_row(*[_fmt(v) for v in r])
    Console(width=200).print(t)


def _echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, allow_nan=False, default=_json_default))


def _json_default(o: Any) -> Any:
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _clean(obj: Any) -> Any:
    """Replace non-finite floats by None so the JSON stays standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def _guard(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except (cen.CensoredDataError, ilc_mod.IlcInputError, tr.TrendInputError) as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(name="stats")
def stats() -> None:
    """Statistics for measurement data: interlaboratory comparison, non-detects, trends.

    Example:

    \b
        seawitness stats censored cs137.csv --method km --json
    """


# --------------------------------------------------------------------------- ilc


@stats.command("ilc")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
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
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def ilc_cmd(
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

    Example:

    \b
        seawitness stats ilc pt2024.csv --assigned 12.3 --u-assigned 0.2 --sigma-pt 1.2
        seawitness stats ilc pt2024.csv --consensus algorithm-a --json
        seawitness stats ilc pt2024.csv --assigned 12.3 --u-assigned 0.2 --scheme iaea --marb 15
    """
    if (assigned is None) == (consensus is None):
        raise click.UsageError(
            "give exactly one of --assigned/--u-assigned or --consensus algorithm-a"
        )
    if assigned is not None and u_assigned is None:
        raise click.UsageError("--assigned needs --u-assigned (its standard uncertainty)")
    rows = _Rows(file, ["lab", "value", "uncertainty"])
    results = []
    for line, row in rows.rows:
        k = None
        if row.get("coverage_factor", ""):
            k = rows.number(line, row, "coverage_factor")
            if k <= 0:
                raise rows.fail(line, "coverage_factor", "must be > 0")
        if not row.get("lab"):
            raise rows.fail(line, "lab", "empty laboratory code")
        results.append(
            ilc_mod.LabResult(
                lab=row["lab"],
                value=rows.number(line, row, "value"),
                uncertainty=rows.number(line, row, "uncertainty", positive=True),
                coverage_factor=k,
            )
        )
    robust: ilc_mod.RobustEstimate | None = None
    if consensus:
        av, robust = _guard(lambda: ilc_mod.assigned_by_algorithm_a([r.value for r in results]))
    else:
        assert assigned is not None and u_assigned is not None
        av = _guard(lambda: ilc_mod.assigned_from_reference(assigned, u_assigned))
    if sigma_pt is None and scheme == "iso13528":
        if robust is None:
            robust = _guard(lambda: ilc_mod.algorithm_a([r.value for r in results]))
        sigma_pt = robust.s_star
    out: dict[str, Any] = {
        "scheme": scheme,
        "assigned": {"value": av.value, "u": av.u, "method": av.method},
        "sigma_pt": sigma_pt,
    }
    if robust is not None:
        out["robust"] = {"x_star": robust.x_star, "s_star": robust.s_star}
    if scheme == "iso13528":
        assert sigma_pt is not None
        sp = sigma_pt
        scores = _guard(lambda: ilc_mod.score_iso13528(results, av, sp, k=coverage))
        out["labs"] = [s.as_dict() for s in scores]
        cols = ["lab", "value", "D", "D%", "z", "z'", "zeta", "En", "class"]
        table = [
            [s.lab, s.value, s.D, s.D_percent, s.z, s.z_prime, s.zeta, s.En, s.klass]
            for s in scores
        ]
    else:
        iscores = _guard(lambda: ilc_mod.score_iaea(results, av, marb))
        out["marb_percent"] = marb
        out["labs"] = [s.as_dict() for s in iscores]
        cols = ["lab", "value", "RB %", "u-test", "P %", "class"]
        table = [
            [s.lab, s.value, s.relative_bias, s.u_test, s.precision, s.status] for s in iscores
        ]
    if as_json:
        _echo_json(_clean(out))
        return
    head = f"x_pt = {av.value:.6g} (u = {av.u:.3g}, {av.method})"
    if sigma_pt is not None:
        head += f", sigma_pt = {sigma_pt:.6g}"
    click.echo(head)
    _table(f"{scheme} scores", cols, table)


# --------------------------------------------------------------------------- censored


@stats.command("censored")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--method", type=click.Choice(["km", "ros", "mle"]), default="km", show_default=True)
@click.option("--group", "group_col", help="Column whose values split the data into groups.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def censored_cmd(file: Path, method: str, group_col: str | None, as_json: bool) -> None:
    """Summarise data with non-detects (Kaplan-Meier, ROS or lognormal MLE).

    FILE is a CSV with columns value,censored; censored is true (1, yes, <)
    where value is a detection limit. With --group, each group is summarised
    and groups are compared by the Peto-Prentice test.

    Example:

    \b
        seawitness stats censored cs137.csv --method km
        seawitness stats censored cs137.csv --method ros --group station --json
    """
    required = ["value", "censored"] + ([group_col] if group_col else [])
    rows = _Rows(file, required)
    data: dict[str, tuple[list[float], list[bool]]] = {}
    for line, row in rows.rows:
        key = row[group_col] if group_col else "all"
        vals, flags = data.setdefault(key, ([], []))
        vals.append(rows.number(line, row, "value"))
        flags.append(rows.flag(line, row, "censored"))

    def summ(v: list[float], c: list[bool]) -> dict[str, Any]:
        s = _guard(lambda: cen.summarize(v, c, method))
        return s.as_dict()

    if not group_col:
        out = summ(*data["all"])
    else:
        allv = [x for v, _ in data.values() for x in v]
        allc = [x for _, c in data.values() for x in c]
        out = summ(allv, allc)
        out["groups"] = {name: summ(v, c) for name, (v, c) in data.items()}
        if len(data) >= 2:
            test = _guard(lambda: cen.peto_prentice_test(data))
            out["test"] = {
                "statistic": test.statistic,
                "df": test.df,
                "p": test.p,
                "method": test.method,
            }
    if as_json:
        _echo_json(_clean(out))
        return
    keys = ["n", "n_detected", "percent_censored", "mean", "sd", "median", "se_mean", "ucl95"]
    blocks = {"all": out} | (out.get("groups") or {})
    names = list(blocks)
    _table(
        f"{method} summary",
        ["quantity", *names],
        [[k, *[blocks[nm][k] for nm in names]] for k in keys],
    )
    if "test" in out:
        t = out["test"]
        click.echo(f"{t['method']}: chi2 = {t['statistic']:.4g} on {t['df']} df, p = {t['p']:.4g}")


# --------------------------------------------------------------------------- trend


def _parse_time(raw: str) -> float | _dt.date:
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        if "T" in raw or " " in raw.strip():
            return _dt.datetime.fromisoformat(raw)
        return _dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"not a number or ISO date: {raw!r}") from None


@stats.command("trend")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seasonal", is_flag=True, help="Seasonal Kendall test (Hirsch et al. 1982).")
@click.option(
    "--period",
    type=int,
    help="Derive seasons from time: number of seasons per year (dates) or per cycle (numbers).",
)
@click.option(
    "--censored", "use_censored", is_flag=True, help="Use the censored column (Akritas-Theil-Sen)."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def trend_cmd(
    file: Path, seasonal: bool, period: int | None, use_censored: bool, as_json: bool
) -> None:
    """Mann-Kendall trend test and Sen slope (optionally seasonal or censored).

    FILE is a CSV with columns time,value[,censored][,season]. time is a number
    or an ISO date; with dates the slope is per year. --seasonal uses the season
    column, or seasons derived from time with --period N.

    Example:

    \b
        seawitness stats trend h3.csv
        seawitness stats trend cs137.csv --seasonal --period 12 --json
        seawitness stats trend sr90.csv --censored
    """
    required = ["time", "value"] + (["censored"] if use_censored else [])
    if seasonal and period is None:
        required.append("season")
    if period is not None and not seasonal:
        raise click.UsageError("--period only applies with --seasonal")
    rows = _Rows(file, required)
    times: list[float | _dt.date] = []
    values: list[float] = []
    flags: list[bool] = []
    seasons: list[str] = []
    for line, row in rows.rows:
        try:
            times.append(_parse_time(row["time"]))
        except ValueError as exc:
            raise rows.fail(line, "time", str(exc)) from None
        values.append(rows.number(line, row, "value"))
        if use_censored:
            flags.append(rows.flag(line, row, "censored"))
        if seasonal and period is None:
            seasons.append(row["season"])
    kinds = {isinstance(t, _dt.date) for t in times}
    if len(kinds) > 1:
        raise click.ClickException(f"{file}: column 'time' mixes numbers and dates")
    is_date = kinds == {True}
    tnum = tr.to_decimal_years(times) if is_date else [float(t) for t in times]  # type: ignore[arg-type]
    if seasonal and period is not None:
        seasons = [str(s) for s in _guard(lambda: tr.seasons_from_time(times, period))]

    def run() -> tr.TrendResult:
        if use_censored and seasonal:
            return tr.censored_seasonal_kendall(values, flags, tnum, seasons)
        if use_censored:
            return tr.akritas_theil_sen(values, flags, tnum)
        if seasonal:
            return tr.seasonal_kendall(values, tnum, seasons)
        return tr.mann_kendall(values, tnum)

    res: tr.TrendResult = _guard(run)
    out = res.as_dict()
    out["time_unit"] = "year" if is_date else "as given"
    if as_json:
        _echo_json(_clean(out))
        return
    _table(
        f"{res.method} (slope per {out['time_unit']})",
        ["quantity", "value"],
        [[k, out[k]] for k in ("n", "S", "var_S", "z", "p", "tau", "sen_slope", "intercept")],
    )
