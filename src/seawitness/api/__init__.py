"""The JSON API under ``/api/v1`` and the log's HTTP paths (c2sp.org/tlog-tiles reads,
signed submissions, witness cosignatures). :mod:`seawitness.app` mounts the routers."""

from seawitness.api import downloads, http, models, openapi, routes, tlog_routes

__all__ = ["downloads", "http", "models", "openapi", "routes", "tlog_routes"]
