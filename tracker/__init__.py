"""NK-cell immunotherapy trial landscape tracker: CT.gov API v2 → DuckDB → dashboard."""

from __future__ import annotations

__version__ = "0.1.0"
