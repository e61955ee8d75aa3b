"""Grouping: alerts about one subject within a window form one incident, one thread.

``grouping:`` in warning.yaml (docs/alerts.md, "Grouping")::

    grouping:
      enabled: true     # the default, as Alertmanager groups by default
      window: 6h

A new alert about a subject joins the subject's open incident when the last alert
joined it less than ``window`` ago; otherwise it opens a new incident. An incident
is open while any of its alerts is; once all have resolved, the next alert opens a
new one. The subject is compared as it is stored: a country code (``NE``), a watch
zone (``zone:coastal-north``) or a feed (``feed:rfi-afrique``), so a zone's alerts
form their own incident, apart from its countries'.

Only delivery changes: each alert keeps its own lifecycle, dedup key, verdict
buttons and messages, which go to the incident's thread (the thread of the
incident's first delivered message, per route); the thread's first message shows
every open alert of the incident below it (notify/render.py, ``incident_lines``). The store joins
and closes incidents in the alert's own transaction (store/incidents.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ..settings import option, positive


@dataclass(frozen=True, slots=True)
class GroupingSettings:
    """``grouping``: whether alerts about one subject share a thread, and for how long
    after the last one joined a new alert still joins it."""

    enabled: bool = True
    window: timedelta = option(timedelta(hours=6), check=positive)

    @property
    def group(self) -> timedelta | None:
        """The window the store groups within, None when grouping is off."""
        return self.window if self.enabled else None
