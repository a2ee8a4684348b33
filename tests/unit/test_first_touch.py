"""A new user's first touch: ``import swe_env``, then ``gymnasium.make`` of every id the
package registers, and ``swe-env --version``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import gymnasium
import pytest
from typer.testing import CliRunner

import swe_env

ROOT = Path(__file__).resolve().parents[2]
REGISTERED = sorted(env_id for env_id in gymnasium.registry if env_id.startswith("swe_env/"))


def fresh_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_swe_env_registers_every_id_and_loads_nothing_heavy() -> None:
    out = json.loads(
        fresh_python(
            """
            import json, sys
            import swe_env, gymnasium
            print(json.dumps({
                "ids": sorted(i for i in gymnasium.registry if i.startswith("swe_env/")),
                "heavy": sorted(m for m in ("docker", "swe_env.env", "swe_env.tools",
                                            "swe_env.sandbox", "ray", "fastapi")
                                if m in sys.modules),
            }))
            """
        )
    )
    assert "swe_env/SWE-v0" in out["ids"]
    assert set(swe_env.ENVS) <= set(out["ids"])
    assert out["heavy"] == []


@pytest.mark.parametrize(
    "first",
    [
        "import swe_env; import gymnasium",
        "import gymnasium; import swe_env",
        # a library that only tests whether gymnasium is installed must not use up the hook
        "import swe_env, importlib.util; importlib.util.find_spec('gymnasium'); import gymnasium",
        "import swe_env; from gymnasium.envs.registration import registry",
    ],
)
def test_the_ids_are_there_whatever_the_import_order(first: str) -> None:
    out = fresh_python(
        f"""
        {first}
        import sys, gymnasium, swe_env
        print("swe_env/SWE-v0" in gymnasium.registry)
        print(sum(type(f).__name__ == "_RegisterWhenGymnasiumLoads" for f in sys.meta_path))
        """
    )
    assert out.split() == ["True", "0"]


def test_every_id_of_the_package_is_registered_here() -> None:
    assert "swe_env/SWE-v0" in REGISTERED
    assert set(swe_env.ENVS) <= set(REGISTERED)


def trace_dataset(tmp_path: Path) -> dict[str, str]:
    """Trace-v0 needs traces to predict: those of a small real program."""
    from support.trace_programs import PROGRAM, run_tracer

    from swe_env.traces.format import from_record, render

    (tmp_path / "prog.py").write_text(PROGRAM)
    records, _ = run_tracer(tmp_path, "script", "prog.py")
    path = tmp_path / "traces.jsonl"
    path.write_text("".join(json.dumps({"trace": render(from_record(r))}) + "\n" for r in records))
    return {"dataset": str(path)}


REQUIRED = {"swe_env/Trace-v0": trace_dataset}
"""The required arguments of an id that has no default for them (none: the defaults)."""


@pytest.mark.parametrize("env_id", REGISTERED)
def test_gymnasium_make_works_after_import_swe_env(env_id: str, tmp_path: Path) -> None:
    """With only its required arguments (SWE-v0: none, the demo suite), every id makes a
    working environment; making one starts no container (that waits for reset)."""
    env = gymnasium.make(env_id, **REQUIRED.get(env_id, lambda _: {})(tmp_path))
    try:
        assert isinstance(env.unwrapped, gymnasium.Env)
        assert env.spec is not None and env.spec.id == env_id
        assert env.observation_space is not None and env.action_space is not None
    finally:
        env.close()


def test_make_in_a_fresh_process_needs_only_import_swe_env() -> None:
    out = fresh_python(
        """
        import gymnasium, swe_env
        env = gymnasium.make("swe_env/SWE-v0", suite="demo", max_turns=3)
        print(type(env.unwrapped).__name__, env.unwrapped.config.max_turns)
        env.close()
        """
    )
    assert out.split() == ["SWEEnv", "3"]


def test_register_envs_is_idempotent() -> None:
    spec = gymnasium.spec("swe_env/SWE-v0")
    swe_env.register_envs()
    assert gymnasium.spec("swe_env/SWE-v0") is spec
    assert spec.entry_point == swe_env.ENVS["swe_env/SWE-v0"]


def test_version_flag() -> None:
    from swe_env.cli import app

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"swe-env {swe_env.__version__}"
