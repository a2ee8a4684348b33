"""The ``swe-env`` command's modules: no import circle, no private helper shared across
modules, each module importable on its own, small functions and modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "swe_env"


def stray_modules() -> list[Path]:
    """``swe_env/cli.py`` and ``swe_env/cli_*.py``: the command's modules before the package."""
    return sorted([*PKG.glob("cli.py"), *PKG.glob("cli_*.py")])


def cli_modules() -> dict[str, Path]:
    """Every module of the command: the cli/ package and any stray ``cli*.py`` beside it."""
    found = {f"swe_env.{p.stem}": p for p in stray_modules()}
    for path in (PKG / "cli").rglob("*.py") if (PKG / "cli").is_dir() else []:
        parts = path.relative_to(PKG.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) of every import in ``path``, wherever it is."""
    result = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            result.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            result.extend((a.name, []) for a in node.names)
    return result


def edges(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, names in imports_of(path):
            targets = [module] + [f"{module}.{n}" for n in names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_command_is_a_package_without_stray_modules() -> None:
    assert (PKG / "cli" / "__init__.py").is_file()
    assert stray_modules() == []


def test_no_import_circle_between_cli_modules() -> None:
    graph = edges(cli_modules())
    submodules = [n for n in graph if n.startswith("swe_env.cli.")]
    assert len(submodules) >= 5, graph
    # the package's __init__ assembles the app: no submodule may import it back
    for name in submodules:
        assert "swe_env.cli" not in graph[name], f"{name} imports the package __init__"
    assert find_cycle(graph) is None, find_cycle(graph)


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_private_helper_is_imported_across_modules() -> None:
    shared = []
    for name, path in cli_modules().items():
        for module, names in imports_of(path):
            if module.startswith("swe_env"):
                shared += [f"{name}: {module}.{n}" for n in names if n.startswith("_")]
    assert shared == []


@pytest.mark.parametrize("module", sorted(cli_modules()))
def test_each_module_imports_alone_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_functions_and_modules_are_small() -> None:
    too_long = []
    for name, path in cli_modules().items():
        lines = path.read_text().count("\n")
        if lines > 400:
            too_long.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 60:
                    too_long.append(f"{name}.{node.name}: {length} lines")
    assert too_long == []
