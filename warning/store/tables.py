"""The schema as SQLAlchemy Core tables, on one MetaData.

Alembic migrations (``migrations/versions``) create exactly this schema; a test
compares the two. Constraint names come from the naming convention so that a
later migration can refer to them by a name that is the same on every backend.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from warning.store.engine import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


#: One row per source ever configured; rows are never deleted, so history keeps its feed.
feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("kind", Text),
    Column("url", Text),
    Column("outlet", Text),
    # Polling state (records.FeedState).
    Column("etag", Text),
    Column("last_modified", Text),
    Column("final_url", Text),
    Column("next_due", UTCDateTime),
    Column("last_attempt", UTCDateTime),
    Column("last_success", UTCDateTime),
    Column("consecutive_failures", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("last_warning", Text),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    # Several instances on one PostgreSQL: who is polling the feed now, and until when
    # (Store.lease). A lease left by a dead process expires.
    Column("lease_owner", Text),
    Column("lease_until", UTCDateTime),
)

#: One row per story. Each dedup key is unique where present (NULLs do not collide).
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guid_key", Text, unique=True),
    Column("url_key", Text, unique=True),
    Column("content_hash", Text, unique=True),
    Column("title", Text, nullable=False),
    Column("summary", Text),
    Column("link", Text),
    Column("published", UTCDateTime, index=True),
    Column("first_seen", UTCDateTime, nullable=False, index=True),
    Column("lang", Text),
    Column("feed_id", Integer, ForeignKey("feeds.id"), nullable=False),
    Column("outlet", Text),
    # Set by sources whose records are edited later (ACLED); see records.Item.revision.
    Column("revision", Text),
    # records.Item.tags, "|"-separated: source facts such as GKG themes or advisory levels.
    Column("tags", Text),
    # Why the item reports a past event (records.Assessment.past), or NULL: old news,
    # whose labels are never above their thresholds.
    Column("past", Text),
)

#: Which feeds (and so outlets) carried each story: a story counts once per outlet.
sightings = Table(
    "sightings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("feed_id", Integer, ForeignKey("feeds.id"), nullable=False),
    Column("outlet", Text),
    Column("seen_at", UTCDateTime, nullable=False, index=True),  # flatline counts (0011)
    UniqueConstraint("item_id", "feed_id"),
)

#: The countries each item is about (geo.resolve), most salient first (rank 0 = primary).
item_countries = Table(
    "item_countries",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("code", Text, primary_key=True),
    Column("score", Float, nullable=False),
    Column("rank", Integer, nullable=False),
    # Signals are aggregated per country; the primary key leads with item_id.
    Index("ix_item_countries_code", "code"),
)

#: The places each item mentions, with coordinates where known (for watch zones).
item_places = Table(
    "item_places",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("country", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("admin1", Text),
    Column("lat", Float),
    Column("lon", Float),
    Column("in_title", Boolean, nullable=False),
    Index("ix_item_places_item_id", "item_id"),
)

#: The classifier's verdict on each item, one row per label (terms: the words that
#: pushed the label up, "|"-separated, for labels above their threshold).
item_scores = Table(
    "item_scores",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("label", Text, primary_key=True),
    Column("probability", Float, nullable=False),
    Column("above", Boolean, nullable=False),
    Column("terms", Text, nullable=False),
    Column("model", Text),
)

# --- alerts ------------------------------------------------------------------------
# JSON lists (outlets, item ids) are stored as text: they are read whole, never queried.

#: One row per alert episode: a rule firing for one subject (country or zone) and label,
#: from new to resolved. ``dedup_key`` (rule|subject|label|episode number) is unique, so
#: two instances that decide the same new alert insert it once.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dedup_key", Text, nullable=False, unique=True),
    Column("rule", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("status", Text, nullable=False),  # open | resolved
    Column("level", Integer, nullable=False),  # 0 unconfirmed, 1 corroborated
    Column("score", Float, nullable=False),
    Column("spike", Float),
    Column("outlets", Text, nullable=False),
    Column("items", Text, nullable=False),
    Column("model", Text),
    Column("rules_hash", Text, nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("calm_since", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("last_message_at", UTCDateTime, nullable=False),
    Column("reminders", Integer, nullable=False, server_default=text("0")),
    Column("events", Integer, nullable=False, server_default=text("1")),
    Column("acknowledged_at", UTCDateTime),
    Column("acknowledged_by", Text),
    # The incident whose thread the alert's messages go to (grouping), NULL when not grouped.
    Column("incident_id", Integer),
    # While an inhibit rule mutes it: what mutes it, "rule|label|level" of that alert.
    Column("muted_by", Text),
    Index("ix_alerts_rule_subject_label", "rule", "subject", "label"),
    Index("ix_alerts_status", "status"),
    Index("ix_alerts_incident_id", "incident_id"),
)

#: Every decision about an alert (new, escalated, ongoing, resolved), numbered per alert.
#: (alert_id, seq) is unique, so the same decision is never recorded (or sent) twice.
alert_events = Table(
    "alert_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("decision", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("level", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("spike", Float),
    Column("outlets", Text, nullable=False),
    Column("items", Text, nullable=False),
    Column("silence_id", Integer),
    # What an operator alert says ("feed x: 7 failures in a row; last error: ...").
    Column("note", Text),
    # The inhibiting alert ("rule|label|level") when the decision was muted, not sent.
    Column("muted_by", Text),
    UniqueConstraint("alert_id", "seq"),
)

#: Alerts about one subject grouped into one thread (warning/alerting/incidents.py): open
#: while any of its alerts is open; a new alert joins the subject's open incident when
#: the last alert joined it less than ``grouping.window`` ago. ``dedup_key``
#: (subject|number) is unique, so two instances grouping at once open it once.
incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dedup_key", Text, nullable=False, unique=True),
    Column("subject", Text, nullable=False),
    Column("status", Text, nullable=False),  # open | closed
    Column("opened_at", UTCDateTime, nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Index("ix_incidents_subject_status", "subject", "status"),
)

#: The outbox: one row per event and route, retried until sent (or failed for good).
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("alert_events.id", ondelete="CASCADE"), nullable=False),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("route", Text, nullable=False),
    # pending | sending | sent | failed | silenced | muted
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_try", UTCDateTime, nullable=False),
    Column("claimed_until", UTCDateTime),
    Column("last_error", Text),
    Column("sent_at", UTCDateTime),
    Column("ref", Text),  # what later messages thread under (Slack channel:ts, Message-ID)
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("event_id", "route"),
    Index("ix_deliveries_status_next_try", "status", "next_try"),
    Index("ix_deliveries_alert_id_route", "alert_id", "route"),
)

#: Operator silences: matching alerts are recorded but not sent until ``until``.
silences = Table(
    "silences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subject", Text),
    Column("label", Text),
    Column("rule", Text),
    Column("until", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", Text),
    Column("lifted_at", UTCDateTime),
)

# --- verdicts ----------------------------------------------------------------------

#: What the desk said about an alert (warning.alerting.verdicts): every click and every
#: ``alerts verdict``, oldest first; the latest judgement is the one shown.
verdicts = Table(
    "verdicts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    # ack | confirmed | false_alarm | wrong_country | old_news
    Column("decision", Text, nullable=False),
    Column("by_id", Text),  # the Slack user id; NULL from the shell and email
    Column("by_name", Text, nullable=False),
    Column("note", Text),
    Column("source", Text, nullable=False),  # slack | shell | email
    Column("at", UTCDateTime, nullable=False),
    Index("ix_verdicts_alert_id", "alert_id"),
)

#: What a verdict says about each evidence item: the item does (carries) or does not
#: carry ``label`` for ``country`` (NULL: any country). The desk's own labels, kept
#: apart from the shipped training corpus.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("verdict_id", Integer, ForeignKey("verdicts.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("label", Text),
    Column("country", Text),
    Column("carries", Boolean, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_feedback_verdict_id", "verdict_id"),
)

# --- the morning brief ---------------------------------------------------------------

#: One row per brief and route, inserted under its unique dedup key (brief:ROUTE:DATE,
#: the date in brief.timezone) before anything is sent, then delivered and retried as
#: the alert outbox does. ``content`` is the brief as gathered (JSON): a retry, or
#: another instance, sends exactly what was queued.
briefs = Table(
    "briefs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dedup_key", Text, nullable=False, unique=True),
    Column("route", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("content", Text, nullable=False),
    # pending | sending | sent | failed
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_try", UTCDateTime, nullable=False),
    Column("claimed_until", UTCDateTime),
    Column("last_error", Text),
    Column("sent_at", UTCDateTime),
    Column("ref", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_briefs_status_next_try", "status", "next_try"),
)
