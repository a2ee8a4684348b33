"""SWE-bench importer: records, mirrors, specs (real swebench 4.1.0 entries), suites on disk.

Fast and without Docker: every repository is a small git repository made in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from swe_env.errors import TaskError
from swe_env.images.build import materialize_repo
from swe_env.tasks import swebench
from swe_env.tasks import swebench_specs as sb
from swe_env.tasks.native import load_suite, load_task
from swe_env.tasks.spec import GitSource, MirrorSource
from swe_env.tasks.swebench import (
    ImportReport,
    UnsupportedInstance,
    directives_for,
    import_swebench,
    load_spec_file,
    load_swebench,
    mirror_git_dir,
    scm_version,
    to_task,
)

IID = "acme__calc-1"
REPO = "acme/calc"
SPECS = {
    REPO: {
        "1.0": {
            "python": "3.11",
            "pip_packages": ["pytest==8.3.5"],
            "install": "python -m pip install --no-build-isolation -e .",
            "test_cmd": "pytest -rA",
        }
    }
}
F2P = ["tests/test_ops.py::test_power"]
# The official pytest parser keeps the first word of an id: "test_label[two words]" is listed so.
P2P = [f"tests/test_ops.py::{name}" for name in ("test_add", "test_sub", "test_label[two")]

OPS_BUGGY = '''"""Arithmetic."""


def add(a, b):
    return a + b


def sub(a, b):
    return a - b


def power(a, b):
    return a * b
'''
TESTS = """import pytest

from calc.ops import add, sub


def test_add():
    assert add(2, 3) == 5


def test_sub():
    assert sub(2, 3) == -1


@pytest.mark.parametrize("label", ["two words"])
def test_label(label):
    assert " " in label
"""
NEW_TEST = """

def test_power():
    from calc.ops import power

    assert power(2, 3) == 8
