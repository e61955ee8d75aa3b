"""Which user opens a SQLite database file, and whether it must exist already.

On a server the service owns its database: the unit runs as the ``warning``
user with ``UMask=0077``, so the file and the ``-wal`` and ``-shm`` files
SQLite makes beside it belong to that user alone. An operator's command run
as root reaches the same file (``resources.unit_environment``). Opened as
root, SQLite would make those files, and a migration its journal, as root,
and a root-owned ``-shm`` left by a crash or held open while the service
starts stops the service from writing its own database. So root takes on the
database's user and group before SQLite touches the file, as ``sudo -u``
would; another user who cannot write it is told who can, rather than getting
SQLite's "unable to open database file".
"""

from __future__ import annotations

import logging
import os
import pwd
import stat
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from warning.errors import StoreError

log = logging.getLogger(__name__)

MISSING_HINT = (
    "the daemon creates its database when it first starts; if it has, this command is "
    "reading another configuration than the daemon's: give it the same one (--config, "
    "$WARNING_CONFIG, else /etc/warning/warning.yaml) or the same `database:`"
)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL, in-memory and ``file:`` URI databases."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # Store reports an invalid URL, with its hint
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(os.path.abspath(database))


def require_existing(url: str) -> None:
    """Refuse, naming the path, when the SQLite database ``url`` names does not exist.

    For commands that read or change what the daemon stored: creating an empty
    database for them would only show nothing, silently.
    """
    path = sqlite_file(url)
    if path is None:
        return
    try:
        path.stat()
    except FileNotFoundError:
        raise StoreError(f"no database at {path}", MISSING_HINT) from None
    except PermissionError:
        folder = _closed_folder(path)
        raise StoreError(
            f"cannot reach the database {path}: {folder} is closed to user {_name(os.geteuid())}",
            _run_as_hint(folder.stat().st_uid),
        ) from None


def open_as_owner(path: Path) -> None:
    """Make this process fit to open the SQLite file ``path``; called before SQLite does.

    As root, with a file (or, before it exists, a folder) that belongs to another
    user: become that user and group, for the rest of the process. As any other
    user, with a file or folder we cannot write: a StoreError naming who can.
    """
    found = _nearest(path)
    if found is None:
        return  # nothing there yet: it is created by and for this user
    where, info = found
    euid = os.geteuid()
    if euid == 0:
        if info.st_uid != 0:
            log.info(
                "opening %s as user %s, its owner, so that the files SQLite creates beside it "
                "stay that user's",
                path,
                _name(info.st_uid),
            )
            os.setgroups([])
            os.setgid(info.st_gid)
            os.setuid(info.st_uid)
        return
    folder = where if stat.S_ISDIR(info.st_mode) else where.parent
    writable = os.access(folder, os.W_OK | os.X_OK) and (
        where == folder or os.access(where, os.R_OK | os.W_OK)
    )
    if not writable:
        raise StoreError(
            f"user {_name(euid)} cannot write the database {path} "
            f"({where} belongs to {_name(info.st_uid)})",
            _run_as_hint(info.st_uid),
        )


def _nearest(path: Path) -> tuple[Path, os.stat_result] | None:
    """The file, else its folder, with its status; None when neither exists."""
    for candidate in (path, path.parent):
        try:
            return candidate, candidate.stat()
        except FileNotFoundError:
            continue
        except PermissionError:
            folder = _closed_folder(candidate)
            return folder, folder.stat()
    return None


def _closed_folder(path: Path) -> Path:
    """The outermost folder on the way to ``path`` that this user may not enter."""
    for folder in reversed(path.parents):
        if not os.access(folder, os.X_OK):
            return folder
    return path.parent


def _name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _run_as_hint(uid: int) -> str:
    name = _name(uid)
    return (
        f"run it as root (`sudo warning ...`: it opens the database as {name}) "
        f"or as {name} (`sudo -u {name} warning ...`)"
    )
