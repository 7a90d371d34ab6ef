"""Charts as inline SVG: station maps with the coastline, time series with limit lines.

Pure functions from numbers to SVG text, shared by the dashboard (:mod:`seawitness.web`)
and the evidence reports (:mod:`seawitness.report`), so a chart looks the same in a
browser, in an HTML report and in its PDF, with no JavaScript and no network.
"""

from seawitness.charts import coast, svg

__all__ = ["coast", "svg"]
