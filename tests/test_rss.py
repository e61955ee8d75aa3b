"""The rss source: parse_feed on real feeds, feedparser's corpus and hostile bodies."""

from __future__ import annotations

import contextlib
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import shared_data
from warning.errors import ParseError, UnsafeFeed
from warning.records import FeedState, FetchResult, ParseResult
from warning.sources.base import Feed
from warning.sources.rss import SUMMARY_MAX_CHARS, RssOptions, RssSource, _utc, parse_feed

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
BASE = "https://feeds.example.org/news/rss.xml"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(body: bytes, base_url: str = BASE, lang: str | None = None) -> ParseResult:
    return parse_feed(body, feed="test-feed", outlet="test-outlet", base_url=base_url, lang=lang)


def news(name: str) -> ParseResult:
    return parse_feed(
        shared_data("feeds", "news", name).read_bytes(),
        feed=name,
        outlet=name.split("_")[0],
        base_url="https://feeds.example.org/rss.xml",
    )


# --- feedparser's own corpus -------------------------------------------------------


def test_feedparser_corpus_never_crashes() -> None:
    root = shared_data("feeds", "feedparser-corpus")
    files = sorted(root.rglob("*.xml"))
    assert len(files) > 500
    crashed: list[str] = []
    wrongly_refused: list[str] = []
    wrongly_unsafe: list[str] = []
    with_items = 0
    for path in files:
        body = path.read_bytes()
        name = str(path.relative_to(root))
        # Each file states what feedparser makes of it; a feed it finds well
        # formed must not be refused by us, unless it declares entities.
        expect = re.search(rb"Expect:\s*(.*)", body)
        well_formed = bool(expect and expect.group(1).startswith(b"not bozo"))
        declares_entity = b"<!ENTITY" in body
        try:
            result = parse(body, base_url="http://example.org/corpus/feed.xml")
        except UnsafeFeed:
            if not declares_entity:
                wrongly_unsafe.append(name)
        except ParseError as exc:
            if well_formed:
                wrongly_refused.append(f"{name}: {exc}")
        except Exception as exc:
            crashed.append(f"{name}: {type(exc).__name__}: {exc}")
        else:
            with_items += bool(result.items)
            for item in result.items:
                assert item.link is None or item.link.startswith(("http://", "https://")), name
    assert crashed == []
    assert wrongly_refused == []
    assert wrongly_unsafe == []
    assert with_items >= 200, with_items


def test_corpus_utf16_and_utf32_titles_decode() -> None:
    root = shared_data("feeds", "feedparser-corpus", "encoding")
    for name in ("utf-16be-bom.xml", "utf-16le.xml", "utf-32be-autodetect.xml", "utf-32le-bom.xml"):
        body = (root / name).read_bytes()
        result = parse(body)  # must not raise
        assert not any("\x00" in item.title for item in result.items), name


# --- real news feeds ------------------------------------------------------------------


def test_bbc_2017() -> None:
    result = news("bbc_world_2017-01-20.xml")
    assert result.warnings == ()
    assert result.entries_skipped == 0
    assert len(result.items) == 3
    first = result.items[0]
    assert first.title == "Rigopiano avalanche: Eight found alive in Italy hotel after two days"
    assert first.summary == (
        "Two children are among the eight who have spent at least 40 hours buried in snow "
        "and rubble."
    )
    assert first.link == "http://www.bbc.co.uk/news/world-europe-38691103"
    assert first.published == datetime(2017, 1, 20, 12, 55, 28, tzinfo=UTC)
    assert first.lang == "en"
    assert first.feed == "bbc_world_2017-01-20.xml"
    assert first.outlet == "bbc"
    # An isPermaLink GUID is a URL: global, canonical
    assert first.guid_key == "http://www.bbc.co.uk/news/world-europe-38691103"
    assert first.url_key == first.guid_key
    second = result.items[1]
    assert second.title == "Gambia crisis: Jammeh given last chance to resign as troops close in"


