"""The dashboard: server-rendered pages in four languages over the read model, with
inline SVG maps and charts, usable with no network and no JavaScript."""

__all__ = ["i18n", "pages", "views"]
