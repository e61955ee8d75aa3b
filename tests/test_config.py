"""Configuration: every kind of mistake gets file:line: key: message, nothing is silent."""

from __future__ import annotations

import dataclasses
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import typing
from datetime import timedelta
from pathlib import Path

import pytest

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from warning import config
from warning.config import FEED_KEYS, TOP_KEYS, PollSettings
from warning.errors import ConfigError
from warning.geo.zones import ZONE_TYPES
from warning.notify import REGISTRY as NOTIFIERS
from warning.settings import Secret, parse_duration, parse_size
from warning.sources import REGISTRY

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str, name: str = "warning.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config.load(path)
    return [str(p) for p in info.value.problems]


def test_bundled_default_loads_and_has_real_feeds() -> None:
    settings = config.load(REPO / "config" / "warning.yaml")
    langs = {f.lang for f in settings.feeds}
    assert {"en", "fr"} <= langs
    assert len(settings.feeds) >= 5
    assert all(f.url.startswith("https://") for f in settings.feeds)
    assert settings.notify.get("slack") is None and settings.notify.get("email") is None
    assert settings.database.reveal().startswith("sqlite:///")


def test_full_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2")
    write(
        tmp_path,
        "- {name: coup, type: threshold, label: coup, threshold: 0.5, routes: [slack, log]}\n",
        "rules.yaml",
    )
    path = write(
        tmp_path,
        """
        database: sqlite:///var/warning.db
        feeds:
          - name: bbc-africa
            url: https://feeds.bbci.co.uk/news/world/africa/rss.xml
            every: 10m
            lang: en
        notify:
          slack:
            token: ${SLACK_BOT_TOKEN}
            channel: "#sahel-desk"
            base_url: http://127.0.0.1:9/api/
          email:
            host: smtp.example.org
            port: 587
            starttls: true
            username: warning
            password: ${SMTP_PASSWORD}
            sender: warning@example.org
            to: [desk@example.org]
        rules: rules.yaml
    """,
    )
    s = config.load(path)
    assert s.database.reveal() == f"sqlite:///{tmp_path / 'var' / 'warning.db'}"
    feed = s.feeds[0]
    assert (feed.name, feed.kind, feed.every, feed.lang) == (
        "bbc-africa",
        "rss",
        timedelta(minutes=10),
        "en",
    )
    assert feed.outlet == "bbci.co.uk"
    slack, email = s.notify.get("slack"), s.notify.get("email")
    assert slack is not None and slack.token.reveal() == "xoxb-secret"
    assert email is not None and email.password == Secret("hunter2")
    assert email.to == ("desk@example.org",)
    assert s.rules.file == tmp_path / "rules.yaml"
    assert [(r.name, r.type, r.label, r.routes) for r in s.rules.rules] == [
        ("coup", "threshold", "coup", ("slack", "log"))
    ]
    # Secrets never show in reprs (and so never in logs of settings objects).
    assert "xoxb-secret" not in repr(s) and "hunter2" not in repr(s)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # broken YAML: the line of the syntax error
        ("feeds:\n  - name: a\n    url: [unclosed\n", r"warning\.yaml:\d+: invalid YAML"),
        # unknown key, with a suggestion
        ("pol:\n  concurrency: 3\n", r"warning\.yaml:1: pol: unknown key; did you mean 'poll'\?"),
        (
            "poll:\n  concurency: 3\n",
            r"warning\.yaml:2: poll\.concurency: unknown key; did you mean 'concurrency'\?",
        ),
        (
            "feeds:\n  - name: a\n    url: http://x/\n    evry: 10m\n",
            r"warning\.yaml:4: feeds\[0\]\.evry: unknown key; did you mean 'every'\?",
        ),
        # wrong types
        (
            "poll:\n  concurrency: many\n",
            r"warning\.yaml:2: poll\.concurrency: expected a number, got str 'many'",
        ),
        ("poll:\n  workers: 2.5\n", r"warning\.yaml:2: poll\.workers: expected a whole number"),
        (
            "feeds: {name: a}\n",
            r"warning\.yaml:1: feeds: expected a list of feeds \(each `- name: \.\.\.`\)",
        ),
        (
            "feeds:\n  - just-a-string\n",
            r"warning\.yaml:2: feeds\[0\]: expected a mapping with at least name and url",
        ),
        (
            "notify:\n  email:\n    host: h\n    sender: s\n    to: [a]\n"
            "    starttls: yes please\n",
            r"warning\.yaml:6: notify\.email\.starttls: expected true or false",
        ),
        # bad values
        (
            "feeds:\n  - name: a\n    url: http://x/\n    every: 10\n",
            r"warning\.yaml:4: feeds\[0\]\.every: expected a duration like 90s or 10m, got int 10",
        ),
        (
            "feeds:\n  - name: a\n    url: http://x/\n    every: 10 minutes\n",
            r"feeds\[0\]\.every: '10 minutes' is not a duration; write it like 90s",
        ),
        (
            "feeds:\n  - name: a\n    url: http://x/\n    every: 5s\n",
            r"warning\.yaml:4: feeds\[0\]\.every: must be at least 30s",
        ),
        (
            "feeds:\n  - name: a\n    url: ftp://x/feed\n",
            r"warning\.yaml:3: feeds\[0\]\.url: expected an http://, https:// or file:// URL",
        ),
        (
            "feeds:\n  - name: a\n    url: http://x/\n    kind: carrier-pigeon\n",
            r"warning\.yaml:4: feeds\[0\]\.kind: unknown source kind 'carrier-pigeon'; "
            r"one of: rss\b",
        ),
        (
            "feeds:\n  - url: http://x/\n",
            r"warning\.yaml:2: feeds\[0\]\.name: expected a non-empty",
        ),
        (
            "feeds:\n  - name: a\n    url: http://x/\n  - name: a\n    url: http://y/\n",
            r"warning\.yaml:4: feeds\[1\]\.name: duplicate feed name 'a' \(first at line 2\)",
        ),
        ("poll:\n  max_bytes: lots\n", r"poll\.max_bytes: 'lots' is not a size"),
        ("poll:\n  jitter: 2\n", r"warning\.yaml:2: poll\.jitter: must be 0 to 0\.5"),
        ("poll:\n  concurrency: 0\n", r"poll\.concurrency: must be greater than zero"),
        (
            "notify:\n  email:\n    host: h\n    sender: s\n    to: [a]\n    port: 70000\n",
            r"warning\.yaml:6: notify\.email\.port: must be a TCP port",
        ),
        (
            "notify:\n  slack:\n    channel: '#x'\n",
            r"warning\.yaml:\d: notify\.slack\.token: is required",
        ),
        ("database: mysql://u@h/db\n", r"warning\.yaml:1: database: unsupported database 'mysql'"),
        ("database: warning.db\n", r"warning\.yaml:1: database: expected an SQLAlchemy URL"),
        (
            "poll:\n  deadline: 1m\n  deadline: 2m\n",
            r"warning\.yaml:3: poll\.deadline: duplicate key",
        ),
        (
            "rules: missing.yaml\n",
            r"warning\.yaml:1: rules: file not found: /\S+/missing\.yaml \(hint: copy config/rules",
        ),
        ("- a\n- b\n", r"warning\.yaml:1: expected a mapping of keys, got a list"),
    ],
)
def test_each_mistake_is_reported_with_its_line(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(write(tmp_path, text))
    assert any(re.search(expected, p) for p in found), found


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    found = problems(
        write(
            tmp_path,
            """
        poll:
          concurency: 3
        feeds:
          - name: a
            url: ftp://x/
          - name: b
            url: http://y/
            every: soon
    """,
        )
    )
    assert len(found) == 3, found


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    s = config.load(write(tmp_path, "# nothing yet\n"))
    assert s.feeds == () and s.poll == PollSettings()


def test_secret_from_env_credential_and_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "notify:\n  slack:\n    token: ${SLACK_BOT_TOKEN}\n    channel: '#c'\n"
    path = write(tmp_path, text)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    (msg,) = problems(path)
    assert msg.startswith(f"{path}:3: notify.slack.token: ${{SLACK_BOT_TOKEN}} is not set")
    assert "LoadCredential=SLACK_BOT_TOKEN" in msg

    monkeypatch.setenv("SLACK_BOT_TOKEN", "from-env")
    slack = config.load(path).notify.get("slack")
    assert slack is not None and slack.token.reveal() == "from-env"

    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "SLACK_BOT_TOKEN").write_text("from-credential\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    slack = config.load(path).notify.get("slack")
    assert slack is not None and slack.token.reveal() == "from-credential"
    assert "from-credential" not in repr(slack) and "from-credential" not in str(slack.token)


def test_database_placeholder_inside_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "s3cret")
    path = write(tmp_path, "database: postgresql+psycopg://warning:${PGPASSWORD}@db/warning\n")
    assert config.load(path).database.reveal() == "postgresql+psycopg://warning:s3cret@db/warning"


