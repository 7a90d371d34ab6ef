"""The JSON API under ``/api/v1``: measurements, stations, series, history, summaries.

Stability promise (as Datasette's): documented URLs and keys stay; keys may be *added*,
so clients must ignore keys they do not know. Every error is
``{"error": <code>, "detail": <text>}`` (plus ``"parameter"`` for a bad parameter) with a
4xx/5xx status. Times are ISO 8601 UTC. A non-detect is never a value: ``detection`` is
the MARIS code and, for ``<``, ``value`` *is* the detection limit.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from seawitness.analysis.limits import list_rule_sets
from seawitness.api import bulk_routes, downloads
from seawitness.api.models import (
    ERRORS,
    EntryOut,
    HistoryOut,
    LimitsOut,
    LogOut,
    MeasurementsPage,
    ProofOut,
    SeriesOut,
    StationsOut,
    SummaryOut,
)
from seawitness.export.tables import table_schema
from seawitness.model.columns import MEASUREMENT_FIELDS, STATION_FIELDS
from seawitness.service import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    SEA_RULES,
    BadParameter,
    Service,
    iso,
)
from seawitness.service.params import MAX_INT, check_known, parse_medium, parse_nuclide, resolve


def _known_parameters(request: Request) -> None:
    """Every data endpoint refuses a query parameter it does not take (a 400 listing
    those it does), so a misspelt filter never silently returns everything."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is not None:
        check_known(request.query_params.keys(), [p.alias for p in dependant.query_params])


router = APIRouter(prefix="/api/v1", tags=["data"], dependencies=[Depends(_known_parameters)])


def service(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


# -- parameters -------------------------------------------------------------------------

Station = Annotated[
    str | None, Query(description="Station code", openapi_examples={"t": {"value": "T-0-1A"}})
]
Org = Annotated[
    str | None,
    Query(description="Organisation that published the result", examples=["TEPCO"]),
]
Nuclide = Annotated[
    str | None,
    Query(description="Canonical nuclide: H-3, H-3:OBT, Cs-137, ...", examples=["H-3"]),
]
Medium = Annotated[
    str | None, Query(description="seawater, fish, seaweed, ...", examples=["seawater"])
]
Since = Annotated[
    str | None,
    Query(
        description="Sampled at or after (ISO 8601 date or time, UTC if no zone)",
        examples=["2023-08-24"],
    ),
]
Until = Annotated[
    str | None,
    Query(description="Sampled before (ISO 8601 date or time)", examples=["2024-01-01"]),
]
Bbox = Annotated[
    str | None,
    Query(
        description="min_lon,min_lat,max_lon,max_lat (WGS 84)", examples=["141.0,37.3,141.2,37.5"]
    ),
]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in ("series_key", "import_id")}
    out["sampled_at"] = iso(row.get("sampled_at"))
    if "reference_date" in out:
        out["reference_date"] = iso(row.get("reference_date"))
    if isinstance(out.get("extra"), str):
        out["extra"] = json.loads(out["extra"])
    return out


def station_url(org: str, code: str) -> str:
    from urllib.parse import quote

    return f"/api/v1/stations/{quote(org, safe='')}/{quote(code, safe='')}"


# -- measurements ------------------------------------------------------------------------


