"""seawitness: a verifiable, multi-stakeholder record of radioactivity in the sea."""

#: The one place the version is written; the package build reads it from here
#: (``[tool.hatch.version]`` in pyproject.toml), so reading it costs no metadata lookup.
__version__ = "0.1.0"

__all__ = ["__version__"]
