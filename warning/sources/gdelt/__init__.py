"""GDELT as a source: event exports (``kind: gdelt-events``) and the GKG (``kind: gdelt-gkg``).

GDELT publishes, every 15 minutes, two files among others: an export of the events it
machine-coded from the world's news, and its Global Knowledge Graph of the articles it
read. A feed points at one such file (over http(s) or ``file://``, zipped or not) or at
the ``lastupdate.txt`` index, whose newest file of the feed's kind it follows.

The package, one module per concern: fetching.py (index, zip: shared by both kinds),
rows.py (tab-separated rows, shared by both parsers), options.py (the byte caps both
kinds' options extend), cameo.py (the CAMEO table), events.py and gkg.py (the two kinds). Every name
below is importable from here; docs/gdelt.md has the tables, the formula and the reasons.
"""

from __future__ import annotations

from .cameo import CAMEO_TABLE, CameoTable, load_cameo_table
from .events import EXPORT_COLUMNS, EventsOptions, GdeltEventsSource, parse_export
from .fetching import GdeltSource, unpack
from .gkg import (
    GKG_COLUMNS,
    KEPT_PREFIXES,
    KEPT_THEMES,
    GdeltGkgSource,
    GkgOptions,
    parse_gkg,
)

__all__ = [
    "CAMEO_TABLE",
    "EXPORT_COLUMNS",
    "GKG_COLUMNS",
    "KEPT_PREFIXES",
    "KEPT_THEMES",
    "CameoTable",
    "EventsOptions",
    "GdeltEventsSource",
    "GdeltGkgSource",
    "GdeltSource",
    "GkgOptions",
    "load_cameo_table",
    "parse_export",
    "parse_gkg",
    "unpack",
]
