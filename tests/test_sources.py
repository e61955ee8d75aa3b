"""The parse skeleton every source kind shares (warning/sources/base.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warning.errors import ParseError
from warning.records import FetchResult, ParseResult
from warning.sources import REGISTRY, Feed, Source
from warning.sources import rss as rss_module
from warning.sources.advisory import parse_advisories
from warning.sources.base import crash_guarded
from warning.sources.rss import parse_feed

URL = "https://feeds.example.org/x.xml"


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_an_unchanged_fetch_has_no_items_whatever_the_kind(kind: str) -> None:
    cls = REGISTRY[kind]
    feed = Feed("f", kind, URL, timedelta(minutes=10), "outlet", None, cls.Options())

    class Watched(cls):  # type: ignore[valid-type,misc]
        def parse_body(self, fetched: FetchResult) -> ParseResult:
            raise AssertionError("a 304 has no body to parse")

    unchanged = FetchResult("not_modified", URL, URL, http_status=304)
    assert Watched(feed).parse(unchanged) == ParseResult(items=())


def test_a_changed_fetch_goes_to_the_kinds_own_parser() -> None:
    seen: list[bytes] = []

    class Kind(Source):
        kind = "test"

        def parse_body(self, fetched: FetchResult) -> ParseResult:
            seen.append(fetched.body)
            return ParseResult(items=(), warnings=("read",))

    feed = Feed("f", "test", URL, timedelta(minutes=10), "outlet")
    got = Kind(feed).parse(FetchResult("ok", URL, URL, b"<rss/>"))
    assert got.warnings == ("read",) and seen == [b"<rss/>"]


def test_options_as_gives_the_feeds_options_or_the_kinds_defaults() -> None:
    options = REGISTRY["rss"].Options(max_items=5)
    with_options = REGISTRY["rss"](Feed("f", "rss", URL, timedelta(minutes=10), "o", None, options))
    assert with_options.options_as(REGISTRY["rss"].Options) is options
    bare = REGISTRY["rss"](Feed("f", "rss", URL, timedelta(minutes=10), "o"))
    assert bare.options_as(REGISTRY["rss"].Options) == REGISTRY["rss"].Options()


def test_crash_guard_words_a_crash_as_a_parse_error_and_passes_parse_errors_through() -> None:
    @crash_guarded("test feed")
    def crashes(body: bytes) -> ParseResult:
        raise KeyError("title")

    @crash_guarded("test feed")
    def refuses(body: bytes) -> ParseResult:
        raise ParseError("nothing here", "check the url")

    with pytest.raises(ParseError) as crashed:
        crashes(b"")
    assert crashed.value.message == "test feed could not be parsed (KeyError: 'title')"
    assert (crashed.value.hint or "").startswith("the body may be corrupt")
    with pytest.raises(ParseError) as refused:
        refuses(b"")
    assert (refused.value.message, refused.value.hint) == ("nothing here", "check the url")
    assert crashes.__doc__ is None and crashes.__name__ == "crashes"


def test_a_crash_inside_the_rss_parser_fails_the_feed_not_the_cycle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(body: bytes, stand_in: object = None) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(rss_module, "read_plain_feed", boom)
    with pytest.raises(ParseError, match=r"^feed could not be parsed \(RuntimeError: boom\)") as e:
        parse_feed(b"<rss version='2.0'><channel/></rss>", feed="f", outlet="o", base_url=URL)
    assert isinstance(e.value.__cause__, RuntimeError)


def test_a_body_that_is_not_bytes_fails_the_advisory_feed_as_a_parse_error() -> None:
    with pytest.raises(ParseError, match=r"^advisory feed could not be parsed \(TypeError: "):
        parse_advisories("text", feed="f", outlet="o", base_url=URL)  # type: ignore[arg-type]
