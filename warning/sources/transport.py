"""Below the fetcher: connection pools and response bodies.

Kept apart from :mod:`warning.sources.http` so that module reads as the
fetch itself (conditionals, redirects, deadline, error mapping) while this
one holds the two things tuned by measurement: how connections are pooled,
and how a body is read under the size cap.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from .decoding import BoundedDecoder, too_large

#: Connections per httpcore pool; see ShardedTransport.
SHARD_SIZE = 4
#: Bodies of redirects and errors up to this size are read (not dropped) so that
#: the connection goes back to the pool instead of being closed.
DRAIN_LIMIT = 64 * 1024


class ShardedTransport(httpx.AsyncBaseTransport):
    """Spreads requests over several small connection pools instead of one big one.

    httpcore 1.0's pool walks every connection (with a poll() of each idle socket)
    on each request and release, and hands one idle connection to several waiting
    requests that then retry (encode/httpx#3215, encode/httpcore#1035). With 64
    connections in one pool that costs ~10 ms of CPU per request, which alone
    would make a 1,000-feed cycle take 10 s; pools of 4 bring it near 1 ms.
    """

    def __init__(self, concurrency: int) -> None:
        count = -(-concurrency // SHARD_SIZE)
        self._sizes = [concurrency // count + (i < concurrency % count) for i in range(count)]
        self._load = [0] * count
        #: The shard an origin last used, so its idle keep-alive connection is reused.
        self._home: dict[tuple[bytes, bytes, int | None], int] = {}
        context = httpx.create_ssl_context()  # loading the CA bundle once is enough
        self._shards = [
            httpx.AsyncHTTPTransport(
                verify=context,
                limits=httpx.Limits(
                    max_connections=size, max_keepalive_connections=size, keepalive_expiry=30.0
                ),
            )
            for size in self._sizes
        ]
        # A request pinned to a vetted address (http.py names the host in the TLS SNI
        # and the Host header) gets a connection of its own, closed after its response:
        # httpcore pools by address, so a kept connection would serve the next name
        # pinned to the same address over TLS verified for the first. Pinned requests
        # are the rare ones (a redirect or an index leaving a public origin).
        self._pinned = httpx.AsyncHTTPTransport(
            verify=context,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=0),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the origin's usual shard, or the least loaded one."""
        if "sni_hostname" in request.extensions:
            return await self._pinned.handle_async_request(request)
        url = request.url
        origin = (url.raw_scheme, url.raw_host, url.port)
        index = self._home.get(origin)
        if index is None or self._load[index] >= self._sizes[index]:
            # The Fetcher's semaphore caps requests at the sum of the sizes, so some
            # shard always has room and no request waits inside httpcore's pool.
            index = min(range(len(self._sizes)), key=lambda i: self._load[i] - self._sizes[i])
            self._home[origin] = index
        self._load[index] += 1
        try:
            response = await self._shards[index].handle_async_request(request)
        except BaseException:
            self._load[index] -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=Released(response.stream, self._load, index),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close every shard's connections."""
        for shard in (*self._shards, self._pinned):
            await shard.aclose()


class Released(httpx.AsyncByteStream):
    """A response body that gives its shard's slot back when closed."""

    def __init__(self, stream: httpx.AsyncByteStream, load: list[int], index: int) -> None:
        self._stream = stream
        self._load = load
        self._index = index
        self._open = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._open:  # even when cancelled mid-close
                self._open = False
                self._load[self._index] -= 1


async def drain(response: httpx.Response) -> None:
    """Read a small body we do not need, so the connection can be reused.

    Read raw, never decoded: a small body can still be a compression bomb.
    """
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) <= DRAIN_LIMIT:
        async for _ in response.aiter_raw():
            pass
    # Otherwise the caller's aclose() drops the connection: cheaper than reading.


async def read_body(response: httpx.Response, url: str, cap: int) -> bytes:
    """The decoded body, or BodyTooLarge as soon as it is known to exceed ``cap``.

    The raw bytes are inflated here under the cap (see :mod:`.decoding`); httpx's
    own decoders, which inflate a whole chunk before anyone can count, never run.
    """
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise too_large(url, cap, f"its Content-Length is {int(length):,} bytes")
    decoder = BoundedDecoder(", ".join(response.headers.get_list("content-encoding")), url, cap)
    async for raw in response.aiter_raw():
        decoder.feed(raw)
    return decoder.finish()
