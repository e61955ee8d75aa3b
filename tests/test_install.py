"""docs/operations.md's service install, run as written, end to end, in a scratch root.

The shell blocks the guide marks ``<!-- install -->`` run in document order with
every system path (/etc, /opt, /usr/local, /var/lib, /var/cache) moved under a
scratch root; the block marked ``<!-- install: PATH -->`` is the file an admin
writes there, pointed at this machine (feeds on a local server, Slack on a local
fake, no mail server reachable). ``pip install`` becomes a link to this test's own
``warning``, ``systemctl`` lines are skipped (and listed). Then the installed
unit, drop-ins included, is read and its ``ExecStartPre=`` and ``ExecStart=`` run
the way systemd runs them: its directories and credentials in the environment,
its umask, the /proc it asks for (root only), ``NOTIFY_SOCKET`` for ``READY=1``,
an empty home that must stay empty. Last, the guide's ``<!-- verify -->`` block
runs as an operator's shell would, against the running daemon, which then stops
on SIGTERM. The guide and this test cannot drift: a missing marker fails here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.slackserver import SlackServer
from tests.support import NotifySocket, free_port, wait_for

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "operations.md"
#: What the guide's `pip install` puts in /opt: a `warning` command running this
#: checkout with this interpreter (the venv's own entry point may hold an older copy).
LAUNCHER = f"""#!/bin/sh
PYTHONPATH={shlex.quote(str(REPO))} exec {shlex.quote(sys.executable)} -m warning "$@"
"""
IS_ROOT = os.geteuid() == 0

_BLOCK = re.compile(r"<!-- (install|verify)(?:: (\S+))? -->\n```(\w+)\n(.*?)^```", re.M | re.S)
#: A system path at the start of a word (not inside a longer path such as /dev/stdin).
_SYSTEM_PATH = re.compile(r"(?<![\w./~-])/(etc|opt|usr/local|var/lib|var/cache)(?=/|\b)")
_PIP_INSTALL = re.compile(
    r"^python3 -m venv (?P<venv>\S+) && (?P=venv)/bin/pip install '/path/to/warning\[[\w,]+\]'$"
)
#: The folders a server has before the install starts.
SKELETON = ("etc/systemd/system", "opt", "usr/local/bin", "var/lib", "var/cache", "home")


@dataclass(frozen=True)
class Block:
    kind: str  # "install" or "verify"
    target: str | None  # for a file's contents: where it goes
    lang: str
    text: str


def guide_blocks() -> list[Block]:
    return [Block(*m.groups()) for m in _BLOCK.finditer(GUIDE.read_text())]


def test_the_guide_marks_its_install_and_verification() -> None:
    blocks = guide_blocks()
    assert [b for b in blocks if b.kind == "install" and b.target is None], (
        "docs/operations.md: no <!-- install --> shell block before a ```sh fence"
    )
    assert [b.target for b in blocks if b.target] == ["/etc/warning/warning.yaml"]
    assert [b.kind for b in blocks if b.kind == "verify"] == ["verify"]
    assert any(_PIP_INSTALL.match(line) for b in blocks for line in b.text.splitlines())


class ScratchRoot:
    """A folder standing for ``/``, and the admin's shell that installs into it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.skipped: list[str] = []
        for folder in SKELETON:
            (path / folder).mkdir(parents=True, exist_ok=True)
        self.launcher = path.parent / "warning-launcher"
        self.launcher.write_text(LAUNCHER)

    def rehome(self, text: str) -> str:
        return _SYSTEM_PATH.sub(lambda m: f"{self.path}/{m.group(1)}", text)

    def shell_line(self, line: str) -> str | None:
        """The line as it runs here, or None when it is skipped."""
        stripped = line.strip()
        pip = _PIP_INSTALL.match(stripped)
        if pip:
            venv = self.rehome(pip["venv"])
            return f"install -D -m 0755 {shlex.quote(str(self.launcher))} {venv}/bin/warning"
        if stripped.startswith(("systemctl ", "journalctl ")):
            self.skipped.append(stripped)
            return None
        if stripped.startswith("systemd-sysusers "):
            if not IS_ROOT or shutil.which("systemd-sysusers") is None:
                self.skipped.append(stripped)
                return None
            line = line.replace("systemd-sysusers ", f"systemd-sysusers --root={self.path} ", 1)
        if not IS_ROOT:  # files are the current user's: nobody else may be named as owner
            line = line.replace(" -o root", "").replace(" -g root", "")
        return self.rehome(line)

    def run_shell(self, block: Block) -> None:
        lines = [self.shell_line(line) for line in block.text.splitlines()]
        script = "\n".join(line for line in lines if line is not None)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=REPO,
            env={"PATH": os.environ["PATH"], "HOME": str(self.path / "home")},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"{script}\n---\n{done.stdout}{done.stderr}"


