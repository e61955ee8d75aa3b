"""``file://`` sources: a local file read with HTTP-like conditionals.

Useful offline and for feeds another tool drops on disk. The file's mtime
plays Last-Modified and an ETag built from mtime and size catches rewrites
within the same second.
"""

from __future__ import annotations

import email.utils
import os
import stat
import time
import urllib.request
from urllib.parse import urlsplit

from ..errors import FetchError
from ..records import FetchResult
from .transport import too_large


def fetch_file(
    url: str, etag: str | None, last_modified: str | None, max_bytes: int
) -> FetchResult:
    """Read a ``file://`` URL in the calling thread, with HTTP-like conditionals."""
    started = time.monotonic()
    hint = "check the path in the feed url; file urls are absolute: file:///var/lib/feeds/x.xml"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise FetchError(f"invalid file url {url!r}: {exc}", hint=hint) from None
    if parts.netloc not in ("", "localhost"):
        raise FetchError(
            f"file url {url!r} names a remote host {parts.netloc!r}",
            hint="use file:///absolute/path (three slashes)",
        )
    path = urllib.request.url2pathname(parts.path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise FetchError(f"cannot read {url}: {exc.strerror or exc}", hint=hint) from None
    if not stat.S_ISREG(info.st_mode):
        raise FetchError(f"cannot read {url}: not a regular file", hint=hint)
    if info.st_size > max_bytes:
        raise too_large(url, max_bytes, f"the file holds {info.st_size:,} bytes")
    modified = email.utils.formatdate(info.st_mtime, usegmt=True)
    # Last-Modified has one-second resolution; the tag adds nanoseconds and size,
    # so a rewrite within the same second is still seen when the caller kept it.
    tag = f'"{info.st_mtime_ns:x}-{info.st_size:x}"'
    unchanged = etag == tag if etag is not None else last_modified == modified
    if unchanged:
        return FetchResult(
            status="not_modified",
            url=url,
            final_url=url,
            etag=tag,
            last_modified=modified,
            http_status=304,
            elapsed=time.monotonic() - started,
        )
    try:
        with open(path, "rb") as handle:
            body = handle.read(max_bytes + 1)
    except OSError as exc:
        raise FetchError(f"cannot read {url}: {exc.strerror or exc}", hint=hint) from None
    if len(body) > max_bytes:  # the file grew since stat()
        raise too_large(url, max_bytes, "the file grew past the cap")
    return FetchResult(
        status="ok",
        url=url,
        final_url=url,
        body=body,
        etag=tag,
        last_modified=modified,
        http_status=200,
        bytes_received=len(body),
        elapsed=time.monotonic() - started,
    )
