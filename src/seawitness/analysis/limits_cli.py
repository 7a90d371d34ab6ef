"""Command-line faces of the limits engine and the dose calculator.

``limits_command`` and ``dose_command`` are click commands meant to be added to the
``stats`` group: ``seawitness stats limits`` and ``seawitness stats dose``. They are thin
layers over :mod:`seawitness.analysis.limits` and :mod:`seawitness.analysis.dose`.
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from seawitness.analysis import dose as dose_mod
from seawitness.analysis.limits import (
    Evaluation,
    NDPolicy,
    RuleSet,
    RuleSetError,
    evaluate_all,
    list_rule_sets,
    load_rules,
    summarize,
)
from seawitness.errors import InputError
from seawitness.harmonize.units import ConversionError, parse_unit
from seawitness.model.nuclides import normalize_nuclide
from seawitness.model.records import (
    Basis,
    Detection,
    Measurement,
    Medium,
    RecordError,
    parse_utc,
)

__all__ = ["CsvInputError", "dose_command", "limits_command", "read_measurements_csv"]

REQUIRED_COLUMNS = ("station", "medium", "nuclide", "value", "unit", "detection")
OPTIONAL_COLUMNS = (
    "uncertainty",
    "zone",
    "sample",
    "org",
    "sampled_at",
    "basis",
    "detection_limit",
    "stage",
    "lat",
    "lon",
)
_NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_NO_TIME_MARK = "sampled_at"


class CsvInputError(InputError):
    """A CSV input problem, reported as ``file:line:column: message``."""


def _field_columns(raw: str) -> list[int]:
    """1-based character columns where each CSV field of ``raw`` starts."""
    cols, in_q = [1], False
    for i, ch in enumerate(raw):
        if ch == '"':
            in_q = not in_q
        elif ch == "," and not in_q:
            cols.append(i + 2)
    return cols


def read_measurements_csv(path: Path) -> tuple[list[Measurement], dict[str, str]]:
    """Read results from a CSV file for :func:`~seawitness.analysis.limits.evaluate_all`.

    Columns ``station, medium, nuclide, value, unit, detection`` are required;
    ``uncertainty`` (standard, k=1), ``zone``, ``sample``, ``org``, ``sampled_at`` (ISO 8601
    with zone), ``basis`` (water/wet/dry), ``detection_limit``, ``stage``, ``lat``, ``lon``
    are optional. ``detection`` is a MARIS code: ``=``, ``<`` (value is the detection
    limit), ``ND`` (no value), ``DE``.

    Returns the results and the station → zone map from the ``zone`` column.

    Raises
    ------
    CsvInputError
        ``file:line:column: message`` for the first bad cell.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CsvInputError(f"{path}: {exc.strerror or exc}") from None
    raw_lines = text.splitlines()
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise CsvInputError(f"{path}:1:1: empty file; expected a header row") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CsvInputError(
            f"{path}:1:1: missing column(s) {', '.join(missing)}; required: "
            f"{', '.join(REQUIRED_COLUMNS)}; optional: {', '.join(OPTIONAL_COLUMNS)}"
        )
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        col = _field_columns(raw_lines[0])[header.index(unknown[0])]
        raise CsvInputError(f"{path}:1:{col}: unknown column {unknown[0]!r}")
    idx = {c: i for i, c in enumerate(header)}
    out: list[Measurement] = []
    zones: dict[str, str] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        raw = raw_lines[line - 1] if line - 1 < len(raw_lines) else ""
        cols = _field_columns(raw)

        def fail(column: str, msg: str, *, _line: int = line, _cols: list[int] = cols) -> NoReturn:
            i = idx.get(column, 0)
            c = _cols[i] if i < len(_cols) else 1
            raise CsvInputError(f"{path}:{_line}:{c}: {msg}")

        if len(row) != len(header):
            raise CsvInputError(f"{path}:{line}:1: expected {len(header)} fields, found {len(row)}")

        def cell(column: str, _row: list[str] = row) -> str:
            return _row[idx[column]].strip() if column in idx else ""

        def number(
            column: str,
            _fail: Callable[[str, str], NoReturn] = fail,
            _cell: Callable[[str], str] = cell,
        ) -> float | None:
            s = _cell(column)
            if not s:
                return None
            try:
                return float(s)
            except ValueError:
                _fail(column, f"{column} {s!r} is not a number")

        try:
            medium = Medium(cell("medium").lower())
        except ValueError:
            fail("medium", f"unknown medium {cell('medium')!r}; one of: {', '.join(Medium)}")
        try:
            nuclide = normalize_nuclide(cell("nuclide"))
        except ValueError as exc:
            fail("nuclide", str(exc))
        try:
            spec = parse_unit(cell("unit"))
        except ConversionError as exc:
            fail("unit", str(exc))
        basis_s = cell("basis").lower()
        if basis_s:
            try:
                basis = Basis(basis_s)
            except ValueError:
                fail("basis", f"basis {basis_s!r} is not one of water, wet, dry")
            if spec.basis is not None and spec.basis is not basis:
                fail("basis", f"basis {basis_s!r} contradicts unit {cell('unit')!r}")
        elif spec.basis is not None:
            basis = spec.basis
        else:
            fail("unit", f"unit {cell('unit')!r} does not say wet or dry; add a basis column")
        det_s = cell("detection").upper()
        try:
            detection = Detection(det_s)
        except ValueError:
            fail("detection", f"detection {det_s!r} is not one of =, <, ND, DE")
        extra: dict[str, str] = {}
        if cell("stage"):
            extra["stage"] = cell("stage")
        sampled_at = _NO_TIME
        if cell("sampled_at"):
            try:
                sampled_at = parse_utc(cell("sampled_at"))
            except ValueError as exc:
                fail("sampled_at", f"sampled_at: {exc}")
        else:
            extra[_NO_TIME_MARK] = "not given"
        try:
            m = Measurement(
                org=cell("org") or "csv",
                station=cell("station"),
                medium=medium,
                sampled_at=sampled_at,
                nuclide=nuclide,
                detection=detection,
                value=number("value"),
                unit=spec.canonical,
                basis=basis,
                uncertainty=number("uncertainty"),
                detection_limit=number("detection_limit"),
                sample_id=cell("sample") or None,
                lat=number("lat"),
                lon=number("lon"),
                extra=extra,
            )
        except RecordError as exc:
            fail(exc.field if exc.field in idx else "station", str(exc))
        if cell("zone"):
            prev = zones.setdefault(m.station, cell("zone"))
            if prev != cell("zone"):
                fail("zone", f"station {m.station!r} was given zone {prev!r} on an earlier line")
        out.append(m)
    return out, zones


