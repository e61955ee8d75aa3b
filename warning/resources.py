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
    installed package or the current directory. An operator's command run with
    the system configuration gets the service's directory through
    :func:`unit_environment`.
    """
    if os.environ.get("STATE_DIRECTORY"):
        return Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "warning"


def local_models() -> Path:
    """Where a deployment keeps the model it trained on its desk's verdicts.

    ``<state directory>/models``: ``warning train --with-feedback`` installs a model
    here only when it is no worse than the one running, and scoring prefers it to the
    shipped one (:func:`warning.classify.pack.running_path`).
    """
    return state_dir() / "models"


#: Where the installed unit keeps its configuration, state and credential files, below
#: the root the system is installed in (``/`` on a server).
SYSTEM_CONFIG = Path("etc/warning")
SYSTEM_STATE = Path("var/lib/warning")
SYSTEM_CREDENTIALS = SYSTEM_CONFIG / "credentials"


def system_root(config_file: Path) -> Path | None:
    """The root a system configuration is installed under, or None for any other file.

    ``/etc/warning/warning.yaml`` gives ``/``; ``/srv/img/etc/warning/warning.yaml``
    gives ``/srv/img`` (an image or a test's scratch root). The path is taken as
    given, not resolved: a symlinked configuration still names the system one.
    """
    folder = Path(os.path.abspath(config_file)).parent
    if folder.parts[-len(SYSTEM_CONFIG.parts) :] != SYSTEM_CONFIG.parts:
        return None
    return folder.parents[len(SYSTEM_CONFIG.parts) - 1]


def unit_environment(config_file: Path) -> dict[str, str]:
    """The directories systemd gives the service, for a command run with its configuration.

    The service stores under ``$STATE_DIRECTORY`` and reads ``${NAME}`` secrets from
    ``$CREDENTIALS_DIRECTORY``. An operator's ``warning alerts list`` on the server,
    run with the same configuration (``/etc/warning/warning.yaml``), must reach the
    same database and secrets without settings of its own, so it gets the same two
    directories: ``<root>/var/lib/warning`` and, when this user may read it,
    ``<root>/etc/warning/credentials`` (credential files named as ``LoadCredential=``
    names them). Empty for any other configuration. Callers keep values already set,
    so under systemd nothing changes. Which user opens the database is settled where it
    is opened (warning/store/access.py).
    """
    root = system_root(config_file)
    if root is None:
        return {}
    env = {"STATE_DIRECTORY": str(root / SYSTEM_STATE)}
    credentials = root / SYSTEM_CREDENTIALS
    if os.access(credentials, os.R_OK | os.X_OK):  # root-only: other users go without
        env["CREDENTIALS_DIRECTORY"] = str(credentials)
    return env


def use_unit_environment(config_file: Path) -> None:
    """Apply :func:`unit_environment` to this process, keeping any value already set."""
    for name, value in unit_environment(config_file).items():
        os.environ.setdefault(name, value)
