"""The gazetteer's file format: one read-only table that every process maps.

As Python objects the table costs about 48 MB in each process that loads it (dicts of
160,000 keys, tuples, strings). In this form it is a ~11 MB file that each process
maps (``mmap``): the kernel keeps one copy in its page cache for all of them, and a
process reads it without unpacking anything, so loading takes no time.

Layout (little-endian), each section aligned to 8 bytes::

    header    magic, cache key, sha256 of every other byte of the file, counts, offsets
    hashes    u32 per slot: crc32 of the key in that slot
    slots     u32 per slot: where the key's record starts in the file (0: an empty slot)
    records   per key: u16 length, UTF-8 key, u8 bits, u16 n, n x u32 entry indexes
    index     u32 per entry + 1: where each entry's bytes start in the entries section
    entries   per entry: the marshal bytes of its plain tuple (see ``Entry``)
    meta      marshal bytes of {"person_names": (...), "info": {...}}

The keys are those of names and of name prefixes ("cote d" of "cote d ivoire"): a
record's ``bits`` say which it is, with the name's flags (CAP, ACRONYM). The slots
are an open-addressing hash table (linear probing, under a third full), so a lookup
is a crc32 and a probe or two. Nothing in the file is trusted before its digest is
checked (:func:`check`), and its builder's key is part of the header.
"""

from __future__ import annotations

import hashlib
import marshal
import struct
import zlib
from collections.abc import Iterator
from typing import Any

from ..errors import DataError

MAGIC = b"warning-gaz-v2\n\0"
HEADER = struct.Struct("<16s64s32sIIII9Q")
_U16 = struct.Struct("<H")
_RECORD_TAIL = struct.Struct("<BH")  # bits, number of entries
#: ``bits`` of a record: the name flags (gazetteer.CAP, gazetteer.ACRONYM) below these.
IS_NAME = 4
IS_PARTIAL = 8
_FLAG_BITS = 3


class Damaged(DataError):
    """The file is not a table this program wrote (truncated, changed, another version)."""

    def __init__(self, why: str) -> None:
        super().__init__(
            f"the gazetteer cache is damaged: {why}",
            "it is rebuilt automatically; deleting the file is always safe",
        )


def _align(n: int) -> int:
    return (n + 7) & ~7


def encode(payload: dict[str, Any], key: str) -> bytes:
    """The file for a builder's payload (``names``, ``partial``, ``entries``, ...)."""
    names: dict[str, tuple[int, ...]] = payload["names"]
    partial: frozenset[str] = payload["partial"]
    keys = sorted(names.keys() | partial)
    slots = 1 << max(4, (3 * len(keys)).bit_length())  # at most a third full
    mask = slots - 1
    hashes = [0] * slots
    offsets = [0] * slots
    records = bytearray()
    for k in keys:
        raw = k.encode()
        value = names.get(k)
        bits = (IS_PARTIAL if k in partial else 0) | (
            IS_NAME | value[0] if value is not None else 0
        )
        ids = value[1:] if value is not None else ()
        at = len(records)
        records += _U16.pack(len(raw)) + raw + _RECORD_TAIL.pack(bits, len(ids))
        records += struct.pack(f"<{len(ids)}I", *ids)
        h = zlib.crc32(raw)
        i = h & mask
        while offsets[i]:
            i = (i + 1) & mask
        hashes[i], offsets[i] = h, at + 1  # made absolute below, once the sections are placed
    blobs = [marshal.dumps(tuple(e), 4) for e in payload["entries"]]
    index = [0]
    for blob in blobs:
        index.append(index[-1] + len(blob))
    meta = marshal.dumps(
        {"person_names": tuple(sorted(payload["person_names"])), "info": payload["info"]}, 4
    )
    # The records follow the header and the two slot arrays: their place is known now.
    at_records = _align(_align(_align(HEADER.size) + 4 * slots) + 4 * slots)
    offsets = [at_records + at - 1 if at else 0 for at in offsets]
    sections = [
        struct.pack(f"<{slots}I", *hashes),
        struct.pack(f"<{slots}I", *offsets),
        bytes(records),
        struct.pack(f"<{len(index)}I", *index),
        b"".join(blobs),
        meta,
    ]
    body = bytearray()
    starts = []
    for section in sections:
        body += b"\0" * (_align(HEADER.size + len(body)) - HEADER.size - len(body))
        starts.append(HEADER.size + len(body))
        body += section
    assert starts[2] == at_records, (starts, at_records)
    header = HEADER.pack(
        MAGIC,
        key.encode("ascii"),
        b"\0" * 32,  # the digest, of everything else: known once the rest is packed
        slots,
        len(names),
        len(blobs),
        0,
        *starts,
        len(sections[2]),
        len(sections[4]),
        HEADER.size + len(body),
    )
    data = bytearray(header + body)
    data[_DIGEST] = _digest(data)
    return bytes(data)


