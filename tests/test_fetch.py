"""The fetcher against a real HTTP server on 127.0.0.1 (and real files)."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.bombs import CAP, GIB, bomb, compressed, fetch_in_child, stacked
from tests.feedserver import FeedServer
from tests.publicnames import (
    PUBLIC_REFUSING,
    PUBLIC_V4,
    PUBLIC_V6,
    PublicNames,
    loopback_names,
)
from warning.errors import (
    BodyTooLarge,
    ConnectError,
    FetchCancelled,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooManyRedirects,
)
from warning.sources.addresses import ForbiddenAddress, non_public, system_resolve
from warning.sources.http import Fetcher, FetchLimits

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Sahel desk</title>
<item><title>Gunfire heard near Kati barracks</title><guid>kati-1</guid></item>
</channel></rss>
"""
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
MB = 1024 * 1024


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher() as fetcher:
        yield fetcher


def wait_for_requests(server: FeedServer, count: int, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while server.stats()["requests"] < count and time.monotonic() < end:
        time.sleep(0.01)
    assert server.stats()["requests"] >= count


# --- success and conditional GET ------------------------------------------------


def test_ok_returns_body_and_validators(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/feed.xml", FEED, etag='"v1"', last_modified=LAST_MODIFIED)

    result = fetcher.fetch(feed_server.url("/feed.xml"))

    assert result.status == "ok"
    assert result.http_status == 200
    assert result.body == FEED
    assert result.etag == '"v1"'
    assert result.last_modified == LAST_MODIFIED
    assert result.url == result.final_url == feed_server.url("/feed.xml")
    assert result.bytes_received >= len(FEED)
    assert result.elapsed > 0
    headers = feed_server.requests[0][2]
    assert headers["User-Agent"].startswith("warning/")
    assert "If-None-Match" not in headers


def test_absent_validators_are_none(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/feed.xml", FEED, etag=None)

    result = fetcher.fetch(feed_server.url("/feed.xml"))

    assert (result.etag, result.last_modified) == (None, None)


def test_etag_gives_304_without_body(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/feed.xml", FEED)
    first = fetcher.fetch(feed_server.url("/feed.xml"))

    second = fetcher.fetch(feed_server.url("/feed.xml"), etag=first.etag)

    assert second.status == "not_modified"
    assert second.http_status == 304
    assert second.body == b""
    assert second.etag == first.etag
    assert feed_server.requests[1][2]["If-None-Match"] == first.etag
    stats = feed_server.stats()
    assert stats["status_304"] == 1
    assert stats["bytes_sent"] == len(FEED)  # the first answer only


def test_if_modified_since_gives_304(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/feed.xml", FEED, etag=None, last_modified=LAST_MODIFIED)
    first = fetcher.fetch(feed_server.url("/feed.xml"))

    second = fetcher.fetch(feed_server.url("/feed.xml"), last_modified=first.last_modified)

    assert second.status == "not_modified"
    assert second.last_modified == LAST_MODIFIED
    assert second.etag is None
    assert feed_server.requests[1][2]["If-Modified-Since"] == LAST_MODIFIED
    stats = feed_server.stats()
    assert stats["status_304"] == 1
    assert stats["bytes_sent"] == len(FEED)


def test_304_keeps_the_passed_validators(feed_server: FeedServer, fetcher: Fetcher) -> None:
    # The server's 304 carries an ETag but no Last-Modified: the caller's one is kept.
    feed_server.add("/feed.xml", FEED, etag='"v1"')

    result = fetcher.fetch(feed_server.url("/feed.xml"), etag='"v1"', last_modified=LAST_MODIFIED)

    assert result.status == "not_modified"
    assert (result.etag, result.last_modified) == ('"v1"', LAST_MODIFIED)


def test_connection_is_kept_alive(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/feed.xml", FEED)
    first = fetcher.fetch(feed_server.url("/feed.xml"))
    for _ in range(3):
        fetcher.fetch(feed_server.url("/feed.xml"), etag=first.etag)

    assert feed_server.stats()["connections"] == 1


def test_gzip_body_is_decoded(feed_server: FeedServer, fetcher: Fetcher) -> None:
    body = FEED * 200
    feed_server.add("/feed.xml", body, gzip=True)

    result = fetcher.fetch(feed_server.url("/feed.xml"))

    assert result.body == body
    assert result.bytes_received < len(body) // 10  # it travelled compressed


def test_chunked_body_is_read(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/feed.xml", FEED, chunked=True)

    assert fetcher.fetch(feed_server.url("/feed.xml")).body == FEED


# --- HTTP errors and redirects --------------------------------------------------


@pytest.mark.parametrize("status", [404, 500])
def test_error_status_raises(feed_server: FeedServer, fetcher: Fetcher, status: int) -> None:
    feed_server.add("/feed.xml", b"nope", status=status)

    with pytest.raises(HTTPStatusError) as caught:
        fetcher.fetch(feed_server.url("/feed.xml"))

    assert caught.value.status == status
    assert feed_server.url("/feed.xml") in str(caught.value)


def test_unknown_path_is_404(feed_server: FeedServer, fetcher: Fetcher) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.fetch(feed_server.url("/missing.xml"))

    assert caught.value.status == 404
    assert caught.value.hint


def test_redirect_chain_records_final_url(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/r1", b"", status=301, location="/dir/r2")
    feed_server.add("/dir/r2", b"", status=302, location="r3")  # relative to /dir/
    feed_server.add("/dir/r3", b"", status=307, location=feed_server.url("/feed.xml"))
    feed_server.add("/feed.xml", FEED)

    result = fetcher.fetch(feed_server.url("/r1"))

    assert result.status == "ok"
    assert result.body == FEED
    assert result.url == feed_server.url("/r1")
    assert result.final_url == feed_server.url("/feed.xml")
    assert [path for _, path, _ in feed_server.requests] == [
        "/r1",
        "/dir/r2",
        "/dir/r3",
        "/feed.xml",
    ]


def test_redirect_loop_raises(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/a", b"", status=302, location="/b")
    feed_server.add("/b", b"", status=302, location="/a")

    with pytest.raises(TooManyRedirects, match="loop") as caught:
        fetcher.fetch(feed_server.url("/a"))

    assert feed_server.url("/a") in str(caught.value)


def test_redirect_chain_longer_than_limit_raises(feed_server: FeedServer, fetcher: Fetcher) -> None:
    for i in range(4):
        feed_server.add(f"/c{i}", b"", status=302, location=f"/c{i + 1}")
    feed_server.add("/c4", FEED)

    with pytest.raises(TooManyRedirects, match="more than 2 redirects"):
        fetcher.fetch(feed_server.url("/c0"), limits=FetchLimits(max_redirects=2))
    assert fetcher.fetch(feed_server.url("/c0")).body == FEED  # 4 hops: within the default


# --- connection failures --------------------------------------------------------


def test_refused_connection_raises_connect_error(fetcher: Fetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(ConnectError, match="refused") as caught:
        fetcher.fetch(f"http://127.0.0.1:{port}/feed.xml")

    assert caught.value.hint


@pytest.mark.usefixtures("no_dns")
def test_unknown_host_raises_connect_error(fetcher: Fetcher) -> None:
    with pytest.raises(ConnectError, match="resolve") as caught:
        fetcher.fetch("http://unknown-host.invalid/feed")

    assert "unknown-host.invalid" in str(caught.value)


def test_tls_failure_raises_connect_error(feed_server: FeedServer, fetcher: Fetcher) -> None:
    # https:// to a plain-HTTP port: the TLS handshake fails.
    url = feed_server.url("/feed.xml").replace("http://", "https://")

    with pytest.raises(ConnectError, match="TLS") as caught:
        fetcher.fetch(url)

    assert caught.value.hint


def test_truncated_body_raises(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/feed.xml", FEED, truncate=20)

    with pytest.raises(FetchError, match="closed the connection early") as caught:
        fetcher.fetch(feed_server.url("/feed.xml"))

    assert not isinstance(caught.value, BodyTooLarge | FetchTimeout)


@pytest.mark.parametrize(
    "url", ["http://", "http://[::1/feed", "https:///feed.xml", "file://[::1/x", "file://host/x"]
)
def test_malformed_url_raises_fetch_error(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(FetchError):
        fetcher.fetch(url)


def test_unsupported_scheme_raises(fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="'ftp'") as caught:
        fetcher.fetch("ftp://example.org/feed.xml")

    assert caught.value.hint and "http://" in caught.value.hint


# --- size caps ------------------------------------------------------------------


def test_announced_large_body_is_refused_unread(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add_large("/big.xml", 60 * MB, chunked=False)

    with pytest.raises(BodyTooLarge, match="Content-Length"):
        fetcher.fetch(feed_server.url("/big.xml"))

    assert feed_server.wait_idle()
    # Only what socket buffers absorbed before the client hung up (~0.2 MB here).
    assert feed_server.stats()["bytes_sent"] < 8 * MB


def test_chunked_large_body_stops_at_cap(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add_large("/big.xml", 60 * MB, chunked=True)

    with pytest.raises(BodyTooLarge, match="more than"):
        fetcher.fetch(feed_server.url("/big.xml"), limits=FetchLimits(max_bytes=1 * MB))

    assert feed_server.wait_idle()
    # The cap plus socket buffers (a few MB on loopback), not the whole 60 MB.
    assert feed_server.stats()["bytes_sent"] < 20 * MB


def test_gzip_bomb_is_capped(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/bomb.xml", bytes(32 * MB), gzip=True)  # ~32 KB on the wire

    with pytest.raises(BodyTooLarge):
        fetcher.fetch(feed_server.url("/bomb.xml"), limits=FetchLimits(max_bytes=1 * MB))


def test_body_at_cap_is_accepted(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/feed.xml", bytes(1000), gzip=True, chunked=True)

    result = fetcher.fetch(feed_server.url("/feed.xml"), limits=FetchLimits(max_bytes=1000))

    assert result.body == bytes(1000)


# --- time limits ----------------------------------------------------------------


def test_trickling_server_hits_the_deadline(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/slow.xml", FEED, trickle=1.0)
    started = time.monotonic()

    with pytest.raises(FetchTimeout, match=r"deadline of 1\.5 s"):
        fetcher.fetch(feed_server.url("/slow.xml"), limits=FetchLimits(deadline=1.5))

    assert time.monotonic() - started < 5  # the deadline is the behaviour under test


def test_silent_server_hits_the_read_timeout(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.add("/slow.xml", FEED, latency=10)

    with pytest.raises(FetchTimeout, match="read timeout"):
        fetcher.fetch(feed_server.url("/slow.xml"), limits=FetchLimits(read_timeout=0.3))


# --- file:// --------------------------------------------------------------------


def test_file_url_is_read(tmp_path: Path, fetcher: Fetcher) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    os.utime(path, (1_700_000_000, 1_700_000_000))

    result = fetcher.fetch(path.as_uri())

    assert result.status == "ok"
    assert result.body == FEED
    assert result.final_url == path.as_uri()
    assert result.last_modified == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_unchanged_file_is_not_modified(tmp_path: Path, fetcher: Fetcher) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    first = fetcher.fetch(path.as_uri())

    by_date = fetcher.fetch(path.as_uri(), last_modified=first.last_modified)
    by_tag = fetcher.fetch(path.as_uri(), etag=first.etag)

    assert by_date.status == by_tag.status == "not_modified"
    assert by_date.body == b""


def test_rewritten_file_is_fetched_again(tmp_path: Path, fetcher: Fetcher) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    first = fetcher.fetch(path.as_uri())
    path.write_bytes(FEED + b"<!-- more -->")  # possibly within the same second

    again = fetcher.fetch(path.as_uri(), etag=first.etag, last_modified=first.last_modified)

    assert again.status == "ok"
    assert again.body.endswith(b"<!-- more -->")


def test_missing_file_raises(tmp_path: Path, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="cannot read") as caught:
        fetcher.fetch((tmp_path / "absent.xml").as_uri())

    assert caught.value.hint


def test_large_file_raises(tmp_path: Path, fetcher: Fetcher) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)

    with pytest.raises(BodyTooLarge):
        fetcher.fetch(path.as_uri(), limits=FetchLimits(max_bytes=10))


# --- threads and shutdown -------------------------------------------------------


def test_close_cancels_in_flight_fetch(feed_server: FeedServer) -> None:
    feed_server.add("/slow.xml", FEED, latency=30)
    fetcher = Fetcher()
    outcome: list[BaseException | object] = []

    def work() -> None:
        try:
            outcome.append(fetcher.fetch(feed_server.url("/slow.xml")))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    wait_for_requests(feed_server, 1)

    fetcher.close()
    thread.join(timeout=5)

    assert not thread.is_alive()
    assert isinstance(outcome[0], FetchCancelled)
    with pytest.raises(FetchCancelled):
        fetcher.fetch(feed_server.url("/slow.xml"))
    fetcher.close()  # idempotent


def test_concurrent_fetches_from_many_threads() -> None:
    with FeedServer(latency=0.2) as server, Fetcher() as fetcher:
        for i in range(32):
            server.add(f"/feed{i}.xml", FEED + str(i).encode())
        with ThreadPoolExecutor(max_workers=32) as pool:
            results = list(
                pool.map(lambda i: fetcher.fetch(server.url(f"/feed{i}.xml")), range(32))
            )

        assert [r.body for r in results] == [FEED + str(i).encode() for i in range(32)]
        assert server.stats()["max_concurrent"] > 1


def test_concurrency_bounds_requests_in_flight() -> None:
    with FeedServer(latency=0.1) as server, Fetcher(concurrency=2) as fetcher:
        server.add("/feed.xml", FEED)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: fetcher.fetch(server.url("/feed.xml")), range(8)))

        assert server.stats()["max_concurrent"] <= 2


# --- the server as a separate process (benchmarks) ------------------------------


def test_feedserver_process_serves_a_directory(tmp_path: Path, fetcher: Fetcher) -> None:
    (tmp_path / "one.xml").write_bytes(FEED)
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.feedserver", "--dir", str(tmp_path)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip().removeprefix("port="))
        base = f"http://127.0.0.1:{port}"
        first = fetcher.fetch(f"{base}/one.xml")
        second = fetcher.fetch(f"{base}/one.xml", etag=first.etag)
        with urllib.request.urlopen(f"{base}/__stats", timeout=5) as answer:
            stats = json.load(answer)
        reset = urllib.request.Request(f"{base}/__reset", method="POST")
        with urllib.request.urlopen(reset, timeout=5):
            pass
        with urllib.request.urlopen(f"{base}/__stats", timeout=5) as answer:
            after = json.load(answer)
    finally:
        process.terminate()
        process.wait(timeout=5)

    assert first.body == FEED and first.etag
    assert second.status == "not_modified"
    assert stats["requests"] == 2 and stats["status_304"] == 1
    assert after["requests"] == 0


# --- content codings: every layer inflated under the cap ----------------------------


def serve_encoded(server: FeedServer, path: str, body: bytes, header: str, **route: Any) -> str:
    server.add(path, body, headers={"Content-Encoding": header}, **route)
    return server.url(path)


@pytest.mark.parametrize(
    ("codings", "header", "error"),
    [
        (["gzip", "gzip"], "gzip, gzip", "BodyTooLarge: "),
        (["deflate"], "deflate", "BodyTooLarge: "),
        (["raw-deflate"], "deflate", "BodyTooLarge: "),
        (["gzip", "deflate"], "gzip, deflate", "BodyTooLarge: "),
        (["gzip", "gzip", "gzip"], "gzip, gzip, gzip", "FetchError: "),
    ],
)
def test_a_compression_bomb_in_any_coding_stops_at_the_cap(
    feed_server: FeedServer, codings: list[str], header: str, error: str
) -> None:
    feed_server.add("/warm.xml", FEED, gzip=True)
    # chunked: no Content-Length to refuse it by, the decoder must stop it
    url = serve_encoded(feed_server, "/bomb.xml", bomb(2 * GIB, codings), header, chunked=True)

    report = fetch_in_child("fetch", url, feed_server.url("/warm.xml"))

    # 2 GiB of zeros in a few KB: refused at the 1 MB cap, in a process limited to
    # 1 GiB of address space, growing by a few MB rather than by the bomb.
    assert report["outcome"].startswith(error), report
    assert report["grew_mb"] < 16, report
    assert f"cap of {CAP:,} bytes" in report["outcome"] or "at most 2" in report["outcome"]


def test_a_bomb_in_a_redirect_or_error_body_is_never_inflated(feed_server: FeedServer) -> None:
    wire = bomb(2 * GIB, ["gzip", "gzip"])
    feed_server.add("/feed.xml", FEED)
    serve_encoded(feed_server, "/moved", wire, "gzip, gzip", status=302, location="/feed.xml")
    serve_encoded(feed_server, "/gone", wire, "gzip, gzip", status=404)

    moved = fetch_in_child("fetch", feed_server.url("/moved"), feed_server.url("/feed.xml"))
    gone = fetch_in_child("fetch", feed_server.url("/gone"), feed_server.url("/feed.xml"))

    assert moved["outcome"] == "ok" and moved["grew_mb"] < 16, moved
    assert gone["outcome"].startswith("HTTPStatusError: HTTP 404") and gone["grew_mb"] < 16, gone


def test_a_coding_we_never_asked_for_is_refused_with_a_hint(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    # br (or zstd, or a made-up name): httpx has no decoder, or one that cannot be
    # bounded; the bytes must not reach the parser as if they were the feed.
    for coding in ("br", "zstd", "x-unknown"):
        url = serve_encoded(feed_server, f"/{coding}.xml", b"\x1b\x00\x00\x00junk", coding)
        with pytest.raises(FetchError) as caught:
            fetcher.fetch(url)
        assert f"{coding!r} is not decoded here" in str(caught.value)
        assert "Accept-Encoding" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("codings", "header"),
    [
        (["gzip", "gzip"], "gzip, gzip"),
        (["deflate"], "deflate"),
        (["raw-deflate"], "deflate"),
        (["deflate", "gzip"], "deflate, gzip"),
        (["gzip"], "identity, X-GZIP"),
    ],
)
def test_honest_codings_decode(
    feed_server: FeedServer, fetcher: Fetcher, codings: list[str], header: str
) -> None:
    body = FEED * 50
    url = serve_encoded(feed_server, "/feed.xml", stacked(body, codings), header, chunked=True)

    assert fetcher.fetch(url).body == body
    # one byte a chunk: a deflate header split across chunks is still told apart
    feed_server.add(
        "/slow.xml",
        stacked(FEED, codings),
        headers={"Content-Encoding": header},
        trickle=0.0005,
        chunked=True,
    )
    assert fetcher.fetch(feed_server.url("/slow.xml")).body == FEED


def test_a_corrupt_or_cut_inner_layer_is_a_clear_error(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    inner = stacked(FEED * 50, ["gzip"])
    cut = b"".join(compressed([inner[: len(inner) // 2]], "gzip"))
    bad = b"".join(compressed([inner[:20] + b"\xff" * 40 + inner[60:]], "gzip"))

    with pytest.raises(FetchError, match="not valid gzip: the compressed stream ends early"):
        fetcher.fetch(serve_encoded(feed_server, "/cut.xml", cut, "gzip, gzip"))
    with pytest.raises(FetchError, match="not valid gzip: Error"):
        fetcher.fetch(serve_encoded(feed_server, "/bad.xml", bad, "gzip, gzip"))


# --- redirects may not lead from public into private space ------------------------


@pytest.fixture
def public_fetcher(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Fetcher, PublicNames]]:
    """A Fetcher to which ``*.example`` names are public, while they connect to 127.0.0.1."""
    loopback_names(monkeypatch)
    names = PublicNames({"mixed.example": [PUBLIC_V4, "10.1.2.3"]})
    with Fetcher(resolve=names) as fetcher:
        yield fetcher, names


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1", "a loopback address"),
        ("localhost", "localhost resolves to 127.0.0.1, a loopback address"),
        ("0.0.0.0", "an unspecified address"),
        ("[::ffff:127.0.0.1]", "a loopback address"),
        ("mixed.example", "mixed.example resolves to 10.1.2.3, a private address"),
    ],
)
def test_a_public_feed_cannot_redirect_into_private_space(
    public_fetcher: tuple[Fetcher, PublicNames], status: int, host: str, why: str
) -> None:
    fetcher, names = public_fetcher
    names.names["localhost"] = ["127.0.0.1", "::1"]
    with FeedServer() as public, FeedServer() as inner:
        inner.add("/admin", b"secret")
        target = inner.url("/admin", host=host)
        public.add("/feed.xml", b"", status=status, location=target)

        with pytest.raises(ForbiddenAddress) as caught:
            fetcher.fetch(public.url("/feed.xml", host="news.example"))

        assert inner.requests == []  # nothing reached the other port
        assert [path for _, path, _ in public.requests] == ["/feed.xml"]
    text = str(caught.value)
    assert f"{public.url('/feed.xml', host='news.example')} redirects to {target}" in text
    assert why in text
    assert caught.value.hint == f"if the feed is truly internal, point its url at {target} directly"


def test_the_rule_holds_on_every_hop(public_fetcher: tuple[Fetcher, PublicNames]) -> None:
    fetcher, _ = public_fetcher
    with FeedServer() as public, FeedServer() as inner:
        inner.add("/admin", b"secret")
        public.add("/a", b"", status=302, location=public.url("/b", host="cdn.example"))
        public.add("/b", b"", status=307, location=inner.url("/admin"))

        with pytest.raises(ForbiddenAddress, match=r"/b redirects to .* \(fetching .*/a\)"):
            fetcher.fetch(public.url("/a", host="news.example"))

        assert inner.requests == []
        assert [path for _, path, _ in public.requests] == ["/a", "/b"]


def test_a_public_feed_may_redirect_to_public_hosts_and_its_own(
    public_fetcher: tuple[Fetcher, PublicNames],
) -> None:
    fetcher, names = public_fetcher
    with FeedServer() as public:
        public.add("/old", b"", status=301, location=public.url("/moved", host="news.example"))
        public.add("/moved", b"", status=302, location=public.url("/feed.xml", host="cdn.example"))
        public.add("/feed.xml", FEED)

        result = fetcher.fetch(public.url("/old", host="news.example"))

    assert result.body == FEED and result.final_url == public.url("/feed.xml", host="cdn.example")
    # the feed's own host is trusted as configured; only the new one was looked up, with it
    assert sorted(names.asked) == ["cdn.example", "news.example"]


def test_a_vetted_host_is_reached_where_it_was_vetted_not_where_a_second_lookup_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # DNS rebinding: rebind.example is public to the check (PublicNames) and, asked
    # again, private (127.0.0.2, another host of this machine, the same port). The
    # fetch must go to the address it checked, with the name in its Host header.
    names = PublicNames()
    with (
        Fetcher(resolve=names) as fetcher,
        FeedServer() as origin,
        FeedServer(address="127.0.0.2") as inner,
        FeedServer(port=inner.port) as vetted,  # where the vetted address routes (tests)
    ):
        loopback_names(monkeypatch, {"rebind.example": "127.0.0.2"})
        inner.add("/feed.xml", b"internal secret")
        vetted.add("/feed.xml", FEED)
        target = inner.url("/feed.xml", host="rebind.example")
        origin.add("/feed.xml", b"", status=302, location=target)

        result = fetcher.fetch(origin.url("/feed.xml", host="news.example"))

        assert inner.requests == []
        [(_, path, headers)] = vetted.requests
    assert result.body == FEED and result.final_url == target
    assert path == "/feed.xml" and headers["Host"] == f"rebind.example:{inner.port}"
    assert names.asked.count("rebind.example") == 1


@pytest.fixture
def secure_example(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """A server's TLS context with a certificate for secure.example alone, from a
    throwaway CA the fetcher trusts; public test names routed to loopback."""
    import ssl

    import trustme

    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("secure.example").configure_cert(served)
    loopback_names(monkeypatch)
    return served


def test_a_vetted_https_host_is_checked_by_its_name_at_its_address(secure_example: Any) -> None:
    # Connected to by address, the server still gets the name in the SNI, and its
    # certificate is checked against the name: one for the address would not do.
    with (
        Fetcher(resolve=PublicNames()) as fetcher,
        FeedServer() as origin,
        FeedServer(tls=secure_example) as secure,
    ):
        secure.add("/feed.xml", FEED)
        target = secure.url("/feed.xml", host="secure.example")
        origin.add("/feed.xml", b"", status=302, location=target)

        result = fetcher.fetch(origin.url("/feed.xml", host="news.example"))

        assert [headers["Host"] for _, _, headers in secure.requests] == [
            f"secure.example:{secure.port}"
        ]
    assert result.body == FEED and result.final_url == target


def test_a_connection_verified_for_one_name_never_serves_another_at_its_address(
    secure_example: Any,
) -> None:
    # Two vetted names at one address: the second must get its own TLS handshake,
    # checked against its own name (the certificate is not other.example's), not the
    # connection kept from the first.
    with (
        Fetcher(resolve=PublicNames()) as fetcher,
        FeedServer() as origin,
        FeedServer(tls=secure_example) as secure,
    ):
        secure.add("/feed.xml", FEED)
        for path, name in (("/a", "secure.example"), ("/b", "other.example")):
            origin.add(path, b"", status=302, location=secure.url("/feed.xml", host=name))

        assert fetcher.fetch(origin.url("/a", host="news.example")).body == FEED
        with pytest.raises(FetchError, match="certificate"):
            fetcher.fetch(origin.url("/b", host="news.example"))

        assert len(secure.requests) == 1  # other.example's request was never sent


def test_a_vetted_host_is_tried_at_each_of_its_addresses(
    public_fetcher: tuple[Fetcher, PublicNames],
) -> None:
    fetcher, names = public_fetcher
    names.names["two.example"] = [PUBLIC_REFUSING, PUBLIC_V4]  # the first refuses
    with FeedServer() as public:
        public.add("/a", b"", status=302, location=public.url("/feed.xml", host="two.example"))
        public.add("/feed.xml", FEED)

        result = fetcher.fetch(public.url("/a", host="news.example"))

    assert result.body == FEED


def test_a_feed_on_a_private_address_may_redirect_within_private_space(
    public_fetcher: tuple[Fetcher, PublicNames],
) -> None:
    fetcher, names = public_fetcher
    names.names["intranet.example"] = ["10.0.0.7"]
    with FeedServer() as first, FeedServer() as second:
        first.add("/feed.xml", b"", status=302, location=second.url("/feed.xml"))
        second.add("/feed.xml", FEED)

        assert fetcher.fetch(first.url("/feed.xml")).body == FEED
        assert fetcher.fetch(first.url("/feed.xml", host="intranet.example")).body == FEED


def test_a_feed_that_never_leaves_its_host_costs_no_lookup(
    public_fetcher: tuple[Fetcher, PublicNames],
) -> None:
    fetcher, names = public_fetcher
    with FeedServer() as public:
        public.add("/old", b"", status=301, location="/feed.xml")
        public.add("/feed.xml", FEED)

        assert fetcher.fetch(public.url("/old", host="news.example")).body == FEED
    assert names.asked == []


def test_an_unresolvable_redirect_target_is_a_connect_error(
    public_fetcher: tuple[Fetcher, PublicNames],
) -> None:
    fetcher, _ = public_fetcher
    with FeedServer() as public:
        public.add("/feed.xml", b"", status=302, location="http://nowhere.invalid/feed.xml")

        with pytest.raises(ConnectError, match=r"cannot resolve host 'nowhere\.invalid'"):
            fetcher.fetch(public.url("/feed.xml", host="news.example"))


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-global"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        (PUBLIC_V4, None),
        (PUBLIC_V6, None),
        ("::ffff:93.184.215.14", None),
        ("8.8.8.8", None),
    ],
)
def test_which_addresses_are_public(address: str, why: str | None) -> None:
    assert non_public(ipaddress.ip_address(address)) == why


def test_the_system_resolver_does_not_hold_up_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def slow_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)  # a slow DNS server: blocks its thread, never the loop
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_V4, port))]

    monkeypatch.setattr(socket, "getaddrinfo", slow_getaddrinfo)

    async def main() -> tuple[list[str], int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        found = await system_resolve("slow.example", 443)
        ticker.cancel()
        return found, ticks

    found, ticks = asyncio.run(main())
    assert found == [PUBLIC_V4]
    assert ticks >= 5  # the loop ran on while the lookup waited
