"""Running the real ``swe-env`` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def swe_env(
    *args: str | Path, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """``python -m swe_env ARGS`` with plain output (no colours, no terminal width)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "SWE_ENV_TOKEN")}
    return subprocess.run(
        [sys.executable, "-m", "swe_env", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**env, "NO_COLOR": "1"},
        cwd=cwd,
    )
