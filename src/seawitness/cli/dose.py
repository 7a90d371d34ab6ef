"""``seawitness stats dose``: committed effective dose from seafood and water, over
:mod:`seawitness.analysis.dose` (ICRP 72 adult ingestion coefficients)."""

from __future__ import annotations

import re
from typing import Any

import click

from seawitness.cli.common import NuclideName, print_json, print_table
from seawitness.cli.limits import loud_warnings

__all__ = ["dose_command"]


def _pairs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, float]:
    """``NUCLIDE=VALUE`` options as {canonical nuclide: value}."""
    out: dict[str, float] = {}
    for v in values:
        name, sep, num = v.partition("=")
        if not sep:
            raise click.BadParameter(f"{v!r}: expected NUCLIDE=VALUE, e.g. Cs-137=1.2")
        nuclide = NuclideName().convert(name, param, ctx)
        try:
            out[nuclide] = float(num)
        except ValueError:
            raise click.BadParameter(f"{v!r}: {num!r} is not a number") from None
    return out


def _concentrations(flag: str, unit: str) -> Any:
    return click.option(
        flag, multiple=True, metavar="NUCLIDE=VALUE", callback=_pairs, help=f"[{unit}]"
    )


def _list_diets() -> None:
    from seawitness.analysis.dose import list_diets

    rows = [
        {
            "diet": d.id,
            "fish": d.fish_g_per_day,
            "shellfish": d.shellfish_g_per_day,
            "seaweed": d.seaweed_g_per_day,
            "water": d.water_l_per_day,
            "confidence": d.confidence + (" [LOW CONFIDENCE]" if d.low_confidence else ""),
            "title": d.title,
        }
        for d in list_diets()
    ]
    print_table(
        rows,
        ["diet", "fish", "shellfish", "seaweed", "water", "confidence", "title"],
        title=f"{len(rows)} bundled diets (seafood in g/day, water in L/day)",
        cut=["title"],
    )


@click.command("dose", short_help="Committed effective dose from seafood and water.")
@click.option("--diet", metavar="NAME", help="Bundled consumption rates; see --list-diets.")
@_concentrations("--fish-bq-per-kg", "Bq/kg fresh")
@_concentrations("--shellfish-bq-per-kg", "Bq/kg fresh")
@_concentrations("--seaweed-bq-per-kg", "Bq/kg fresh")
@_concentrations("--water-bq-per-l", "Bq/L")
@click.option("--fish-g-per-day", type=float, help="Fish eaten [g/day].")
@click.option("--shellfish-g-per-day", type=float, help="Shellfish eaten [g/day].")
@click.option("--seaweed-g-per-day", type=float, help="Seaweed eaten [g/day].")
@click.option("--water-l-per-day", type=float, help="Water drunk [L/day].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--list-diets", is_flag=True, help="List the bundled diets and exit.")
def dose_command(
    diet: str | None,
    fish_bq_per_kg: dict[str, float],
    shellfish_bq_per_kg: dict[str, float],
    seaweed_bq_per_kg: dict[str, float],
    water_bq_per_l: dict[str, float],
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
        _list_diets()
        return
    from seawitness.analysis.dose import DoseError, assess_dose

    with loud_warnings():
        try:
            result = assess_dose(
                fish=fish_bq_per_kg,
                shellfish=shellfish_bq_per_kg,
                seaweed=seaweed_bq_per_kg,
                water=water_bq_per_l,
                diet=diet,
                fish_g_per_day=fish_g_per_day,
                shellfish_g_per_day=shellfish_g_per_day,
                seaweed_g_per_day=seaweed_g_per_day,
                water_l_per_day=water_l_per_day,
            )
        except DoseError as exc:
            # The library names its parameters (fish_g_per_day); a user types options.
            raise click.ClickException(
                re.sub(r"\b(\w+_per_day)\b", lambda g: "--" + g[1].replace("_", "-"), str(exc))
            ) from None
    if as_json:
        print_json(result.to_dict())
        return
    click.echo(
        f"total {result.total_sv_per_year * 1e6:.4g} uSv/yr "
        f"({result.total_msv_per_year:.4g} mSv/yr):\n"
        f"  {result.fraction_of_public_limit:.3g} of the 1 mSv/yr public dose limit,\n"
        f"  {result.fraction_of_dose_constraint:.3g} of the 50 uSv/yr dose constraint"
    )
    if result.low_confidence_inputs:
        click.echo("* or diet: low-confidence input (graded LOW or from memory); verify")
    print_table(
        [
            {
                "pathway": t.pathway,
                "nuclide": t.nuclide + (" *" if t.low_confidence else ""),
                "concentration": t.concentration,
                "unit": t.concentration_unit,
                "intake": t.intake_per_year,
                "intake unit": t.intake_unit,
                "Sv/Bq": t.sv_per_bq,
                "uSv/yr": t.dose_sv_per_year * 1e6,
            }
            for t in result.terms
        ],
        [
            "pathway",
            "nuclide",
            ("concentration", "conc."),
            "unit",
            "intake",
            ("intake unit", "per year"),
            "Sv/Bq",
            "uSv/yr",
        ],
        title="dose = concentration x intake x coefficient:",
    )