def point_at_this_machine(
    config: dict[str, Any], feeds: FeedServer, slack: SlackServer, listen: str
) -> dict[str, Any]:
    """The admin's edits, made so that nothing leaves 127.0.0.1."""
    for i, feed in enumerate(config["feeds"]):
        path = f"/{feed['name']}.xml"
        feeds.add(path, make_rss(sample_items(4, seed=70 + i), title=feed["name"]))
        feed["url"] = feeds.url(path)
    notify = config["notify"]
    notify["slack"]["base_url"] = slack.base_url
    with socket.socket() as s:  # a port nothing listens on: mail cannot go anywhere
        s.bind(("127.0.0.1", 0))
        notify["email"]["host"], notify["email"]["port"] = "127.0.0.1", s.getsockname()[1]
    config["health"] = {"listen": listen}
    return config


def unit_settings(root: Path) -> dict[str, list[str]]:
    """The installed unit's [Service] settings with its drop-ins, in systemd's order."""
    system = root / "etc" / "systemd" / "system"
    files = [system / "warning.service", *sorted((system / "warning.service.d").glob("*.conf"))]
    out: dict[str, list[str]] = {}
    for file in files:
        section = None
        for raw in file.read_text().splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line
            elif section == "[Service]" and "=" in line:
                key, _, value = line.partition("=")
                out.setdefault(key, []).append(value)
    return out


def command(value: str, root: ScratchRoot) -> list[str]:
    # Exec prefixes ("-": failure ignored, "@", "+", "!", ":") would change how it runs.
    assert value[0] not in "-@+!:", value
    return shlex.split(root.rehome(value))


def proc_view(unit: dict[str, list[str]], argv: list[str]) -> tuple[list[str], str]:
    """``argv`` under the /proc the unit asks for (ProcSubset=, ProtectProc=), when we can."""
    options = []
    if unit.get("ProcSubset", ["all"])[-1] == "pid":
        options.append("subset=pid")
    protect = unit.get("ProtectProc", ["default"])[-1]
    if protect != "default":
        options.append(f"hidepid={protect}")
    if not options:
        return argv, "the unit leaves /proc as it is"
    if not IS_ROOT or shutil.which("unshare") is None:
        return argv, f"not emulated (needs root and unshare): /proc with {','.join(options)}"
    mount = 'mount -t proc -o "$0" proc /proc && exec "$@"'
    wrapped = ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount]
    return [*wrapped, ",".join(options), *argv], f"/proc with {','.join(options)}"


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture
def root(tmp_path: Path) -> Iterator[ScratchRoot]:
    yield ScratchRoot(tmp_path / "root")


