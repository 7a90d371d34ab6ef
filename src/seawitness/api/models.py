"""Response models of the JSON API: the shapes the OpenAPI description documents, with
examples. Routes return plain dicts; these models say what the dicts hold."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    """Every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": "bad_parameter",
                    "parameter": "since",
                    "detail": "'yesterday' is not an ISO 8601 date or time (e.g. 2023-08-24)",
                }
            ]
        }
    )
    error: str = Field(description="Short machine-readable code: bad_parameter, not_found, ...")
    detail: str = Field(description="What went wrong, for a person")
    parameter: str | None = Field(None, description="The request parameter at fault, if any")


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A bad parameter; `parameter` names it"},
    404: {"model": ErrorBody, "description": "No such station, record or rule set"},
}

_MEASUREMENT_EXAMPLE: dict[str, Any] = {
    "leaf_index": 115609,
    "record_id": "cd503fa18721f1ee0823a10a0c5c8b1b0283428d1c288f8a9d5410cf58b06abe",
    "version": 1,
    "supersedes": None,
    "reason": None,
    "retracted": False,
    "org": "TEPCO",
    "station": "T-0-1A",
    "medium": "seawater",
    "sampled_at": "2026-07-28T23:45:00Z",
    "nuclide": "H-3",
    "detection": "<",
    "value": 0.31,
    "unit": "Bq/L",
    "basis": "water",
    "uncertainty": None,
    "detection_limit": 0.31,
    "depth": "Sea surface to a depth of 0.5 m",
    "lat": 37.43055556,
    "lon": 141.04666667,
}


class Meta(BaseModel):
    total: int | None = Field(
        description="Results matching the filters (all pages): with count=true, or when "
        "nothing is filtered; otherwise null"
    )
    limit: int
    offset: int
    cursor: str | None = Field(None, description="The cursor this page started at")
    next_cursor: str | None = Field(None, description="The cursor of the next page")
    next: str | None = Field(description="URL of the next page, or null on the last page")
    sort: str = Field("sampled_at", description="sampled_at (oldest first) or -sampled_at")


class MeasurementsPage(BaseModel):
    """One page of current results (or every version with ``history=true``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "meta": {
                        "total": None,
                        "limit": 1,
                        "offset": 0,
                        "cursor": None,
                        "next_cursor": "AQAABjQx2xyAAAAAAAABwqkAAAAAAAKD2EwRqm0",
                        "next": "/api/v1/measurements?station=T-0-1A&limit=1"
                        "&cursor=AQAABjQx2xyAAAAAAAABwqkAAAAAAAKD2EwRqm0",
                        "sort": "sampled_at",
                    },
                    "results": [_MEASUREMENT_EXAMPLE],
                }
            ]
        }
    )
    meta: Meta
    results: list[dict[str, Any]]


class StationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org": "TEPCO",
                    "code": "T-0-1A",
                    "name": "Harbor entrance, northeast side (T-0-1A)",
                    "lat": 37.43055556,
                    "lon": 141.04666667,
                    "zone": "outlet-3km",
                    "zone_source": "source",
                    "coords_known": True,
                    "n_results": 3120,
                    "last_sampled": "2026-07-28T23:45:00Z",
                    "url": "/api/v1/stations/TEPCO/T-0-1A",
                }
            ]
        }
    )
    org: str
    code: str
    name: str | None
    lat: float | None
    lon: float | None
    zone: str = Field(description="outlet-3km, square-10km, offshore or unknown")
    zone_source: str | None
    coords_known: bool
    n_results: int
    last_sampled: str | None
    url: str


class StationsOut(BaseModel):
    results: list[StationOut]


class Level(BaseModel):
    rule_id: str
    level: str = Field(description="investigation or suspension")
    title: str
    limit: float = Field(description="In the series' unit")
    unit: str
    source: str
    confidence: str
    low_confidence: bool


class Point(BaseModel):
    leaf_index: int
    sampled_at: str
    detection: str = Field(description="MARIS code: '=', '<', 'ND', 'DE'")
    value: float | None = Field(description="The result; null for any non-detect")
    uncertainty: float | None = Field(description="Standard uncertainty (k=1)")
    detection_limit: float | None = Field(description="Where the result is a non-detect")
    analysis: str | None
    depth: str | None
    version: int | None


class SeriesOut(BaseModel):
    """A station's time series for one nuclide, in one unit, with the TEPCO levels."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "station": {
                        "org": "TEPCO",
                        "code": "T-0-1A",
                        "name": "Harbor entrance (T-0-1A)",
                        "lat": 37.43,
                        "lon": 141.05,
                        "zone": "outlet-3km",
                    },
                    "nuclide": "H-3",
                    "medium": "seawater",
                    "unit": "Bq/L",
                    "basis": "water",
                    "other_units": [],
                    "points": [
                        {
                            "leaf_index": 115609,
                            "sampled_at": "2026-07-28T23:45:00Z",
                            "detection": "<",
                            "value": None,
                            "uncertainty": None,
                            "detection_limit": 0.31,
                            "analysis": None,
                            "depth": "Sea surface to a depth of 0.5 m",
                            "version": 1,
                        }
                    ],
                    "levels": [
                        {
                            "rule_id": "jp-tepco-sea/outlet-3km/H-3/investigation",
                            "level": "investigation",
                            "title": "Investigation level, vicinity of the discharge outlet",
                            "limit": 350.0,
                            "unit": "Bq/L",
                            "source": "TBS News 2023-08-26",
                            "confidence": "MED",
                            "low_confidence": False,
                        }
                    ],
                }
            ]
        }
    )
    station: dict[str, Any]
    nuclide: str
    medium: str
    unit: str
    basis: str
    other_units: list[dict[str, Any]] = Field(
        description="Results of this nuclide in other media or units, not in this series"
    )
    points: list[Point]
    levels: list[Level]


class HistoryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "leaf_index": 115609,
                    "versions": [
                        {**_MEASUREMENT_EXAMPLE, "version": 1},
                        {
                            **_MEASUREMENT_EXAMPLE,
                            "leaf_index": 164900,
                            "version": 2,
                            "supersedes": 115609,
                            "reason": "source revised",
                            "detection": "=",
                            "value": 0.35,
                        },
                    ],
                }
            ]
        }
    )
    leaf_index: int
    versions: list[dict[str, Any]] = Field(description="Every version, oldest first")


class EntryOut(BaseModel):
    leaf_index: int
    kind: str
    submitter: str
    key_id: str
    key_demo: bool | None = Field(
        description="True: the key is a labelled demo key held by this instance, not by the "
        "organisation; None: the key is not registered (the administrator anchor)"
    )
    key_note: str | None = Field(description="What a demo key's signature does not show")
    record_id: str | None
    leaf_hash: str = Field(description="SHA-256(0x00 || entry), hex")
    entry: str = Field(description="The logged entry bytes (signed JSON envelope)")
    record: dict[str, Any] | None


class ProofOut(BaseModel):
    """RFC 9162 inclusion proof of a leaf in the latest signed checkpoint."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "leaf_index": 1000,
                    "tree_size": 164824,
                    "leaf_hash": "cb7a19f3...",
                    "root_hash": "645f7825...",
                    "inclusion_proof": ["c1c8fadf...", "3486a9c8..."],
                    "checkpoint": "seawitness.local/demo\n164824\nZF94...\n\n— ...\n",
                }
            ]
        }
    )
    leaf_index: int
    tree_size: int
    leaf_hash: str = Field(description="hex")
    root_hash: str = Field(description="hex; the checkpoint carries it in base64")
    inclusion_proof: list[str] = Field(description="hex hashes, bottom-up (RFC 9162 2.1.3)")
    checkpoint: str = Field(description="The signed checkpoint note the proof is against")


class SummaryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tree_size": 164824,
                    "results": 164812,
                    "stations": 225,
                    "stations_without_coordinates": 40,
                    "organisations": 5,
                    "by_org": {"TEPCO": 123860, "NRA": 2932},
                    "by_medium": {"seawater": 122292, "fish": 41935},
                    "by_nuclide": {"H-3": 14844, "Cs-137": 67118},
                    "by_detection": {"=": 32441, "<": 131790, "ND": 581},
                    "by_org_medium": [{"org": "TEPCO", "medium": "seawater", "n": 114289}],
                }
            ]
        }
    )
    tree_size: int
    results: int
    stations: int
    stations_without_coordinates: int
    organisations: int
    by_org: dict[str, int]
    by_medium: dict[str, int]
    by_nuclide: dict[str, int]
    by_detection: dict[str, int] = Field(description="By MARIS detection code")
    by_org_medium: list[dict[str, Any]]


class LimitsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rule_set": "jp-tepco-sea",
                    "title": "TEPCO sea-area monitoring",
                    "jurisdiction": "JP",
                    "tree_size": 164824,
                    "evaluations": 29098,
                    "counts": {
                        "exceeds": 0,
                        "may_exceed": 0,
                        "below": 17470,
                        "inconclusive": 0,
                        "not_applicable": 11628,
                    },
                    "rules": [],
                    "low_confidence_numbers": [],
                }
            ]
        }
    )
    rule_set: str
    title: str
    jurisdiction: str
    tree_size: int = Field(description="The evaluation is of the log at this size")
    evaluations: int
    counts: dict[str, int] = Field(description="exceeds, may_exceed, below, inconclusive, ...")
    rules: list[dict[str, Any]] = Field(description="Per rule: counts and the highest ratios")
    low_confidence_numbers: list[str]


class LogOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "origin": "seawitness.local/demo",
                    "tree_size": 164824,
                    "checkpoint": {
                        "size": 164824,
                        "root_hash": "ZF94JXOAiPd9GczNoicgvPvKyDkN1JTSWpSgYyt09wo=",
                        "note": "seawitness.local/demo\n164824\nZF94...=\n\n— ...\n",
                    },
                    "log_public_key": "seawitness.local/demo+72955101+AQuT...",
                }
            ]
        }
    )
    origin: str
    tree_size: int
    checkpoint: dict[str, Any]
    log_public_key: str | None
