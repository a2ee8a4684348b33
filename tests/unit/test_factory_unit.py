"""Task factory without Docker: the five mutation kinds, the sampling seed, environment
inference on small fixture repositories, statements and the task writer."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from swe_env.factory import mutators
from swe_env.factory.infer import choose_python, infer_environment
from swe_env.factory.statement import write_statement
from swe_env.factory.writer import find_test_files

SOURCE = textwrap.dedent(
    '''\
    """A module."""


    def clamp(value, low=0, high=10):
        """Clamp value into [low, high]."""
        # keep this comment
        if value < low and low is not None:
            return low
        total = value + 1
        total = total - 1
        if value > high or high is None:
            return high
        return max(low, min(total, high))
    '''
)


def test_each_kind_gives_valid_and_different_code() -> None:
    found = mutators.mutations_of(SOURCE, "m.py")
    kinds = {m.kind for m in found}
    assert kinds == set(mutators.KINDS)
    for m in found:
        ast.parse(m.source)
        assert m.source != SOURCE
        assert m.function == "clamp"
    assert len({m.source for m in found}) > 20


def test_edits_are_minimal_and_keep_comments() -> None:
    for m in mutators.mutations_of(SOURCE, "m.py"):
        if m.kind != "function":
            assert "# keep this comment" in m.source
    ops = {m.detail for m in mutators.mutations_of(SOURCE, "m.py") if m.kind == "operator"}
    assert {"comparison < -> <=", "arithmetic + -> -", "boolean and -> or", "off-by-one +1"} <= ops
    swapped = [m for m in mutators.mutations_of(SOURCE, "m.py") if "swapped" in m.detail]
    assert any("max(min(total, high), low)" in m.source for m in swapped)


def test_only_the_covered_functions_are_mutated() -> None:
    source = SOURCE + "\n\ndef other(a, b):\n    return a - b\n"
    lines = {f.lineno for f in mutators.functions(source) if f.name == "other"}
    assert {m.function for m in mutators.mutations_of(source, "m.py", lines)} == {"other"}


def test_sample_is_deterministic_and_interleaves_kinds() -> None:
    found = mutators.mutations_of(SOURCE, "m.py")
    first, again = mutators.sample(found, 10, seed=3), mutators.sample(found, 10, seed=3)
    assert first == again
    assert mutators.sample(found, 10, seed=4) != first
    assert {m.kind for m in first[:5]} == set(mutators.KINDS)


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def test_pyproject_python_extras_and_tests_dir(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                name = "demo"
                requires-python = ">=3.12"
                dependencies = ["attrs>=22", "tomli; python_version < '3.11'"]
                [project.optional-dependencies]
                test = ["hypothesis", "pytest>=7"]
                docs = ["sphinx"]
            """,
            "tests/test_x.py": "def test_x():\n    pass\n",
            "src/demo/__init__.py": "",
        },
    )
    spec = infer_environment(repo).spec
    assert spec is not None
    assert spec.python == "3.13"
    assert spec.pip_packages == ("pytest==8.3.3", "attrs>=22", "hypothesis")
    assert spec.test_cmd == "python -m pytest -rA -p no:cacheprovider tests"
    assert spec.env_vars == {"PYTHONPATH": "/testbed/src"}


def test_setup_py_setup_cfg_requirements_and_tox(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "setup.py": "setup(python_requires='>=3.6', install_requires=['six>=1.0'])\n",
            "setup.cfg": "[options.extras_require]\ntests =\n    mock\n",
            "requirements-test.txt": "# comment\nfreezegun\n-r other.txt\n",
            "tox.ini": "[testenv]\ndeps =\n    pyyaml\n    {posargs}\n",
        },
    )
    spec = infer_environment(repo).spec
    assert spec is not None and spec.python == "3.11"
    assert set(spec.pip_packages) == {"pytest==8.3.3", "six>=1.0", "mock", "freezegun", "pyyaml"}
    assert spec.test_cmd == "python -m pytest -rA -p no:cacheprovider"


def test_unsupported_repositories_say_why_in_one_line(tmp_path: Path) -> None:
    assert "not a Python project" in infer_environment(tmp_path).reason
    repo = _repo(tmp_path, {"pyproject.toml": '[project]\nrequires-python = "<3.8"\n'})
    reason = infer_environment(repo).reason
    assert reason.startswith("Python version") and "\n" not in reason
    assert choose_python(">=3.9,<3.11") == "3.9"


def test_statement_quotes_assertion_output_not_test_source() -> None:
    log = textwrap.dedent(
        """\
        ______________________ test_clamp ______________________
            def test_clamp():
                secret_hidden_line = 1
        >       assert clamp(11) == 10
        E       assert 11 == 10
        E        +  where 11 = clamp(11)
        """
    )
    text = write_statement("clamp", "m.py", ["tests/test_m.py::test_clamp"], log)
    assert "assert 11 == 10" in text and "where 11 = clamp(11)" in text
    assert "secret_hidden_line" not in text and "clamp" in text.splitlines()[0]


def test_test_files_are_found(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {"pkg/core.py": "", "tests/test_a.py": "", "conftest.py": "", "test_b.py": ""},
    )
    assert find_test_files(repo) == ["conftest.py", "test_b.py", "tests/test_a.py"]


@pytest.mark.parametrize("kind", mutators.KINDS)
def test_every_kind_found_alone(kind: str) -> None:
    assert any(m.kind == kind for m in mutators.mutations_of(SOURCE, "m.py"))
