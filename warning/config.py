"""The configuration file: YAML -> typed, frozen settings.

Every key is documented in ``docs/configuration.md`` (a test keeps the two in
step). Mistakes are reported as ``file:line: key: message`` and the command
exits with status 2; nothing here ever half-applies a configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from . import redact, resources, yamlsrc
from .alerting.incidents import GroupingSettings
from .alerting.inhibit import InhibitRule, load_inhibit
from .alerting.rules import RuleSet
from .alerting.rules.base import parse_routes
from .alerting.rules.files import read_rules
from .brief.options import BriefOptions
from .geo.zones import Zone, load_zones
from .notify import REGISTRY as NOTIFIERS
from .notify import NotifySettings, split_route
from .notify.templates import load_messages
from .redact import PLACEHOLDER
from .settings import (
    Reader,
    Secret,
    SecretURL,
    at_least,
    option,
    parse_size,
    placeholder_value,
    positive,
)
from .sources import REGISTRY, Feed
from .yamlsrc import KeyPath

#: Where the configuration is looked for when --config is not given, in order.
SYSTEM_CONFIG = Path("/etc/warning/warning.yaml")
LOCAL_CONFIG = Path("config/warning.yaml")


def _size(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a size like 5MB")
    return int(value) if isinstance(value, int) else parse_size(str(value))


@dataclass(frozen=True, slots=True)
class PollSettings:
    """Limits and pacing shared by every source (``poll:``)."""

    concurrency: int = option(64, check=positive)
    workers: int = option(32, check=positive)
    connect_timeout: timedelta = option(timedelta(seconds=10))
    read_timeout: timedelta = option(timedelta(seconds=30))
    deadline: timedelta = option(timedelta(seconds=60))
    max_bytes: int = option(5_000_000, parse=_size, check=positive)
    max_redirects: int = option(5, check=at_least(0))
    jitter: float = option(0.1, check=lambda v: None if 0 <= v <= 0.5 else "must be 0 to 0.5")
    backoff_max: timedelta = option(timedelta(hours=6))
    user_agent: str | None = None
    processes: int | None = option(None, check=at_least(0))


def parse_listen(value: Any) -> tuple[str, int]:
    """``127.0.0.1:9464`` -> (host, port)."""
    if not isinstance(value, str) or ":" not in value:
        raise ValueError("expected HOST:PORT, like 127.0.0.1:9464")
    host, _, port = value.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not HOST:PORT, like 127.0.0.1:9464")
    return host, int(port)


@dataclass(frozen=True, slots=True)
class HealthSettings:
    """``health``: the optional HTTP listener for /healthz and /metrics (docs/operations.md)."""

    listen: tuple[str, int] | None = option(None, parse=parse_listen)


@dataclass(frozen=True, slots=True)
class InteractionSettings:
    """``interactions``: the listener for Slack's verdict clicks over HTTP (docs/alerts.md)."""

    listen: tuple[str, int] | None = option(None, parse=parse_listen)


@dataclass(frozen=True, slots=True)
class WebSettings:
    """``web``: the read-only situation page (docs/situation.md); off without ``listen``."""

    listen: tuple[str, int] | None = option(None, parse=parse_listen)
    token: Secret | None = None


@dataclass(frozen=True, slots=True)
class OperatorSettings:
    """``operator``: alerts about the daemon itself (alerting/watcher.py) and where they go."""

    enabled: bool = True
    routes: tuple[str, ...] = option(("log",), parse=parse_routes)
    feed_failures: int = option(5, check=positive)


