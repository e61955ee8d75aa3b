"""Files the program ships with, and where it keeps its state.

In an installed wheel the repository's ``config/`` and ``models/`` live inside
the package as ``warning/_bundled/``; in a source checkout they are beside the
package. Both layouts are looked up here and nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """The shipped top-level directory ``name`` (``config`` or ``models``)."""
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def bundled_config() -> Path:
    """The default configuration that ships with the program."""
    return bundled("config") / "warning.yaml"


def bundled_rules() -> Path:
    """The default alert rules, used when the configuration has no ``rules`` key."""
    return bundled("config") / "rules.yaml"


def state_dir() -> Path:
    """Where the embedded database lives when the configuration names none.

    systemd's ``StateDirectory=`` (``$STATE_DIRECTORY``) first, then the XDG
    state directory, so a plain ``warning run`` never writes into the
    installed package or the current directory.
    """
    if os.environ.get("STATE_DIRECTORY"):
        return Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "warning"
