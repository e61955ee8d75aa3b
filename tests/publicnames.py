"""Host names that look public to the address check but reach the local test servers.

The Fetcher resolves the hosts a redirect (or an index) leads to through its
``resolve`` argument, and the connection resolves them again through the system.
Tests split the two: :class:`PublicNames` tells the check that ``*.example`` names
are public addresses, while :func:`loopback_names` makes the connections to those
names land on 127.0.0.1, without a DNS query leaving the machine.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

#: Global addresses (of no host of ours: nothing ever connects to them).
PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


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


def loopback_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections to ``*.example`` (and ``localhost``) go to 127.0.0.1; no other name resolves."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.endswith(".example") or name == "localhost":
            return real("127.0.0.1", port, *args, **kwargs)
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in name else socket.AF_INET, name)
        except OSError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
