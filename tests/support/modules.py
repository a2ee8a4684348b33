"""Static checks over a package's modules: imports (with lazy ones), cycles, import
chains and sizes."""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Callable
from pathlib import Path

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def package_modules(package_dir: Path, root: Path) -> dict[str, Path]:
    """Dotted name -> file of every module under ``package_dir`` (``root`` holds the
    top-level package); a package's ``__init__`` is named after the package."""
    found = {}
    for path in package_dir.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
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
    """Which of ``modules`` each one imports (at top level or inside a function)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, names in imports_of(path):
            targets = [module] + [f"{module}.{n}" for n in names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in ``graph`` (first node repeated at the end), or ``None``."""
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


def import_chain(
    graph: dict[str, set[str]], source: str, banned: Callable[[str], bool]
) -> list[str] | None:
    """The shortest chain of imports from ``source`` to a name ``banned`` accepts, or
    ``None``. Names that ``graph`` does not list (libraries, say) are leaves."""
    parents: dict[str, str] = {}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph.get(node, ())):
            if nxt == source or nxt in parents:
                continue
            parents[nxt] = node
            if banned(nxt):
                chain = [nxt]
                while chain[-1] != source:
                    chain.append(parents[chain[-1]])
                return chain[::-1]
            queue.append(nxt)
    return None


def oversized(modules: dict[str, Path]) -> list[str]:
    """Modules over 400 lines and functions over 60 lines, one line each."""
    too_long = []
    for name, path in modules.items():
        text = path.read_text()
        if (lines := text.count("\n")) > MAX_MODULE_LINES:
            too_long.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}.{node.name}: {length} lines")
    return too_long