def _load(names: tuple[str, ...]) -> list[RuleSet]:
    sets = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in names:
            try:
                sets.append(load_rules(n))
            except RuleSetError as exc:
                raise click.ClickException(str(exc)) from None
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    return sets


def _time(ev: Evaluation) -> str | None:
    m = ev.inputs[0] if ev.inputs else None
    if m is not None and m.extra.get(_NO_TIME_MARK) == "not given":
        return None
    return ev.sampled_at


def _iter_rules_listing(sets: list[RuleSet]) -> Iterator[str]:
    for rs in sets:
        yield f"{rs.id}: {rs.title}"
        yield f"  nd_policy={rs.nd_policy.value}; tritium: {rs.tritium_form}"
        for r in rs.rules:
            mark = " [LOW CONFIDENCE]" if r.low_confidence else ""
            what = "+".join(r.nuclides) if r.nuclides else "sum of ratios"
            scope = ",".join(sorted(m.value for m in r.media))
            if r.zones:
                scope += " @" + ",".join(sorted(r.zones))
            if r.stage:
                scope += f" stage={r.stage}"
            yield (
                f"  {r.id}  {r.level}  {what}  {r.limit:g} {r.unit} ({r.basis.value})  "
                f"[{scope}]  {r.confidence}{mark}"
            )
            for c in r.components:
                cm = " [LOW CONFIDENCE]" if c.low_confidence else ""
                yield f"      {c.nuclide} {c.limit:g} {c.unit}  {c.confidence}{cm}"


