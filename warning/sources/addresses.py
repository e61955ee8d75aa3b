"""Where a fetch may go once it leaves the URL the operator configured.

A feed's server decides where its redirects point, and a GDELT index decides which
export is fetched next. Left unchecked, any public feed could make this daemon send
requests to itself or to its private network (the metadata service, an admin port):
blind request forgery. The rule:

- the configured URL is trusted as written, and so is its host on any later hop;
- a fetch that started on a public address may only move to hosts whose every
  address is public; a name that resolves to one private address among public
  ones is refused, as that is the one a connection may pick;
- a fetch that started on a private address (an intranet feed, a test server on
  127.0.0.1) may go anywhere: it already is inside.

"Public" is what :func:`non_public` says: not loopback, private, link-local,
multicast, reserved, unspecified or otherwise not globally routable, for IPv4 and
IPv6 alike, looking through IPv4 addresses carried in IPv6 ones (``::ffff:127.0.0.1``,
6to4). Names are resolved through a :data:`Resolver`, by default the event loop's
``getaddrinfo`` (run in a thread, so the loop never waits on DNS). The check resolves
the name once: the fetch then connects to the addresses checked (Host header, SNI and
certificate check still by name), so a name whose answers change between the check and
the connection (DNS rebinding) cannot lead it elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

import httpx

from ..errors import ConnectError, FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``(host, port) -> addresses``; raises ``OSError`` (e.g. ``socket.gaierror``) on failure.
Resolver = Callable[[str, int], Awaitable[list[str]]]


class ForbiddenAddress(FetchError):
    """A redirect, or a URL read from an answer, leads from public into private space."""


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, from the event loop's ``getaddrinfo``."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def non_public(address: IPAddress) -> str | None:
    """Why ``address`` is outside the public internet, or None when it is a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return non_public(embedded)
    # Most specific first: 127.0.0.1 is also "private" to the ipaddress module.
    for kind in ("unspecified", "loopback", "link_local", "multicast", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if not address.is_global:  # e.g. 100.64.0.0/10, shared by carrier-grade NAT
        return "non-global"
    return None


class Guard:
    """Checks the hosts one fetch moves to, against the space its trusted URL is in.

    ``origin`` is the URL the operator configured (for a URL read from an answer, the
    URL of that answer's feed). Whether it is public is only worked out when a check
    is first needed, so a fetch that never leaves its host costs no lookup.
    """

    def __init__(self, origin: str, resolve: Resolver) -> None:
        self.origin = httpx.URL(origin)
        self._resolve = resolve
        self._public_origin: bool | None = None

    async def check(self, target: httpx.URL, lead: str) -> list[IPAddress] | None:
        """ForbiddenAddress if ``target`` leads from a public origin into private space.

        ``lead`` opens the message: how the fetch came to ``target`` (e.g.
        "http://a/feed redirects to http://b/"). Returns the addresses a host name was
        found to have, all public, which the fetch must then connect to (not to what a
        second lookup may answer); None when nothing needs pinning (the origin's own
        host, a private origin, an address written in the URL).
        """
        host = target.host
        if host == self.origin.host:
            return None
        if self._public_origin is None:
            origin_addresses = await self._addresses(self.origin)
            self._public_origin = all(non_public(a) is None for a in origin_addresses)
        if not self._public_origin:
            return None
        addresses = await self._addresses(target)
        for address in addresses:
            why = non_public(address)
            if why is None:
                continue
            named = "" if host == str(address) else f"{host} resolves to {address}, "
            article = "an" if why[0] in "aeiou" else "a"
            raise ForbiddenAddress(
                f"{lead}: refused, {named}{article} {why} address; a feed on a public address "
                "may not lead into this machine or a private network",
                hint=f"if the feed is truly internal, point its url at {target} directly",
            )
        return None if _literal(host) is not None else addresses

    async def _addresses(self, url: httpx.URL) -> list[IPAddress]:
        host = url.host
        literal = _literal(host)
        if literal is not None:
            return [literal]
        try:
            found = await self._resolve(host, url.port or (443 if url.scheme == "https" else 80))
        except OSError as exc:
            raise ConnectError(
                f"cannot resolve host {host!r} ({url}): {exc}",
                hint="check the host name in the feed url, and this machine's DNS",
            ) from None
        addresses = [a for a in map(_literal, found) if a is not None]
        if not addresses:
            raise ConnectError(
                f"host {host!r} resolves to no usable address ({url})",
                hint="check the host name in the feed url, and this machine's DNS",
            )
        return addresses


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
