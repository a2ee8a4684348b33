"""Every Python entry of swebench 4.1's spec table, converted, checked field by field against
the entry: test command (plus the official directives), pre-install, install, environment
variables and log parser. Entries whose Python is not available here are refused, saying so.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from support.swebench_helpers import H

from swe_env.tasks import swebench_specs as sb
from swe_env.tasks.swebench import UnsupportedInstance, to_task


def _table() -> dict:
    from swebench.harness.constants import MAP_REPO_VERSION_TO_SPECS

    return MAP_REPO_VERSION_TO_SPECS


def _entries() -> list[tuple[str, str]]:
    """Entries of the Python repositories the official harness has a log parser for."""
    from swebench.harness.log_parsers import MAP_REPO_TO_PARSER

    return [
        (repo, version)
        for repo, versions in _table().items()
        for version, spec in versions.items()
        if "python" in spec and isinstance(spec.get("test_cmd"), str) and repo in MAP_REPO_TO_PARSER
    ]


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One repository per family, holding every requirements and environment file the
    official harness reads for it."""
    from swebench.harness.constants import MAP_REPO_TO_ENV_YML_PATHS, MAP_REPO_TO_REQS_PATHS

    root = tmp_path_factory.mktemp("table")
    bases = {}
    for repo in sorted({repo for repo, _ in _entries()}):
        files = {"setup.py": "", "tox.ini": "[testenv]\ncommands = pytest\n"}
        files |= {p: "pytest\n" for p in MAP_REPO_TO_REQS_PATHS.get(repo, [])}
        env_yml = "dependencies:\n  - pytest\n  - pip:\n    - hypothesis\n"
        files |= {p: env_yml for p in MAP_REPO_TO_ENV_YML_PATHS.get(repo, [])}
        files |= {"requirements.txt": "pytest\n", "environment.yml": env_yml}
        bases[repo] = H.commit_files(root / repo.replace("/", "__"), files)
    return root, bases


@pytest.mark.parametrize(("repo", "version"), _entries())
def test_entry_converts_as_the_official_harness_runs_it(mirror, repo: str, version: str) -> None:
    root, bases = mirror
    spec = _table()[repo][version]
    test_file = "tests/test_x.py" if repo != "django/django" else "tests/app/tests.py"
    record = H.fake_record(repo, version, bases[repo], H.test_patch_for(test_file))
    asked = str(spec["python"])
    if asked not in sb.PYTHONS:
        with pytest.raises(UnsupportedInstance, match=f"needs Python {asked}"):
            to_task(record, mirror=root)
        if asked not in sb.NEAREST_PYTHON:
            return
    # With stand-ins allowed, every other field converts exactly as with the asked Python.
    task = to_task(record, mirror=root, nearest_python=True)
    env = task.environment
    directives = "app.tests" if repo == "django/django" else test_file
    assert env.test_cmd == f"{spec['test_cmd']} {directives}"
    assert env.python == (asked if asked in sb.PYTHONS else sb.NEAREST_PYTHON[asked])
    assert task.log_parser == f"swebench:{repo}"
    assert env.pip_packages == tuple(spec.get("pip_packages") or ())
    steps = [*env.pre_install, *env.install]
    for cmd in spec.get("pre_install", []):  # every pre-install step runs, in its image
        cmd = re.sub(r"&&\s*&&", "&&", cmd.strip())  # the table's typo, repaired
        assert any(cmd in step for step in steps), cmd
    for cmd in spec.get("eval_commands", []):
        if cmd.startswith("export "):
            name, _, value = cmd.removeprefix("export ").partition("=")
            assert env.env_vars[name] == " ".join(shlex.split(value))
        else:
            assert any(cmd in step for step in steps), cmd
    if spec.get("install"):
        assert any(step.endswith(sb._install(spec["install"])) for step in env.install)
        assert "conda" not in " ".join(steps)
    if "--current-env" in spec["test_cmd"]:
        assert env.install[-1] == sb.tox_current_env_python(spec["test_cmd"], env.python)
    for step in steps:
        assert "\n" not in step  # each is one Dockerfile RUN line
