"""A service install from a wheel: the files ship inside it, and `install-files` writes them.

The wheel is built here from the checkout (offline: hatchling is in the test extra),
installed into a fresh venv without its dependencies, which it borrows from the test's
own environment, and run from there: what pip and pipx would install, with nothing
of the checkout on its path.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from warning import cli

REPO = Path(__file__).resolve().parents[1]
PIP = (sys.executable, "-m", "pip", "--quiet")
SHIPPED = {
    "warning.service": REPO / "systemd/warning.service",
    "warning.sysusers": REPO / "systemd/warning.sysusers",
    "warning.yaml": REPO / "config/warning.yaml",
    "rules.yaml": REPO / "config/rules.yaml",
}


def test_install_files_writes_the_shipped_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "files"
    bin = "/opt/pipx/venvs/warning/bin/warning"
    assert cli.main(["install-files", str(out), "--bin", bin]) == 0
    for name, source in SHIPPED.items():
        if name != "warning.service":
            assert (out / name).read_bytes() == source.read_bytes()
    unit = (out / "warning.service").read_text(encoding="utf-8")
    assert f"ExecStart={bin} --config /etc/warning/warning.yaml run" in unit
    assert f"ExecStartPre={bin} --config /etc/warning/warning.yaml check" in unit
    # Only the commands' path changes: the hardening is the shipped unit's, line for line.
    shipped = SHIPPED["warning.service"].read_text(encoding="utf-8")
    assert unit.replace(bin, "/usr/local/bin/warning") == shipped
    printed = capsys.readouterr().out
    assert "-> /etc/systemd/system/warning.service" in printed


def test_install_files_never_overwrites_an_admins_copy_unasked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "warning.yaml").write_text("feeds: []  # edited by the desk\n", encoding="utf-8")
    assert cli.main(["install-files", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "already has warning.yaml" in err and "--force" in err
    assert "edited by the desk" in (tmp_path / "warning.yaml").read_text(encoding="utf-8")
    assert not (tmp_path / "warning.service").exists()  # nothing half-written
    assert cli.main(["install-files", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "warning.yaml").read_bytes() == SHIPPED["warning.yaml"].read_bytes()


def test_a_home_directory_entry_point_is_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bin = "/root/.local/bin/warning"
    assert cli.main(["install-files", str(tmp_path), "--bin", bin]) == 0
    assert "ProtectHome=yes hides /root/.local/bin/warning" in capsys.readouterr().err


def test_a_wheel_carries_the_service_files_and_runs_without_the_checkout(
    tmp_path: Path,
) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(dist), str(REPO)],
        check=True,
        timeout=300,
    )
    [wheel] = dist.glob("warning-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for bundled in (
        "warning/_bundled/systemd/warning.service",
        "warning/_bundled/systemd/warning.sysusers",
        "warning/_bundled/config/warning.yaml",
        "warning/_bundled/config/rules.yaml",
        "warning/_bundled/models/instability.pack",
    ):
        assert bundled in names

    # A venv of its own, as pipx makes; the dependencies come from this environment's
    # site-packages through a .pth file, so nothing is downloaded.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [*PIP, "install", "--no-deps", "--target", purelib, str(wheel)],
        check=True,
        timeout=300,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WARNING_CONFIG")}
    env["HOME"] = str(tmp_path / "home")
    files = tmp_path / "files"
    run = subprocess.run(
        [python, "-m", "warning", "install-files", str(files)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    imported = subprocess.run(
        [python, "-c", "import warning; print(warning.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert imported.startswith(purelib), imported  # the wheel's copy, not the checkout
    for name, source in SHIPPED.items():
        if name != "warning.service":
            assert (files / name).read_bytes() == source.read_bytes()
    # The example configuration, beside its rules as the guide installs them, checks clean.
    check = subprocess.run(
        [python, "-m", "warning", "--config", str(files / "warning.yaml"), "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
