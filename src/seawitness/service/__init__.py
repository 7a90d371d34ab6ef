"""The read model: the questions the API, the dashboard and the reports all ask.

The JSON endpoints and the HTML pages are two faces of the same questions, so the answers
are computed here once, over the store and the analysis library, and cached per tree
size. Nothing here knows about HTTP or HTML.
"""

from seawitness.service.cache import SizeCache
from seawitness.service.params import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    BadParameter,
    NotFound,
    make_query,
    parse_bbox,
    parse_time,
)
from seawitness.service.readmodel import DISCHARGE_START, SEA_RULES, Service, iso, outlet, point

__all__ = [
    "DEFAULT_LIMIT",
    "DISCHARGE_START",
    "MAX_LIMIT",
    "SEA_RULES",
    "BadParameter",
    "NotFound",
    "Service",
    "SizeCache",
    "iso",
    "make_query",
    "outlet",
    "parse_bbox",
    "parse_time",
    "point",
]