def test_bbc_2019_cdata_on_its_own_lines() -> None:
    result = news("bbc_world_2019-02-24.xml")
    assert len(result.items) == 33
    titles = [item.title for item in result.items]
    assert titles[0] == "Pope Francis compares child sex abuse to human sacrifice"
    assert result.items[0].link == "https://www.bbc.co.uk/news/world-europe-47348479"
    assert result.items[0].published == datetime(2019, 2, 24, 12, 23, 42, tzinfo=UTC)
    assert titles[1] == "Venezuela crisis: Guaidó calls for support amid deadly border clashes"
    assert result.items[1].summary == (
        'Amid bloody violence, the opposition leader asks other nations to consider "all measures".'
    )
    assert result.items[1].published == datetime(2019, 2, 24, 12, 55, 14, tzinfo=UTC)
    assert result.items[-1].title == "Week in pictures: 16 - 22 February 2019"
    assert all(t == t.strip() and "\n" not in t for t in titles)
    assert all(item.published is not None for item in result.items)


def test_bbc_2026_tracking_parameters_and_revision_guids() -> None:
    result = news("bbc_world_2026-09-10.xml")
    assert len(result.items) == 34
    first = result.items[0]
    assert first.title == (
        "Trump says every adult American would get $5,000 if Republicans win midterms"
    )
    # the link is kept as published; only the key loses the tracking parameters
    assert first.link == (
        "https://www.bbc.co.uk/news/articles/c62kzr1jg0jo?at_medium=RSS&at_campaign=rss"
    )
    assert first.url_key == "https://www.bbc.co.uk/news/articles/c62kzr1jg0jo"
    # GUID ...c62kzr1jg0jo#0: the suffix goes, and it then matches the link
    assert first.guid_key == first.url_key
    assert first.published == datetime(2026, 9, 10, 6, 56, 38, tzinfo=UTC)
    # a trailing space inside the CDATA title
    assert result.items[1].title == (
        "Iran war won't end until after crucial November elections, says Trump"
    )
    for item in result.items:
        assert item.url_key is not None and "?" not in item.url_key
        assert item.guid_key is not None and "#" not in item.guid_key
        assert item.guid_key == item.url_key
    assert len({item.guid_key for item in result.items}) == 34


def test_lemonde_french_text() -> None:
    result = news("lemonde_international_2024-03-27.xml")
    assert len(result.items) == 20
    first = result.items[0]
    assert first.title == (
        "« Les soldats de Louis XVI qui combattirent aux côtés des révolutionnaires américains "
        "jouèrent un rôle déterminant dans la Révolution française »"
    )
    assert first.summary.startswith(
        "Deux chercheurs américains ont montré que les soldats envoyés aux Etats-Unis en 1780"
    )
    # +0100 in the feed, UTC here
    assert first.published == datetime(2024, 3, 27, 8, 0, 14, tzinfo=UTC)
    assert first.lang == "fr"
    assert first.link == (
        "https://www.lemonde.fr/idees/article/2024/03/27/les-soldats-de-louis-xvi-qui-combattirent"
        "-aux-cotes-des-revolutionnaires-americains-jouerent-un-role-determinant-dans-la-revolution"
        "-francaise_6224413_3232.html"
    )
    assert result.items[2].title == (
        "Ilia Iachine, opposant russe : « En tuant Navalny, Poutine a rendu immortel son rêve "
        "d’une Russie libre et ouverte au monde »"
    )
    last = result.items[-1]
    assert last.title == (
        "Assassinat de Martinez Zogo au Cameroun : le procès ajourné quelques heures après son "
        "ouverture"
    )
    assert last.published == datetime(2024, 3, 26, 16, 24, 40, tzinfo=UTC)
    # no mojibake anywhere (what decoding UTF-8 as Latin-1 would leave)
    for item in result.items:
        assert "Ã" not in item.title + item.summary
        assert item.lang == "fr"


def test_lang_hint_wins_over_the_feed() -> None:
    body = shared_data("feeds", "news", "bbc_world_2017-01-20.xml").read_bytes()
    assert {item.lang for item in parse(body, lang="fr-FR").items} == {"fr"}
    assert {item.lang for item in parse(body, lang=None).items} == {"en"}


# --- entity declarations ------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"],
)
def test_billion_laughs_refused_in_any_unicode_encoding(encoding: str) -> None:
    text = fixture("billion_laughs.xml").decode("utf-8")
    body = text.encode(encoding)  # "utf-16"/"utf-32" carry a BOM, the -le/-be ones none
    with pytest.raises(UnsafeFeed) as caught:
        parse(body)
    assert "entit" in str(caught.value)
    assert caught.value.hint is not None and "publisher" in caught.value.hint


