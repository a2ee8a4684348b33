"""The ``swe-env`` command's modules: no import circle, no private helper shared across
modules, each module importable on its own (sizes and the import rules of the whole code
base: test_structure.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.modules import edges, find_cycle, imports_of

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
