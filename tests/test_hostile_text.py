"""Hostile feed content: markup built to stall the HTML-to-text step, and fields and
entry counts too large to store (issue 14, findings 1 and 3).

A pattern that backtracks holds the GIL, so no thread can time it out: whatever might
hang runs in a child process with a generous limit, and a failure says it did not
finish. Whole polls run through ``warning poll --once`` against the real feed server.
"""

from __future__ import annotations

import html
import json
import random
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from warning.normalize import KEY_MAX_CHARS, canonical_url, guid_key, html_to_text, truncate
from warning.sources.acled.events import parse_events
from warning.sources.advisory import parse_advisories
from warning.sources.caps import ITEMS_MAX, LINK_MAX_CHARS, RAW_FACTOR, TITLE_MAX_CHARS
from warning.sources.gdelt.gkg import parse_gkg
from warning.sources.rss import SUMMARY_MAX_CHARS, RssOptions, parse_feed
from warning.store import Store

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
#: Seconds a child process gets for work that takes milliseconds when linear (and hours
#: when cubic): generous, so that a loaded machine never fails it.
FINISHES_WITHIN = 20.0

#: Markup that made the old patterns backtrack, by name, as functions of a length.
HOSTILE: dict[str, Callable[[int], str]] = {
    "<a repeated": lambda n: "<a" * (n // 2),
    "<a and quotes": lambda n: "<a " + '"' * n,
    "<a and both quotes": lambda n: "<a " + "'\"" * (n // 2),
    "nested quotes": lambda n: "<a " + "=\"'" * (n // 3),
    '<a title="x> repeated': lambda n: '<a title="x>' * (n // 12),
    "<!-- repeated": lambda n: "<!--" * (n // 4),
    "<script repeated": lambda n: "<script" * (n // 7),
    "< and a= repeated": lambda n: "<" + "a=" * (n // 2),
    "<p and spaces": lambda n: "<p" + " " * n,
    "</script and spaces": lambda n: "<script>" + "</script " * (n // 10),
    "<![CDATA[ repeated": lambda n: "<![CDATA[" * (n // 9),
    "<! and <? repeated": lambda n: "<!x<?x" * (n // 6),
}


def run_child(code: str, timeout: float = FINISHES_WITHIN) -> Any:
    """Run ``code`` in a fresh interpreter; the JSON it prints last, or fail if it hangs."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not finish within {timeout:g} s: the work is not linear in its input")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- html_to_text: hostile markup ---------------------------------------------------


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_markup_finishes_quickly(name: str) -> None:
    result = run_child(
        f"""
        import json
        from tests.test_hostile_text import HOSTILE
        from warning.normalize import html_to_text
        print(json.dumps(html_to_text("Headline. " + HOSTILE[{name!r}](200_000))))
        """
    )
    # What the text before the markup said survives, and no markup leaks into the text.
    assert result.startswith("Headline.")
    assert not re.search(r"<(?:/?[a-zA-Z]|!--|\?)", result)


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        # a tag left open at the end is dropped, as a browser drops it
        ("Headline <a href='https://example.org/x", "Headline"),
        ("Headline <a", "Headline"),
        ("<a" * 1000, ""),
        # a quote only opens a value after '='
        ("<img alt=O'Brien>Mali's army", "Mali's army"),
        ('<a "x>shown', "shown"),
        ("<a title=\"a > b\" data-x='c > d'>shown</a>", "shown"),
        # an unclosed quoted value runs to the end, like the tag
        ('before <a title="x>never closed', "before"),
        # declarations and processing instructions end at '>'
        ("<!DOCTYPE html><?xml version='1.0'?>text", "text"),
        # CDATA markers go, their content stays
        ("<![CDATA[kept]]> too", "kept too"),
        # script, style and template contents go; their end tag in any case
        ("a<SCRIPT>x</script >b<template><p>t</p></TEMPLATE>c", "a b c"),
        # text that looks like a tag's start, but is none
        ("a < b, 3<4, <!1, </ 5>", "a < b, 3<4, <!1, </ 5>"),
    ],
)
def test_edge_cases_read_as_a_browser_would(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


# --- html_to_text: the same text as before on real markup ---------------------------

# The regex version this one replaced, as an oracle on small inputs only: its time grows
# with the cube of a hostile input.
_OLD_INVISIBLE = re.compile(
    r"<(script|style|template)\b[^>]*>.*?(?:</\1\s*>|\Z)|<!--.*?(?:-->|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_OLD_TAG_BODY = r"[a-zA-Z][^\s/>]*(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
_OLD_BLOCK_TAG = re.compile(
    r"</?(?:p|br|div|li|ul|ol|dl|dt|dd|h[1-6]|tr|td|th|table|thead|tbody|tfoot|caption"
    r"|blockquote|pre|hr|section|article|aside|header|footer|nav|figure|figcaption"
    r"|address|main|img|iframe|video|audio|object|embed|noscript|option|select)"
    r"(?=[\s/>])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>",
    re.IGNORECASE,
)
_OLD_ANY_TAG = re.compile(r"</?" + _OLD_TAG_BODY + r"|<!\[CDATA\[|\]\]>|<![a-zA-Z][^>]*>|<\?[^>]*>")


def old_html_to_text(s: str) -> str:
    if "<" in s:
        s = _OLD_INVISIBLE.sub(" ", s)
        s = _OLD_BLOCK_TAG.sub(" ", s)
        s = _OLD_ANY_TAG.sub("", s)
    if "&" in s:
        s = html.unescape(s)
    return " ".join(s.split())


_NAMES = ["p", "b", "i", "a", "br", "div", "span", "img", "li", "em", "h2", "td", "font", "P"]
_WORDS = ["Bamako", "coup", "a < b", "3<4", "R&D", "&amp;", "&lt;b&gt;", "l'armée", "«", "»"]
_VALUES = ["x", "a > b", "it's", 'say "hi"', "https://e.org/?a=1&amp;b=2", ""]


def _fragment(rng: random.Random) -> str:
    """A piece of well-formed HTML of the kind feeds carry."""
    parts = []
    for _ in range(rng.randint(1, 12)):
        roll = rng.random()
        if roll < 0.35:
            parts.append(rng.choice(_WORDS) + rng.choice(["", " ", "\n", "\u00a0"]))
        elif roll < 0.75:
            name = rng.choice(_NAMES)
            attrs = ""
            for _ in range(rng.randint(0, 2)):
                value = rng.choice(_VALUES)
                quote = "'" if '"' in value else rng.choice(['"', "'"]) if "'" not in value else '"'
                attrs += f" {rng.choice(['href', 'title', 'class'])}={quote}{value}{quote}"
            parts.append(f"<{rng.choice(['', '/'])}{name}{attrs}{rng.choice(['', '/'])}>")
        elif roll < 0.82:
            parts.append("<!-- a <b>comment</b> -->")
        elif roll < 0.88:
            parts.append(rng.choice(["<script>var x = '<p>';</script>", "<style>p{}</style>"]))
        elif roll < 0.94:
            parts.append("<![CDATA[cdata]]>")
        else:
            parts.append("&eacute;&#233;&#xe9;")
    return "".join(parts)


def test_real_markup_gives_the_same_text_as_before() -> None:
    rng = random.Random(14)
    for _ in range(3000):
        fragment = _fragment(rng)
        assert html_to_text(fragment) == old_html_to_text(fragment), fragment


def test_random_garbage_only_ever_loses_characters() -> None:
    # Without entities, the text is the input with markup taken out (and whitespace
    # collapsed): never a character the input did not have, never out of order.
    rng = random.Random(1)
    alphabet = "<<<>>/!-?=\"'ab p[]CDAT \n"
    for _ in range(5000):
        junk = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        text = html_to_text(junk)
        assert text == " ".join(text.split()), junk
        rest = iter(junk)  # block tags become spaces: only the other characters count
        assert all(c in rest for c in text if c != " "), (junk, text)


# --- every caller reaches the linear path --------------------------------------------

CALLERS = {
    "rss description": """
        body = ('<rss version="2.0"><channel><item><title>t</title><description>'
                + escape(markup) + '</description></item></channel></rss>').encode()
        [item] = parse_feed(body, feed="f", outlet="o", base_url="https://e.org/").items
        out = item.summary
    """,
    "rss content:encoded": """
        body = ('<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
                '<channel><item><title>t</title><content:encoded>' + escape(markup)
                + '</content:encoded></item></channel></rss>').encode()
        [item] = parse_feed(body, feed="f", outlet="o", base_url="https://e.org/").items
        out = item.summary
    """,
    "atom html title": """
        body = ('<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="html">'
                + escape(markup) + '</title><summary type="html">' + escape(markup)
                + '</summary></entry></feed>').encode()
        [item] = parse_feed(body, feed="f", outlet="o", base_url="https://e.org/").items
        out = item.title + item.summary
    """,
    "us advisory": """
        us = open("tests/fixtures/advisory/us-1.xml", encoding="utf-8").read()
        body = re.sub("(<item>.*?)<description>.*?</description>",
                      lambda m: m[1] + "<description>" + escape(markup) + "</description>", us,
                      count=1, flags=re.S).encode()
        items = parse_advisories(body, feed="f", outlet="o", base_url="https://e.org/").items
        out = items[0].summary
    """,
    "uk advisory": """
        uk = open("tests/fixtures/advisory/uk-index.atom", encoding="utf-8").read()
        body = re.sub('<summary type="xhtml">.*?</summary>',
                      lambda m: '<summary type="html">' + escape(markup) + "</summary>", uk,
                      count=1, flags=re.S).encode()
        items = parse_advisories(body, feed="f", outlet="o", base_url="https://e.org/").items
        out = items[0].summary
    """,
    "gdelt page title": """
        row = open("tests/fixtures/gdelt/20201024143000.gkg.csv", encoding="utf-8").readline()
        row = re.sub("<PAGE_TITLE>.*?</PAGE_TITLE>",
                     lambda m: "<PAGE_TITLE>Title " + markup + "</PAGE_TITLE>", row)
        [item] = parse_gkg(row.encode(), feed="f").items
        out = item.title
    """,
}


@pytest.mark.parametrize("caller", list(CALLERS))
def test_every_feed_field_goes_through_the_linear_path(caller: str) -> None:
    out = run_child(
        textwrap.dedent(
            """
            import json, re
            from xml.sax.saxutils import escape
            from warning.sources.rss import parse_feed
            from warning.sources.advisory import parse_advisories
            from warning.sources.gdelt.gkg import parse_gkg
            markup = "Text " + "<a" * 5_000  # no '>' anywhere: the old patterns' worst case
            """
        )
        + textwrap.dedent(CALLERS[caller])
        + "print(json.dumps(out))\n"
    )
    assert "Text" in out and "<a" not in out


def test_fcdo_advice_is_read_in_linear_time() -> None:
    # One 250 KB "word" of "advis": each "advi" in it used to start a scan to its end.
    level = run_child(
        """
        import json
        from warning.sources.advisory import fcdo_level
        print(json.dumps(fcdo_level("advis" * 50_000 + " for all travel")))
        """
    )
    assert level is None


def test_gdelt_page_title_without_its_closing_tag_is_found_in_linear_time() -> None:
    skipped = run_child(
        """
        import json
        from warning.sources.gdelt.gkg import parse_gkg
        row = open("tests/fixtures/gdelt/20201024143000.gkg.csv", encoding="utf-8").readline()
        extras = row.rstrip("\\n").rsplit("\\t", 1)[1]
        result = parse_gkg(row.replace(extras, "<PAGE_TITLE>" * 200_000).encode(), feed="f")
        print(json.dumps([len(result.items), result.entries_skipped]))
        """
    )
    assert skipped == [0, 1]  # a row without a title


# --- caps: titles, summaries, links, keys ----------------------------------------------


def rss(items: list[str], *, xmlns: str = "") -> bytes:
    return f'<rss version="2.0"{xmlns}><channel>{"".join(items)}</channel></rss>'.encode()


def parse(body: bytes, **caps: int) -> Any:
    return parse_feed(
        body, feed="f", outlet="o", base_url="https://e.org/", caps=RssOptions(**caps)
    )


def test_a_long_title_is_cut_with_a_mark_and_a_warning() -> None:
    title = "Coup in Bamako " + "très " * 2_000
    result = parse(rss([f"<item><title>{title}</title><link>https://e.org/1</link></item>"]))
    [item] = result.items
    assert len(item.title) <= TITLE_MAX_CHARS and item.title.endswith("…")
    assert item.title.startswith("Coup in Bamako très")
    assert item.title[:-1] == " ".join(title.split())[: len(item.title) - 1]
    [warning] = result.warnings
    assert "1 title longer than 1,000 characters cut to 1,000" in warning
    assert f"held {len(title.strip()):,}" in warning and "raise `max_title_chars`" in warning


def test_the_title_cap_is_a_feed_setting() -> None:
    title = "word " * 300
    result = parse(rss([f"<item><title>{title}</title></item>"]), max_title_chars=2_000)
    assert result.items[0].title == title.strip() and result.warnings == ()


def test_a_summary_is_cut_quietly_unless_it_passes_the_raw_bound() -> None:
    long_article = "<p>" + "Lede sentence. " * 1_000 + "</p>"  # a full-text feed
    huge = "<p>Lede.</p>" + "<i>x</i>" * (SUMMARY_MAX_CHARS * RAW_FACTOR // 8)
    result = parse(
        rss(
            [
                f"<item><title>a</title><description>{html.escape(long_article)}"
                "</description></item>",
                f"<item><title>b</title><description>{html.escape(huge)}</description></item>",
            ]
        )
    )
    first, second = result.items
    assert len(first.summary) <= SUMMARY_MAX_CHARS and first.summary.endswith("…")
    assert len(second.summary) <= SUMMARY_MAX_CHARS and second.summary.endswith("…")
    [warning] = result.warnings
    assert warning.startswith("1 summary of more than 128,000 characters as sent cut to 4,000")
    assert "raise `max_summary_chars`" in warning


def test_a_cut_never_splits_a_letter_from_its_accent() -> None:
    text = "e\u0301" * 10  # "é" written as e + combining acute
    for limit in range(2, 12):
        cut = truncate(text, limit)
        assert len(cut) <= limit and cut.endswith("…")
        assert not cut[:-1] or cut[-2] == "\u0301"


def test_an_overlong_link_is_dropped_and_an_overlong_guid_is_hashed() -> None:
    link = "https://e.org/" + "a" * LINK_MAX_CHARS
    guid = "g" * 10_000
    result = parse(rss([f"<item><title>t</title><link>{link}</link><guid>{guid}</guid></item>"]))
    [item] = result.items
    assert item.link is None and item.url_key is None
    assert item.guid_key is not None and item.guid_key.startswith("sha256:")
    assert item.guid_key == guid_key(guid, "o")  # still the same key for the same GUID
    assert any("1 link longer than 4,096 characters dropped" in w for w in result.warnings)


def test_keys_stay_short_enough_for_a_unique_index() -> None:
    url = "https://e.org/" + "p/" * KEY_MAX_CHARS
    key = canonical_url(url)
    assert key is not None and len(key) <= KEY_MAX_CHARS and key == canonical_url(url)
    assert canonical_url("https://e.org/short") == "https://e.org/short"
    assert guid_key("12345", "bbc") == "bbc:12345"


def test_an_overlong_advisory_title_is_cut() -> None:
    body = (FIXTURES / "advisory" / "us-1.xml").read_text(encoding="utf-8")
    body = body.replace(
        "<title>Mali - Level 3: Reconsider Travel</title>",
        "<title>Mali - Level 3: Reconsider Travel" + " x" * 5_000 + "</title>",
    )
    result = parse_advisories(body.encode(), feed="f", outlet="o", base_url="https://e.org/")
    mali = next(i for i in result.items if "country:ML" in i.tags)
    assert len(mali.title) <= TITLE_MAX_CHARS and mali.title.endswith("…")
    assert any("1 title longer than 1,000" in w for w in result.warnings)


def test_an_overlong_gdelt_page_title_is_cut_and_said() -> None:
    row = (FIXTURES / "gdelt" / "20201024143000.gkg.csv").read_text(encoding="utf-8")
    row = row.splitlines()[0]
    row = re.sub(
        r"<PAGE_TITLE>.*?</PAGE_TITLE>", "<PAGE_TITLE>" + "Djibo " * 5_000 + "</PAGE_TITLE>", row
    )
    result = parse_gkg(row.encode(), feed="f")
    [item] = result.items
    assert len(item.title) <= TITLE_MAX_CHARS and item.title.endswith("…")
    [warning] = [w for w in result.warnings if "title" in w]
    assert "1 title longer than 1,000 characters cut" in warning
    assert "raise" not in warning  # the kind has no such key


def test_acled_fields_are_bounded() -> None:
    header = (
        "event_id_cnty,event_date,event_type,sub_event_type,iso,country,location,"
        "latitude,longitude,notes,fatalities"
    )
    rows = [
        f"MLI1,2026-03-01,Battles,Armed clash,466,Mali,{'Kidal ' * 500},18.4,1.4,{'n ' * 30_000},0",
        f"{'X' * 10_000},2026-03-01,Battles,Armed clash,466,Mali,Gao,16.3,-0.04,notes,0",
    ]
    result = parse_events("\n".join([header, *rows]).encode(), feed="acled", since=None)
    [item] = result.items
    assert len(item.title) <= TITLE_MAX_CHARS and item.title.endswith("…")
    assert len(item.summary) <= SUMMARY_MAX_CHARS
    assert result.entries_skipped == 1
    assert any("bad event_id_cnty" in w for w in result.warnings)


# --- caps: entries per poll ----------------------------------------------------------


def dated_items(n: int) -> list[dict[str, object]]:
    items = sample_items(n, seed=3)
    random.Random(4).shuffle(items)  # a feed out of order: the newest are still kept
    return items


def test_only_the_newest_entries_are_kept_with_a_warning() -> None:
    items = dated_items(120)
    result = parse(make_rss(items), max_items=50)
    assert len(result.items) == 50
    newest = sorted(items, key=lambda i: i["published"], reverse=True)[:50]  # type: ignore[arg-type,return-value]
    assert {i.link for i in result.items} == {str(i["link"]) for i in newest}
    # kept in the feed's own order
    order = [str(i["link"]) for i in items if i in newest]
    assert [i.link for i in result.items] == order
    [warning] = result.warnings
    assert warning == (
        "the feed holds 120 entries, more than max_items (50): the 50 newest were stored and "
        "70 dropped this poll; if the feed is legitimately that long, raise `max_items` "
        "on the feed"
    )


def test_undated_entries_rank_after_dated_ones_in_document_order() -> None:
    entries = [
        f"<item><title>u{n}</title></item>"
        if n % 2
        else f"<item><title>d{n}</title><pubDate>{n // 2 + 1} Mar 2026 10:00 GMT</pubDate></item>"
        for n in range(8)
    ]
    result = parse(rss(entries), max_items=6)
    assert [i.title for i in result.items] == ["d0", "u1", "d2", "u3", "d4", "d6"]


# --- whole polls against the feed server ---------------------------------------------


def poll_in_child(tmp_path: Path, feeds: list[dict[str, Any]]) -> tuple[dict[str, Any], Any]:
    """``warning poll --once --json`` in its own process, then ``warning feeds --json``."""
    config = tmp_path / "warning.yaml"
    config.write_text(
        yaml.safe_dump({"database": f"sqlite:///{tmp_path / 'w.db'}", "feeds": feeds}),
        encoding="utf-8",
    )
    reports = []
    for args in (["poll", "--once", "--json"], ["feeds", "--json"]):
        try:
            done = subprocess.run(
                [sys.executable, "-m", "warning", "--config", str(config), *args],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=300,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"warning {' '.join(args)} did not finish within 300 s")
        assert done.returncode == 0, done.stderr
        reports.append(json.loads(done.stdout))
    return reports[0], {row["name"]: row for row in reports[1]}


def stored(tmp_path: Path) -> dict[str, list[Any]]:
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        out: dict[str, list[Any]] = {}
        for item in store.items():
            out.setdefault(item.feed, []).append(item)
        return out
    finally:
        store.close()


def test_a_poll_with_a_huge_title_stores_it_capped(tmp_path: Path, feed_server: FeedServer) -> None:
    huge = {
        "title": "Bamako " + "x" * 4_500_000,
        "description": "<p>Lede.</p>",
        "link": "https://e.org/huge",
        "guid": "https://e.org/huge",
    }
    feed_server.add("/huge.xml", make_rss([huge]))
    normal = sample_items(5, seed=9)
    feed_server.add("/normal.xml", make_rss(normal))
    report, feeds = poll_in_child(
        tmp_path,
        [
            {"name": "huge", "url": feed_server.url("/huge.xml")},
            {"name": "normal", "url": feed_server.url("/normal.xml")},
        ],
    )
    assert report["feeds_failed"] == 0 and report["items_new"] == 6
    items = stored(tmp_path)
    [item] = items["huge"]
    assert len(item.title) == TITLE_MAX_CHARS and item.title.startswith("Bamako xxx")
    assert item.title.endswith("…")
    assert "1 title longer than 1,000 characters cut to 1,000" in feeds["huge"]["last_warning"]
    # The other feed is stored as ever, without a warning.
    expected = parse_feed(make_rss(normal), feed="normal", outlet="x", base_url="https://e/")
    assert sorted(i.title for i in items["normal"]) == sorted(i.title for i in expected.items)
    assert feeds["normal"]["last_warning"] is None


def test_a_poll_of_26000_entries_stores_at_most_the_cap(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    entries = [
        {
            "title": f"Story {n}",
            "link": f"https://e.org/{n}",
            "guid": f"https://e.org/{n}",
            "published": item["published"],
        }
        for n, item in enumerate(sample_items(26_000, seed=5))
    ]
    body = make_rss(entries)
    assert len(body) < 5_000_000  # within poll.max_bytes: the body itself is accepted
    feed_server.add("/many.xml", body)
    report, feeds = poll_in_child(tmp_path, [{"name": "many", "url": feed_server.url("/many.xml")}])
    assert report["feeds_failed"] == 0
    assert report["items_new"] == ITEMS_MAX
    titles = {i.title for i in stored(tmp_path)["many"]}
    assert titles == {f"Story {n}" for n in range(26_000 - ITEMS_MAX, 26_000)}  # the newest
    warning = feeds["many"]["last_warning"]
    assert "holds 26,000 entries, more than max_items (2,000)" in warning
    assert "24,000 dropped this poll" in warning
