"""Exports of the current measurements and stations: CSV, Parquet, GeoJSON, datapackage."""

from seawitness.export.tables import (
    write_csv,
    write_datapackage,
    write_geojson,
    write_parquet,
)

__all__ = ["write_csv", "write_datapackage", "write_geojson", "write_parquet"]