def test_default_database_goes_to_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "state"))
    s = config.load(write(tmp_path, "feeds: []\n"))
    assert s.database.reveal() == f"sqlite:///{tmp_path / 'state' / 'warning.db'}"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("6h", 21600), ("1d", 86400), ("1h30m", 5400), ("250ms", 0.25)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "10", "10 minutes", "m", "1x", "-5m", "10m garbage"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_sizes() -> None:
    assert parse_size("5MB") == 5_000_000
    assert parse_size("512KiB") == 524_288
    assert parse_size("1000") == 1000
    with pytest.raises(ValueError):
        parse_size("5 parsecs")


def test_find_config_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WARNING_CONFIG", raising=False)
    monkeypatch.setattr(config, "SYSTEM_CONFIG", tmp_path / "etc" / "warning.yaml")
    assert config.find_config(None).name == "warning.yaml"  # the bundled default
    assert config.find_config(None).is_file()
    (tmp_path / "config").mkdir()
    local = write(tmp_path / "config", "")
    assert config.find_config(None).resolve() == local.resolve()
    monkeypatch.setenv("WARNING_CONFIG", "/from/env.yaml")
    assert config.find_config(None) == Path("/from/env.yaml")
    assert config.find_config("/explicit.yaml") == Path("/explicit.yaml")


