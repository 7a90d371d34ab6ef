"""From a request (rule set, region, period, checkpoint, language) to the report's data.

:func:`build` reads the region's records as they were at a signed checkpoint
(:mod:`seawitness.report.snapshot`), evaluates them against the rule set
(:mod:`seawitness.report.compliance`), adds the statistics (:mod:`seawitness.report.analyses`)
and figures (:mod:`seawitness.report.figures`), and states where every input came from.
Nothing in the result depends on the clock, the machine or the order rows came back from
the database, so the same request at the same checkpoint gives the same report, byte for
byte, now or in ten years (given the same software version, which the report names).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from seawitness import __version__
from seawitness.analysis.baseline import DEFAULT_BASELINE_SINCE as BASELINE_SINCE
from seawitness.analysis.baseline import DISCHARGE_START
from seawitness.analysis.limits import RuleSet
from seawitness.errors import InputError
from seawitness.model.times import format_date, parse_instant
from seawitness.model.zones import ZONE_UNKNOWN
from seawitness.report import analyses, compliance, figures
from seawitness.report.i18n import LANGS, Catalogue
from seawitness.report.regions import resolve_region
from seawitness.report.rulesource import resolve_rule_set
from seawitness.report.snapshot import Snapshot, take_snapshot
from seawitness.store.store import Store

__all__ = ["ReportError", "ReportRequest", "build", "diet_for"]

#: Consumption rates used for the dose section, per jurisdiction of the rule set. Only
#: Japan's are in the data (rules/dose/diets.toml); elsewhere the Japanese heavy consumer
#: stands in, and the report says so.
DIETS = {"JP": "jp-average"}
STAND_IN_DIET = "jp-heavy"
MAX_SERIES = 4


class ReportError(InputError):
    """A report request that cannot be made as asked (the message names the option)."""


@dataclass(frozen=True)
class ReportRequest:
    """What a report is of. ``since``/``until`` are ISO dates (``until`` inclusive) or
    None for all data; ``checkpoint`` None means the newest signed checkpoint."""

    rules: str
    region: str
    since: str | None = None
    until: str | None = None
    checkpoint: int | None = None
    lang: str = "en"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReportRequest:
        for key in ("rules", "region"):
            if not isinstance(d.get(key), str):
                raise ReportError(f"report inputs: {key!r} must be text, got {d.get(key)!r}")
        cp = d.get("checkpoint")
        if cp is not None and (not isinstance(cp, int) or isinstance(cp, bool)):
            raise ReportError(f"report inputs: 'checkpoint' must be a number, got {cp!r}")
        return cls(
            rules=d["rules"],
            region=d["region"],
            since=d.get("since"),
            until=d.get("until"),
            checkpoint=cp,
            lang=str(d.get("lang", "en")),
        )

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """``[since, until)`` as UTC instants (``until`` is the end of its day)."""
        t0 = parse_instant(self.since, field="--from") if self.since else None
        t1 = parse_instant(self.until, field="--to") if self.until else None
        if t1 is not None and self.until and len(self.until.strip()) == 10:
            t1 += timedelta(days=1)
        if t0 and t1 and t0 >= t1:
            raise ReportError(f"--to {self.until} is not after --from {self.since}")
        return t0, t1

    def command(self, out: str = "report.html") -> str:
        """The command line that makes this report again."""
        parts = ["seawitness", "report", "--rules", self.rules, "--region", self.region]
        if self.since:
            parts += ["--from", self.since]
        if self.until:
            parts += ["--to", self.until]
        if self.checkpoint is not None:
            parts += ["--checkpoint", str(self.checkpoint)]
        parts += ["--lang", self.lang, "--out", out]
        return " ".join(_quote(p) for p in parts)


def _quote(p: str) -> str:
    safe = all(c.isalnum() or c in "-_.,:/+=@" for c in p)
    return p if safe and p else "'" + p.replace("'", "'\\''") + "'"


def diet_for(rule_set: RuleSet) -> tuple[str, bool]:
    """The diet of the rule set's jurisdiction, and whether it is a stand-in."""
    if rule_set.jurisdiction in DIETS:
        return DIETS[rule_set.jurisdiction], False
    return STAND_IN_DIET, True


def _scope(rule_set: RuleSet) -> set[tuple[str, str]]:
    """The (medium, nuclide) pairs the rule set has a limit for."""
    return {
        (m.value, n) for r in rule_set.rules if r.evaluated for m in r.media for n in r.all_nuclides
    }


