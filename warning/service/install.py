"""The files a service install needs, written out of the installed package.

A checkout has ``systemd/`` and ``config/`` at its top; a wheel (``pip install``,
``pipx install``) carries them inside the package (:mod:`warning.resources`).
``warning install-files DIR`` writes them where an admin can read and install them,
so that an install from a wheel needs no checkout: the unit, its sysusers entry, the
example configuration and the default rules, exactly as shipped but for the unit's
path to ``warning``, which names this installation's entry point.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import resources
from ..errors import DataError

#: Where the shipped unit expects ``warning`` (docs/operations.md links it there).
UNIT_BIN = "/usr/local/bin/warning"


@dataclass(frozen=True, slots=True)
class Written:
    """One file written: where, and what it is for."""

    path: Path
    purpose: str


def shipped() -> dict[str, tuple[Path, str]]:
    """Each file's name in the output folder -> (where it ships, what it is for)."""
    systemd, config = resources.bundled("systemd"), resources.bundled("config")
    return {
        "warning.service": (systemd / "warning.service", "/etc/systemd/system/warning.service"),
        "warning.sysusers": (systemd / "warning.sysusers", "/etc/sysusers.d/warning.conf"),
        "warning.yaml": (config / "warning.yaml", "/etc/warning/warning.yaml"),
        "rules.yaml": (config / "rules.yaml", "/etc/warning/rules.yaml"),
    }


def entry_point() -> Path:
    """This installation's ``warning`` script: the one beside the running interpreter
    (a venv's or pipx's ``bin/``), else the unit's default."""
    beside = Path(sys.executable).parent / "warning"
    return beside if beside.is_file() else Path(UNIT_BIN)


def install_files(folder: Path, *, force: bool = False, bin: Path | None = None) -> list[Written]:
    """Write the shipped files into ``folder``; DataError, writing nothing, when one
    is there already and ``force`` is not given (an admin's edited copy is not lost)."""
    files = shipped()
    missing = [str(src) for src, _ in files.values() if not src.is_file()]
    if missing:
        raise DataError(
            f"this installation lacks {', '.join(missing)}",
            "reinstall the package from a wheel built by this version's pyproject.toml",
        )
    there = [name for name in files if (folder / name).exists()]
    if there and not force:
        raise DataError(
            f"{folder} already has {', '.join(there)}",
            "give another folder, or --force to overwrite them",
        )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (src, purpose) in files.items():
        target = folder / name
        if name == "warning.service":
            target.write_text(unit_text(src, bin or entry_point()), encoding="utf-8")
        else:
            shutil.copyfile(src, target)
        os.chmod(target, 0o644)
        written.append(Written(target, purpose))
    return written


def unit_text(unit: Path, bin: Path) -> str:
    """The shipped unit, its commands running ``bin`` instead of the default path."""
    text = unit.read_text(encoding="utf-8")
    if str(bin) == UNIT_BIN:
        return text
    lines = [
        line.replace(UNIT_BIN, str(bin), 1) if line.startswith("Exec") else line
        for line in text.splitlines(keepends=True)
    ]
    return "".join(lines)
