"""Fetching shared by both GDELT kinds: a file, a zip of one, or the newest file an index names.

Separate from the parsers because neither kind's parser needs it, and both kinds'
sources inherit it (:class:`GdeltSource`): the ``lastupdate.txt`` index with its size
and md5 checks, and the guarded unzipping of GDELT's one-file archives.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import zipfile
import zlib
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urljoin, urlsplit

from ...errors import FetchError, ParseError
from ...records import FeedState, FetchResult
from ..base import Source
from .options import GdeltCaps

if TYPE_CHECKING:
    from ..http import Fetcher, FetchLimits

_ZIP_MAGIC = b"PK\x03\x04"


class GdeltSource(Source):
    """Fetching shared by the GDELT kinds.

    A ``url`` whose path ends in ``.txt`` is an index in the format of GDELT's
    ``lastupdate.txt``: lines of ``size md5 url``. The line for this kind's files
    (``index_suffix``) is followed. The export URL last stored is kept in the feed's
    ETag slot, and the index's Last-Modified in its Last-Modified slot: an index that
    is unchanged (304), or that still names the stored export, costs one tiny request
    and stores nothing. The export itself is fetched unconditionally and checked
    against the size and md5 the index gives.
    """

    #: How the file names this kind follows in an index end (lower case).
    index_suffix: ClassVar[str] = ""

    def fetch(self, fetcher: Fetcher, state: FeedState) -> FetchResult:
        """Conditional GET of the url, or of the index and the export it names."""
        limits = self._limits(fetcher)
        if urlsplit(self.feed.url).path.lower().endswith(".txt"):
            return follow_index(fetcher, self.feed.url, state, self.index_suffix, limits)
        return fetcher.fetch(
            self.feed.url, etag=state.etag, last_modified=state.last_modified, limits=limits
        )

    def _limits(self, fetcher: Fetcher) -> FetchLimits | None:
        cap = self.options_as(GdeltCaps).max_bytes
        return dataclasses.replace(fetcher.limits, max_bytes=cap) if cap else None

    def _unpacked(self, fetched: FetchResult) -> bytes:
        return unpack(fetched.body, self.options_as(GdeltCaps).max_unzipped)


def follow_index(
    fetcher: Fetcher, url: str, state: FeedState, suffix: str, limits: FetchLimits | None
) -> FetchResult:
    """Fetch the index at ``url`` and, when it names a new file, that file."""
    index = fetcher.fetch(url, last_modified=state.last_modified, limits=limits)
    unchanged = FetchResult(
        status="not_modified",
        url=url,
        final_url=state.final_url or url,
        etag=state.etag,
        last_modified=index.last_modified,
        http_status=304,
        bytes_received=index.bytes_received,
        elapsed=index.elapsed,
    )
    if index.status == "not_modified":
        return unchanged
    target, expected_size, md5 = index_entry(index.body, suffix, index.final_url or url)
    if target == state.etag:
        return unchanged
    # The index's server chose this url: held to the rule for redirects from the index.
    export = fetcher.fetch(target, limits=limits, learnt_from=url)
    body = export.body
    if expected_size is not None and len(body) != expected_size:
        raise FetchError(
            f"{target} holds {len(body):,} bytes but the index {url} says {expected_size:,}",
            hint="a truncated download or a file still being written; it is retried next time",
        )
    if md5 is not None and hashlib.md5(body, usedforsecurity=False).hexdigest() != md5:
        raise FetchError(
            f"{target} does not match the md5 the index {url} gives",
            hint="a corrupt download or a file replaced meanwhile; it is retried next time",
        )
    return FetchResult(
        status="ok",
        url=url,
        final_url=export.final_url,
        body=body,
        etag=target,
        last_modified=index.last_modified,
        http_status=export.http_status,
        bytes_received=index.bytes_received + export.bytes_received,
        elapsed=index.elapsed + export.elapsed,
    )


_MD5 = re.compile(r"[0-9a-fA-F]{32}")


def index_entry(body: bytes, suffix: str, index_url: str) -> tuple[str, int | None, str | None]:
    """(url, size, md5) of the index line whose url ends in ``suffix``; ParseError if none.

    A relative url is resolved against the index's own; a remote index may only name
    remote files (never ``file://``, which would read this machine's disk).
    """
    for line in body.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) != 3 or not parts[2].lower().endswith(suffix):
            continue
        length, digest, target = parts
        target = urljoin(index_url, target)
        scheme = urlsplit(target).scheme.lower()
        remote = urlsplit(index_url).scheme.lower() in ("http", "https")
        if scheme not in ("http", "https", "file") or (remote and scheme == "file"):
            raise ParseError(
                f"the index {index_url} names {target}, which is not an http(s) url",
                "the index is corrupt or not GDELT's; check the feed url",
            )
        return (
            target,
            int(length) if length.isascii() and length.isdigit() else None,
            digest.lower() if _MD5.fullmatch(digest) else None,
        )
    raise ParseError(
        f"the index {index_url} has no line for a *{suffix} file",
        "point the feed at GDELT's lastupdate.txt (or a file in its format: size md5 url)",
    )


def unpack(body: bytes, cap: int) -> bytes:
    """The body, or the one file inside it when it is a zip archive (at most ``cap`` bytes).

    The archive's directory gives each member's size before anything is decompressed, and
    the decompressor stops at that size (a member that inflates further fails its CRC), so
    a zip bomb is refused before it costs memory. Exactly one member is accepted.
    """
    if not body.startswith(_ZIP_MAGIC):
        return body
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise ParseError(
                    f"the zip archive holds {len(members)} files; a GDELT archive holds one",
                    "point the feed at one export (or the index), not at a bundle",
                )
            member = members[0]
            if member.file_size > cap:
                raise ParseError(
                    f"{member.filename} inside the zip archive would unpack to "
                    f"{member.file_size:,} bytes, over the cap of {cap:,}; refused unread",
                    "raise the feed's max_unzipped if the file is legitimately that large",
                )
            with archive.open(member) as handle:
                data = handle.read(cap + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ParseError(
            f"the zip archive is unreadable: {exc}",
            "a truncated or corrupt download; it is retried next time",
        ) from None
    if len(data) > cap:  # the directory understated the size
        raise ParseError(f"the file inside the zip archive is over the cap of {cap:,} bytes")
    return data