@router.get(
    "/measurements",
    response_model=MeasurementsPage,
    summary="Measurements, filtered and paged; or a whole download",
    responses={
        **ERRORS,
        200: {
            "description": "A page of results (JSON), or the whole selection as a file",
            "content": {
                "text/csv": {"example": "leaf_index,record_id,version,...\n"},
                "application/vnd.apache.parquet": {},
                "application/x-ndjson": {"example": '{"leaf_index": 115609, ...}\n'},
            },
        },
    },
)
def measurements(
    request: Request,
    station: Station = None,
    org: Org = None,
    nuclide: Nuclide = None,
    medium: Medium = None,
    since: Since = None,
    until: Until = None,
    bbox: Bbox = None,
    depth: Annotated[
        Literal["surface", "mid", "bottom"] | None,
        Query(description="Depth class read from the source's depth text (surface, mid, bottom)"),
    ] = None,
    history: Annotated[bool, Query(description="Every version, not only the current")] = False,
    sort: Annotated[
        Literal["sampled_at", "-sampled_at"],
        Query(description="sampled_at: oldest first (default); -sampled_at: newest first"),
    ] = "sampled_at",
    limit: Annotated[
        int | None,
        Query(
            description=f"Page size for JSON (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}); "
            "for files the default is everything",
            ge=1,
            le=MAX_INT,
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(description="Where the page starts: the `meta.cursor` of the previous page"),
    ] = None,
    count: Annotated[
        bool, Query(description="Count every match into `meta.total` (slower on big selections)")
    ] = False,
    offset: Annotated[
        int,
        Query(
            description="Results to skip (prefer `cursor`: an offset reads every row it skips)",
            ge=0,
            le=MAX_INT,
        ),
    ] = 0,
    format: Annotated[
        Literal["json", "csv", "parquet", "ndjson"],
        Query(
            description="json: one page; csv, parquet, ndjson: the whole selection as a "
            "file with every field of the record"
        ),
    ] = "json",
) -> Any:
    """Current results (or every version with `history=true`), oldest first (`sort=-sampled_at`
    for newest first).

    The JSON page holds every field of each result; `meta.next` links the next page
    (keyset pagination: `meta.cursor` marks where it starts) and `meta.total` counts the
    matches when `count=true` (or when nothing is filtered). Nuclides and media may be
    written as sources write them (`Cs137`, `137Cs`, `tritium`, `water`); organisations
    in any case. An unknown value or parameter is a 400 that lists what is accepted.
    `format=csv|parquet|ndjson` streams the whole selection (or `limit` rows of it), the
    same columns as `seawitness export`. The whole current dataset as CSV or Parquet
    redirects (307) to its bulk file when one was built for the current checkpoint
    (`GET /api/v1/bulk`): the same bytes, sent as a file.
    """
    svc = service(request)
    is_json = format == "json"
    q = svc.query(
        station=station,
        org=org,
        nuclide=nuclide,
        medium=medium,
        since=since,
        until=until,
        bbox=bbox,
        depth=depth,
        history=history,
        offset=offset,
        sort=sort,
        limit=(DEFAULT_LIMIT if limit is None else limit) if is_json else None,
    )
    if not is_json:
        if cursor:
            raise BadParameter("cursor", "pages are for format=json; a file holds everything")
        if limit is not None:
            q = replace(q, limit=limit)
        whole = svc.bulk_for(q, format)
        if whole is not None:  # the same bytes, built once for this checkpoint
            return RedirectResponse(bulk_routes.url_of(whole), status_code=307)
        if request.scope.get("seawitness.head"):
            media, name, _ = downloads.FORMATS[format]
            return Response(media_type=media)
        return downloads.download(svc.store.engine, q, format, {})
    page = svc.page(q, cursor, count)
    nxt = None
    if page["next_cursor"]:
        params = {k: v for k, v in request.query_params.items() if k not in ("cursor", "offset")}
        params.update(cursor=page["next_cursor"], limit=str(q.limit))
        nxt = f"{request.url.path}?{urlencode(params)}"
    return {
        "meta": {
            "total": page["total"],
            "limit": q.limit,
            "offset": q.offset if not cursor else 0,
            "cursor": cursor,
            "next_cursor": page["next_cursor"],
            "next": nxt,
            "sort": sort,
        },
        "results": [_jsonable(r) for r in page["rows"]],
    }


# -- stations ----------------------------------------------------------------------------


def _station_out(st: dict[str, Any]) -> dict[str, Any]:
    d = {f.name: st.get(f.name) for f in STATION_FIELDS}
    d["last_sampled"] = iso(st.get("last_sampled"))
    d["url"] = station_url(st["org"], st["code"])
    return d


@router.get(
    "/stations",
    response_model=StationsOut,
    summary="Every station (JSON or GeoJSON)",
    responses={
        200: {
            "description": "Stations; with format=geojson a FeatureCollection (RFC 7946) "
            "where a station with unknown coordinates has a null geometry",
            "content": {
                "application/geo+json": {
                    "example": {
                        "type": "FeatureCollection",
                        "features": [
                            {
                                "type": "Feature",
                                "geometry": {"type": "Point", "coordinates": [141.0467, 37.4306]},
                                "properties": {
                                    "org": "TEPCO",
                                    "code": "T-0-1A",
                                    "zone": "outlet-3km",
                                },
                            }
                        ],
                    }
                }
            },
        }
    },
)
def stations(
    request: Request,
    org: Org = None,
    zone: Annotated[
        str | None,
        Query(description="outlet-3km, square-10km, offshore or unknown", examples=["outlet-3km"]),
    ] = None,
    format: Annotated[Literal["json", "geojson"], Query(description="json or geojson")] = "json",
) -> Any:
    """Stations with their zone, whether their coordinates are known, and result counts;
    `org` (any case) and `zone` filter them."""
    all_sts = service(request).stations()
    o = resolve("org", org, {s["org"].lower(): s["org"] for s in all_sts}, "organisation")
    z = resolve("zone", zone, {s["zone"]: s["zone"] for s in all_sts}, "zone")
    sts = [
        _station_out(s)
        for s in all_sts
        if (o is None or s["org"] == o) and (z is None or s["zone"] == z)
    ]
    if format == "geojson":
        feats = []
        for s in sts:
            geom = None
            if s["coords_known"]:
                geom = {"type": "Point", "coordinates": [s["lon"], s["lat"]]}
            props = {k: v for k, v in s.items() if k not in ("lat", "lon")}
            feats.append({"type": "Feature", "geometry": geom, "properties": props})
        return Response(
            json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False),
            media_type="application/geo+json",
        )
    return {"results": sts}


