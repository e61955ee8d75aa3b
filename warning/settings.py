"""Typed values read from YAML: durations, sizes, secrets, and options classes.

Every options class in the program (poll limits, notifiers, source kinds) is a
frozen dataclass. :class:`Reader` builds one from a YAML mapping, rejecting
unknown keys and wrong types with the line they are on, so a plugin declares
its options once, as a dataclass, and gets validation for free.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import re
import types
import typing
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError, Problem
from .redact import PLACEHOLDER, fill_url
from .yamlsrc import Document, KeyPath

T = TypeVar("T")


class _Named(typing.Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3,
}  # fmt: skip


def parse_duration(text: str) -> timedelta:
    """``90s``, ``10m``, ``6h``, ``1d``, ``1h30m`` -> timedelta; ValueError otherwise."""
    text = text.strip()
    pos, total = 0, 0.0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(f"{text!r} is not a duration; write it like 90s, 10m, 6h or 1d")
    return timedelta(seconds=total)


def format_duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    for unit in ("d", "h", "m"):
        if seconds >= _UNITS[unit] and seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{seconds:g}s"


def parse_size(text: str) -> int:
    """``5MB``, ``512KiB``, ``1000`` -> bytes; ValueError otherwise."""
    m = _SIZE.fullmatch(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a size; write it like 5MB, 512KiB or 1000000")
    return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])


class Secret:
    """A configuration value that must never be printed or logged.

    Written in YAML as a literal, or with ``${NAME}`` placeholders resolved from
    the systemd credential ``$CREDENTIALS_DIRECTORY/NAME`` when present, else
    from the environment variable ``NAME``.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value, for the one place that needs it (a client, a login)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class SecretURL(Secret):
    """A secret URL (the database): ``${NAME}`` values are percent-encoded where they land.

    ``postgresql+psycopg://warning:${PGPASSWORD}@db/warning`` with a password holding
    ``@`` or ``/`` still names host ``db`` and that exact password (warning/redact.py).
    """

    __slots__ = ()


def placeholder_value(name: str) -> str:
    """The value of ``${NAME}``: the systemd credential NAME, else the environment variable.

    Raises KeyError(name) when it is set in neither place.
    """
    cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    if cred_dir:
        cred = Path(cred_dir) / name
        if cred.is_file():
            return cred.read_text(encoding="utf-8").rstrip("\r\n")
    if name in os.environ:
        return os.environ[name]
    raise KeyError(name)


def resolve_placeholders(text: str) -> str:
    """Replace each ``${NAME}`` with its credential or environment value.

    Raises KeyError(name) for the first name that is set in neither place.
    """
    return PLACEHOLDER.sub(lambda m: placeholder_value(m.group(1)), text)


def option(
    default: Any = dataclasses.MISSING,
    *,
    check: Callable[[Any], str | None] | None = None,
    parse: Callable[[Any], Any] | None = None,
) -> Any:
    """A dataclass field with an optional ``check`` (value -> error or None) and ``parse``."""
    meta = {"check": check, "parse": parse}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple or a frozen default")
    return dataclasses.field(default=default, metadata=meta)


def positive(value: Any) -> str | None:
    zero = timedelta(0) if isinstance(value, timedelta) else 0
    return None if value > zero else "must be greater than zero"


def at_least(minimum: float) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value >= minimum else f"must be at least {minimum:g}"

    return check


