"""YAML loading that remembers where every value came from.

PyYAML's constructors throw line numbers away, yet an operator needs
``file:line: key: message``. We compose the node tree, build plain Python
values from it, and keep a side table from each value's key path to its line.
Duplicate keys, which PyYAML silently resolves to the last one, are errors.

Building is bounded: a file larger than :data:`MAX_BYTES`, or one whose values
number more than :data:`MAX_VALUES` once aliases and merge keys are expanded, is
refused before it costs memory. Seven lines of nested aliases (a "billion laughs")
would otherwise expand to gigabytes, and a reload could take the daemon down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, Problem

#: A key path inside a document: ("feeds", 2, "every") prints as feeds[2].every.
KeyPath = tuple[str | int, ...]

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Largest file read, in bytes. A configuration with a thousand feeds is ~100 kB.
MAX_BYTES = 2_000_000
#: Most values (mappings, lists, scalars, keys) one file may build, counting every
#: expansion of an alias or merge key. The bundled files build a few thousand.
MAX_VALUES = 100_000
_TOO_MANY = (
    "more than {limit:,} values once aliases are expanded; "
    "is an alias repeated inside another (an alias bomb)?"
)
_TOO_MANY_HINT = "write the values out, or use fewer nested aliases (&name / *name)"


def format_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(slots=True)
class Document:
    """Plain data from one YAML file plus the line of every key path."""

    file: Path
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line(self, path: KeyPath) -> int | None:
        # Fall back to the nearest enclosing value with a known line.
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def problem(self, path: KeyPath, message: str, hint: str | None = None) -> Problem:
        return Problem(str(self.file), self.line(path), format_path(path), message, hint)


def load(file: Path) -> Document:
    """Read and parse ``file``; raise ConfigError with a line number on any failure."""
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(file), None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(file), None, "", f"cannot read: {exc}")]) from None
    return parse(text, file)


def parse(text: str, file: Path) -> Document:
    """Parse YAML ``text`` (named ``file`` in messages) into a Document."""
    if len(text) > MAX_BYTES:
        raise ConfigError(
            [
                Problem(
                    str(file),
                    None,
                    "",
                    f"larger than {MAX_BYTES:,} bytes: not a configuration file",
                    hint="check the path; split rules into a file of their own if they grew",
                )
            ]
        )
    # libyaml's parser when PyYAML has it (10x faster: 0.1 s for a thousand feeds at every
    # start); its nodes carry the same marks, and it refuses nesting deeper than 1,000.
    loader = _LOADER(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            if "maximum nesting depth" in (exc.problem or ""):  # libyaml's limit
                raise RecursionError from None  # worded as the Python parser's, below
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            message = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
            raise ConfigError([Problem(str(file), line, "", f"invalid YAML: {message}")]) from None
        except yaml.YAMLError as exc:
            raise ConfigError([Problem(str(file), None, "", f"invalid YAML: {exc}")]) from None
        doc = Document(file, None)
        problems: list[Problem] = []
        if node is not None:
            doc.data = _Builder(loader, doc, problems).build(node, ())
        if problems:
            raise ConfigError(problems)
        return doc
    except RecursionError:  # thousands of nested [ or {: the composer recurses per level
        raise ConfigError(
            [Problem(str(file), None, "", "invalid YAML: nested too deeply")]
        ) from None
    finally:
        loader.dispose()


class _Builder:
    """Plain values from the node tree, counting each one built against MAX_VALUES.

    An alias is the same node as its anchor, so counting as values are built (not as
    nodes are composed) counts every expansion, and stops a bomb at the first
    100,000 values instead of after it has gone off.
    """

    def __init__(self, loader: yaml.SafeLoader, doc: Document, problems: list[Problem]) -> None:
        self.loader = loader
        self.doc = doc
        self.problems = problems
        self.left = MAX_VALUES

    def spend(self, count: int, path: KeyPath) -> None:
        self.left -= count
        if self.left < 0:
            # Blame the top-level key being built: the nodes deeper down are shared
            # by every alias, so their own lines say little.
            top = path[:1]
            problem = Problem(
                str(self.doc.file),
                self.doc.line(top),
                format_path(top),
                _TOO_MANY.format(limit=MAX_VALUES),
                hint=_TOO_MANY_HINT,
            )
            raise ConfigError([problem])

    def flatten(self, node: yaml.MappingNode, path: KeyPath) -> None:
        """Resolve ``<<:`` merge keys, paying for every merged pair before it is copied."""
        for key_node, value_node in node.value:
            if key_node.tag != "tag:yaml.org,2002:merge":
                continue
            merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for sub in merged:
                if isinstance(sub, yaml.MappingNode):
                    self.flatten(sub, path)
                    self.spend(len(sub.value), path)
        self.loader.flatten_mapping(node)  # merge keys below are gone: one pass

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.spend(1, path)
        self.doc.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            self.flatten(node, path)
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, (*path, i)) for i, v in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        doc, problems = self.doc, self.problems
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            # Only a scalar can be a string key; building a list or mapping key would
            # expand whatever aliases it holds, for nothing.
            scalar = isinstance(key_node, yaml.ScalarNode)
            key = self.loader.construct_object(key_node, deep=True) if scalar else None
            if not isinstance(key, str):
                what = repr(key) if scalar else f"a {key_node.id}"
                problems.append(
                    Problem(
                        str(doc.file),
                        key_node.start_mark.line + 1,
                        format_path(path),
                        f"keys must be strings, not {what}",
                    )
                )
                continue
            if key in out:
                problems.append(
                    Problem(
                        str(doc.file),
                        key_node.start_mark.line + 1,
                        format_path((*path, key)),
                        "duplicate key",
                    )
                )
            out[key] = self.build(value_node, (*path, key))
            doc.lines[(*path, key)] = key_node.start_mark.line + 1
        return out