def _series(scope: set[tuple[str, str]], rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The pairs of ``scope`` with results, most results first."""
    c = Counter((r["medium"], r["nuclide"]) for r in rows if (r["medium"], r["nuclide"]) in scope)
    return [k for k, _ in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))][:MAX_SERIES]


def build(store: Store, req: ReportRequest, *, snapshot: Snapshot | None = None) -> dict[str, Any]:
    """The data of one report (plain values; the renderer formats them).

    :param snapshot: the region's records at the checkpoint, if already read (a series of
        reports over one region and checkpoint reads them once).

    :raises ReportError: unknown language or a bad period.
    :raises RuleSetError: unknown rule set.
    :raises RegionError: unknown region.
    :raises CheckpointNotFound: no signed checkpoint of that size.
    """
    if req.lang not in LANGS:
        raise ReportError(f"--lang: unknown language {req.lang!r}; one of {', '.join(LANGS)}")
    since, until = req.bounds()
    region = resolve_region(req.region)
    snap = snapshot or take_snapshot(store, region, size=req.checkpoint)
    rule_set, rs_info = resolve_rule_set(store, req.rules, snap.size)
    req = ReportRequest(req.rules, req.region, req.since, req.until, snap.size, req.lang)
    t = Catalogue(req.lang)

    def in_period(r: dict[str, Any]) -> bool:
        return (since is None or r["sampled_at"] >= since) and (
            until is None or r["sampled_at"] < until
        )

    rows = [r for r in snap.rows if in_period(r)]
    scope = _scope(rule_set)
    series = _series(scope, rows)
    wanted = {
        r["leaf_index"]
        for r in rows
        if (r["medium"], r["nuclide"]) in scope or r["medium"] in analyses.FOODS
    }
    wanted |= {
        r["leaf_index"]
        for r in snap.rows
        if (r["medium"], r["nuclide"]) in series
        and BASELINE_SINCE <= r["sampled_at"] < DISCHARGE_START
    }
    chosen = [r for r in snap.rows if r["leaf_index"] in wanted]
    records = dict(zip((r["leaf_index"] for r in chosen), snap.records(store, chosen), strict=True))
    leaf_of = {id(m): leaf for leaf, m in records.items()}
    period_ms = [records[r["leaf_index"]] for r in rows if r["leaf_index"] in records]
    in_scope = [m for m in period_ms if (m.medium.value, m.nuclide) in scope]
    baseline_ms = [
        records[r["leaf_index"]]
        for r in chosen
        if (r["medium"], r["nuclide"]) in series
        and (r["sampled_at"] < DISCHARGE_START or in_period(r))
    ]
    zones = {st["code"]: st["zone"] for st in snap.stations if st["zone"] != ZONE_UNKNOWN}
    counts = Counter((r["org"], r["station"]) for r in rows)
    stations = [
        {**st, "n_results": counts.get((st["org"], st["code"]), 0)}
        for st in snap.stations
        if counts.get((st["org"], st["code"]))
    ]
    diet, stand_in = diet_for(rule_set)
    chart_labels = t.chart_labels()
    charts = [
        f
        for med, nuc in series
        if (f := figures.series_figure(rows, rule_set, med, nuc, chart_labels)) is not None
    ]
    splits = analyses.split_scores(period_ms)
    return {
        "request": req.to_dict(),
        "command": req.command(),
        "period": {
            "since": format_date(since) if since else None,
            "until": format_date(until - timedelta(days=1)) if until else None,
            "first": format_date(min((r["sampled_at"] for r in rows), default=None)),
            "last": format_date(max((r["sampled_at"] for r in rows), default=None)),
        },
        "provenance": {
            "checkpoint": {
                "size": snap.size,
                "root_hash": snap.root_hash,
                "note": snap.note,
                "cosignatures": list(snap.cosignatures),
            },
            "rule_set": rs_info,
            "region": region.describe(),
            "software": {"name": "seawitness", "version": __version__},
            "discharge_start": format_date(DISCHARGE_START),
        },
        "measured": analyses.measured(rows, snap.stakeholders, region.operator),
        "stations": [
            {k: st[k] for k in ("org", "code", "name", "lat", "lon", "zone", "coords_known")}
            | {"n_results": st["n_results"]}
            for st in stations
        ],
        "map": figures.region_map(stations, t.map_labels()) if stations else "",
        "compliance": compliance.compare(rule_set, in_scope, leaf_of, zones),
        "censored": analyses.censored_table(in_scope),
        "baseline": analyses.before_after(baseline_ms, series, until=until),
        "dose": analyses.dose(period_ms, diet) | {"stand_in": stand_in},
        "charts": charts,
        "splits": splits,
        "split_plot": figures.score_plot(splits, t("splits_plot_title")),
    }
