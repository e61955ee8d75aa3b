"""The store and the gazetteer have no import cycle, and the store's chunk size is one.

Every import counts, those under ``TYPE_CHECKING`` and inside functions too: a cycle
hidden behind either still ties the modules together for a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "warning"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(package: str) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports, anywhere in its source."""
    folder = ROOT / package
    modules = {_module(p): p for p in folder.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = here
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                stem = node.module or ""
                base = f"{base}.{stem}".strip(".") if node.level else stem
                # ``from package import module`` imports the module; other names are
                # the module's own.
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
                targets = subs if len(subs) == len(node.names) else [base, *subs]
            else:
                continue
            found.update(t for t in targets if t in modules and t != name)
        graph[name] = found
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


@pytest.mark.parametrize("package", ["store", "geo"])
def test_no_import_cycle(package: str) -> None:
    graph = _imports(package)
    assert graph, f"no modules found under warning/{package}"
    assert _cycle(graph) is None


def test_query_classes_use_the_database_not_the_store() -> None:
    """No query module imports the Store, nor reaches into another object's privates."""
    for path in (ROOT / "store").glob("*.py"):
        if path.name in ("queries.py", "__init__.py"):
            continue
        source = path.read_text()
        imported = {
            alias.name
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        assert "Store" not in imported, path.name
        for private in ("._read(", "._write(", "._insert(", "._engine"):
            assert private not in source, (path.name, private)


def test_chunk_size_defined_once() -> None:
    defined = [
        path.name
        for path in ROOT.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "CHUNK" for t in node.targets)
    ]
    assert defined == ["database.py"]
