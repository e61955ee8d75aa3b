"""Host names that look public to the address check but reach the local test servers.

The Fetcher resolves the hosts a redirect (or an index) leads to through its
``resolve`` argument, and the connection resolves them again through the system.
Tests split the two: :class:`PublicNames` tells the check that ``*.example`` names
are public addresses, while :func:`loopback_names` makes the connections to those
names, and to those addresses, land on 127.0.0.1, without a DNS query leaving the
machine.
"""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import socket
from typing import Any

import pytest

#: Global addresses (of no host of ours: nothing ever connects to them).
PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"
#: A global address whose connections are refused at once (routed to a closed port).
PUBLIC_REFUSING = "93.184.215.99"


class PublicNames:
    """A resolver for the Fetcher: ``names[host]``, else both public addresses for ``*.example``."""

    def __init__(self, names: dict[str, list[str]] | None = None) -> None:
        self.names = names or {}
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host in self.names:
            return self.names[host]
        if host.endswith(".example"):
            return [PUBLIC_V4, PUBLIC_V6]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def loopback_names(monkeypatch: pytest.MonkeyPatch, names: dict[str, str] | None = None) -> None:
    """Connections to ``*.example`` (and ``localhost``) go to 127.0.0.1, or to
    ``names[host]``; so do those to the public addresses above, to which the Fetcher
    connects once the check has vetted them. No other name resolves."""
    real = socket.getaddrinfo
    names = names or {}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in names:
            return real(names[name], port, *args, **kwargs)
        if name.endswith(".example") or name in ("localhost", PUBLIC_V4, PUBLIC_V6):
            return real("127.0.0.1", port, *args, **kwargs)
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in name else socket.AF_INET, name)
        except OSError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    # A vetted address is connected to as written (no lookup): route the public test
    # addresses to this machine where the event loop connects its sockets.
    loop_class = asyncio.selector_events.BaseSelectorEventLoop
    real_connect = loop_class.sock_connect

    async def sock_connect(self: Any, sock: socket.socket, address: Any) -> Any:
        if address[0] in (PUBLIC_V4, PUBLIC_V6, PUBLIC_REFUSING):
            here = "127.0.0.1" if sock.family == socket.AF_INET else "::ffff:127.0.0.1"
            port = 1 if address[0] == PUBLIC_REFUSING else address[1]  # nothing listens on 1
            address = (here, port, *address[2:])
        return await real_connect(self, sock, address)

    monkeypatch.setattr(loop_class, "sock_connect", sock_connect)
