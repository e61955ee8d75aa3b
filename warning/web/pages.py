"""The situation page's HTML: the map and table, a country's trends and evidence, one alert.

Server-rendered, with no script. Every value that came from a feed, a configuration or
a person (titles, outlets, places, terms, notes, errors) passes through :func:`esc`;
links are written only for http(s) URLs (:func:`link`), anything else is shown as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from ..alerting.verdicts import describe, standing
from ..notify.render import label_name, place_name
from ..redact import scrub
from ..store.alerts import StoredAlert
from ..store.situation import AlertDetail, ItemView
from . import svg
from .situation import LEVELS, CountryState, Day


def esc(value: object) -> str:
    """Text for HTML, quotes included (safe in attributes too)."""
    return escape("" if value is None else str(value), quote=True)


def when(value: datetime | None) -> str:
    return "–" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


def link(url: str | None, text: str) -> str:
    """``text`` linked to ``url`` when it is an http(s) URL; otherwise the text alone."""
    if url and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return f'<a href="{esc(url.strip())}" rel="noopener noreferrer nofollow">{esc(text)}</a>'
    return esc(text)


def layout(title: str, body: str, updated: datetime | None) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{esc(title)} · warning</title><link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/style.css"></head><body>'
        '<header><a href="/" class="home">warning · situation</a>'
        f'<span class="updated">last update: <time>{when(updated)}</time></span></header>'
        f"<main>{body}</main></body></html>"
    )


def _alert_rows(found: Sequence[StoredAlert]) -> str:
    if not found:
        return "<p>None.</p>"
    rows = "".join(
        f'<tr class="alert-{esc(a.status)}"><td><a href="/alerts/{a.id}">#{a.id}</a></td>'
        f"<td>{esc(a.status)}</td><td>{esc(a.severity)}</td><td>{esc(label_name(a.label))}</td>"
        f"<td>{esc(place_name(a.subject))}</td><td>{a.score:.2f}</td>"
        f"<td>{'corroborated' if a.level >= 1 else 'unconfirmed'} · {len(a.outlets)}</td>"
        f"<td>{when(a.opened_at)}</td></tr>"
        for a in found
    )
    return (
        '<table class="alerts"><thead><tr><th>alert</th><th>status</th><th>severity</th>'
        "<th>signal</th><th>where</th><th>score</th><th>outlets</th><th>opened</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


def index(
    states: Sequence[CountryState],
    open_alerts: Sequence[StoredAlert],
    zones: Iterable[object],
    updated: datetime | None,
) -> str:
    zone_alerts = {a.subject for a in open_alerts if a.subject.startswith("zone:")}
    rows = "".join(
        f'<tr class="level-{s.level}"><td><a href="/country/{s.code}">{esc(s.name)}</a> '
        f"({s.code}){'' if svg.on_map(s.code) else ' <em>off the map</em>'}</td>"
        f"<td>{s.level}</td><td>"
        + ", ".join(
            f"{esc(label_name(label))} {score:.2f} ({s.outlets.get(label, 0)})"
            for label, score in sorted(s.labels.items(), key=lambda kv: -kv[1])
        )
        + f"</td><td>{s.open_alerts}</td></tr>"
        for s in states
    )
    legend = "".join(f'<li><span class="swatch level-{lv}"></span>{lv}</li>' for lv in LEVELS)
    body = (
        "<h1>Situation</h1>"
        '<div class="overview"><figure>'
        f"{svg.africa(states, zones, zone_alerts)}"  # type: ignore[arg-type]
        f'<figcaption><ul class="legend">{legend}</ul>Dashed: watch zones. Circles: open '
        "alerts.</figcaption></figure>"
        '<section class="countries"><h2>Countries with a signal</h2>'
        '<table class="countries"><caption>Last 24 hours: each label\'s score (independent '
        "outlets)</caption><thead><tr><th>country</th><th>level</th><th>signals</th>"
        f"<th>open alerts</th></tr></thead><tbody>{rows}</tbody></table>"
        f"{'' if states else '<p>No country has a signal in the last 24 hours.</p>'}"
        "</section></div>"
        f"<section><h2>Open alerts, newest first</h2>{_alert_rows(open_alerts)}</section>"
    )
    return layout("Situation", body, updated)


def _item(item: ItemView) -> str:
    scores = "".join(
        f"<li>{esc(label_name(label))} {p:.2f}"
        + (f": {esc(', '.join(terms))}" if terms else "")
        + "</li>"
        for label, (p, terms) in item.labels.items()
    )
    places = esc(", ".join(item.places)) or "–"
    lang = f' lang="{esc(item.lang)}"' if item.lang else ""
    return (
        f'<li class="item"><p class="headline"{lang}>{link(item.link, item.title)}</p>'
        f'<p class="meta">{esc(item.outlet)} · {when(item.seen)} · places: {places}</p>'
        f'<ul class="scores">{scores or "<li>no label above its threshold</li>"}</ul></li>'
    )


def country(
    state: CountryState,
    trends: dict[str, list[Day]],
    alerts: Sequence[StoredAlert],
    latest: Sequence[ItemView],
    updated: datetime | None,
) -> str:
    charts = "".join(
        f"<section><h3>{esc(label_name(label))}</h3>{svg.trend(label_name(label), days)}</section>"
        for label, days in trends.items()
    )
    items = "".join(_item(i) for i in latest) or "<li>No items about this country.</li>"
    body = (
        f'<h1>{esc(state.name)} ({state.code}) <span class="level level-{state.level}">'
        f"{state.level}</span></h1>"
        "<section><h2>Trends, last 30 days</h2><p>Bars: independent outlets per day; line: "
        "mean score of the day's items (0 to 1, right); dashed: the usual outlets per day "
        f"over the 28 days before.</p>{charts}</section>"
        f"<section><h2>Open and recent alerts</h2>{_alert_rows(alerts)}</section>"
        f'<section><h2>Latest items</h2><ul class="items">{items}</ul></section>'
    )
    return layout(state.name, body, updated)


def alert(detail: AlertDetail, updated: datetime | None) -> str:
    """What ``warning alerts show`` prints, as a page."""
    a = detail.alert
    headlines = "".join(
        f"<li>{link(h[1], h[0])} ({esc(h[2])}, {when(h[3])})</li>"
        for item_id in a.items
        if (h := detail.headlines.get(item_id)) is not None
    )
    events = ""
    for ev in detail.events:
        deliveries = "".join(
            f"<li>{esc(d['route'])}: {esc(d['status'])} after {d['attempts']} attempt(s)"
            + (f"; last error: {esc(scrub(d['last_error']))}" if d["last_error"] else "")
            + "</li>"
            for d in ev["deliveries"]
        )
        note = f" — {esc(ev['note'])}" if ev.get("note") else ""
        events += (
            f"<li>{ev['seq']}. {esc(ev['decision'])} at {when(ev['at'])}, score "
            f"{ev['score']:.2f}{note}<ul>{deliveries}</ul></li>"
        )
    stands = standing(detail.verdicts)
    verdicts = "".join(
        f"<li>{esc(describe(v))} via {esc(v.source)}{': ' + esc(v.note) if v.note else ''}</li>"
        for v in detail.verdicts
    )
    judged = (
        f"<p>Verdict: <strong>{esc(describe(stands))}</strong></p>"
        if stands
        else "<p>No verdict yet.</p>"
    )
    body = (
        f"<h1>Alert #{a.id}: {esc(label_name(a.label))} · {esc(place_name(a.subject))}</h1>"
        f'<dl class="facts"><dt>status</dt><dd>{esc(a.status)}</dd>'
        f"<dt>rule</dt><dd>{esc(a.rule)}</dd><dt>severity</dt><dd>{esc(a.severity)}</dd>"
        f"<dt>score</dt><dd>{a.score:.2f}</dd>"
        f"<dt>outlets</dt><dd>{esc(', '.join(a.outlets) or 'none')}</dd>"
        f"<dt>opened</dt><dd>{when(a.opened_at)}</dd><dt>resolved</dt><dd>{when(a.resolved_at)}</dd>"
        f"<dt>model</dt><dd>{esc(a.model)}</dd><dt>rules</dt><dd>{esc(a.rules_hash)}</dd>"
        f"<dt>key</dt><dd>{esc(a.dedup_key)}</dd></dl>"
        f"<section><h2>Evidence</h2><ul>{headlines or '<li>none stored</li>'}</ul></section>"
        f'<section><h2>Decisions and deliveries</h2><ol class="events">{events}</ol></section>'
        f"<section><h2>Verdicts</h2>{judged}<ul>{verdicts}</ul></section>"
    )
    return layout(f"Alert #{a.id}", body, updated)


def error(status: int, message: str) -> str:
    return layout(str(status), f"<h1>{status}</h1><p>{esc(message)}</p>", None)
