"""The published columns of a measurement and of a station, with their meaning.

One list serves every face that shows or writes records (CSV and Parquet exports, the
API's data package, the dashboard's data page) and the reader of our own CSV export, so a
column means the same thing everywhere. Types are Frictionless Table Schema v1 types.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["INDEX_FIELDS", "MEASUREMENT_FIELDS", "STATION_FIELDS", "FieldSpec"]


@dataclass(frozen=True)
class FieldSpec:
    """One column: its name, Table Schema type, meaning and fixed unit (if any)."""

    name: str
    type: str  # Table Schema type
    description: str
    unit: str | None = None


MEASUREMENT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("leaf_index", "integer", "Index of the log leaf that holds this version"),
    FieldSpec("record_id", "string", "SHA-256 (hex) of the record's RFC 8785 canonical bytes"),
    FieldSpec("version", "integer", "1 for the first version; each correction adds one"),
    FieldSpec("supersedes", "integer", "Leaf index of the version this one replaces"),
    FieldSpec("reason", "string", "Why this version exists (e.g. 'source revised')"),
    FieldSpec("submitter", "string", "Stakeholder whose key signed this version"),
    FieldSpec("org", "string", "Organisation the record names as publisher of the result"),
    FieldSpec("station", "string", "Station code"),
    FieldSpec("medium", "string", "seawater, fish, shellfish, seaweed, sediment, ..."),
    FieldSpec("sampled_at", "datetime", "Sampling time, ISO 8601 UTC"),
    FieldSpec("nuclide", "string", "Canonical nuclide (H-3, H-3:TFWT, H-3:OBT, Cs-137, ...)"),
    FieldSpec(
        "detection",
        "string",
        "MARIS code: '=' detected, '<' below the limit given as value, 'ND', 'DE'",
    ),
    FieldSpec("value", "number", "Result, or the detection limit when detection is '<'"),
    FieldSpec("unit", "string", "Unit of value, uncertainty and detection_limit"),
    FieldSpec("basis", "string", "water (per litre), wet or dry (per kg)"),
    FieldSpec("uncertainty", "number", "Standard uncertainty (k=1), same unit as value"),
    FieldSpec("coverage_factor", "number", "Coverage factor the lab reported"),
    FieldSpec("detection_limit", "number", "Detection limit, same unit as value"),
    FieldSpec("depth", "string", "Sampling depth as the source states it"),
    FieldSpec("depth_m", "number", "Sampling depth", "m"),
    FieldSpec("species", "string", "Species or sample description"),
    FieldSpec("tissue", "string", "Tissue analysed"),
    FieldSpec("sample_id", "string", "Lab sample id; split samples share it"),
    FieldSpec("analysis", "string", "rapid or precise, where the source says"),
    FieldSpec("lab", "string", "Laboratory that analysed the sample"),
    FieldSpec("source", "string", "Source file the result came from"),
    FieldSpec("lat", "number", "Latitude (WGS 84)", "degree"),
    FieldSpec("lon", "number", "Longitude (WGS 84)", "degree"),
    FieldSpec("replicate", "integer", "Order among identical-looking results of one source"),
    FieldSpec("method", "string", "Analytical method"),
    FieldSpec("reference_date", "datetime", "Date the activity refers to (decay), ISO 8601 UTC"),
    FieldSpec("source_tz", "string", "Time zone the source used (IANA name)"),
    FieldSpec("note", "string", "Free-text note"),
    FieldSpec("extra", "string", "Further source fields, as a JSON object"),
    FieldSpec("retracted", "boolean", "True if the record was retracted by a correction"),
)

# Fields of the log index, not of the record itself.
INDEX_FIELDS = frozenset(
    {"leaf_index", "record_id", "version", "supersedes", "reason", "retracted", "submitter"}
)

STATION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("org", "string", "Organisation that runs the station"),
    FieldSpec("code", "string", "Station code"),
    FieldSpec("name", "string", "Station name or location text"),
    FieldSpec("lat", "number", "Latitude (WGS 84); empty if unknown", "degree"),
    FieldSpec("lon", "number", "Longitude (WGS 84); empty if unknown", "degree"),
    FieldSpec("zone", "string", "outlet-3km, square-10km, offshore or unknown"),
    FieldSpec("zone_source", "string", "named (TEPCO list), distance, source or none"),
    FieldSpec("coords_known", "boolean", "False where the source gives no coordinates"),
    FieldSpec("n_results", "integer", "Number of current results"),
)
