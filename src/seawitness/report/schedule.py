"""A series of reports, one per period (``seawitness report --every month``), with an
index page.

A monitoring programme publishes a report every month; each is an ordinary report of one
calendar month (UTC) at the same checkpoint, so each can be verified on its own, and the
index lists them with their headline counts. The region's records are read once for the
whole series.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from seawitness.model.times import format_date
from seawitness.report.build import ReportError, ReportRequest, build
from seawitness.report.i18n import Catalogue
from seawitness.report.regions import resolve_region
from seawitness.report.render import ENV, render_html
from seawitness.report.snapshot import take_snapshot
from seawitness.store.store import Store

__all__ = ["EVERY", "Written", "months", "write_series"]

EVERY = ("month",)


@dataclass(frozen=True)
class Written:
    """One report of the series: its period, file names and headline counts."""

    since: str
    until: str
    files: tuple[str, ...]
    results: int
    counts: dict[str, int]


def months(first: date, last: date) -> list[tuple[date, date]]:
    """Calendar months from the one holding ``first`` to the one holding ``last``, as
    (first day, last day) pairs.

    >>> months(date(2023, 11, 5), date(2024, 1, 2))[-1]
    (datetime.date(2024, 1, 1), datetime.date(2024, 1, 31))
    """
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        start = date(y, m, 1)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append((start, date(y, m, 1) - timedelta(days=1)))
    return out


def write_series(
    store: Store,
    base: ReportRequest,
    out_dir: Path,
    *,
    every: str = "month",
    pdf: Callable[[str], bytes] | None = None,
) -> list[Written]:
    """Write one report per period of ``base``'s range into ``out_dir`` and an index.

    Without ``--from``/``--to`` the range is the region's data at the checkpoint.

    :param pdf: HTML → PDF, to write a PDF beside each HTML report.
    :raises ReportError: an unknown ``every``.
    """
    if every not in EVERY:
        raise ReportError(f"--every: one of {', '.join(EVERY)}, got {every!r}")
    region = resolve_region(base.region)
    snap = take_snapshot(store, region, size=base.checkpoint)
    t0, t1 = base.bounds()
    times = [r["sampled_at"] for r in snap.rows]
    first = (t0 or (min(times) if times else None)) or datetime.now(UTC)
    last = (t1 - timedelta(days=1)) if t1 else (max(times) if times else first)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for a, b in months(first.date(), last.date()):
        req = ReportRequest(
            base.rules, base.region, a.isoformat(), b.isoformat(), snap.size, base.lang
        )
        d = build(store, req, snapshot=snap)
        html = render_html(d)
        stem = f"{a.year:04d}-{a.month:02d}"
        (out_dir / f"{stem}.html").write_text(html, encoding="utf-8")
        files = [f"{stem}.html"]
        if pdf is not None:
            (out_dir / f"{stem}.pdf").write_bytes(pdf(html))
            files.append(f"{stem}.pdf")
        written.append(
            Written(
                format_date(a),
                format_date(b),
                tuple(files),
                d["measured"]["n_results"],
                d["compliance"]["counts"],
            )
        )
    t = Catalogue(base.lang)
    index = ENV.get_template("index.html").render(
        t=t,
        lang=t.lang,
        title=t("index_title", rules=base.rules, region=region.title, every=every),
        reports=written,
        checkpoint=snap.size,
        root=snap.root_hash,
        command=ReportRequest(base.rules, base.region, base.since, base.until, snap.size, base.lang)
        .command(str(out_dir))
        .replace(" --out", f" --every {every} --out"),
    )
    (out_dir / "index.html").write_text(index, encoding="utf-8")
    return written