@pytest.mark.parametrize(
    "body",
    [
        # one long entity referenced many times grows as fast as nesting does
        b'<!DOCTYPE rss [<!ENTITY big "' + b"x" * 1000 + b'">]><rss version="2.0"/>',
        # hidden behind a comment that looks like the root element
        b'<!-- <rss> --><!DOCTYPE rss [<!ENTITY a "b">]><rss version="2.0"/>',
        # behind a processing instruction holding a '<'
        b'<?xml-stylesheet href="<x"?><!DOCTYPE rss [<!ENTITY a "b">]><rss version="2.0"/>',
        # behind a quoted literal holding what looks like an element
        b'<!DOCTYPE rss SYSTEM "<a" [<!ENTITY a "b">]><rss version="2.0"/>',
        # behind a comment inside the internal subset
        b'<!DOCTYPE rss [<!-- <a> --><!ENTITY a "b">]><rss version="2.0"/>',
        # a parameter entity
        b'<!DOCTYPE rss [<!ENTITY % p "x"> %p;]><rss version="2.0"/>',
        # after a stray end tag, where feedparser's lenient parser would still use it
        b'</x>\n<!DOCTYPE rss [\n<!ENTITY a "b">\n]>\n<rss version="2.0"/>',
        # lowercase, which expat rejects but we need not argue about
        b'<!DOCTYPE rss [<!entity a "b">]><rss version="2.0"/>',
        # spelt in an encoding where '<' is not ASCII
        '<?xml version="1.0" encoding="utf-7"?><!DOCTYPE rss [<!ENTITY a "b">]><rss/>'.encode(
            "utf-7"
        ),
    ],
    ids=[
        "long",
        "comment",
        "pi",
        "literal",
        "subset-comment",
        "parameter",
        "stray-tag",
        "lowercase",
        "utf-7",
    ],
)
def test_entity_declarations_refused(body: bytes) -> None:
    with pytest.raises(UnsafeFeed):
        parse(body)


def test_entity_text_after_the_root_is_harmless() -> None:
    result = parse(fixture("cdata_entity.xml"))
    assert result.warnings == ()
    [item] = result.items
    assert item.title == "How entity declarations work"
    assert item.link == "https://xml.example/entities"
    assert item.summary.startswith("A DTD may say")


@pytest.mark.parametrize(
    "body",
    [
        b'<rss version="2.0"><channel><item><title>&lt;!ENTITY a "b"&gt; explained</title>'
        b"</item></channel></rss>",
        b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC'
        b' "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel>'
        b"<item><title>Old school</title></item><!-- <!ENTITY --></channel></rss>",
    ],
    ids=["escaped-text", "doctype-without-subset"],
)
def test_harmless_markup_is_not_refused(body: bytes) -> None:
    assert len(parse(body).items) == 1


def test_body_is_never_taken_for_a_file_name(tmp_path: Path) -> None:
    # feedparser opens a bytes argument as a path when such a file exists
    real = tmp_path / "feed.xml"
    real.write_bytes(fixture("rdf.xml"))
    with pytest.raises(ParseError):
        parse(str(real).encode())


# --- bozo, garbage, quiet ---------------------------------------------------------------------


def test_bozo_feed_with_entries_gives_items_and_a_warning() -> None:
    result = parse(fixture("bozo.xml"))
    assert [item.title for item in result.items] == ["First story", "Second story"]
    assert result.items[1].summary == "An unclosed bold tag."
    [warning] = result.warnings
    assert warning.startswith("not well-formed XML (line 14): mismatched tag")
    assert warning.endswith("parsed leniently")


def test_bozo_line_number_is_the_documents_own() -> None:
    # without an XML declaration, which feedparser adds before parsing
    body = fixture("bozo.xml").split(b"\n", 1)[1]
    [warning] = parse(body).warnings
    assert warning.startswith("not well-formed XML (line 13): mismatched tag")


