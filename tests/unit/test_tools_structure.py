"""The tools package: no import cycle (lazy imports included), each module importable
on its own in a fresh interpreter (sizes, and what tools may import: test_structure.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.modules import edges, find_cycle, package_modules

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


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_tools_module_imports_alone_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
