"""Request parameters of the read model: filters parsed once for the API, the dashboard
and the CLI, with errors that name the parameter.

This is the one query builder: :func:`make_query` turns the text of ``station``, ``org``,
``nuclide``, ``medium``, ``since``, ``until``, ``bbox``, ``depth`` (a layer class of
:func:`seawitness.model.harmonized.depth_class`), ``limit`` and ``offset`` into a store
:class:`~seawitness.store.store.Query`, or raises :class:`BadParameter`.
"""

from __future__ import annotations

import math
from datetime import datetime

from seawitness.errors import InputError, NotFoundError
from seawitness.model.harmonized import DEPTH_CLASSES
from seawitness.model.times import parse_instant
from seawitness.store.store import Query

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "BadParameter",
    "NotFound",
    "make_query",
    "parse_bbox",
    "parse_time",
]

#: Largest page of JSON results; bigger pulls should use the streaming downloads.
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100


class BadParameter(InputError):
    """A request parameter that cannot be used; ``param`` names it for the error body."""

    code = "bad_parameter"

    def __init__(self, param: str, detail: str) -> None:
        super().__init__(f"{param}: {detail}")
        self.param = param
        self.detail = detail


class NotFound(NotFoundError):
    """The station, record or rule set asked for does not exist."""


def parse_time(param: str, text: str | None) -> datetime | None:
    """An ISO 8601 date or date-time; a time without a zone is taken as UTC."""
    if text is None or text == "":
        return None
    try:
        return parse_instant(text, field=param)
    except InputError as exc:
        raise BadParameter(param, str(exc).removeprefix(f"{param}: ")) from None


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``min_lon,min_lat,max_lon,max_lat`` in degrees (WGS 84), as GeoJSON orders it."""
    if not text:
        return None
    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4 or not all(math.isfinite(x) for x in parts):
        raise BadParameter("bbox", f"{text!r} is not four numbers min_lon,min_lat,max_lon,max_lat")
    x0, y0, x1, y1 = parts
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise BadParameter(
            "bbox", f"{text!r}: need -180<=min_lon<=max_lon<=180 and the same for lat"
        )
    return (x0, y0, x1, y1)


def make_query(
    *,
    station: str | None = None,
    org: str | None = None,
    nuclide: str | None = None,
    medium: str | None = None,
    since: str | None = None,
    until: str | None = None,
    bbox: str | None = None,
    depth: str | None = None,
    history: bool = False,
    limit: int | None = DEFAULT_LIMIT,
    offset: int = 0,
) -> Query:
    """A store :class:`Query` from request parameters, or :class:`BadParameter`."""
    t0, t1 = parse_time("since", since), parse_time("until", until)
    if t0 and t1 and t0 >= t1:
        raise BadParameter("until", "must be later than since")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise BadParameter("limit", f"must be 1..{MAX_LIMIT}; use format=csv for everything")
    if offset < 0:
        raise BadParameter("offset", "must be >= 0")
    if depth and depth not in DEPTH_CLASSES:
        raise BadParameter(
            "depth", f"{depth!r} is not a depth class; one of {', '.join(DEPTH_CLASSES)}"
        )
    return Query(
        station=station or None,
        org=org or None,
        nuclide=nuclide or None,
        medium=medium or None,
        since=t0,
        until=t1,
        bbox=parse_bbox(bbox),
        depth_class=depth or None,
        history=history,
        limit=limit,
        offset=offset,
    )
