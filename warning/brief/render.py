"""The brief in words: plain text (terminal, email text part, the log), Slack Block Kit and
email HTML.

One function, :func:`sections`, says what each country's part contains; the media only
escape and lay it out. Feed text (headlines, outlets) is untrusted: Slack's escaping
and links come from notify/mrkdwn.py and the HTML's from notify/email.py, as an alert's
do, and only http(s) links are ever links.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ..notify import mrkdwn
from ..notify.email import html_link, one_line
from ..notify.render import label_name, place_name
from .gather import AlertLine, Brief, Change, Story

#: Slack's limits (Block Kit reference): blocks per message, characters per section
#: text and header, and the fallback text.
BLOCKS_MAX = 50
SECTION_MAX = 3000
HEADER_MAX = 150
TEXT_MAX = 4000
#: Room kept in a section for its "and N more" line.
MORE_ROOM = 60


@dataclass(frozen=True, slots=True)
class Section:
    """One country's part: its place, lines in our words, and its top stories."""

    place: str
    lines: tuple[str, ...]
    stories: tuple[Story, ...]


def title(brief: Brief) -> str:
    zone = ZoneInfo(brief.timezone)
    return f"Morning brief · {brief.end.astimezone(zone):%a %d %b %Y}"


def window_line(brief: Brief) -> str:
    zone = ZoneInfo(brief.timezone)
    start, end = brief.start.astimezone(zone), brief.end.astimezone(zone)
    hours = round((brief.end - brief.start).total_seconds() / 3600)
    return f"The {hours} hours from {start:%d %b %H:%M} to {end:%d %b %H:%M} ({brief.timezone})"


def quiet_line(brief: Brief) -> str | None:
    if not brief.quiet:
        return None
    return "Quiet (nothing above the thresholds): " + ", ".join(place_name(c) for c in brief.quiet)


def change_line(change: Change) -> str:
    n = change.outlets
    what = f"{label_name(change.label)}: {n} outlet{'' if n == 1 else 's'}"
    if change.baseline is None:
        return f"{what} (no baseline yet)"
    usual = f"{what}, usually {change.baseline:.1f}"
    if change.trend == "up" and change.spike is not None:
        return f"{usual} — up {change.spike:.1f}×"
    return f"{usual} — {change.trend}"


def alert_line(kind: str, alert: AlertLine, zone: ZoneInfo) -> str:
    sure = "corroborated" if alert.corroborated else "unconfirmed"
    what = f"{kind} #{alert.id}: {label_name(alert.label)}, {alert.severity}, {sure}"
    if kind == "Resolved" and alert.resolved_at is not None:
        return f"{what}, resolved {alert.resolved_at.astimezone(zone):%d %b %H:%M}"
    return f"{what}, opened {alert.opened_at.astimezone(zone):%d %b %H:%M} (rule {alert.rule})"


def sections(brief: Brief) -> list[Section]:
    """What each country's part says, most urgent country first."""
    zone = ZoneInfo(brief.timezone)
    out = []
    for country in brief.countries:
        lines = [alert_line("New alert", a, zone) for a in country.new]
        lines += [change_line(c) for c in country.changes]
        lines += [alert_line("Resolved", a, zone) for a in country.resolved]
        lines += [alert_line("Still open", a, zone) for a in country.still_open]
        out.append(Section(place_name(country.subject), tuple(lines), country.stories))
    return out


def _carried(story: Story) -> str:
    others = len(story.outlets) - 1
    return (
        f"{story.outlet}, +{others} more outlet{'' if others == 1 else 's'}"
        if others
        else (story.outlet)
    )


# --- plain text ---------------------------------------------------------------------------


def text(brief: Brief) -> str:
    """The whole brief as plain text: the terminal, the email's text part, the log."""
    out = [title(brief), window_line(brief)]
    for section in sections(brief):
        out += ["", section.place]
        out += [f"  {line}" for line in section.lines]
        if section.stories:
            out.append("  Top stories:")
        for s in section.stories:
            link = f" {s.link}" if s.link else ""
            out.append(f"  - {one_line(s.title)} ({one_line(_carried(s))}){link}")
    if not brief.countries:
        out += ["", "Nothing to report."]
    quiet = quiet_line(brief)
    if quiet:
        out += ["", quiet]
    return "\n".join(out)