# --- credentials never in clear (finding 8) ------------------------------------

SLACK = "notify:\n  slack:\n    token: xoxb-1\n    channel: '#c'\n    base_url: {url}\n"
EMAIL = (
    "notify:\n  email:\n    host: {host}\n    port: 25\n    sender: w@example.org\n"
    "    to: [desk@example.org]\n    username: warning\n    password: pw\n"
    "    starttls: false\n"
)


def test_slack_over_plain_http_is_refused_off_this_machine(tmp_path: Path) -> None:
    found = problems(write(tmp_path, SLACK.format(url="http://slack.example.org/api/")))
    assert found == [
        f"{tmp_path / 'warning.yaml'}:5: notify.slack.base_url: plain http:// would send the "
        "bot token in clear to slack.example.org; use https:// (http:// is only allowed to "
        "127.0.0.1, ::1 or localhost)"
    ]
    found = problems(write(tmp_path, SLACK.format(url="ftp://slack.example.org/")))
    assert [p.split(": ", 2)[1:] for p in found] == [
        ["notify.slack.base_url", "expected an https:// URL, like https://slack.com/api/"]
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://slack.example.org/api/",
        "http://127.0.0.1:9/api/",
        "http://127.8.0.1:9/api/",
        "http://[::1]:9/api/",
        "http://localhost:9/api/",
    ],
)
def test_slack_over_http_stays_allowed_on_loopback(tmp_path: Path, url: str) -> None:
    slack = config.load(write(tmp_path, SLACK.format(url=url))).notify.get("slack")
    assert slack is not None and slack.base_url == url


