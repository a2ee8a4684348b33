"""TaskSpec: one software-engineering task as data. Imports no sandbox."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from swe_env.patch import touched_paths

PythonVersion = Literal["3.9", "3.11", "3.13"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class DirSource(_Frozen):
    """The repository's base state is a directory shipped with the task (no .git needed)."""

    type: Literal["dir"] = "dir"
    path: str
    """Absolute once loaded (relative to the task directory in task.yaml)."""


class GitSource(_Frozen):
    """Clone ``url`` at ``base_commit``; needs a network at build time."""

    type: Literal["git"] = "git"
    url: str


class MirrorSource(_Frozen):
    """A local git dir per repository under ``mirror`` (see ``swe_env.tasks.swebench``)."""

    type: Literal["mirror"] = "mirror"
    repo: str
    """``owner/name``, as in SWE-bench's ``repo`` field."""
    mirror: str
    """The directory that holds the git dirs."""


RepoSource = Annotated[DirSource | GitSource | MirrorSource, Field(discriminator="type")]


class EnvironmentSpec(_Frozen):
    """What the task's image needs. Tasks with equal specs share one env image."""

    python: PythonVersion = "3.11"
    pip_packages: tuple[str, ...] = ()
    """Installed into the image's venv (``/opt/venv``)."""
    pre_install: tuple[str, ...] = ()
    """Shell commands run in the env image before the repository is added."""
    install: tuple[str, ...] = ()
    """Shell commands run in ``/testbed`` after the repository is added (instance image)."""
    test_cmd: str
    """Runs the tests from ``/testbed``; pytest commands also get ``--junitxml``."""
    env_vars: dict[str, str] = Field(default_factory=dict)
    """Set in the image (build and run time)."""

    def env_key(self) -> str:
        """Content hash of what the env image is built from."""
        payload = {
            "python": self.python,
            "pip": list(self.pip_packages),
            "pre": list(self.pre_install),
            "vars": self.env_vars,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


class TaskSpec(_Frozen):
    """A repository at a commit, a problem statement and hidden tests."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True
    )

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    suite: str = ""
    source: RepoSource
    base_commit: str | None = None
    """The commit to check out (git and mirror sources); ``None`` for dir sources."""
    problem_statement: str = Field(min_length=1)
    environment: EnvironmentSpec
    hidden_tests: dict[str, str] = Field(default_factory=dict)
    """Repo-relative path → file content, written over the repository at grading time."""
    test_patch: str | None = None
    """A diff that adds the hidden tests (SWE-bench style), applied at grading time."""
    fail_to_pass: tuple[str, ...] = Field(alias="FAIL_TO_PASS", min_length=1)
    pass_to_pass: tuple[str, ...] = Field(default=(), alias="PASS_TO_PASS")
    gold_patch: str | None = None
    log_parser: str = "pytest"
    """Text log parser when no JUnit XML is available (see ``rewards.parsers``)."""
    grading: Literal["strict", "swebench"] = "strict"
    """``swebench`` follows the official harness (a skipped PASS_TO_PASS test passes)."""
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def full_id(self) -> str:
        return f"{self.suite}/{self.id}" if self.suite else self.id

    def test_paths(self) -> list[str]:
        """Repo-relative paths the hidden tests own (restored before grading)."""
        paths = set(self.hidden_tests)
        if self.test_patch:
            paths.update(touched_paths(self.test_patch))
        return sorted(paths)
