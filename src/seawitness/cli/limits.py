"""``seawitness stats limits``: results against each jurisdiction's limits, with their
uncertainty, over :mod:`seawitness.analysis.limits`.

The summary (counts per class) comes first, then one row per evaluation with its
reason; ``--only exceeds --only may-exceed`` keeps the rows worth reading out of the
tens of thousands a whole instance gives.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from seawitness.cli.common import (
    echo_wrapped,
    instance_root,
    open_instance,
    print_json,
    print_table,
)

if TYPE_CHECKING:
    from seawitness.analysis.limits import Evaluation, RuleSet
    from seawitness.model.records import Measurement

__all__ = ["CLASSES", "ND_POLICIES", "limits_command", "loud_warnings"]

#: ``seawitness.analysis.limits.Classification`` values as options spell them, and
#: ``NDPolicy`` values, spelled out so that ``--help`` need not import the limits
#: engine (a test checks that they agree).
CLASSES = ["exceeds", "may-exceed", "below", "inconclusive", "not-applicable"]
ND_POLICIES = ["detection_limit", "zero"]


@contextmanager
def loud_warnings() -> Iterator[None]:
    """Print each warning the library issues inside the block (a low-confidence number,
    a diet without a verified source) as one ``warning:`` line on standard error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        echo_wrapped(f"warning: {w.message}", err=True)


def _rule_sets(names: Sequence[str]) -> list[RuleSet]:
    from seawitness.analysis.limits import load_rules

    with loud_warnings():
        return [load_rules(n) for n in names]


def _list_rule_sets(as_json: bool) -> None:
    from seawitness.analysis.limits import list_rule_sets, load_rules

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sets = [load_rules(n) for n in list_rule_sets()]
    rows = [
        {
            "id": s.id,
            "title": s.title,
            "rules": len(s.rules),
            "low_confidence_numbers": len(s.low_confidence_numbers()),
        }
        for s in sets
    ]
    if as_json:
        print_json(rows)
        return
    print_table(
        rows,
        ["id", "rules", ("low_confidence_numbers", "low-confidence"), "title"],
        title=f"{len(rows)} bundled rule sets (details: --rules ID --list)",
        cut=["title"],
    )


def _list_rules(sets: list[RuleSet], as_json: bool) -> None:
    rows: list[dict[str, Any]] = []
    for rs in sets:
        for r in rs.rules:
            scope = ",".join(sorted(m.value for m in r.media))
            if r.zones:
                scope += " @" + ",".join(sorted(r.zones))
            if r.stage:
                scope += f" stage={r.stage}"
            rows.append(
                {
                    "rule_set": rs.id,
                    "rule": r.id,
                    "level": r.level,
                    "nuclides": "+".join(r.nuclides) if r.nuclides else "sum of ratios",
                    "limit": r.limit,
                    "unit": r.unit,
                    "basis": r.basis.value,
                    "scope": scope,
                    "confidence": r.confidence + (" [LOW CONFIDENCE]" if r.low_confidence else ""),
                    "components": [
                        {
                            "nuclide": c.nuclide,
                            "limit": c.limit,
                            "unit": c.unit,
                            "confidence": c.confidence
                            + (" [LOW CONFIDENCE]" if c.low_confidence else ""),
                        }
                        for c in r.components
                    ],
                }
            )
    if as_json:
        print_json(rows)
        return
    for rs in sets:
        echo_wrapped(f"{rs.id}: {rs.title}")
        echo_wrapped(f"nd_policy={rs.nd_policy.value}; tritium: {rs.tritium_form}", indent="  ")
        mine = [row for row in rows if row["rule_set"] == rs.id]
        listed: list[dict[str, Any]] = []
        for row in mine:
            listed.append(row)
            listed += [{**c, "level": "part", "nuclides": c["nuclide"]} for c in row["components"]]
        print_table(
            listed,
            ["rule", "level", "nuclides", "limit", "unit", "basis", "scope", "confidence"],
            title=f"{len(mine)} rules",
        )
        click.echo("")