@router.get(
    "/stations/{org}/{code}",
    summary="One station, with the nuclides it has results for",
    responses={
        **ERRORS,
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "org": "TEPCO",
                        "code": "T-0-1A",
                        "zone": "outlet-3km",
                        "nuclides": [
                            {
                                "nuclide": "H-3",
                                "medium": "seawater",
                                "n": 784,
                                "series": "/api/v1/stations/TEPCO/T-0-1A/series?nuclide=H-3",
                            }
                        ],
                    }
                }
            }
        },
    },
)
def station(
    request: Request,
    org: Annotated[str, Path(description="Organisation", examples=["TEPCO"])],
    code: Annotated[str, Path(description="Station code (URL-encoded)", examples=["T-0-1A"])],
) -> Any:
    """The station and, per nuclide and medium, how many current results it holds."""
    svc = service(request)
    st = _station_out(svc.station(org, code))
    counts: dict[tuple[str, str], int] = {}
    for r in svc.station_results(org, code):
        counts[(r["nuclide"], r["medium"])] = counts.get((r["nuclide"], r["medium"]), 0) + 1
    st["nuclides"] = [
        {
            "nuclide": n,
            "medium": m,
            "n": c,
            "series": f"{st['url']}/series?{urlencode({'nuclide': n, 'medium': m})}",
        }
        for (n, m), c in sorted(counts.items(), key=lambda kv: -kv[1])
    ]
    return st


@router.get(
    "/stations/{org}/{code}/series",
    response_model=SeriesOut,
    summary="A station's time series for one nuclide, with the TEPCO levels",
    responses=ERRORS,
)
def series(
    request: Request,
    org: Annotated[str, Path(examples=["TEPCO"])],
    code: Annotated[str, Path(examples=["T-0-1A"])],
    nuclide: Annotated[str, Query(description="Canonical nuclide", examples=["H-3"])],
    medium: Medium = None,
) -> Any:
    """Points for a chart: detected results with their standard uncertainty, and
    non-detects with their detection limit and a null value. `levels` are the TEPCO
    sea-area levels (rule set `jp-tepco-sea`) that apply in the station's zone, converted
    to the series' unit; empty where none apply. Where the station reports the nuclide in
    several units or media, the largest group is the series and `other_units` lists the
    rest."""
    svc = service(request)
    n, m = parse_nuclide(nuclide), parse_medium(medium)
    # the encoded answer is cached per tree size: a long series is mostly encoding time
    body = svc.cached(
        ("series_json", org, code, n, m),
        lambda: json.dumps(svc.series(org, code, n or nuclide, m), ensure_ascii=False).encode(),
    )
    return Response(body, media_type="application/json")


# -- records -----------------------------------------------------------------------------

