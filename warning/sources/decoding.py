"""Undoing a response's Content-Encoding without ever holding more than the body cap.

httpx's own decoders inflate a whole network chunk before anyone can look at the
size, and chain one decoder per layer: a 5 KB answer labelled ``gzip, gzip`` can
inflate to gigabytes inside one call. So every fetch here reads the raw bytes and
inflates them with :class:`BoundedDecoder`, in which each layer is a zlib object
asked for at most the room left under the cap, layer by layer in order.

What is decoded, and why no more:

- ``gzip`` (and ``x-gzip``), the only coding we ask for (``Accept-Encoding: gzip``);
- ``deflate``, zlib-wrapped as the RFC says or raw as some servers send it: the same
  zlib, so bounding it costs nothing;
- at most :data:`MAX_LAYERS` of them stacked: a server that compresses what its
  application already compressed sends ``gzip, gzip``; three layers is never honest.

Anything else (``br``, ``zstd``, ``compress``, a made-up name) was sent unasked. It
is refused with an error rather than decoded: the decoders either are not installed
or cannot bound their output, and passing the bytes on undecoded would hand the
parser garbage.
"""

from __future__ import annotations

import zlib

from ..errors import BodyTooLarge, FetchError

#: Codings inflated here, with the zlib window bits of each (None: told by the header).
_CODINGS: dict[str, int | None] = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": None,
}
#: Layers of coding accepted on one body.
MAX_LAYERS = 2


class BoundedDecoder:
    """Inflates a body chunk by chunk through its codings, each layer held to ``cap`` bytes.

    Built from the ``Content-Encoding`` header (refusing what it cannot bound);
    :meth:`feed` takes raw chunks in arrival order, :meth:`finish` returns the body.
    Memory stays within the cap per layer plus one raw chunk, whatever the ratio.
    """

    def __init__(self, content_encoding: str, url: str, cap: int) -> None:
        self.url = url
        self.cap = cap
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        unknown = [c for c in codings if c not in _CODINGS]
        if unknown:
            raise FetchError(
                f"{url} sent its body with Content-Encoding {content_encoding.strip()!r}: "
                f"{unknown[0]!r} is not decoded here (only gzip and deflate are)",
                hint="the server ignores our Accept-Encoding: gzip; ask the site to honour it, "
                "or point the feed at an address that serves the feed plainly or gzipped",
            )
        if len(codings) > MAX_LAYERS:
            raise FetchError(
                f"{url} stacks {len(codings)} content codings ({content_encoding.strip()}); "
                f"at most {MAX_LAYERS} are decoded",
                hint="a misconfigured or hostile server; check the feed url in a browser",
            )
        # Listed in the order they were applied, so undone from the last one.
        self._layers = [_Layer(c, url, cap) for c in reversed(codings)]
        self._parts: list[bytes] = []
        self._total = 0

    def feed(self, raw: bytes) -> None:
        """Take the next raw chunk; BodyTooLarge as soon as any layer passes the cap."""
        data = raw
        for layer in self._layers:
            data = layer.inflate(data)
        self._total += len(data)
        if self._total > self.cap:
            raise too_large(self.url, self.cap, f"more than {self.cap:,} bytes arrived")
        if data:
            self._parts.append(data)

    def finish(self) -> bytes:
        """The decoded body; a FetchError when a compressed layer stopped short."""
        for layer in self._layers:
            layer.check_complete()
        return b"".join(self._parts)


class _Layer:
    """One coding, inflated in pieces no larger than the room left under the cap."""

    def __init__(self, coding: str, url: str, cap: int) -> None:
        self.coding = coding
        self.url = url
        self.cap = cap
        wbits = _CODINGS[coding]
        self._inflater = zlib.decompressobj(wbits) if wbits is not None else None
        self._head = b""  # deflate: the first bytes, until they tell zlib from raw
        self._produced = 0
        self._fed = False

    def inflate(self, data: bytes) -> bytes:
        if not data:
            return b""
        self._fed = True
        if self._inflater is None:
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if _zlib_header(data) else -15)
        try:
            out = self._inflater.decompress(data, self.cap - self._produced + 1)
        except zlib.error as exc:
            raise corrupt(self.url, self.coding, exc) from None
        self._produced += len(out)
        # Output left waiting, or one byte past the room: either way over the cap.
        if self._inflater.unconsumed_tail or self._produced > self.cap:
            raise too_large(self.url, self.cap, "it inflates beyond the cap")
        return out

    def check_complete(self) -> None:
        # An empty body labelled gzip is empty, not corrupt.
        if self._fed and (self._inflater is None or not self._inflater.eof):
            raise corrupt(self.url, self.coding, "the compressed stream ends early")


def _zlib_header(data: bytes) -> bool:
    """Whether ``data`` starts with a zlib header (RFC 1950) rather than raw deflate."""
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0


def too_large(url: str, cap: int, why: str) -> BodyTooLarge:
    return BodyTooLarge(
        f"body of {url} is over the cap of {cap:,} bytes: {why}",
        hint="raise poll.max_bytes in the configuration if the feed is legitimately that large",
    )


def corrupt(url: str, coding: str, why: object) -> FetchError:
    return FetchError(
        f"body of {url} is not valid {coding}: {why}",
        hint="the server sent a corrupt compressed body; it usually recovers by itself",
    )