def _from_instance(ctx: click.Context) -> tuple[list[Measurement], dict[str, str]]:
    """Current results of the instance the command runs in (no FILE given)."""
    from seawitness.analysis.from_store import current_measurements, station_zones

    if instance_root(ctx) is None:
        raise click.UsageError("give a CSV FILE of results, or run inside an instance")
    inst = open_instance(ctx)
    return current_measurements(inst.store), station_zones(inst.store)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _row(ev: Evaluation) -> dict[str, Any]:
    """One evaluation as the table shows it."""
    from seawitness.ingest.results_csv import sampled_at_given
    from seawitness.model.times import parse_instant

    given = not ev.inputs or sampled_at_given(ev.inputs[0])
    value = "-" if ev.value is None else f"{ev.value:.4g}"
    return {
        "class": ev.classification.value.upper(),
        "station": ev.station,
        "nuclide": "+".join(ev.nuclides),
        "sampled_at": parse_instant(ev.sampled_at) if given and ev.sampled_at else None,
        "value vs limit": f"{value} vs {ev.limit:g} {ev.unit}",
        "reason": f"{ev.rule_id}{' *' if ev.low_confidence else ''}: {ev.reason}",
    }


@click.command("limits", short_help="Evaluate results against a jurisdiction's limits.")
@click.option(
    "--rules",
    "rules_names",
    multiple=True,
    metavar="NAME",
    help="Rule set to apply (repeatable); see --list.",
)
@click.argument(
    "file",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="[FILE]",
)
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(CLASSES),
    help="Show only evaluations of this class (repeatable); the summary counts all.",
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
    type=click.Choice(ND_POLICIES),
    help="Override the rule sets' convention for non-detects in sums.",
)
@click.option("--density", type=float, help="Water density [kg/L] for Bq/L <-> Bq/kg.")
@click.option("--dry-wet-ratio", type=float, help="Dry/wet mass ratio [kg/kg].")
@click.option("--water-yield", type=float, help="Tissue/combustion water per kg wet sample [L/kg].")
@click.pass_context
def limits_command(
    ctx: click.Context,
    rules_names: tuple[str, ...],
    file: Path | None,
    only: tuple[str, ...],
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
    sampled_at) are evaluated together for sums such as Cs-134 + Cs-137. The summary
    comes first; --only keeps the rows of the classes worth reading.

    \b
    Examples:
      seawitness stats limits --list
      seawitness stats limits --rules jp-tepco-sea --list
      seawitness stats limits --rules jp-tepco-sea --only exceeds \\
          --only may-exceed
      seawitness stats limits --rules jp-tepco-sea seawater.csv
      seawitness stats limits --rules jp-mhlw --rules codex --json fish.csv

    \b
    A minimal FILE:
      station,medium,nuclide,value,unit,detection,uncertainty
      T-0-1A,seawater,H-3,52,Bq/L,=,3
    """
    if list_only:
        if rules_names:
            _list_rules(_rule_sets(rules_names), as_json)
        else:
            _list_rule_sets(as_json)
        return
    if not rules_names:
        raise click.UsageError("give --rules NAME (see --list)")
    from seawitness.analysis.limits import evaluate_all, summarize
    from seawitness.ingest.results_csv import read_results_csv, sampled_at_given

    sets = _rule_sets(rules_names)
    measurements, zones = read_results_csv(file) if file is not None else _from_instance(ctx)
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
    wanted = {c.replace("-", "_") for c in only}
    shown = [ev for ev in evaluations if not wanted or ev.classification.value in wanted]
    if as_json:
        evs = []
        for ev in shown:
            d = ev.to_dict()
            given = not ev.inputs or sampled_at_given(ev.inputs[0])
            d["sampled_at"] = ev.sampled_at if given else None
            evs.append(d)
        doc: dict[str, Any] = {
            "rule_sets": [s.id for s in sets],
            "results": len(measurements),
            "summary": counts,
            "evaluations": evs,
        }
        if wanted:
            doc["only"] = sorted(wanted)
        print_json(doc)
        return
    click.echo(f"{len(measurements)} results, {len(evaluations)} evaluations:")
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
    if any(ev.low_confidence for ev in shown):
        click.echo("* uses a number graded LOW or taken from memory: verify before relying on it")
    if wanted:
        names = " or ".join(sorted(wanted))
        if not shown:
            click.echo(f"no evaluation of class {names}")
            return
        title = f"{_count(len(shown), 'evaluation')} of class {names}:"
    else:
        title = f"{_count(len(shown), 'evaluation')}:"
    print_table(
        [_row(ev) for ev in shown],
        ["class", "station", "nuclide", "sampled_at", "value vs limit"],
        title=title,
        note="reason",
    )
