"""Evidence reports: a jurisdiction's rules applied to a region's results, reproducible
from a log checkpoint.

* :mod:`~seawitness.report.build`: a request (rule set, region, period, checkpoint,
  language) → the report's data;
* :mod:`~seawitness.report.snapshot`: the records as they were at a checkpoint;
* :mod:`~seawitness.report.compliance`, :mod:`~seawitness.report.analyses`,
  :mod:`~seawitness.report.figures`: the comparisons, statistics and figures;
* :mod:`~seawitness.report.render`, :mod:`~seawitness.report.pdf`: HTML and PDF;
* :mod:`~seawitness.report.verify`: recompute a report and say which section differs;
* :mod:`~seawitness.report.schedule`: a series of monthly reports with an index;
* :mod:`~seawitness.report.regions`: named regions as data.
"""

from seawitness.report.build import ReportError, ReportRequest, build
from seawitness.report.pdf import html_to_pdf
from seawitness.report.regions import list_regions, resolve_region
from seawitness.report.render import render_html
from seawitness.report.verify import verify_report

__all__ = [
    "ReportError",
    "ReportRequest",
    "build",
    "html_to_pdf",
    "list_regions",
    "render_html",
    "resolve_region",
    "verify_report",
]