"""
PYPROJECT = """[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "calc"
version = "1.0"

[tool.setuptools]
packages = ["calc"]
"""


# -- helpers (also used by tests/docker/test_swebench_e2e.py) ------------------------------
# Fixed dates make the commits, and so the instance images' cache keys, the same every run.
GIT_ENV = {"GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}


def git(cwd: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    cmd += ["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args]
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True, env=env)
    return done.stdout.strip()


def commit_files(repo: Path, files: dict[str, str], message: str = "c") -> str:
    """Write ``files`` into the work tree ``repo`` (created on first use) and commit them."""
    if not (repo / ".git").exists():
        repo.mkdir(parents=True, exist_ok=True)
        git(repo, "init", "-q")
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def make_calc_repo(work: Path) -> dict[str, str]:
    """A tiny project with a bug (``power`` multiplies); returns base, gold and test patches."""
    files = {"pyproject.toml": PYPROJECT, "calc/__init__.py": "", "calc/ops.py": OPS_BUGGY}
    base = commit_files(work, {**files, "tests/test_ops.py": TESTS}, "base")
    fixed = commit_files(work, {"calc/ops.py": OPS_BUGGY.replace("a * b", "a**b")}, "fix")
    commit_files(work, {"tests/test_ops.py": TESTS + NEW_TEST}, "test")
    return {
        "base": base,
        "gold": git(work, "diff", base, fixed) + "\n",
        "test": git(work, "diff", fixed, "HEAD") + "\n",
    }


def calc_record(info: dict[str, str], **changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "instance_id": IID,
        "repo": REPO,
        "base_commit": info["base"],
        "patch": info["gold"],
        "test_patch": info["test"],
        "problem_statement": "power(2, 3) returns 6; it should return 8.",
        "FAIL_TO_PASS": json.dumps(F2P),
        "PASS_TO_PASS": json.dumps(P2P),
        "version": "1.0",
        "environment_setup_commit": info["base"],
        "created_at": "2024-01-02T03:04:05Z",
    }
    return {**record, **changes}


def make_calc_mirror(root: Path) -> tuple[Path, dict[str, str]]:
    """A work tree in ``root/work`` and a bare mirror ``root/mirror/acme__calc.git``."""
    info = make_calc_repo(root / "work")
    (root / "mirror").mkdir()
    git(root, "clone", "-q", "--bare", str(root / "work"), str(root / "mirror/acme__calc.git"))
    return root / "mirror", info


def write_jsonl(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


@pytest.fixture
def calc(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    return make_calc_mirror(tmp_path)


def real_spec(repo: str, version: str) -> dict:
    from swebench.harness.constants import MAP_REPO_VERSION_TO_SPECS

    return MAP_REPO_VERSION_TO_SPECS[repo][version]


def fake_record(repo: str, version: str, base: str, test_patch: str, **changes) -> dict:
    iid = repo.replace("/", "__") + "-1"
    record = dict(
        instance_id=iid, repo=repo, base_commit=base, patch="", test_patch=test_patch,
        problem_statement="p", FAIL_TO_PASS=["t1"], PASS_TO_PASS=[], version=version,
    )  # fmt: skip
    return {**record, **changes}


def test_patch_for(*paths: str) -> str:
    return "".join(
        f"diff --git a/{p} b/{p}\n--- a/{p}\n+++ b/{p}\n@@ -0,0 +1 @@\n+x\n" for p in paths
    )


test_patch_for.__test__ = False  # type: ignore[attr-defined]


# -- mirrors ----------------------------------------------------------------------------------
LAYOUTS = ["acme__calc.git", "acme__calc", "acme/calc.git", "acme/calc", "calc.git", "calc"]


@pytest.mark.parametrize("bare", [True, False], ids=["bare", "worktree"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_mirror_git_dir_finds_every_layout(tmp_path: Path, layout: str, bare: bool) -> None:
    work = tmp_path / "work"
    sha = commit_files(work, {"a.txt": "a"})
    mirror = tmp_path / "mirror"
    (mirror / layout).parent.mkdir(parents=True, exist_ok=True)
    git(tmp_path, "clone", "-q", *(["--bare"] if bare else []), str(work), str(mirror / layout))
    found = mirror_git_dir(mirror, REPO)
    assert found == ((mirror / layout) if bare else (mirror / layout / ".git")).resolve()
    out = subprocess.run(["git", f"--git-dir={found}", "rev-parse", "HEAD"], capture_output=True)
    assert out.stdout.decode().strip() == sha


def test_mirror_git_dir_prefers_owner_layout_and_lists_what_it_tried(tmp_path: Path) -> None:
    with pytest.raises(TaskError) as err:
        mirror_git_dir(tmp_path, REPO)
    for layout in LAYOUTS:
        assert layout in str(err.value)
    (tmp_path / "calc").mkdir()  # a plain directory is not a repository
    with pytest.raises(TaskError):
        mirror_git_dir(tmp_path, REPO)
    with pytest.raises(TaskError, match="owner/name"):
        mirror_git_dir(tmp_path, "no-slash")


def test_mirror_export_has_no_history(calc: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    mirror, info = calc
    task = to_task(calc_record(info), mirror=mirror, specs=SPECS)
    dest = tmp_path / "export"
    materialize_repo(task, dest)
    assert not (dest / ".git").exists()
    assert (dest / "calc/ops.py").read_text() == OPS_BUGGY  # the base state, not the fix
    assert "test_power" not in (dest / "tests/test_ops.py").read_text()
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "calc/__init__.py", "calc/ops.py", "pyproject.toml", "tests/test_ops.py",
    ]  # fmt: skip


def test_scm_version_follows_setuptools_scm(tmp_path: Path) -> None:
    work = tmp_path / "w"
    plain = commit_files(work, {"setup.py": "from setuptools import setup\n"})
    assert scm_version(work / ".git", plain) is None  # no setuptools_scm: nothing to pretend
    tagged = commit_files(work, {"setup.cfg": "[options]\nsetup_requires = setuptools_scm\n"})
    assert scm_version(work / ".git", tagged) is None  # no tag yet
    git(work, "tag", "v5.4.0")
    assert scm_version(work / ".git", tagged) == "5.4.0"
    commit_files(work, {"a": "1"})
    later = commit_files(work, {"a": "2"})
    assert scm_version(work / ".git", later) == "5.4.1.dev2"


# -- records ----------------------------------------------------------------------------------
def test_jsonl_errors_name_line_and_field_and_valid_lines_still_load(tmp_path: Path) -> None:
    info = {"base": "a" * 40, "gold": "", "test": test_patch_for("tests/t.py")}
    good = calc_record(info)
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [
            good,
            "{not json",
            {k: v for k, v in good.items() if k != "version"} | {"instance_id": "x-2"},
            good | {"instance_id": "x-3", "FAIL_TO_PASS": 5},
            "",
            good | {"instance_id": "x-5", "FAIL_TO_PASS": F2P, "PASS_TO_PASS": []},
            good,
            "[1, 2]",
            good | {"instance_id": "x-8", "base_commit": "main"},
        ],
    )
    errors: list[sb.RecordError] = []
    records = load_swebench(path, errors=errors)
    assert [r["instance_id"] for r in records] == [IID, "x-5"]
    assert records[0]["FAIL_TO_PASS"] == F2P and records[0]["PASS_TO_PASS"] == P2P
    by_line = {e.where.rsplit(":", 1)[1]: e.message for e in errors}
    assert set(by_line) == {"2", "3", "4", "7", "8", "9"}
    assert "not valid JSON" in by_line["2"]
    assert "'version': missing" in by_line["3"]
    assert "'FAIL_TO_PASS'" in by_line["4"]
    assert "duplicate" in by_line["7"] and f"{path}:1" in by_line["7"]
    assert "JSON object" in by_line["8"]
    assert "'base_commit'" in by_line["9"]
    with pytest.raises(TaskError) as err:  # without an errors list: one error naming all
        load_swebench(path)
    assert f"{path}:2:" in str(err.value) and f"{path}:9:" in str(err.value)


def test_json_list_file_and_list_vs_json_encoded_tests(calc, tmp_path: Path) -> None:
    mirror, info = calc
    listed = calc_record(info, FAIL_TO_PASS=F2P, PASS_TO_PASS=P2P)
    path = tmp_path / "d.json"
    path.write_text(json.dumps([listed, {"instance_id": "bad"}]))
    errors: list[sb.RecordError] = []
    (record,) = load_swebench(path, errors=errors)
    assert errors and all(e.where == f"{path}[1]" for e in errors)
    encoded = to_task(calc_record(info), mirror=mirror, specs=SPECS)
    assert to_task(record, mirror=mirror, specs=SPECS) == encoded
    assert to_task(listed, mirror=mirror, specs=SPECS) == encoded
    assert encoded.fail_to_pass == tuple(F2P) and encoded.pass_to_pass == tuple(P2P)
    (tmp_path / "broken.json").write_text("[{")
    with pytest.raises(TaskError, match="not valid JSON"):
        load_swebench(tmp_path / "broken.json", errors=[])


# -- to_task ----------------------------------------------------------------------------------
def test_to_task_with_an_explicit_spec(calc: tuple[Path, dict[str, str]]) -> None:
    mirror, info = calc
    task = to_task(calc_record(info), mirror=mirror, specs=SPECS)
    assert task.id == IID and task.grading == "swebench" and task.base_commit == info["base"]
    assert task.source == MirrorSource(repo=REPO, mirror=str(mirror.resolve()))
    assert task.gold_patch == info["gold"] and task.test_patch == info["test"]
    env = task.environment
    assert env.python == "3.11" and env.pip_packages == ("pytest==8.3.5",)
    assert env.pre_install == ("python -m pip install " + " ".join(sb.SEED),)
    assert env.install == ("python -m pip install --no-build-isolation -e .",)
    assert env.test_cmd == "pytest -rA tests/test_ops.py"  # as the official eval script runs it
    assert task.log_parser == "pytest"  # no official parser for this repository
    assert task.metadata == {
        "source": "swebench", "repo": REPO, "version": "1.0",
        "environment_setup_commit": info["base"], "created_at": "2024-01-02T03:04:05Z",
        "needs_network": False,
    }  # fmt: skip


def test_to_task_needs_a_source(calc: tuple[Path, dict[str, str]]) -> None:
    _, info = calc
    with pytest.raises(TaskError, match="no repository source"):
        to_task(calc_record(info), mirror=None, specs=SPECS)
    task = to_task(calc_record(info), mirror=None, git_url="file:///m/{owner}/{name}", specs=SPECS)
    assert task.source == GitSource(url="file:///m/acme/calc")
    with pytest.raises(TaskError, match="template"):
        to_task(calc_record(info), mirror=None, git_url="x/{nope}", specs=SPECS)


def test_to_task_checks_the_mirror_holds_the_commits(calc: tuple[Path, dict[str, str]]) -> None:
    mirror, info = calc
    with pytest.raises(TaskError, match=r"base_commit .* is not in"):
        to_task(calc_record(info, base_commit="f" * 40), mirror=mirror, specs=SPECS)
    with pytest.raises(TaskError, match="no git repository for acme/calc"):
        to_task(calc_record(info), mirror=mirror / "elsewhere", specs=SPECS)


def test_install_is_rewritten_for_a_venv(calc: tuple[Path, dict[str, str]]) -> None:
    mirror, info = calc
    cases = {
        "source /opt/miniconda3/bin/activate && conda activate testbed && python -m pip install .":
            "python -m pip install -e .",
        "python setup.py install": "python -m pip install -e .",
        "python -m pip install -e '.[dev]'": "python -m pip install -e '.[dev]'",
        "python -m pip install .[test] --verbose": "python -m pip install -e .[test] --verbose",
    }  # fmt: skip
    for given, wanted in cases.items():
        specs = {REPO: {"1.0": {**SPECS[REPO]["1.0"], "install": given}}}
        assert to_task(calc_record(info), mirror=mirror, specs=specs).environment.install == (
            wanted,
        )


@pytest.mark.parametrize(
    ("repo", "version", "reason"),
    [
        ("django/django", "3.0", "needs Python 3.6"),
        ("pydata/xarray", "2022.06", "needs Python 3.10"),
        ("dbt-labs/dbt-core", "1.7", r"no \(single\) test command"),
        ("django/django", "99.9", "no spec for django/django version 99.9"),
        ("acme/unknown", "1.0", "no spec for acme/unknown"),
    ],
)
def test_unsupported_instances_are_skipped_with_a_reason(repo, version, reason) -> None:
    record = fake_record(repo, version, "a" * 40, test_patch_for("tests/t.py"))
    with pytest.raises(UnsupportedInstance, match=reason):
        to_task(record, mirror=None, git_url="file:///{repo}")


def test_empty_fail_to_pass_is_unsupported(calc: tuple[Path, dict[str, str]]) -> None:
    mirror, info = calc
    with pytest.raises(UnsupportedInstance, match="FAIL_TO_PASS is empty"):
        to_task(calc_record(info, FAIL_TO_PASS="[]"), mirror=mirror, specs=SPECS)


def test_real_spec_pytest_5_4_with_setuptools_scm(tmp_path: Path) -> None:
    work = tmp_path / "mirror/pytest-dev/pytest"  # a work tree in the owner/name layout
    commit_files(work, {"setup.cfg": "[options]\nsetup_requires = setuptools_scm\n"})
    git(work, "tag", "5.4.0")
    commit_files(work, {"src/_pytest/x.py": "x = 1\n"})
    base = commit_files(work, {"src/_pytest/x.py": "x = 2\n"})
    patch = test_patch_for("testing/test_x.py", "testing/data.json")
    task = to_task(fake_record("pytest-dev/pytest", "5.4", base, patch), mirror=tmp_path / "mirror")
    spec = real_spec("pytest-dev/pytest", "5.4")
    env = task.environment
    assert env.python == spec["python"] == "3.9"
    assert env.pip_packages == tuple(spec["pip_packages"])
    assert env.install == ("export SETUPTOOLS_SCM_PRETEND_VERSION=5.4.1.dev2; " + spec["install"],)
    assert env.test_cmd == "pytest -rA testing/test_x.py"
    assert task.log_parser == "swebench:pytest-dev/pytest"
    assert task.metadata["scm_version"] == "5.4.1.dev2"


def test_real_spec_django_4_2_reads_requirements_from_the_mirror(tmp_path: Path) -> None:
    work = tmp_path / "work"
    base = commit_files(
        work,
        {
            "tests/requirements/py3.txt": (
                "asgiref >= 3.6.0\n-e ..\n# a comment\nargon2-cffi >= 19.2.0  # inline\n"
                "pylibmc; sys_platform != 'win32'\ngit+https://example.invalid/x.git\n"
                "-r extra.txt\ntypes-pkg_resources==0.1\n"
            ),
            "tests/requirements/extra.txt": "tblib >= 1.5.0\n",
        },
    )
    git(tmp_path, "clone", "-q", "--bare", str(work), str(tmp_path / "mirror/django__django.git"))
    patch = test_patch_for("tests/admin_views/tests.py", "tests/admin_views/fixtures/x.json")
    record = fake_record("django/django", "4.2", base, patch)
    task = to_task(record, mirror=tmp_path / "mirror")
    env = task.environment
    assert env.python == "3.9"
    seed, deps = env.pre_install
    assert seed == "python -m pip install " + " ".join(sb.SEED)
    assert shlex.split(deps)[4:] == [
        "asgiref >= 3.6.0", "argon2-cffi >= 19.2.0", "pylibmc; sys_platform != 'win32'",
        "tblib >= 1.5.0", "types-setuptools",
    ]  # fmt: skip
    assert task.metadata["dropped_requirements"] == ["-e ..", "git+https://example.invalid/x.git"]
    assert env.install == ("python -m pip install -e .",)
    spec_cmd = real_spec("django/django", "4.2")["test_cmd"]
    assert env.test_cmd == spec_cmd + " admin_views.tests"
    assert task.log_parser == "swebench:django/django"
    # Django 2.2's locale steps (its Python 3.5 is unavailable, so borrowed onto 4.2's spec):
    # system steps go to the env image, ``export``s of its eval commands become env vars.
    old = real_spec("django/django", "2.2")
    steps = {k: old[k] for k in ("pre_install", "eval_commands")}
    specs = {"django/django": {"4.2": {**real_spec("django/django", "4.2"), **steps}}}
    env = to_task(record, mirror=tmp_path / "mirror", specs=specs).environment
    assert env.pre_install[:3] == (
        "export DEBIAN_FRONTEND=noninteractive; apt-get update && apt-get install -y locales",
        "echo 'en_US UTF-8' > /etc/locale.gen",
        "locale-gen en_US.UTF-8",
    )
    assert env.env_vars == {
        "LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8", "PYTHONIOENCODING": "utf8",
        "LANGUAGE": "en_US:en",
    }  # fmt: skip
    assert env.install == ("python -m pip install -e .",)


def test_real_spec_sphinx_7_2_splits_system_and_repository_steps(tmp_path: Path) -> None:
    base = commit_files(tmp_path / "mirror/sphinx", {"setup.py": "", "tox.ini": "pytest\n"})
    record = fake_record("sphinx-doc/sphinx", "7.2", base, test_patch_for("tests/test_x.py"))
    env = to_task(record, mirror=tmp_path / "mirror").environment
    spec = real_spec("sphinx-doc/sphinx", "7.2")
    repo_steps = [c for c in spec["pre_install"] if "apt-get" not in c]
    wrappers = sb.tox_current_env_python(spec["test_cmd"], spec["python"])
    assert wrappers and ".tox/py39/bin" in wrappers
    # In /testbed: the repository steps, the install, then tox-current-env's Python wrappers.
    assert env.install == (*repo_steps, spec["install"], wrappers)
    assert any("graphviz" in c for c in env.pre_install)  # system packages: the env image
    assert env.test_cmd == spec["test_cmd"] + " tests/test_x.py"


def test_real_spec_requests_is_marked_as_needing_the_network(tmp_path: Path) -> None:
    base = commit_files(tmp_path / "mirror/psf__requests", {"setup.py": ""})
    record = fake_record("psf/requests", "2.26", base, test_patch_for("tests/test_requests.py"))
    task = to_task(record, mirror=tmp_path / "mirror")
    assert task.metadata["needs_network"] is True
    assert task.environment.pre_install[-1] == "python -m pip install pytest"  # conda "packages"
    assert task.environment.install == ("python -m pip install -e .",)  # editable for grading


def test_real_spec_matplotlib_3_7_takes_pip_deps_from_environment_yml(tmp_path: Path) -> None:
    env_yml = {
        "name": "mpl-dev",
        "channels": ["conda-forge"],
        "dependencies": [
            "python=3.11", "numpy>=1.21", "pybind11=2.6", "pyqt", "graphviz",
            {"pip": ["mpl-sphinx-theme", "-e ."]}, "pytest!=4.6.0",
        ],
    }  # fmt: skip
    base = commit_files(
        tmp_path / "mirror/matplotlib", {"environment.yml": yaml.safe_dump(env_yml)}
    )
    record = fake_record("matplotlib/matplotlib", "3.7", base, test_patch_for("lib/t/test_x.py"))
    task = to_task(record, mirror=tmp_path / "mirror")
    assert task.environment.python == "3.11"
    apt, seed, deps = task.environment.pre_install
    assert "; apt-get -y update" in apt and seed.endswith(" ".join(sb.SEED))
    assert shlex.split(deps)[4:] == [
        "numpy>=1.21", "pybind11==2.6.*", "mpl-sphinx-theme", "pytest!=4.6.0",
    ]  # fmt: skip
    assert task.metadata["dropped_requirements"] == ["python=3.11", "pyqt", "graphviz", "-e ."]
    # Shell variables of the spec's pre-install steps reach the steps that use them.
    qhull = 'QHULL_URL="http://www.qhull.org/download/qhull-2020-src-8.0.2.tgz"; '
    qhull += 'QHULL_TAR="/tmp/qhull-2020-src-8.0.2.tgz"; QHULL_BUILD_DIR="/testbed/build"; '
    assert task.environment.install == (
        qhull + 'wget -O "$QHULL_TAR" "$QHULL_URL"',
        qhull + 'mkdir -p "$QHULL_BUILD_DIR"',
        qhull + 'tar -xvzf "$QHULL_TAR" -C "$QHULL_BUILD_DIR"',
        qhull + "python -m pip install -e .",
    )
    assert task.environment.pip_packages == tuple(
        real_spec("matplotlib/matplotlib", "3.7")["pip_packages"]
    )


def test_spec_files_need_a_mirror_when_no_mirror_is_given() -> None:
    record = fake_record("django/django", "4.2", "a" * 40, test_patch_for("tests/a/tests.py"))
    with pytest.raises(UnsupportedInstance, match=r"requirements\.txt .*mirror"):
        to_task(record, mirror=None, git_url="file:///{repo}")


@pytest.mark.parametrize(
    "paths",
    [
        ("tests/admin_views/tests.py", "tests/admin_views/models.py", "tests/x/data.json"),
        ("tests/utils_tests/test_text.py", "docs/ref.txt", "tests/a/b/c.py", "pyproject.toml"),
    ],
)
@pytest.mark.parametrize("repo", ["django/django", "astropy/astropy"])
def test_directives_match_the_official_eval_script(repo: str, paths: tuple[str, ...]) -> None:
    from swebench.harness.test_spec.python import get_test_directives

    patch = test_patch_for(*paths)
    assert directives_for(repo, patch) == get_test_directives({"repo": repo, "test_patch": patch})


# -- spec files -------------------------------------------------------------------------------
def test_spec_file_yaml_or_json(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "acme/calc:\n  1.0:\n    python: '3.11'\n    test_cmd: pytest\n"
    )
    assert load_spec_file(tmp_path / "s.yaml") == {
        REPO: {"1.0": {"python": "3.11", "test_cmd": "pytest"}}
    }
    (tmp_path / "s.json").write_text(json.dumps(SPECS))
    assert load_spec_file(tmp_path / "s.json") == SPECS
    (tmp_path / "bad.yaml").write_text("- 1\n")
    with pytest.raises(TaskError, match=r"bad\.yaml"):
        load_spec_file(tmp_path / "bad.yaml")


# -- import_swebench --------------------------------------------------------------------------
def test_import_writes_a_suite_that_loads(calc: tuple[Path, dict[str, str]], tmp_path: Path):
    mirror, info = calc
    out = tmp_path / "suite"
    report = import_swebench(
        write_jsonl(tmp_path / "d.jsonl", [calc_record(info)]),
        out,
        mirror=mirror,
        git_url_template=None,
        specs=SPECS,
    )
    assert report == ImportReport(out=out, imported=[IID])
    assert sorted(p.name for p in (out / IID).iterdir()) == [
        "gold.patch",
        "task.yaml",
        "test.patch",
    ]
    raw = yaml.safe_load((out / IID / "task.yaml").read_text())
    assert raw["source"] == {"type": "mirror", "repo": REPO, "mirror": str(mirror.resolve())}
    assert raw["test_patch"] == "test.patch" and raw["gold_patch"] == "gold.patch"
    (task,) = load_suite(str(out))
    assert task.full_id == f"suite/{IID}"
    expected = to_task(calc_record(info), mirror=mirror, specs=SPECS)
    assert task.model_copy(update={"suite": ""}) == expected
    assert load_task(out / IID) == expected


def test_import_reports_bad_lines_and_skips_but_imports_the_rest(calc, tmp_path: Path) -> None:
    mirror, info = calc
    old_django = fake_record("django/django", "3.0", info["base"], test_patch_for("tests/a/t.py"))
    data = write_jsonl(tmp_path / "d.jsonl", [calc_record(info), "{oops", old_django, {"x": 1}])
    out = tmp_path / "suite"
    report = import_swebench(data, out, mirror=mirror, git_url_template=None, specs=SPECS)
    assert report.imported == [IID]
    assert report.skipped == {
        "django__django-1": "needs Python 3.6; only 3.9, 3.11, 3.13 are available "
        "(--nearest-python would try 3.9)"
    }
    assert {e.where for e in report.errors} == {f"{data}:2", f"{data}:4"}
    assert [t.id for t in load_suite(str(out))] == [IID]


def test_a_failed_write_leaves_nothing_behind(calc, tmp_path: Path, monkeypatch) -> None:
    mirror, info = calc
    data = write_jsonl(tmp_path / "d.jsonl", [calc_record(info)])
    out = tmp_path / "suite"

    def broken(task_dir: Path, suite: str = ""):
        raise TaskError(f"{task_dir}: simulated failure")

    monkeypatch.setattr(swebench, "load_task", broken)
    report = import_swebench(data, out, mirror=mirror, git_url_template=None, specs=SPECS)
    assert report.imported == [] and "simulated failure" in report.skipped[IID]
    assert list(out.iterdir()) == []


def test_reimport_replaces_the_previous_version(calc, tmp_path: Path) -> None:
    mirror, info = calc
    out = tmp_path / "suite"
    for statement in ("first", "second"):
        data = write_jsonl(tmp_path / "d.jsonl", [calc_record(info, problem_statement=statement)])
        import_swebench(data, out, mirror=mirror, git_url_template=None, specs=SPECS)
    assert [p.name for p in out.iterdir()] == [IID]
    assert load_task(out / IID).problem_statement == "second"


# -- parsers ----------------------------------------------------------------------------------
def test_swebench_parser_names_resolve_to_the_official_parsers() -> None:
    from swebench.harness.log_parsers.python import parse_log_django, parse_log_pytest

    from rewards.parsers import PARSERS, TestStatus
    from rewards.swebench_parsers import PREFIX, resolve_parser

    assert PREFIX == sb.PARSER_PREFIX
    log = "PASSED tests/t.py::test_a\nFAILED tests/t.py::test_b[x y] - boom\nXFAIL tests/t.py::c\n"
    parsed = resolve_parser("swebench:pytest-dev/pytest")(log)  # type: ignore[misc]
    assert parsed == {k: TestStatus(v) for k, v in parse_log_pytest(log, None).items()}
    assert parsed["tests/t.py::test_b[x"] is TestStatus.FAILED
    django_log = "test_a (app.tests.T) ... ok\ntest_b (app.tests.T) ... FAIL\n"
    parsed = resolve_parser("swebench:django/django")(django_log)  # type: ignore[misc]
    assert parsed == {k: TestStatus(v) for k, v in parse_log_django(django_log, None).items()}
    assert resolve_parser("pytest") is PARSERS["pytest"]
    assert resolve_parser("swebench:acme/calc") is None
    assert resolve_parser("nope") is None


def test_awkward_text_round_trips_and_what_cannot_is_skipped(calc, tmp_path: Path) -> None:
    mirror, info = calc
    statement = "  leading spaces\nkey: value\n- item\n\ttab \u2028 line separator é \U0001f600\n\n"
    records = [
        calc_record(info, problem_statement=statement),
        calc_record(info, instance_id="acme__calc-2", patch=info["gold"].replace("\n", "\r\n")),
    ]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    out = tmp_path / "suite"
    report = import_swebench(data, out, mirror=mirror, git_url_template=None, specs=SPECS)
    assert report.imported == [IID, "acme__calc-2"] and report.errors == []
    assert load_task(out / IID).problem_statement == statement
    # The native loader reads patches as bytes, so CRLF line endings survive the round trip.
    crlf = info["gold"].replace("\n", "\r\n")
    assert load_task(out / "acme__calc-2").gold_patch == crlf
    assert sorted(p.name for p in out.iterdir()) == [IID, "acme__calc-2"]


# -- stand-in Pythons (--nearest-python) -----------------------------------------------------
def test_a_missing_python_is_refused_unless_a_stand_in_is_asked_for(calc, tmp_path) -> None:
    mirror, info = calc
    specs = {REPO: {"1.0": {**SPECS[REPO]["1.0"], "python": "3.8"}}}
    with pytest.raises(UnsupportedInstance, match=r"needs Python 3\.8.*would try 3\.9"):
        to_task(calc_record(info), mirror=mirror, specs=specs)
    task = to_task(calc_record(info), mirror=mirror, specs=specs, nearest_python=True)
    assert task.environment.python == "3.9"
    assert task.metadata["python_substitute"] == {"asked": "3.8", "used": "3.9"}
    native = to_task(calc_record(info), mirror=mirror, specs=SPECS, nearest_python=True)
    assert "python_substitute" not in native.metadata  # 3.11 is here: no stand-in


@pytest.mark.parametrize(("asked", "used"), [("3.6", "3.9"), ("3.10", "3.11"), ("3.12", "3.13")])
def test_each_missing_python_has_the_nearest_newer_stand_in(asked: str, used: str) -> None:
    from swe_env.tasks.swebench_specs import python_for

    assert python_for(asked, nearest=True) == used
    assert python_for("3.11", nearest=True) == "3.11"
    with pytest.raises(UnsupportedInstance):
        python_for(asked, nearest=False)
    with pytest.raises(UnsupportedInstance, match=r"needs Python 2\.7"):
        python_for("2.7", nearest=True)


def test_stand_in_tasks_stay_quarantined_until_they_validate(calc, tmp_path) -> None:
    from swe_env.tasks.quarantine import read_quarantine

    mirror, info = calc
    specs = {REPO: {"1.0": {**SPECS[REPO]["1.0"], "python": "3.10"}}}
    data = write_jsonl(tmp_path / "d.jsonl", [calc_record(info)])
    out = tmp_path / "suite"
    report = import_swebench(
        data, out, mirror=mirror, git_url_template=None, specs=specs, nearest_python=True
    )
    assert report.imported == [IID] and report.substituted == {IID: "3.11 for 3.10"}
    assert "not validated yet" in read_quarantine(out)[IID]
    assert load_suite(str(out)) == []  # training and evaluation skip it
    (task,) = load_suite(str(out), include_quarantined=True)
    assert task.environment.python == "3.11"
