"""YAML loading that remembers where every value came from.

PyYAML's constructors throw line numbers away, yet an operator needs
``file:line: key: message``. We compose the node tree, build plain Python
values from it, and keep a side table from each value's key path to its line.
Duplicate keys, which PyYAML silently resolves to the last one, are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, Problem

#: A key path inside a document: ("feeds", 2, "every") prints as feeds[2].every.
KeyPath = tuple[str | int, ...]


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

    def problem(self, path: KeyPath, message: str) -> Problem:
        return Problem(str(self.file), self.line(path), format_path(path), message)


def load(file: Path) -> Document:
    """Read and parse ``file``; raise ConfigError with a line number on any failure."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(file), None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(file), None, "", f"cannot read: {exc}")]) from None
    return parse(text, file)


def parse(text: str, file: Path) -> Document:
    """Parse YAML ``text`` (named ``file`` in messages) into a Document."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            message = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
            raise ConfigError([Problem(str(file), line, "", f"invalid YAML: {message}")]) from None
        except yaml.YAMLError as exc:
            raise ConfigError([Problem(str(file), None, "", f"invalid YAML: {exc}")]) from None
        doc = Document(file, None)
        problems: list[Problem] = []
        if node is not None:
            doc.data = _build(loader, node, (), doc, problems)
        if problems:
            raise ConfigError(problems)
        return doc
    finally:
        loader.dispose()


def _build(
    loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, doc: Document, problems: list[Problem]
) -> Any:
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<:` merge keys
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                problems.append(
                    Problem(
                        str(doc.file),
                        key_node.start_mark.line + 1,
                        format_path(path),
                        f"keys must be strings, not {key!r}",
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
            out[key] = _build(loader, value_node, (*path, key), doc, problems)
            doc.lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, v, (*path, i), doc, problems) for i, v in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