@pytest.mark.slow
def test_the_documented_install_starts_serves_and_stops(
    tmp_path: Path, root: ScratchRoot, feed_server: FeedServer
) -> None:
    listen = f"127.0.0.1:{free_port()}"
    with SlackServer() as slack:
        # --- the install, as written ---------------------------------------------------
        for block in guide_blocks():
            if block.kind != "install":
                continue
            if block.target is None:
                root.run_shell(block)
                continue
            edited = point_at_this_machine(yaml.safe_load(block.text), feed_server, slack, listen)
            Path(root.rehome(block.target)).write_text(yaml.safe_dump(edited, sort_keys=False))
        assert all(line.startswith(("systemctl ", "systemd-sysusers ")) for line in root.skipped)

        # Credential files: root's alone (the current user's when not run as root).
        credentials = root.path / "etc" / "warning" / "credentials"
        owner = 0 if IS_ROOT else os.geteuid()
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o700
        for file in credentials.iterdir():
            info = file.stat()
            assert stat.S_IMODE(info.st_mode) in (0o600, 0o400), file
            assert info.st_uid == owner, file

        # --- the unit's commands, as systemd runs them ------------------------------------
        unit = unit_settings(root.path)
        [state_name], [cache_name] = unit["StateDirectory"], unit["CacheDirectory"]
        state = root.path / "var" / "lib" / state_name
        state.mkdir(mode=int(unit.get("StateDirectoryMode", ["0755"])[-1], 8))
        cache = root.path / "var" / "cache" / cache_name
        cache.mkdir()
        loaded = tmp_path / "credentials" / "warning.service"  # systemd's copies, by ID
        loaded.mkdir(parents=True)
        assert unit.get("LoadCredential"), "the install enables no LoadCredential="
        for entry in unit["LoadCredential"]:
            name, _, source = entry.partition(":")
            shutil.copyfile(root.rehome(source), loaded / name)
            (loaded / name).chmod(0o400)
        slack.token = (loaded / "SLACK_BOT_TOKEN").read_text()  # only this token is accepted
        home, cwd = tmp_path / "service-home", tmp_path / "service-cwd"
        home.mkdir()
        cwd.mkdir()
        env = {
            "PATH": os.environ["PATH"],
            "LANG": "C.UTF-8",
            "HOME": str(home),
            "STATE_DIRECTORY": str(state),
            "CACHE_DIRECTORY": str(cache),
            "CONFIGURATION_DIRECTORY": str(root.path / "etc" / unit["ConfigurationDirectory"][0]),
            "CREDENTIALS_DIRECTORY": str(loaded),
        }
        umask = int(unit.get("UMask", ["0022"])[-1], 8)

        [pre] = unit["ExecStartPre"]
        checked = subprocess.run(
            command(pre, root), env=env, cwd=cwd, umask=umask, capture_output=True, text=True,
            timeout=180,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr

        [start] = unit["ExecStart"]
        argv, proc_note = proc_view(unit, command(start, root))
        notify = NotifySocket()
        log = (tmp_path / "daemon.log").open("w")
        daemon = subprocess.Popen(
            argv, env={**env, "NOTIFY_SOCKET": notify.path}, cwd=cwd, umask=umask,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://{listen}"
        try:
            wait_for(lambda: notify.count("READY=1") >= 1, timeout=180, what="READY=1")
            feeds = [f["name"] for f in yaml.safe_load(Path(root.rehome(
                "/etc/warning/warning.yaml")).read_text())["feeds"]]  # fmt: skip

            def all_polled() -> bool:
                try:
                    body = get(base + "/metrics")[1]
                except OSError:
                    return False
                return f'warning_polls_total{{status="new"}} {len(feeds)}.0' in body

            wait_for(all_polled, timeout=180, what="every feed polled, counted on /metrics")
            metrics = get(base + "/metrics")[1]
            assert "process_resident_memory_bytes" in metrics, proc_note

            # --- the guide's verification, from an operator's shell ------------------------
            operator_home = tmp_path / "operator-home"
            operator_home.mkdir()
            operator = {
                "PATH": os.environ["PATH"],
                "HOME": str(operator_home),
                # What the command finds by default on a server, here in the scratch root.
                "WARNING_CONFIG": root.rehome("/etc/warning/warning.yaml"),
            }
            outputs: dict[str, str] = {}
            verify = next(b for b in guide_blocks() if b.kind == "verify")
            for line in verify.text.splitlines():
                words = shlex.split(line)
                if words[0] in ("systemctl", "journalctl"):
                    continue
                if words[0] == "sudo":
                    words = words[1:]  # root already, or the database is this user's
                if words[0] == "curl":
                    url = words[-1].replace("127.0.0.1:9464", listen)
                    status, body = get(url if "://" in url else f"http://{url}")
                    assert status == 200, body
                    outputs["curl"] = body
                    continue
                assert words[0] == "warning", line
                words[0] = root.rehome("/usr/local/bin/warning")
                done = subprocess.run(
                    words, env=operator, cwd=cwd, capture_output=True, text=True, timeout=120
                )
                assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
                outputs[" ".join(words[1:])] = done.stdout
            # The operator reached the service's database: every feed polled, none new.
            for name in feeds:
                assert f"{name}: ok; last success " in outputs["feeds"], outputs["feeds"]
            tests = [m for m in slack.posted() if "test" in (m.text or "").lower()]
            assert len(tests) == 1, slack.posted()
            assert json.loads(outputs["curl"])["healthy"] is True

            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(60) == 0, (tmp_path / "daemon.log").read_text()
            assert notify.count("STOPPING=1") == 1
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
            log.close()
            notify.close()

    assert list(home.iterdir()) == [] and list(operator_home.iterdir()) == []
    assert list(cwd.iterdir()) == []
    assert (state / "warning.db").is_file()