def test_quiet_feed_with_a_wrong_charset_is_not_an_error() -> None:
    body = (
        '<?xml version="1.0" encoding="us-ascii"?>'
        '<rss version="2.0"><channel><title>Côte d’Ivoire</title></channel></rss>'
    ).encode()
    result = parse(body)
    assert result.items == ()
    [warning] = result.warnings
    assert "declared as us-ascii" in warning


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (bytes(range(256)) * 8, "no feed entries"),
        (b'{"items": []}', "no feed entries"),
        (b"\xff\xfe\x00\x00garbage", "no feed entries"),
        (b'<rss version="2.0"><channel><title>cut off', "no feed entries"),
        (b"<?xml version='1.0'?><root><child/></root>", "neither RSS nor Atom"),
        (b"", "empty"),
        (b"  \n ", "empty"),
    ],
    ids=["bytes", "json", "bom-garbage", "truncated-before-items", "other-xml", "empty", "blank"],
)
def test_no_feed_is_a_parse_error(body: bytes, words: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(body)
    assert words in str(caught.value)
    assert not isinstance(caught.value, UnsafeFeed)
    assert caught.value.hint


def test_html_page_is_a_parse_error_that_says_so() -> None:
    with pytest.raises(ParseError) as caught:
        parse(fixture("page.html"))
    assert "HTML page" in str(caught.value)


def test_quiet_feed_is_not_an_error() -> None:
    assert parse(fixture("empty_channel.xml")) == ParseResult(items=())


def test_mutated_bodies_raise_only_parse_errors() -> None:
    body = shared_data("feeds", "news", "bbc_world_2026-09-10.xml").read_bytes()
    rng = random.Random(20260910)
    for _ in range(100):
        mutated = bytearray(body)
        for _ in range(rng.randint(1, 20)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        cut = rng.choice([len(mutated), rng.randrange(len(mutated))])
        with contextlib.suppress(ParseError):  # anything else fails the test
            parse(bytes(mutated[:cut]))


def test_non_bytes_body_is_a_parse_error() -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed("<rss/>", feed="f", outlet="o", base_url=BASE)  # type: ignore[arg-type]
    assert "TypeError" in str(caught.value)


# --- entry rules -------------------------------------------------------------------------------


def edge_items() -> ParseResult:
    return parse(fixture("edge_cases.xml"), base_url="https://edge.example/feeds/main.xml")


def test_entry_without_date_has_no_published() -> None:
    items = {item.title: item for item in edge_items().items}
    assert items["No date on this one"].published is None
    assert items["Bad date"].published is None
    assert items["No link on this one"].published == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def test_entry_without_link_still_has_a_content_hash() -> None:
    items = {item.title: item for item in edge_items().items}
    no_link = items["No link on this one"]
    assert no_link.link is None
    assert no_link.url_key is None
    assert no_link.content_hash is not None
    assert no_link.guid_key == "test-outlet:story-2"
    # a permalink GUID that is no URL does not become a link under the feed's address
    plain = items["Plain permalink guid"]
    assert plain.link is None
    assert plain.guid_key == "test-outlet:12345"


def test_entry_with_nothing_is_skipped_and_counted() -> None:
    result = edge_items()
    assert result.entries_skipped == 1
    assert len(result.items) == 7
    assert all(item.title for item in result.items)


def test_duplicate_guids_in_one_feed_share_a_key() -> None:
    twice = [item for item in edge_items().items if item.title.startswith("Published twice")]
    assert len(twice) == 2
    assert twice[0].guid_key == twice[1].guid_key == "test-outlet:dup-1"
    assert twice[0].url_key == twice[1].url_key


def test_relative_link_resolved_against_base_url() -> None:
    items = {item.title: item for item in edge_items().items}
    relative = items["Relative link"]
    assert relative.link == "https://edge.example/world/story-7?utm_source=rss&id=7"
    assert relative.url_key == "https://edge.example/world/story-7?id=7"


def test_atom_feed() -> None:
    result = parse(fixture("atom.xml"), base_url="https://sahel.example/feeds/atom.xml")
    assert result.warnings == ()
    first, second = result.items
    # type="html" title holding escaped markup: the markup is text
    assert first.title == "Mopti : la route <nationale> rouverte"
    assert first.summary == "La route rouverte après trois jours. Les camions repartent."
    assert first.link == "https://sahel.example/depeches/route-nationale?utm_medium=atom&page=2"
    assert first.url_key == "https://sahel.example/depeches/route-nationale?page=2"
    assert first.published == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # updated, +01:00
    assert first.guid_key == "test-outlet:tag:sahel.example,2026:route-1"
    assert first.lang == "fr"
    # xml:base on the entry; content instead of a summary; published wins over updated
    assert second.link == "https://archives.sahel.example/2026/marche-segou"
    assert second.summary == "Les prix du mil baissent. Les éleveurs attendent."
    assert second.published == datetime(2026, 3, 1, 18, 5, tzinfo=UTC)


def test_rss1_rdf_feed() -> None:
    result = parse(fixture("rdf.xml"))
    assert [item.title for item in result.items] == [
        "Port of Lomé extends opening hours",
        "Rain delays Cotonou marathon",
    ]
    second = result.items[1]
    assert second.link == "https://coast.example/story/2"
    assert second.published == datetime(2026, 2, 9, 21, 40, tzinfo=UTC)
    assert second.lang == "en"


def test_long_summary_cut_at_a_word_boundary() -> None:
    words = " ".join(f"word{i}" for i in range(2000))
    body = (
        '<rss version="2.0"><channel><item><title>Long</title>'
        f"<description>{words}</description></item></channel></rss>"
    ).encode()
    [item] = parse(body).items
    assert len(item.summary) <= SUMMARY_MAX_CHARS
    assert item.summary.endswith("…")
    assert item.summary[:-1] == words[: len(item.summary) - 1]
    assert words[len(item.summary) - 1] == " "  # the cut fell between two words


@pytest.mark.parametrize(
    ("parsed", "expected"),
    [
        ((2026, 3, 3, 10, 0, 0, 1, 62, 0), datetime(2026, 3, 3, 10, 0, tzinfo=UTC)),
        ((2016, 12, 31, 23, 59, 60, 5, 366, 0), datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ((0, 1, 1, 0, 0, 0, 0, 1, 0), None),
        ((2026, 13, 1, 0, 0, 0, 0, 1, 0), None),
        ((2026, 2, 30, 0, 0, 0, 0, 1, 0), None),
        ((99999, 1, 1, 0, 0, 0, 0, 1, 0), None),
        ((2026,), None),
        (None, None),
    ],
)
def test_utc_guards_out_of_range_dates(parsed: object, expected: datetime | None) -> None:
    assert _utc(parsed) == expected


# --- the source class -----------------------------------------------------------------------


class RecordingFetcher:
    """Stands in for the HTTP fetcher; records the call."""

    def __init__(self, result: FetchResult) -> None:
        self.result = result
        self.calls: list[tuple[str, str | None, str | None]] = []

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        self.calls.append((url, etag, last_modified))
        return self.result


def make_source() -> RssSource:
    feed = Feed(
        name="edge",
        kind="rss",
        url="http://edge.example/feed.xml",
        every=timedelta(minutes=10),
        outlet="edge-outlet",
        lang=None,
    )
    return RssSource(feed)


def test_rss_source_fetch_is_conditional() -> None:
    source = make_source()
    assert RssSource.kind == "rss"
    assert RssSource.Options is RssOptions
    result = FetchResult(status="not_modified", url=source.feed.url, final_url=source.feed.url)
    fetcher = RecordingFetcher(result)
    state = FeedState(name="edge", etag='"v1"', last_modified="Tue, 03 Mar 2026 10:00:00 GMT")
    assert source.fetch(fetcher, state) is result  # type: ignore[arg-type]
    assert fetcher.calls == [
        ("http://edge.example/feed.xml", '"v1"', "Tue, 03 Mar 2026 10:00:00 GMT")
    ]


def test_rss_source_parse_uses_the_final_url() -> None:
    source = make_source()
    fetched = FetchResult(
        status="ok",
        url="http://edge.example/feed.xml",
        final_url="https://www.edge.example/moved/feed.xml",
        body=fixture("edge_cases.xml"),
    )
    result = source.parse(fetched)
    items = {item.title: item for item in result.items}
    assert items["Relative link"].link == (
        "https://www.edge.example/world/story-7?utm_source=rss&id=7"
    )
    assert {item.outlet for item in result.items} == {"edge-outlet"}
    assert {item.feed for item in result.items} == {"edge"}


def test_rss_source_not_modified_has_no_items() -> None:
    source = make_source()
    fetched = FetchResult(status="not_modified", url=source.feed.url, final_url=source.feed.url)
    assert source.parse(fetched) == ParseResult(items=())


def test_an_entry_that_fails_is_skipped_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    from warning.sources import rss

    real = rss.canonical_url

    def flaky(url: str | None) -> str | None:
        if url and url.endswith("/no-date"):
            raise RuntimeError("boom")
        return real(url)

    monkeypatch.setattr(rss, "canonical_url", flaky)
    result = edge_items()
    assert len(result.items) == 6
    assert result.entries_skipped == 2
    assert result.warnings == ("1 entries could not be read (first: RuntimeError: boom)",)
