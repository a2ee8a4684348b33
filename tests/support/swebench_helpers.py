"""The SWE-bench import tests' fixtures (records, local mirrors), shared by the docker tests.

They live in tests/unit/test_swebench_import.py; this loads that module once under another
name, so that pytest does not collect its tests a second time.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


def _load() -> ModuleType:
    path = Path(__file__).parents[1] / "unit" / "test_swebench_import.py"
    spec = importlib.util.spec_from_file_location("swebench_import_helpers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


H = _load()