# --- Slack ----------------------------------------------------------------------------------


def _section_text(section: Section) -> str:
    """One country as mrkdwn within a section's 3,000 characters, cut with "and N more"."""
    head = f"*{mrkdwn.escape(mrkdwn.one_line(section.place, 200))}*"
    lines = [f"• {mrkdwn.escape(line)}" for line in section.lines]
    if section.stories:
        lines.append("_Top stories_")
    for s in section.stories:
        outlet = mrkdwn.escape(mrkdwn.one_line(_carried(s), mrkdwn.OUTLET_MAX))
        lines.append(f"• {mrkdwn.link(s.link, s.title)} — {outlet}")
    kept, size = [head], len(head)
    for n, line in enumerate(lines):
        if size + 1 + len(line) > SECTION_MAX - MORE_ROOM:
            kept.append(f"_and {len(lines) - n} more_")
            break
        kept.append(line)
        size += 1 + len(line)
    return "\n".join(kept)


def slack_blocks(brief: Brief) -> list[dict[str, Any]]:
    """One message within Slack's limits: at most 50 blocks, each section within 3,000
    characters; countries past the room left are named in an "and N more" section."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title(brief)[:HEADER_MAX]}},
        {"type": "context", "elements": [mrkdwn.mrkdwn(mrkdwn.escape(window_line(brief)))]},
    ]
    quiet = quiet_line(brief)
    room = BLOCKS_MAX - len(blocks) - (1 if quiet else 0)
    found = sections(brief)
    if len(found) > room:
        shown, rest = found[: room - 1], found[room - 1 :]
    else:
        shown, rest = found, []
    blocks += [{"type": "section", "text": mrkdwn.mrkdwn(_section_text(s))} for s in shown]
    if rest:
        names = mrkdwn.escape(", ".join(s.place for s in rest))
        more = f"_and {len(rest)} more countries:_ {names}"
        blocks.append({"type": "section", "text": mrkdwn.mrkdwn(mrkdwn.clip(more, SECTION_MAX))})
    if not found:
        blocks.append({"type": "section", "text": mrkdwn.mrkdwn("Nothing to report.")})
    if quiet:
        quiet_text = mrkdwn.clip(mrkdwn.escape(quiet), SECTION_MAX)
        blocks.append({"type": "context", "elements": [mrkdwn.mrkdwn(quiet_text)]})
    return blocks[:BLOCKS_MAX]


def slack_text(brief: Brief) -> str:
    """The fallback ``text`` (notifications, screen readers), escaped, within 4,000."""
    return mrkdwn.clip(mrkdwn.escape(text(brief)), TEXT_MAX)


# --- email ----------------------------------------------------------------------------------


def email_subject(brief: Brief) -> str:
    return f"[warning] {title(brief)}"


def email_html(brief: Brief) -> str:
    """The HTML alternative: every string escaped, links only for http(s) URLs."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"></head><body>',
        f"<h2>{e(title(brief))}</h2>",
        f"<p>{e(window_line(brief))}</p>",
    ]
    for section in sections(brief):
        parts.append(f"<h3>{e(section.place)}</h3>")
        if section.lines:
            parts.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in section.lines))
            parts.append("</ul>")
        if section.stories:
            parts.append("<p>Top stories:</p><ul>")
            for s in section.stories:
                link = html_link(s.link, one_line(s.title))
                parts.append(f"<li>{link} ({e(one_line(_carried(s)))})</li>")
            parts.append("</ul>")
    if not brief.countries:
        parts.append("<p>Nothing to report.</p>")
    quiet = quiet_line(brief)
    if quiet:
        parts.append(f"<p>{e(quiet)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def period(brief: Brief) -> str:
    """The day a brief belongs to, in its time zone (its dedup key's date)."""
    return f"{brief.end.astimezone(ZoneInfo(brief.timezone)):%Y-%m-%d}"


__all__ = ["email_html", "email_subject", "sections", "slack_blocks", "slack_text", "text"]
