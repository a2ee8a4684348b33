"""The tools package: no import cycle (lazy imports included), each module importable
on its own in a fresh interpreter, small functions and modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.modules import edges, find_cycle, imports_of, oversized, package_modules

ROOT = Path(__file__).resolve().parents[2]
MODULES = package_modules(ROOT / "swe_env" / "tools", ROOT)


def test_the_tools_package_is_found() -> None:
    assert {"swe_env.tools", "swe_env.tools.base", "swe_env.tools.formats"} <= set(MODULES)
    assert len(MODULES) >= 9


def test_no_import_cycle_between_tools_modules() -> None:
    graph = edges(MODULES)
    assert find_cycle(graph) is None, find_cycle(graph)
    # submodules never import the package __init__ (which imports them all)
    assert [name for name, targets in graph.items() if "swe_env.tools" in targets] == []


def test_the_cycle_finder_sees_a_lazy_import(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from a import x\n")
    graph = edges({"a": tmp_path / "a.py", "b": tmp_path / "b.py"})
    assert find_cycle(graph) == ["a", "b", "a"]


def test_tools_see_only_a_sandbox() -> None:
    allowed = ("swe_env.tools", "swe_env.sandbox.base", "swe_env.errors")
    reaching = [
        f"{name}: {module}"
        for name, path in MODULES.items()
        for module, _ in imports_of(path)
        if module.startswith("swe_env") and not module.startswith(allowed)
    ]
    assert reaching == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_tools_module_imports_alone_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_tools_functions_and_modules_are_small() -> None:
    assert oversized(MODULES) == []
