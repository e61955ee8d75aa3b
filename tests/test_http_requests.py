"""What the fetcher puts on the wire: its headers, credentials from the URL, no cookies.

The fetcher sends through its transport directly (no httpx client layer), so what the
client used to add or withhold is checked here against a real server on 127.0.0.1.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from tests.feedserver import FeedServer
from warning.sources.http import ACCEPT, DEFAULT_USER_AGENT, Fetcher, FetchLimits

FEED = b"<rss version='2.0'><channel><title>Desk</title></channel></rss>"


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher() as fetcher:
        yield fetcher


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_a_conditional_get_carries_our_headers_and_its_validators(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.add("/feed.xml", FEED, etag='"v1"')

    result = fetcher.fetch(
        feed_server.url("/feed.xml"), etag='"v1"', last_modified="Wed, 01 Jan 2025 00:00:00 GMT"
    )

    assert result.status == "not_modified"
    [(method, path, headers)] = feed_server.requests
    assert (method, path) == ("GET", "/feed.xml")
    assert headers["Host"] == f"127.0.0.1:{feed_server.port}"
    assert headers["User-Agent"] == DEFAULT_USER_AGENT
    assert headers["Accept"] == ACCEPT
    assert headers["Accept-Encoding"] == "gzip"
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == "Wed, 01 Jan 2025 00:00:00 GMT"
    assert "Authorization" not in headers and "Cookie" not in headers


def test_a_feed_s_own_user_agent_replaces_ours(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/feed.xml", FEED)

    fetcher.fetch(feed_server.url("/feed.xml"), limits=FetchLimits(user_agent="desk-bot/2"))

    [(_, _, headers)] = feed_server.requests
    assert headers["User-Agent"] == "desk-bot/2"


def test_credentials_in_the_url_go_to_its_host_and_never_past_a_redirect_elsewhere(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    elsewhere = feed_server.url("/public.xml", host="localhost")  # another host name
    feed_server.add("/private.xml", b"", status=302, location="/moved.xml")
    feed_server.add("/moved.xml", b"", status=302, location=elsewhere)
    feed_server.add("/public.xml", FEED)
    url = feed_server.url("/private.xml").replace("//", "//desk:s%40cret@", 1)

    result = fetcher.fetch(url)

    assert result.status == "ok" and result.body == FEED
    sent = {path: headers.get("Authorization") for _, path, headers in feed_server.requests}
    assert sent == {
        "/private.xml": basic("desk", "s@cret"),  # percent-decoded, as a browser sends it
        "/moved.xml": basic("desk", "s@cret"),  # the same host: a relative redirect
        "/public.xml": None,
    }


def test_a_cookie_a_feed_sets_is_never_sent_back(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/feed.xml", FEED, headers={"Set-Cookie": "session=abc123; Path=/"})
    feed_server.add("/other.xml", FEED)

    fetcher.fetch(feed_server.url("/feed.xml"))
    fetcher.fetch(feed_server.url("/feed.xml"))
    fetcher.fetch(feed_server.url("/other.xml"))

    assert len(feed_server.requests) == 3
    assert all("Cookie" not in headers for _, _, headers in feed_server.requests)
