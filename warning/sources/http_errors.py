"""A failed HTTP fetch, worded: httpx and OS errors as the FetchError an operator can act on.

:func:`translate` is the one place that knows which low-level failure means what
(a timeout of which phase, a TLS failure, an unknown host, a refused connection, a
broken answer); :func:`redirect_target` checks where a redirect leads. The fetcher
(http.py) raises only what these return, so no raw ``httpx`` or ``OSError`` escapes.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

from ..errors import ConnectError, FetchError, FetchTimeout

__all__ = ["redirect_target", "translate"]

# Each failure as (what it is, whether any exception it was raised from counts, the
# error raised, its message, its hint); the first that matches wins. Messages are
# str.format templates over url, host, exc and the fetch's timeouts.
_WORDING: tuple[tuple[type | tuple[type, ...], bool, type[FetchError], str, str], ...] = (
    (
        httpx.ConnectTimeout,
        False,
        FetchTimeout,
        "connect timeout: {host} did not accept a connection within {connect_timeout:g} s ({url})",
        "the host is down or unreachable from here (firewall, proxy?)",
    ),
    (
        httpx.ReadTimeout,
        False,
        FetchTimeout,
        "read timeout: {url} sent nothing for {read_timeout:g} s",
        "the server is overloaded; the feed backs off and retries",
    ),
    (
        httpx.WriteTimeout,
        False,
        FetchTimeout,
        "write timeout sending the request to {url}",
        "the connection stalled; the feed backs off and retries",
    ),
    (
        httpx.PoolTimeout,
        False,
        FetchTimeout,
        "pool timeout: no free connection for {url} within {connect_timeout:g} s",
        "too many fetches at once; lower the number of feeds polled together",
    ),
    (
        ssl.SSLError,
        True,
        ConnectError,
        "TLS failure talking to {host}: {exc} ({url})",
        "a bad or expired certificate, a port that does not speak TLS, or a "
        "proxy intercepting it; check the url in a browser",
    ),
    (
        socket.gaierror,
        True,
        ConnectError,
        "cannot resolve host {host!r} ({url})",
        "check the host name in the feed url, and this machine's DNS",
    ),
    (
        ConnectionRefusedError,
        True,
        ConnectError,
        "connection refused by {host} ({url})",
        "nothing listens at that address and port; check the url, or whether the site is down",
    ),
    (
        httpx.ConnectError,
        False,
        ConnectError,
        "cannot connect to {host}: {exc} ({url})",
        "the host is unreachable from here; check the url and the network",
    ),
    (
        httpx.RemoteProtocolError,
        False,
        FetchError,
        "{url}: the server closed the connection early or broke HTTP: {exc}",
        "a truncated or malformed answer; the feed backs off and retries",
    ),
    (
        (httpx.NetworkError, OSError),
        False,
        FetchError,
        "{url}: connection failed while talking to {host}: {exc}",
        "a network error; the feed backs off and retries",
    ),
    (
        (httpx.InvalidURL, httpx.UnsupportedProtocol),
        False,
        FetchError,
        "invalid feed url {url!r}: {exc}",
        "fix the url in the configuration",
    ),
    (
        httpx.LocalProtocolError,  # e.g. a stored ETag with a newline in it
        False,
        FetchError,
        "cannot send the request for {url}: {exc}",
        "check the feed url; clearing the feed's stored ETag may help",
    ),
)


def translate(exc: Exception, url: str, connect_timeout: float, read_timeout: float) -> FetchError:
    """Map an httpx/OS error to the FetchError subclass the operator can act on.

    The timeouts are the fetch's (:class:`~.http.FetchLimits`), which the messages quote.
    """
    try:
        host = urlsplit(url).hostname or url
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        host = url
    causes: list[BaseException] | None = None
    for kind, by_cause, error, message, hint in _WORDING:
        if by_cause:
            causes = causes if causes is not None else list(_causes(exc))
            found = any(isinstance(c, kind) for c in causes)
        else:
            found = isinstance(exc, kind)
        if found:
            text = message.format(
                url=url,
                host=host,
                exc=exc,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
            )
            return error(text, hint=hint)
    return FetchError(
        f"{url}: {type(exc).__name__}: {exc}",
        hint="an unexpected failure; the feed backs off and retries",
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it was raised from, including grouped exceptions."""
    stack, seen = [exc], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        for nxt in (current.__cause__, current.__context__):
            if nxt is not None:
                stack.append(nxt)


def redirect_target(response: httpx.Response, answered: str) -> httpx.URL:
    """Where a redirect from ``answered`` leads; FetchError unless it is an http(s) URL."""
    location = response.headers["location"]
    try:
        target = response.url.join(location)
    except httpx.InvalidURL as exc:
        raise FetchError(
            f"{answered} redirects to an invalid location {location!r}: {exc}",
            hint="the site is misconfigured; point the feed url at the final address",
        ) from None
    if target.scheme not in ("http", "https"):
        raise FetchError(
            f"{answered} redirects to {target}, which is not http(s)",
            hint="point the feed url at the final address",
        )
    return target
