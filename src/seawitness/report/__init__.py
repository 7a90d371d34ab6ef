"""Evidence reports: a jurisdiction's rules applied to a region's results, reproducible
from a log checkpoint."""

__all__: list[str] = []