#: Where the header keeps the digest; it covers every other byte of the file.
_DIGEST = slice(80, 112)


def _digest(buf: Any) -> bytes:
    view = memoryview(buf)
    h = hashlib.sha256(view[: _DIGEST.start])
    h.update(view[_DIGEST.stop :])
    return h.digest()


def header_key(buf: Any) -> str | None:
    """The cache key a file was built for, or None when it is not one of ours."""
    if len(buf) < HEADER.size or bytes(buf[: len(MAGIC)]) != MAGIC:
        return None
    return bytes(HEADER.unpack_from(buf)[1]).decode("ascii", "replace")


def check(buf: Any) -> None:
    """Raise :class:`Damaged` unless ``buf`` is a whole, unchanged table."""
    if len(buf) < HEADER.size or bytes(buf[: len(MAGIC)]) != MAGIC:
        raise Damaged("not a gazetteer table of this version")
    fields = HEADER.unpack_from(buf)
    if fields[-1] != len(buf):
        raise Damaged(f"{len(buf)} bytes where its header says {fields[-1]}")
    if _digest(buf) != fields[2]:
        raise Damaged("its contents do not match their checksum")


class Table:
    """Read access to an encoded table in any buffer (an ``mmap``, or bytes)."""

    __slots__ = (
        "_buf",
        "_entries",
        "_hashes",
        "_index",
        "_mask",
        "_slots",
        "entries",
        "meta",
        "names",
    )

    def __init__(self, buf: Any) -> None:
        (
            _magic,
            _key,
            _digest,
            slots,
            names,
            entries,
            _pad,
            at_hashes,
            at_slots,
            at_records,
            at_index,
            at_entries,
            at_meta,
            records_len,
            entries_len,
            end,
        ) = HEADER.unpack_from(buf)
        if slots & (slots - 1) or end != len(buf):
            raise Damaged("its header does not describe it")
        view = memoryview(buf)
        self._buf = buf
        self._mask = slots - 1
        self._hashes = view[at_hashes : at_hashes + 4 * slots].cast("I")
        self._slots = view[at_slots : at_slots + 4 * slots].cast("I")
        if not HEADER.size <= at_records <= at_records + records_len <= at_index:
            raise Damaged("its header does not describe it")
        self._index = view[at_index : at_index + 4 * (entries + 1)].cast("I")
        self._entries = view[at_entries : at_entries + entries_len]
        self.names = names  # how many keys are names (the rest are only prefixes)
        self.entries = entries
        self.meta: dict[str, Any] = marshal.loads(view[at_meta:end])

    def probe(self, key: str) -> tuple[int, tuple[int, ...]] | None:
        """(bits, entry indexes) of ``key``, or None when it is neither name nor prefix."""
        # The hot path of a lookup the resolver has not cached: indexing and slicing
        # the mapped file itself is cheaper than going through memoryviews.
        raw = key.encode()
        h = zlib.crc32(raw)
        hashes, slots, buf, mask = self._hashes, self._slots, self._buf, self._mask
        i = h & mask
        while at := slots[i]:
            if hashes[i] == h:
                end = at + 2 + (buf[at] | buf[at + 1] << 8)
                if buf[at + 2 : end] == raw:
                    return buf[end], _ids(buf[end + 1] | buf[end + 2] << 8).unpack_from(
                        buf, end + 3
                    )
            i = (i + 1) & mask
        return None

    def entry(self, index: int) -> tuple[Any, ...]:
        """Entry ``index`` as its plain tuple."""
        if not 0 <= index < self.entries:
            raise IndexError(index)
        value: tuple[Any, ...] = marshal.loads(
            self._entries[self._index[index] : self._index[index + 1]]
        )
        return value

    def records(self) -> Iterator[tuple[str, int, tuple[int, ...]]]:
        """Every key with its bits and entry indexes, in slot order."""
        buf = self._buf
        for at in self._slots:
            if at:
                end = at + 2 + _U16.unpack_from(buf, at)[0]
                bits, count = _RECORD_TAIL.unpack_from(buf, end)
                yield bytes(buf[at + 2 : end]).decode(), bits, _ids(count).unpack_from(buf, end + 3)


_IDS: dict[int, struct.Struct] = {}


def _ids(count: int) -> struct.Struct:
    """The format of ``count`` entry indexes (made once per count)."""
    found = _IDS.get(count)
    if found is None:
        found = _IDS[count] = struct.Struct(f"<{count}I")
    return found


def flags(bits: int) -> int:
    """The name flags (CAP, ACRONYM) of a record's bits."""
    return bits & _FLAG_BITS