@click.command("limits")
@click.option(
    "--rules",
    "rules_names",
    multiple=True,
    metavar="NAME",
    help="Rule set to apply (repeatable); see --list.",
)
@click.argument(
    "file", required=False, type=click.Path(dir_okay=False, path_type=Path), metavar="[FILE]"
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option(
    "--list",
    "list_only",
    is_flag=True,
    help="List the bundled rule sets, or with --rules the rules of a set.",
)
@click.option(
    "--nd-policy",
    type=click.Choice([p.value for p in NDPolicy]),
    help="Override the rule sets' convention for non-detects in sums.",
)
@click.option("--density", type=float, help="Water density [kg/L] for Bq/L <-> Bq/kg.")
@click.option("--dry-wet-ratio", type=float, help="Dry/wet mass ratio [kg/kg].")
@click.option("--water-yield", type=float, help="Tissue/combustion water per kg wet sample [L/kg].")
def limits_command(
    rules_names: tuple[str, ...],
    file: Path | None,
    as_json: bool,
    list_only: bool,
    nd_policy: str | None,
    density: float | None,
    dry_wet_ratio: float | None,
    water_yield: float | None,
) -> None:
    """Evaluate results in FILE against a jurisdiction's limits, with uncertainty.

    Without FILE, the current results of the instance the command runs in.

    \b
    FILE is a CSV with the columns
      station,medium,nuclide,value,unit,detection
    and optionally
      uncertainty (standard, k=1), zone, sample, org, sampled_at, basis,
      detection_limit, stage, lat, lon.

    Each result is classed exceeds / may_exceed / below / inconclusive / not_applicable.
    Rows with the same `sample` (or, without it, the same station, medium and
    sampled_at) are evaluated together for sums such as Cs-134 + Cs-137.

    \b
    Examples:
      seawitness stats limits --list
      seawitness stats limits --rules jp-tepco-sea --list
      seawitness stats limits --rules jp-tepco-sea seawater.csv
      seawitness stats limits --rules jp-mhlw --rules codex --json fish.csv

    \b
    A minimal FILE:
      station,medium,nuclide,value,unit,detection,uncertainty
      T-0-1A,seawater,H-3,52,Bq/L,=,3
    """
    if list_only:
        if not rules_names:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sets = [load_rules(n) for n in list_rule_sets()]
            if as_json:
                click.echo(
                    json.dumps(
                        [
                            {
                                "id": s.id,
                                "title": s.title,
                                "rules": len(s.rules),
                                "low_confidence_numbers": len(s.low_confidence_numbers()),
                            }
                            for s in sets
                        ],
                        indent=2,
                        ensure_ascii=False,
                    )
                )
            else:
                for s in sets:
                    n_low = len(s.low_confidence_numbers())
                    click.echo(
                        f"{s.id:20} {len(s.rules):3} rules  {n_low:3} low-confidence  {s.title}"
                    )
            return
        sets = _load(rules_names)
        for line in _iter_rules_listing(sets):
            click.echo(line)
        return
    if not rules_names:
        raise click.UsageError("give --rules NAME (see --list)")
    sets = _load(rules_names)
    if file is None:
        measurements, zones = _from_instance()
    else:
        measurements, zones = read_measurements_csv(file)
    evaluations = evaluate_all(
        measurements,
        sets,
        zones=zones or None,
        nd_policy=nd_policy,
        density=density,
        dry_wet_ratio=dry_wet_ratio,
        water_yield=water_yield,
    )
    counts = summarize(evaluations)
    if as_json:
        evs = []
        for ev in evaluations:
            d = ev.to_dict()
            d["sampled_at"] = _time(ev)
            evs.append(d)
        doc: dict[str, Any] = {
            "rule_sets": [s.id for s in sets],
            "results": len(measurements),
            "summary": counts,
            "evaluations": evs,
        }
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    for ev in evaluations:
        mark = " *" if ev.low_confidence else ""
        when = _time(ev) or "-"
        val = "-" if ev.value is None else f"{ev.value:.4g}"
        ratio = "" if ev.ratio is None else f" ratio {ev.ratio:.3g}"
        click.echo(
            f"{ev.classification.value.upper():14} {ev.station} {'+'.join(ev.nuclides)} {when}  "
            f"{val} vs {ev.limit:g} {ev.unit}{ratio}  {ev.rule_id}{mark}"
        )
        click.echo(f"    {ev.reason}")
    click.echo(
        f"{len(measurements)} results, {len(evaluations)} evaluations: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    if any(ev.low_confidence for ev in evaluations):
        click.echo("* uses a number graded LOW or taken from memory: verify before relying on it")


def _from_instance() -> tuple[list[Measurement], dict[str, str]]:
    """Current results of the instance the command runs in (no FILE given)."""
    from seawitness.analysis.from_store import current_measurements, station_zones
    from seawitness.cli.common import open_instance

    ctx = click.get_current_context()
    try:
        inst = open_instance(ctx)
    except click.ClickException:
        raise click.UsageError("give a CSV FILE of results, or run inside an instance") from None
    return current_measurements(inst.store), station_zones(inst.store)


def _pairs(option: str, values: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for v in values:
        name, sep, num = v.partition("=")
        if not sep:
            raise click.BadParameter(
                f"{v!r}: expected NUCLIDE=VALUE, e.g. Cs-137=1.2", param_hint=option
            )
        try:
            nuclide = normalize_nuclide(name)
        except ValueError as exc:
            raise click.BadParameter(f"{v!r}: {exc}", param_hint=option) from None
        try:
            out[nuclide] = float(num)
        except ValueError:
            raise click.BadParameter(f"{v!r}: {num!r} is not a number", param_hint=option) from None
    return out


@click.command("dose")
@click.option("--diet", metavar="NAME", help="Bundled consumption rates; see --list-diets.")
@click.option("--fish-bq-per-kg", multiple=True, metavar="NUCLIDE=VALUE", help="[Bq/kg fresh]")
@click.option("--shellfish-bq-per-kg", multiple=True, metavar="NUCLIDE=VALUE", help="[Bq/kg fresh]")
@click.option("--seaweed-bq-per-kg", multiple=True, metavar="NUCLIDE=VALUE", help="[Bq/kg fresh]")
@click.option("--water-bq-per-l", multiple=True, metavar="NUCLIDE=VALUE", help="[Bq/L]")
@click.option("--fish-g-per-day", type=float, help="Fish eaten [g/day].")
@click.option("--shellfish-g-per-day", type=float, help="Shellfish eaten [g/day].")
@click.option("--seaweed-g-per-day", type=float, help="Seaweed eaten [g/day].")
@click.option("--water-l-per-day", type=float, help="Water drunk [L/day].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--list-diets", is_flag=True, help="List the bundled diets and exit.")
def dose_command(
    diet: str | None,
    fish_bq_per_kg: tuple[str, ...],
    shellfish_bq_per_kg: tuple[str, ...],
    seaweed_bq_per_kg: tuple[str, ...],
    water_bq_per_l: tuple[str, ...],
    fish_g_per_day: float | None,
    shellfish_g_per_day: float | None,
    seaweed_g_per_day: float | None,
    water_l_per_day: float | None,
    as_json: bool,
    list_diets: bool,
) -> None:
    """Committed effective dose from seafood and water (ICRP 72 adult coefficients).

    Compares the yearly dose with the 1 mSv/yr public dose limit and the 50 uSv/yr dose
    constraint for the discharge. Consumption comes from --diet or explicit rates;
    bundled diets without a verified source load with a warning.

    \b
    Examples:
      seawitness stats dose --list-diets
      seawitness stats dose --water-bq-per-l H-3=10000 --water-l-per-day 2
      seawitness stats dose --diet jp-heavy --fish-bq-per-kg Cs-137=0.5 \\
          --fish-bq-per-kg H-3:OBT=0.12 --json
    """
    if list_diets:
        for d in dose_mod.list_diets():
            rates = ", ".join(
                f"{k} {v:g}"
                for k, v in (
                    ("fish g/d", d.fish_g_per_day),
                    ("shellfish g/d", d.shellfish_g_per_day),
                    ("seaweed g/d", d.seaweed_g_per_day),
                    ("water L/d", d.water_l_per_day),
                )
                if v is not None
            )
            mark = " [LOW CONFIDENCE]" if d.low_confidence else ""
            click.echo(f"{d.id:12} {rates}  ({d.confidence}){mark}  {d.title}")
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = dose_mod.assess_dose(
                fish=_pairs("--fish-bq-per-kg", fish_bq_per_kg),
                shellfish=_pairs("--shellfish-bq-per-kg", shellfish_bq_per_kg),
                seaweed=_pairs("--seaweed-bq-per-kg", seaweed_bq_per_kg),
                water=_pairs("--water-bq-per-l", water_bq_per_l),
                diet=diet,
                fish_g_per_day=fish_g_per_day,
                shellfish_g_per_day=shellfish_g_per_day,
                seaweed_g_per_day=seaweed_g_per_day,
                water_l_per_day=water_l_per_day,
            )
        except dose_mod.DoseError as exc:
            msg = re.sub(
                r"give (\w+_per_day)", lambda g: "give --" + g[1].replace("_", "-"), str(exc)
            )
            raise click.ClickException(msg) from None
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    for t in result.terms:
        mark = " *" if t.low_confidence else ""
        click.echo(
            f"{t.pathway:9} {t.nuclide:9} {t.concentration:g} {t.concentration_unit} x "
            f"{t.intake_per_year:g} {t.intake_unit} x {t.sv_per_bq:g} Sv/Bq = "
            f"{t.dose_sv_per_year * 1e6:.4g} uSv/yr{mark}"
        )
    click.echo(
        f"total {result.total_sv_per_year * 1e6:.4g} uSv/yr "
        f"({result.total_msv_per_year:.4g} mSv/yr): "
        f"{result.fraction_of_public_limit:.3g} of the 1 mSv/yr public dose limit, "
        f"{result.fraction_of_dose_constraint:.3g} of the 50 uSv/yr dose constraint"
    )
    if result.low_confidence_inputs:
        click.echo("* or diet: low-confidence input (graded LOW or from memory); verify")
