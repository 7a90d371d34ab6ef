"""Writing measurements and stations as open formats.

The CSV carries every field of the record (so export → import gives the same records),
units in the header where a column has one fixed unit, ISO 8601 UTC times, and the MARIS
detection codes unchanged: a non-detect stays ``<`` with its limit, never a number in
disguise. A Frictionless Data Package descriptor (``datapackage.json``, Table Schema v1)
describes each table for tools that read it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from seawitness.model.columns import MEASUREMENT_FIELDS, STATION_FIELDS, FieldSpec
from seawitness.model.times import format_utc


def _header(f: FieldSpec) -> str:
    return f"{f.name} [{f.unit}]" if f.unit else f.name


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return format_utc(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, sort_keys=True) if v else ""
    return str(v)


def write_csv(
    rows: Iterable[dict[str, Any]], path: Path, fields: Sequence[FieldSpec] = MEASUREMENT_FIELDS
) -> int:
    """Write rows as UTF-8 CSV with a header (units in brackets); return the row count."""
    n = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([_header(x) for x in fields])
        for r in rows:
            w.writerow([_cell(r.get(x.name)) for x in fields])
            n += 1
    return n


_ARROW = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "string": pa.string(),
    "boolean": pa.bool_(),
    "datetime": pa.timestamp("s", tz="UTC"),
}


def write_parquet(
    rows: Sequence[dict[str, Any]], path: Path, fields: Sequence[FieldSpec] = MEASUREMENT_FIELDS
) -> int:
    """Write rows as Parquet with typed columns and field descriptions as metadata."""
    schema = pa.schema(
        [
            pa.field(
                x.name,
                _ARROW[x.type],
                metadata={"description": x.description, **({"unit": x.unit} if x.unit else {})},
            )
            for x in fields
        ]
    )
    table = pa.table(
        {x.name: [_parquet_value(r.get(x.name)) for r in rows] for x in fields}, schema=schema
    )
    pq.write_table(table, path)
    return len(rows)


def _parquet_value(v: Any) -> Any:
    """A JSON object (``extra``) goes to Parquet as its JSON text, as in the CSV."""
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, sort_keys=True) if v else None
    return v


def write_geojson(stations: Iterable[dict[str, Any]], path: Path) -> int:
    """Stations as a GeoJSON FeatureCollection (RFC 7946); unknown positions: null geometry."""
    feats = []
    for st in stations:
        geom = None
        if st.get("lat") is not None and st.get("lon") is not None:
            geom = {"type": "Point", "coordinates": [st["lon"], st["lat"]]}
        props = {x.name: st.get(x.name) for x in STATION_FIELDS if x.name not in ("lat", "lon")}
        if st.get("last_sampled") is not None:
            props["last_sampled"] = _cell(st["last_sampled"])
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    return len(feats)


def table_schema(fields: Sequence[FieldSpec]) -> dict[str, Any]:
    out = []
    for x in fields:
        d: dict[str, Any] = {"name": _header(x), "type": x.type, "description": x.description}
        if x.type == "datetime":
            d["format"] = "%Y-%m-%dT%H:%M:%SZ"
        out.append(d)
    return {"fields": out, "missingValues": [""]}


def write_datapackage(
    folder: Path,
    resources: dict[str, tuple[str, Sequence[FieldSpec]]],
    *,
    title: str,
    checkpoint: str | None = None,
) -> Path:
    """Write ``datapackage.json`` (Frictionless Data Package v1) describing CSV tables.

    ``resources`` maps a resource name to (relative CSV path, its fields).
    """
    pkg: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": "seawitness-export",
        "title": title,
        "resources": [
            {
                "name": name,
                "path": rel,
                "profile": "tabular-data-resource",
                "format": "csv",
                "encoding": "utf-8",
                "schema": table_schema(fields),
            }
            for name, (rel, fields) in resources.items()
        ],
    }
    if checkpoint:
        pkg["seawitness_checkpoint"] = checkpoint
    path = folder / "datapackage.json"
    path.write_text(json.dumps(pkg, indent=2, ensure_ascii=False), encoding="utf-8")
    return path
