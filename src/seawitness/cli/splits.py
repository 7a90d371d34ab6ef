"""``seawitness stats splits``: laboratories scored on split samples of the instance
(ISO 13528:2022, optionally the IAEA scheme), over :mod:`seawitness.analysis.splits`."""

from __future__ import annotations

import click

from seawitness.cli.common import (
    NuclideName,
    echo_wrapped,
    number_text,
    open_instance,
    print_json,
    print_table,
)

__all__ = ["splits_command"]


@click.command("splits", short_help="Score laboratories on split samples (ISO 13528).")
@click.option("--nuclide", type=NuclideName(), help="Only this nuclide, e.g. H-3.")
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
@click.pass_context
def splits_command(
    ctx: click.Context,
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
      seawitness stats splits --nuclide H-3 --reference-lab KINS \\
          --sigma-pt-percent 10
      seawitness stats splits --reference 0.31 --u-reference 0.02 --marb 20 --json
    """
    if (reference is None) != (u_reference is None):
        raise click.UsageError("--reference and --u-reference go together")
    if sigma_pt is not None and sigma_pt_percent is not None:
        raise click.UsageError("give --sigma-pt or --sigma-pt-percent, not both")
    from seawitness.analysis import splits as sp
    from seawitness.model.times import format_date

    inst = open_instance(ctx)
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
    if as_json:
        print_json({"split_samples": [s.as_dict() for s in scored]})
        return
    if not scored:
        what = f" for {nuclide}" if nuclide else ""
        click.echo(
            f"no split samples{what}: no sample_id has results from two or more laboratories"
        )
        return
    refused = sum(1 for s in scored if s.refusal)
    echo_wrapped(f"{len(scored)} split samples, {len(scored) - refused} scored, {refused} not")
    for s in scored:
        smp = s.sample
        click.echo("")
        echo_wrapped(
            f"sample {smp.sample_id}  {smp.nuclide} [{smp.unit}]  {smp.medium}  "
            f"{', '.join(smp.stations)}  {format_date(smp.sampled_at)}  "
            f"labs: {', '.join(smp.labs)}"
        )
        if s.refusal:
            echo_wrapped(f"not scored: {s.refusal}", indent="  ")
        else:
            if s.assigned is not None:
                click.echo(
                    f"  x_pt = {number_text(s.assigned.value)} "
                    f"(u = {number_text(s.assigned.u, 3)}, {s.assigned.method})"
                    + (f", sigma_pt = {number_text(s.sigma_pt)}" if s.sigma_pt else "")
                )
            else:
                echo_wrapped("pairwise comparison (no assigned value)", indent="  ")
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
            print_table(
                rows, ["lab", "value", "u", "D%", "z", "z'", "zeta", "En", "class"], digits=4
            )
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
                    digits=4,
                )
        for lab, why in s.not_scored.items():
            r = next(x for x in smp.results if x.lab == lab)
            shown = f"< {number_text(r.value)}" if r.value is not None else "ND"
            echo_wrapped(f"{lab}: {shown} {smp.unit} — {why}", indent="  ")
        for n in s.notes:
            echo_wrapped(f"note: {n}", indent="  ")
