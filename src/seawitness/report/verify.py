"""``seawitness report --verify``: recompute a report from the log and compare.

A report carries the request it was made from (rule set, region, period, checkpoint,
language; :mod:`seawitness.report.render`). Verifying rebuilds it from the store at that
checkpoint with this software and compares the two documents section by section, so an
edited number shows as the section it sits in ("worst", "rules", ...) rather than as "the
file differs". A report made by another version of seawitness may differ in presentation
only; the software section of the provenance names the version that made it.
"""

from __future__ import annotations

import html as htmlmod
import json
import re
from dataclasses import dataclass
from pathlib import Path

from seawitness.errors import InputError, VerificationError
from seawitness.report.build import ReportRequest, build
from seawitness.report.render import render_html, sections
from seawitness.store.store import Store

__all__ = ["ReportMismatch", "Verification", "read_request", "verify_report"]

_INPUTS = re.compile(
    r'<script type="application/json" id="seawitness-report-inputs">(.*?)</script>', re.S
)


class ReportMismatch(VerificationError):
    """The report does not match what the log says at its checkpoint."""


@dataclass(frozen=True)
class Verification:
    """The outcome: the request, and the sections that differ (empty: the report matches)."""

    request: ReportRequest
    differing: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.differing and not self.missing


def read_request(text: str, where: str) -> ReportRequest:
    """The request embedded in a report's HTML.

    :raises InputError: the file is not a seawitness report (no or unreadable inputs).
    """
    m = _INPUTS.search(text)
    if m is None:
        raise InputError(
            f"{where}: not a seawitness HTML report (no seawitness-report-inputs block); "
            "verify the .html report a PDF was made with"
        )
    try:
        data = json.loads(htmlmod.unescape(m.group(1)))
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: the report's inputs are not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{where}: the report's inputs are not a JSON object")
    return ReportRequest.from_dict(data)


def verify_report(store: Store, path: Path) -> Verification:
    """Rebuild the report at ``path`` from ``store`` and compare it section by section.

    :raises InputError: the file cannot be read or is not a report.
    :raises CheckpointNotFound: the store lacks the report's checkpoint.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the report: {exc}") from None
    req = read_request(text, str(path))
    fresh = sections(render_html(build(store, req)))
    given = sections(text)
    differing = tuple(k for k in fresh if k in given and given[k] != fresh[k])
    missing = tuple(k for k in fresh if k not in given)
    return Verification(req, differing, missing)