class Reader:
    """Builds typed settings from a :class:`Document`, collecting every problem.

    Methods return ``None`` (and record a problem) instead of raising, so that
    one run of ``warning check`` reports all mistakes at once.
    """

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def error(self, path: KeyPath, message: str, hint: str | None = None) -> None:
        self.problems.append(self.doc.problem(path, message, hint))

    def unique(self, seen: dict[str, KeyPath], name: str, path: KeyPath, what: str) -> bool:
        """Note that ``name`` is defined at ``path``; a problem (and False) if it was before."""
        if name in seen:
            first = self.doc.line((*seen[name], "name"))
            self.error((*path, "name"), f"duplicate {what} name {name!r} (first at line {first})")
            return False
        seen[name] = path
        return True

    def named(
        self,
        value: Any,
        path: KeyPath,
        what: str,
        shape: str,
        parse: Callable[[Any, KeyPath], N | None],
    ) -> tuple[N, ...]:
        """The list at ``path`` (feeds, zones), each entry built by ``parse`` (None when it
        reported a problem) and its name unique; ``shape`` is an entry, for the message."""
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(path, f"expected a list of {what}s (each `- {shape}`)")
            return ()
        out: list[N] = []
        seen: dict[str, KeyPath] = {}
        for i, entry in enumerate(value):
            got = parse(entry, (*path, i))
            if got is not None and self.unique(seen, got.name, (*path, i), what):
                out.append(got)
        return tuple(out)

    def entry_kind(
        self,
        registry: typing.Mapping[str, T],
        entry: Any,
        path: KeyPath,
        key: str,
        what: str,
        needs: str,
        default: str | None = None,
    ) -> T | None:
        """:meth:`kind` for a list entry, which must first be a mapping with ``needs``."""
        if not isinstance(entry, dict):
            self.error(path, f"expected a mapping with {needs}")
            return None
        return self.kind(registry, entry, path, key, what, default)

    def kind(
        self,
        registry: typing.Mapping[str, T],
        entry: dict[str, Any],
        path: KeyPath,
        key: str,
        what: str,
        default: str | None = None,
    ) -> T | None:
        """The registry entry that ``entry[key]`` names (``type: threshold``, ``kind: rss``).

        A missing or unknown name is a problem at that key, with the nearest known
        name as a suggestion, or the list of known ones.
        """
        known = ", ".join(registry)
        name = entry.get(key, default)
        if name is None:
            self.error((*path, key), f"is required; one of: {known}")
            return None
        found = registry.get(name) if isinstance(name, str) else None
        if found is None:
            close = difflib.get_close_matches(str(name), list(registry), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"one of: {known}"
            self.error((*path, key), f"unknown {what} {name!r}; {hint}")
        return found

    def raise_if_problems(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)

    def mapping(self, value: Any, path: KeyPath, allowed: typing.Iterable[str]) -> dict[str, Any]:
        """The mapping at ``path`` with unknown keys reported (and dropped)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping of keys, got {_describe(value)}")
            return {}
        allowed = list(allowed)
        out = {}
        for key, item in value.items():
            if key in allowed:
                out[key] = item
                continue
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = (
                f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(allowed)}"
            )
            self.error((*path, key), f"unknown key; {hint}")
        return out

    def options(
        self, cls: type[T], value: Any, path: KeyPath, extra_allowed: typing.Iterable[str] = ()
    ) -> T | None:
        """Build the options dataclass ``cls`` from the mapping at ``path``."""
        hints = _type_hints(cls)  # type: ignore[arg-type]  # a class is hashable
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        data = self.mapping(value, path, [*fields, *extra_allowed])
        kwargs: dict[str, Any] = {}
        ok = True
        for name, f in fields.items():
            if name not in data or (data[name] is None and not _optional(hints[name])):
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    self.error((*path, name), "is required")
                    ok = False
                continue
            got = self.typed(hints[name], data[name], (*path, name), f.metadata.get("parse"))
            if got is _INVALID:
                ok = False
                continue
            check = f.metadata.get("check")
            message = check(got) if check and got is not None else None
            if message:
                self.error((*path, name), message)
                ok = False
                continue
            kwargs[name] = got
        return cls(**kwargs) if ok else None

    def typed(
        self, hint: Any, value: Any, path: KeyPath, parse: Callable[[Any], Any] | None = None
    ) -> Any:
        """Convert ``value`` to the type ``hint``, or record a problem and return _INVALID."""
        if parse is not None:
            try:
                return parse(value)
            except (ValueError, TypeError) as exc:
                self.error(path, str(exc))
                return _INVALID
        if _optional(hint):
            if value is None:
                return None
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint)
        if origin is tuple:
            item_type = typing.get_args(hint)[0]
            items = value if isinstance(value, list) else [value]
            out = [self.typed(item_type, v, (*path, i)) for i, v in enumerate(items)]
            return _INVALID if any(v is _INVALID for v in out) else tuple(out)
        if dataclasses.is_dataclass(hint):
            got = self.options(hint, value, path)  # type: ignore[arg-type]
            return _INVALID if got is None else got
        if hint is timedelta:
            return self._convert(value, path, str, parse_duration, "a duration like 90s or 10m")
        if hint is Secret or hint is SecretURL:
            return self._secret(value, path, url=hint is SecretURL)
        if hint is bool:
            if isinstance(value, bool):
                return value
            self.error(path, f"expected true or false, got {_describe(value)}")
            return _INVALID
        if hint is int or hint is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.error(path, f"expected a number, got {_describe(value)}")
                return _INVALID
            if hint is int and not float(value).is_integer():
                self.error(path, f"expected a whole number, got {value!r}")
                return _INVALID
            return hint(value)
        if hint is str:
            if isinstance(value, str) and value.strip():
                return value
            self.error(path, f"expected a non-empty string, got {_describe(value)}")
            return _INVALID
        raise TypeError(f"no YAML conversion for {hint!r} at {path}")  # a programming error

    def _convert(
        self, value: Any, path: KeyPath, want: type, fn: Callable[[Any], Any], what: str
    ) -> Any:
        if not isinstance(value, want) or isinstance(value, bool):
            self.error(path, f"expected {what}, got {_describe(value)}")
            return _INVALID
        try:
            return fn(value)
        except ValueError as exc:
            self.error(path, str(exc))
            return _INVALID

    def _secret(self, value: Any, path: KeyPath, *, url: bool = False) -> Secret | object:
        if not isinstance(value, str) or not value:
            self.error(path, f"expected a string (literal, or ${{NAME}}), got {_describe(value)}")
            return _INVALID
        try:
            if url:
                return SecretURL(fill_url(value, placeholder_value))
            return Secret(resolve_placeholders(value))
        except ValueError as exc:  # a value that cannot sit where it is placed in the URL
            self.error(path, str(exc))
            return _INVALID
        except KeyError as exc:
            name = exc.args[0]
            self.error(
                path,
                f"${{{name}}} is not set: export {name}, or pass it as a systemd "
                f"credential (LoadCredential={name}:/path/to/file)",
            )
            return _INVALID


class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


_INVALID: Any = _Invalid()


def _optional(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in (
        typing.get_args(hint)
    )


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    return f"{type(value).__name__} {value!r}"


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """An options class's field types, evaluated once: its annotations are strings, and
    evaluating them for each of a thousand feeds took half of loading the configuration."""
    return typing.get_type_hints(cls)