def test_smtp_login_without_tls_is_refused_off_this_machine(tmp_path: Path) -> None:
    found = problems(write(tmp_path, EMAIL.format(host="smtp.example.org")))
    assert found == [
        f"{tmp_path / 'warning.yaml'}:9: notify.email.starttls: a login without TLS would "
        "send the password in clear to smtp.example.org; set starttls: true and use the "
        "submission port (587), or drop username and password (a login without TLS is only "
        "allowed to 127.0.0.1, ::1 or localhost)"
    ]
    # Without a login, a relay without TLS is the operator's choice.
    text = EMAIL.format(host="relay.example.org").replace("    username: warning\n", "")
    email = config.load(write(tmp_path, text.replace("    password: pw\n", ""))).notify.get("email")
    assert email is not None and not email.starttls


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_smtp_login_without_tls_stays_allowed_on_loopback(tmp_path: Path, host: str) -> None:
    email = config.load(write(tmp_path, EMAIL.format(host=f"'{host}'"))).notify.get("email")
    assert email is not None and email.username == "warning" and not email.starttls


# --- files the configuration names -----------------------------------------------


def test_a_missing_rules_file_names_the_key_the_path_and_the_fix(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "warning.yaml").write_text(
        (REPO / "config" / "warning.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    line = next(
        n
        for n, text in enumerate((etc / "warning.yaml").read_text().splitlines(), 1)
        if text.startswith("rules:")
    )
    assert problems(etc / "warning.yaml") == [
        f"{etc / 'warning.yaml'}:{line}: rules: file not found: {etc / 'rules.yaml'} "
        "(hint: copy config/rules.yaml beside the configuration, or give an inline list / "
        "an absolute path)"
    ]
    # As the hint says: copied beside it, the same configuration loads.
    shutil.copy(REPO / "config" / "rules.yaml", etc / "rules.yaml")
    assert config.load(etc / "warning.yaml").rules.rules


def test_a_missing_ca_file_is_reported_at_load_relative_to_the_configuration(
    tmp_path: Path,
) -> None:
    text = (
        "notify:\n  email:\n    host: smtp.example.org\n    sender: w@example.org\n"
        "    to: [desk@example.org]\n    ca_file: relay-ca.pem\n"
    )
    found = problems(write(tmp_path, text))
    assert found == [
        f"{tmp_path / 'warning.yaml'}:6: notify.email.ca_file: file not found: "
        f"{tmp_path / 'relay-ca.pem'} (hint: give the PEM file of the relay's CA, relative "
        "to the configuration or absolute)"
    ]
    (tmp_path / "relay-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    email = config.load(tmp_path / "warning.yaml").notify.get("email")
    assert email is not None and email.ca_file == str(tmp_path / "relay-ca.pem")


# --- hostile YAML (finding 11) ---------------------------------------------------

#: Nine levels of nine aliases: 387 million strings once expanded, from 9 short lines.
BILLION_LAUGHS = "".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n',
        *(
            f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]\n"
            for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def test_an_alias_bomb_is_refused_quickly_in_bounded_memory(tmp_path: Path) -> None:
    """`warning check` under a 1 GB address-space limit: before, it needed gigabytes."""
    path = write(tmp_path, BILLION_LAUGHS)

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    done = subprocess.run(
        [sys.executable, "-m", "warning", "--config", str(path), "check"],
        capture_output=True,
        text=True,
        timeout=60,  # it used to run for minutes before the memory ran out
        preexec_fn=limit_memory,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(
        f"{path}:6: f: more than 100,000 values once aliases are expanded; "
        "is an alias repeated inside another (an alias bomb)? (hint: "
    ), done.stderr
    assert "MemoryError" not in done.stderr and "Traceback" not in done.stderr


def test_the_value_budget_counts_merge_keys_and_aliases_but_not_honest_files(
    tmp_path: Path,
) -> None:
    # Merge keys copy whole mappings: a chain of them is refused like an alias bomb.
    lines = ["m0: &m0 {" + ", ".join(f"k{i}: {i}" for i in range(400)) + "}"]
    lines += [f"m{n}: &m{n} {{<<: [*m{n - 1}], x{n}: 1}}" for n in range(1, 400)]
    found = problems(write(tmp_path, "\n".join(lines) + "\n"))
    assert len(found) == 1 and "more than 100,000 values" in found[0], found
    # The bundled configuration and rules are far below it.
    assert config.load(REPO / "config" / "warning.yaml").rules.rules


def test_deep_nesting_and_huge_files_are_refused_with_a_message(tmp_path: Path) -> None:
    deep = write(tmp_path, "[" * 5000 + "]" * 5000 + "\n")
    assert problems(deep) == [f"{deep}: invalid YAML: nested too deeply"]
    huge = write(tmp_path, "# padding\n" * 300_000)
    [problem] = problems(huge)
    assert problem.startswith(f"{huge}: larger than 2,000,000 bytes")


def test_a_reload_with_an_alias_bomb_keeps_the_running_configuration(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    from tests.support import Daemon, NotifySocket, item_count, wait_for, write_daemon_config

    feed_server.add("/a.xml", make_rss(sample_items(3, seed=11)))
    feed_server.add("/b.xml", make_rss(sample_items(2, seed=12)))
    cfg, db = tmp_path / "warning.yaml", tmp_path / "w.db"
    feed_a = {"name": "a", "url": feed_server.url("/a.xml"), "every": "1h"}
    write_daemon_config(cfg, db, [feed_a])
    notify = NotifySocket()
    daemon = Daemon(cfg, notify, tmp_path, PYTHONPATH=str(REPO))
    try:
        wait_for(lambda: notify.count("READY=1") == 1, what="READY=1")
        wait_for(lambda: item_count(db) == 3, what="feed a stored")

        cfg.write_text(BILLION_LAUGHS)
        daemon.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: notify.count("READY=1") == 2, what="READY=1 after the bad reload")
        assert daemon.proc.poll() is None
        assert f"{cfg}:6: f: more than 100,000 values" in daemon.text()

        # Still the same daemon, still able to take a good configuration.
        write_daemon_config(cfg, db, [feed_a, {"name": "b", "url": feed_server.url("/b.xml")}])
        daemon.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: item_count(db) == 5, what="feed b stored after a good reload")
        code, _ = daemon.stop()
        assert code == 0
    finally:
        daemon.kill()
        notify.close()


# --- every key is documented -------------------------------------------------


def _keys(cls: type, prefix: str) -> list[str]:
    out = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}.{f.name}"
        inner = [a for a in typing.get_args(hints[f.name]) if dataclasses.is_dataclass(a)]
        target = inner[0] if inner else hints[f.name]
        if dataclasses.is_dataclass(target):
            out.append(key)
            out.extend(_keys(target, key))  # type: ignore[arg-type]
        else:
            out.append(key)
    return out


def all_config_keys() -> list[str]:
    keys = list(TOP_KEYS)
    keys += [f"feeds[].{k}" for k in FEED_KEYS]
    for source in REGISTRY.values():
        keys += [k.replace("feeds.", "feeds[].") for k in _keys(source.Options, "feeds")]
    for zone in ZONE_TYPES.values():
        keys += [k.replace("zones.", "zones[].") for k in _keys(zone, "zones")]
    keys += ["zones[].type"]
    keys += _keys(PollSettings, "poll")
    for kind, notifier in NOTIFIERS.items():
        if notifier.Options is not None:
            keys += [f"notify.{kind}", *_keys(notifier.Options, f"notify.{kind}")]
    return keys


def test_every_configuration_key_is_documented() -> None:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    keys = all_config_keys()
    assert len(keys) > 25  # the walk really found the settings classes
    missing = [k for k in keys if f"`{k}`" not in doc]
    assert not missing, f"undocumented configuration keys in docs/configuration.md: {missing}"
