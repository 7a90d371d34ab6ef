"""Request parameters of the read model: filters parsed once for the API, the dashboard
and the CLI, with errors that name the parameter.

This is the one query builder: :func:`make_query` turns the text of ``station``, ``org``,
``nuclide``, ``medium``, ``since``, ``until``, ``bbox``, ``depth`` (a layer class of
:func:`seawitness.model.harmonized.depth_class`), ``limit`` and ``offset`` into a store
:class:`~seawitness.store.store.Query`, or raises :class:`BadParameter`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime

from seawitness.errors import InputError, NotFoundError
from seawitness.model.harmonized import DEPTH_CLASSES
from seawitness.model.nuclides import UnknownNuclide, normalize_nuclide
from seawitness.model.records import Medium
from seawitness.model.times import parse_instant
from seawitness.store.store import Query

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "BadParameter",
    "NotFound",
    "SORTS",
    "check_known",
    "make_query",
    "parse_bbox",
    "parse_medium",
    "parse_nuclide",
    "parse_sort",
    "parse_time",
]

#: Largest page of JSON results; bigger pulls should use the streaming downloads.
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100


class BadParameter(InputError):
    """A request parameter that cannot be used; ``param`` names it for the error body."""

    code = "bad_parameter"

    def __init__(self, param: str, detail: str) -> None:
        super().__init__(f"{param}: {detail}", where=param, context={"parameter": param})
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


#: Accepted ``sort`` values: sampling time, oldest first (the default) or newest first.
SORTS = ("sampled_at", "-sampled_at")

#: Other names people use for a medium (case-insensitive), beside the canonical ones.
_MEDIUM_ALIASES = {
    "water": "seawater",
    "sea water": "seawater",
    "sea-water": "seawater",
    "sea_water": "seawater",
    "fishes": "fish",
    "seaweeds": "seaweed",
    "algae": "seaweed",
    "sediments": "sediment",
}

#: Largest integer a parameter may carry: the database's BIGINT.
MAX_INT = 2**63 - 1


def parse_nuclide(text: str | None) -> str | None:
    """The canonical name of a nuclide however it is written (``Cs137``, ``137Cs``,
    ``cs-137``, ``tritium``), or a 400 naming ``nuclide``."""
    if not text:
        return None
    try:
        return normalize_nuclide(text)
    except UnknownNuclide as exc:
        raise BadParameter("nuclide", str(exc)) from None


def parse_medium(text: str | None) -> str | None:
    """A canonical medium (``water`` is ``seawater``), or a 400 that lists them."""
    if not text:
        return None
    low = text.strip().lower()
    low = _MEDIUM_ALIASES.get(low, low)
    if low in {m.value for m in Medium}:
        return low
    raise BadParameter(
        "medium", f"unknown medium {text!r}; one of {', '.join(m.value for m in Medium)}"
    )


def parse_sort(text: str | None) -> bool:
    """True for newest first (``-sampled_at``); the default is oldest first."""
    if not text or text == SORTS[0]:
        return False
    if text == SORTS[1]:
        return True
    raise BadParameter("sort", f"unknown sort {text!r}; one of {', '.join(SORTS)}")


def check_known(params: Iterable[str], accepted: Iterable[str]) -> None:
    """A 400 for the first parameter an endpoint does not take, listing those it does:
    a misspelt filter must not silently return everything."""
    known = set(accepted)
    for name in params:
        if name not in known:
            raise BadParameter(
                name, f"unknown parameter; this endpoint takes {', '.join(sorted(known))}"
            )


def resolve(param: str, text: str | None, values: Mapping[str, str], what: str) -> str | None:
    """``text`` as one of the known ``values`` (lower-case name -> name), ignoring case;
    a 400 that lists them when it is none of them."""
    if not text:
        return None
    got = values.get(text.strip().lower())
    if got is None:
        shown = sorted(values.values())
        more = f" (and {len(shown) - 30} more)" if len(shown) > 30 else ""
        raise BadParameter(param, f"unknown {what} {text!r}; one of {', '.join(shown[:30])}{more}")
    return got


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
    sort: str | None = None,
) -> Query:
    """A store :class:`Query` from request parameters, or :class:`BadParameter`.

    Nuclide and medium names are made canonical (``Cs137`` is ``Cs-137``, ``water`` is
    ``seawater``); organisations and stations are checked against the store by
    :meth:`seawitness.service.Service.query`."""
    t0, t1 = parse_time("since", since), parse_time("until", until)
    if t0 and t1 and t0 >= t1:
        raise BadParameter("until", "must be later than since")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise BadParameter("limit", f"must be 1..{MAX_LIMIT}; use format=csv for everything")
    if not 0 <= offset <= MAX_INT:
        raise BadParameter("offset", f"must be 0..{MAX_INT}")
    if depth and depth not in DEPTH_CLASSES:
        raise BadParameter(
            "depth", f"{depth!r} is not a depth class; one of {', '.join(DEPTH_CLASSES)}"
        )
    return Query(
        station=station or None,
        org=org or None,
        nuclide=parse_nuclide(nuclide),
        medium=parse_medium(medium),
        since=t0,
        until=t1,
        bbox=parse_bbox(bbox),
        depth_class=depth or None,
        history=history,
        limit=limit,
        offset=offset,
        descending=parse_sort(sort),
    )