Leaf = Annotated[
    int, Path(ge=0, le=MAX_INT, description="Leaf index in the log", examples=[115609])
]


@router.get(
    "/records/{leaf_index}",
    response_model=EntryOut,
    summary="The logged entry of a leaf: signed envelope and record",
    responses=ERRORS,
)
def record(request: Request, leaf_index: Leaf) -> Any:
    """The exact bytes that were logged (and signed by the submitter's key)."""
    return service(request).entry(leaf_index)


@router.get(
    "/records/{leaf_index}/history",
    response_model=HistoryOut,
    summary="Every version of a result, with the reason for each",
    responses=ERRORS,
)
def history(request: Request, leaf_index: Leaf) -> Any:
    """All versions of the series the leaf belongs to, oldest first. A source that
    revises a result in place gets a new version with a reason; nothing is deleted."""
    versions = service(request).history(leaf_index)
    return {"leaf_index": leaf_index, "versions": [_jsonable(v) for v in versions]}


@router.get(
    "/records/{leaf_index}/proof",
    response_model=ProofOut,
    summary="Inclusion proof of a record in the latest checkpoint",
    responses=ERRORS,
)
def proof(request: Request, leaf_index: Leaf) -> Any:
    """Hash the entry as `SHA-256(0x00 || entry)`, fold the proof (RFC 9162 §2.1.3.2) and
    compare with the root of the signed checkpoint: that shows the record is in the log
    the checkpoint commits to, without trusting this server."""
    return service(request).proof(leaf_index)


# -- summaries, limits, log ----------------------------------------------------------------


@router.get("/summary", response_model=SummaryOut, summary="Counts of current results")
def summary(request: Request) -> Any:
    """Current results counted by organisation, medium, nuclide and detection code
    (SQL aggregates, cached until the log grows)."""
    return service(request).summary()


@router.get(
    "/rule-sets",
    summary="The bundled rule sets",
    responses={200: {"content": {"application/json": {"example": {"results": ["codex"]}}}}},
)
def rule_sets() -> Any:
    """Names accepted by `/api/v1/limits?rule_set=`."""
    return {"results": list_rule_sets()}


@router.get(
    "/limits",
    response_model=LimitsOut,
    summary="Current results evaluated against a rule set",
    responses=ERRORS,
)
def limits(
    request: Request,
    rule_set: Annotated[
        str, Query(description="A bundled rule set (see /api/v1/rule-sets)", examples=[SEA_RULES])
    ] = SEA_RULES,
) -> Any:
    """Counts per class (exceeds, may_exceed, below, inconclusive, not_applicable) overall
    and per rule, with the highest ratios to the limit. Classes use each result's 95 %
    interval; non-detects count by their detection limit. Computed once per log size."""
    return service(request).limits(rule_set)


@router.get("/log", response_model=LogOut, summary="The log: origin, size, latest checkpoint")
def log(request: Request) -> Any:
    """What an auditor needs to start: the log's origin and public key, its size and the
    latest signed checkpoint (C2SP tlog-checkpoint note)."""
    return service(request).log_info()


@router.get(
    "/datapackage.json",
    summary="Frictionless Data Package descriptor of the downloads",
    responses={200: {"content": {"application/json": {"example": {"profile": "data-package"}}}}},
)
def datapackage(request: Request) -> Any:
    """A Frictionless Data Package (v1) describing the downloads: the measurements CSV
    with its Table Schema and the stations GeoJSON, by absolute URL, with the checkpoint
    the data were read at."""
    svc = service(request)
    base = str(request.base_url).rstrip("/")
    return {
        # a data package, not a tabular one: the stations are GeoJSON, not a table
        "profile": "data-package",
        "name": "seawitness",
        "title": f"seawitness measurements ({svc.origin})",
        "seawitness_checkpoint": svc.log_info()["checkpoint"]["note"],
        "resources": [
            {
                "name": "measurements",
                "path": f"{base}/api/v1/measurements?format=csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": table_schema(MEASUREMENT_FIELDS),
            },
            {
                "name": "stations",
                "path": f"{base}/api/v1/stations?format=geojson",
                "profile": "data-resource",
                "format": "geojson",
                "mediatype": "application/geo+json",
                "encoding": "utf-8",
            },
        ],
    }