@dataclass(frozen=True, slots=True)
class Settings:
    """The whole, validated configuration."""

    file: Path
    database: Secret
    feeds: tuple[Feed, ...]
    poll: PollSettings = field(default_factory=PollSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    rules: RuleSet = field(default_factory=lambda: RuleSet(Path(), (), ""))
    zones: tuple[Zone, ...] = ()
    health: HealthSettings = field(default_factory=HealthSettings)
    operator: OperatorSettings = field(default_factory=OperatorSettings)
    interactions: InteractionSettings = field(default_factory=InteractionSettings)
    brief: BriefOptions | None = None
    web: WebSettings = field(default_factory=WebSettings)
    grouping: GroupingSettings = field(default_factory=GroupingSettings)
    inhibit: tuple[InhibitRule, ...] = ()

    def feed(self, name: str) -> Feed:
        return next(f for f in self.feeds if f.name == name)


TOP_KEYS = (
    "database",
    "feeds",
    "poll",
    "notify",
    "rules",
    "zones",
    "health",
    "operator",
    "interactions",
    "brief",
    "messages",
    "web",
    "grouping",
    "inhibit",
)
FEED_KEYS = ("name", "kind", "url", "every", "lang", "outlet")
DEFAULT_EVERY = timedelta(minutes=10)
MIN_EVERY = timedelta(seconds=30)


def find_config(explicit: str | None) -> Path:
    """The configuration file to use: --config, $WARNING_CONFIG, /etc, ./config, bundled."""
    if explicit:
        return Path(explicit)
    if os.environ.get("WARNING_CONFIG"):
        return Path(os.environ["WARNING_CONFIG"])
    for candidate in (SYSTEM_CONFIG, LOCAL_CONFIG):
        if candidate.is_file():
            return candidate
    return resources.bundled_config()


def load(path: Path, *, rules: Path | None = None) -> Settings:
    """Read, validate and type the configuration at ``path``; raise ConfigError.

    ``rules`` names a rules file to use instead of the configured rules (a backtest
    or replay of a change before it goes live); it is checked the same way.
    """
    doc = yamlsrc.load(path)
    reader = Reader(doc)
    top = reader.mapping(doc.data, (), TOP_KEYS)
    if doc.data is not None and not isinstance(doc.data, dict):
        reader.raise_if_problems()
    database = _database(reader, top.get("database"), path)
    feeds = _feeds(reader, top.get("feeds"))
    poll = reader.options(PollSettings, top.get("poll"), ("poll",))
    notify = _notify(reader, top.get("notify"), path)
    messages = load_messages(reader, top.get("messages"), path)
    if notify is not None:  # every notifier's language and templates
        notify = replace(notify, messages=messages)
    health = reader.options(HealthSettings, top.get("health"), ("health",))
    operator = reader.options(OperatorSettings, top.get("operator"), ("operator",))
    interactions = reader.options(InteractionSettings, top.get("interactions"), ("interactions",))
    if interactions is not None and interactions.listen is not None and notify is not None:
        _check_interactions(reader, notify)
    brief = None
    if top.get("brief") is not None:
        brief = reader.options(BriefOptions, top["brief"], ("brief",))
    web = reader.options(WebSettings, top.get("web"), ("web",))
    zones = load_zones(reader, top.get("zones"))
    feed_names = [f.name for f in feeds]
    if rules is not None:
        rule_set, rule_zones = read_rules(reader, str(rules.resolve()), path, zones, feed_names)
    elif "rules" in top:
        rule_set, rule_zones = read_rules(reader, top["rules"], path, zones, feed_names)
    else:
        # The bundled default rules; a zone of the same name in this file replaces theirs.
        rule_set, rule_zones = read_rules(
            reader, str(resources.bundled_rules()), path, zones, feed_names, own_zones_win=False
        )
    grouping = reader.options(GroupingSettings, top.get("grouping"), ("grouping",))
    inhibit = load_inhibit(reader, top.get("inhibit"), rule_set)
    if notify is not None:
        _check_targets(reader, notify, rule_set, brief, operator)
    reader.raise_if_problems()
    zones = zones + rule_zones
    assert database is not None and poll is not None and notify is not None
    assert health is not None and operator is not None and interactions is not None
    return Settings(
        path,
        database,
        feeds,
        poll,
        notify,
        rule_set,
        zones,
        health,
        operator,
        interactions,
        brief=brief,
        web=web or WebSettings(),
        grouping=grouping or GroupingSettings(),
        inhibit=inhibit,
    )


def _check_targets(
    reader: Reader,
    notify: NotifySettings,
    rule_set: RuleSet,
    brief: BriefOptions | None,
    operator: OperatorSettings | None,
) -> None:
    """A route's target that its notifier can never deliver to (``apprise:TAG`` with no URL
    so tagged) is a mistake to catch at load, not at the first alert it should carry."""
    routes: list[tuple[KeyPath, str, str]] = [
        (("rules",), route, f"rule {rule.name!r}: ")
        for rule in rule_set.rules
        for route in rule.routes
    ]
    if brief is not None:
        routes += [(("brief", "routes"), route, "") for route in brief.routes]
    if operator is not None:
        routes += [(("operator", "routes"), route, "") for route in operator.routes]
    for path, route, who in routes:
        kind, target = split_route(route)
        options = notify.get(kind)
        check = getattr(options, "target_problem", None)
        problem = check(target) if check is not None and target is not None else None
        if problem is not None:
            reader.error(path, f"{who}route {route!r}: {problem}")


def _check_interactions(reader: Reader, notify: NotifySettings) -> None:
    """Clicks over HTTP are verified with the Slack app's signing secret: without it,
    every click would be refused, so the listener is a mistake to catch at load."""
    slack = notify.get("slack")
    if slack is None:
        reader.error(
            ("interactions", "listen"),
            "receives clicks on Slack's verdict buttons, but notify.slack is not configured",
        )
    elif slack.signing_secret is None:
        reader.error(
            ("interactions", "listen"),
            "needs notify.slack.signing_secret to verify Slack's clicks (the app's "
            "Basic Information > Signing Secret)",
        )


def named_file(
    reader: Reader, path: KeyPath, value: str, config_file: Path, hint: str
) -> str | None:
    """The file a key names, relative to the configuration; a problem (and None) if missing.

    Checked at load, so that ``warning check`` (the unit's ExecStartPre) says which key
    names the file, instead of a daemon failing on it later.
    """
    full = (config_file.parent / value).resolve()
    if full.is_file():
        return str(full)
    what = "is a directory, not a file" if full.is_dir() else "file not found"
    reader.error(path, f"{what}: {full}", hint=hint)
    return None


def _notify(reader: Reader, value: Any, config_file: Path) -> NotifySettings | None:
    """``notify:``: one section per registered notifier kind that declares options.

    Each section is read into its kind's options class, then checked across keys
    (``problems()``: the rules that keep credentials off the wire) and its files found.
    """
    kinds = {kind: cls.Options for kind, cls in NOTIFIERS.items() if cls.Options is not None}
    sections = reader.mapping(value, ("notify",), kinds)
    before = len(reader.problems)
    configured: dict[str, Any] = {}
    for kind, section in sections.items():
        if section is None:  # `slack:` with nothing under it: not configured
            continue
        path: KeyPath = ("notify", kind)
        options = reader.options(kinds[kind], section, path)
        if options is None:
            continue
        for key, message in getattr(options, "problems", list)():
            # A key, or a path below it (("urls", 2): notify.apprise.urls[2]).
            reader.error((*path, *(key if isinstance(key, tuple) else (key,))), message)
        for key, hint in getattr(options, "FILES", {}).items():
            if getattr(options, key) is not None:
                found = named_file(reader, (*path, key), getattr(options, key), config_file, hint)
                options = replace(options, **{key: found})
        configured[kind] = options
    return None if len(reader.problems) > before else NotifySettings(configured)


def _database(reader: Reader, value: Any, config_file: Path) -> Secret | None:
    if value is None:
        return SecretURL(_sqlite_url(resources.state_dir() / "warning.db"))
    secret = reader.typed(SecretURL, value, ("database",))
    if not isinstance(secret, Secret):
        return None
    url = secret.reveal()
    scheme = url.split(":", 1)[0]
    if "://" not in url:
        reader.error(
            ("database",),
            "expected an SQLAlchemy URL such as sqlite:///var/warning.db "
            "or postgresql+psycopg://user@host/db",
        )
        return None
    if scheme.startswith("sqlite"):
        # sqlite:///relative.db is relative to the file that names it, not to the cwd.
        rest = url.split(":///", 1)[1] if ":///" in url else ""
        if rest and not rest.startswith("/") and not rest.startswith(":memory:"):
            path, query, options = rest.partition("?")
            full = (config_file.parent / unquote(path)).resolve()
            url = _sqlite_url(full, scheme) + query + options
    elif not scheme.startswith("postgresql"):
        reader.error(("database",), f"unsupported database {scheme!r}; use sqlite or postgresql")
        return None
    return SecretURL(url)


def _sqlite_url(path: Path, scheme: str = "sqlite") -> str:
    # SQLAlchemy percent-decodes the path: a directory named with '%' or '?' must be encoded.
    return f"{scheme}:///{quote(str(path), safe='/')}"


def _feeds(reader: Reader, value: Any) -> tuple[Feed, ...]:
    return reader.named(
        value, ("feeds",), "feed", "name: ...", lambda entry, at: _feed(reader, entry, at)
    )


def _feed(reader: Reader, entry: Any, path: KeyPath) -> Feed | None:
    source_cls = reader.entry_kind(
        REGISTRY, entry, path, "kind", "source kind", "at least name and url", default="rss"
    )
    if source_cls is None:
        return None
    kind = entry.get("kind", "rss")
    common = {k: entry[k] for k in FEED_KEYS if k in entry}
    specific = {k: v for k, v in entry.items() if k not in FEED_KEYS}
    before = len(reader.problems)
    options = reader.options(source_cls.Options, specific, path, extra_allowed=FEED_KEYS)
    # Checks across a kind's options (ACLED: which credentials go together).
    for key, message in getattr(options, "problems", lambda: [])():
        reader.error((*path, key), message)
    name = reader.typed(str, common.get("name"), (*path, "name"))
    url = _feed_url(reader, common.get("url"), (*path, "url"))
    every = DEFAULT_EVERY
    if "every" in common:
        every = reader.typed(timedelta, common["every"], (*path, "every"))
        if isinstance(every, timedelta) and every < MIN_EVERY:
            reader.error(
                (*path, "every"), "must be at least 30s; polling faster gets feeds blocked"
            )
    lang = reader.typed(str | None, common.get("lang"), (*path, "lang"))
    outlet = reader.typed(str | None, common.get("outlet"), (*path, "outlet"))
    if isinstance(url, str):
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https", "file"):
            reader.error((*path, "url"), "expected an http://, https:// or file:// URL")
    if len(reader.problems) > before:
        return None
    return Feed(
        name=name,
        kind=kind,
        url=url,
        every=every,
        lang=lang,
        outlet=outlet or _outlet_of(url),
        options=options,
    )


def _feed_url(reader: Reader, value: Any, path: KeyPath) -> Any:
    """A feed's URL; ``${NAME}`` placeholders in it (a private feed's token) are filled as
    in a secret URL, and their values masked wherever logs and tables show the URL."""
    if not isinstance(value, str) or not PLACEHOLDER.search(value):
        return reader.typed(str, value, path)
    filled = reader.typed(SecretURL, value, path)
    if not isinstance(filled, SecretURL):
        return filled  # the reader said what is wrong
    redact.mask(placeholder_value(m.group(1)) for m in PLACEHOLDER.finditer(value))
    return filled.reveal()


def _outlet_of(url: str) -> str:
    """The publisher a feed belongs to, for counting independent outlets: its host."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return "file:" + Path(parts.path).stem
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "feeds.", "rss.", "feed."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    return host
