"""Each test-command style of the official spec table, run as the official harness runs it.

No instance of the real repositories can be fetched here, so each family gets a tiny
repository made in the test that uses that family's real test-command style, and is
imported under the family's real ``repo`` and ``version``: the spec (python, packages,
pre-install, install, test command), the test directives and the log parser all come from
swebench 4.1's table and parsers, unchanged. Each must resolve with the gold patch and not
with the empty one.

- pytest: marshmallow-code/marshmallow 3.13 (``pip install -e '.[dev]'``, ``pytest -rA``);
- tox: sphinx-doc/sphinx 7.1 (``tox --current-env -epy39 -v --``, tox.ini rewritten by
  the spec's ``sed`` pre-install, pytest from the ``[test]`` extra);
- Django: django/django 5.0 (requirements from ``tests/requirements/py3.txt``,
  ``./tests/runtests.py --verbosity 2 …`` with dotted test labels);
- SymPy: sympy/sympy 1.12 (conda package list installed with pip, ``bin/test -C --verbose``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.swebench_helpers import H

from rewards.grade import grade
from swe_env.images.build import ensure_images
from swe_env.tasks.native import load_suite
from swe_env.tasks.spec import TaskSpec
from swe_env.tasks.swebench import import_swebench

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BUGGY = "def add(a, b):\n    return a + b\n\n\ndef power(a, b):\n    return a * b\n"
SETUP = (
    "from setuptools import setup\n\n"
    "setup(name='calc', version='1.0', packages=['calc'], extras_require={extras})\n"
)
PYTEST_BASE = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
PYTEST_NEW = "\n\ndef test_power():\n    from calc import power\n\n    assert power(2, 3) == 8\n"
TOX_INI = """[tox]
envlist = py39

[testenv]
usedevelop = True
extras = test
commands=
    python -X dev -m pytest --durations 25 {posargs}
"""
RUNTESTS = '''#!/usr/bin/env python
"""Django's tests/runtests.py, in small: the same arguments and unittest output."""
import argparse
import os
import sys
import unittest

parser = argparse.ArgumentParser()
parser.add_argument("labels", nargs="*")
parser.add_argument("--verbosity", type=int, default=1)
parser.add_argument("--settings")
parser.add_argument("--parallel", type=int, default=0)
args = parser.parse_args()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
suite = unittest.defaultTestLoader.loadTestsFromNames(args.labels)
result = unittest.TextTestRunner(verbosity=args.verbosity).run(suite)
sys.exit(not result.wasSuccessful())
'''
DJANGO_BASE = (
    "import unittest\n\nfrom calc import add\n\n\nclass CalcTests(unittest.TestCase):\n"
    "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n"
)
DJANGO_NEW = (
    "\n    def test_power(self):\n        from calc import power\n\n"
    "        self.assertEqual(power(2, 3), 8)\n"
)
BIN_TEST = '''#!/usr/bin/env python
"""SymPy's bin/test, in small: test files as arguments, its --verbose output."""
import importlib.util
import sys

failed = False
for path in [a for a in sys.argv[1:] if not a.startswith("-")]:
    spec = importlib.util.spec_from_file_location("t", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = sorted(n for n in dir(module) if n.startswith("test_"))
    print(f"{path}[{len(names)}] ")
    for name in names:
        try:
            getattr(module, name)()
            print(f"{name} ok")
        except AssertionError:
            print(f"{name} F")
            failed = True
        except Exception:
            print(f"{name} E")
            failed = True
sys.exit(failed)
'''


# repo, version, base files, executables, test file, its new test, F2P, P2P
FAMILIES = {
    "pytest": (
        "marshmallow-code/marshmallow",
        "3.13",
        {"setup.py": SETUP.format(extras="{'dev': ['pytest']}")},
        (),
        ("tests/test_calc.py", PYTEST_BASE, PYTEST_NEW),
        ["tests/test_calc.py::test_power"],
        ["tests/test_calc.py::test_add"],
    ),
    "tox": (
        "sphinx-doc/sphinx",
        "7.1",
        {
            "setup.py": SETUP.format(extras="{'test': ['pytest']}"),
            "tox.ini": TOX_INI,
            ".gitignore": ".tox/\n",
        },
        (),
        ("tests/test_calc.py", PYTEST_BASE, PYTEST_NEW),
        ["tests/test_calc.py::test_power"],
        ["tests/test_calc.py::test_add"],
    ),
    "django": (
        "django/django",
        "5.0",
        {
            "setup.py": SETUP.format(extras="{}"),
            "tests/requirements/py3.txt": "# the test suite's requirements\n",
            "tests/runtests.py": RUNTESTS,
            "tests/calc_tests/__init__.py": "",
        },
        ("tests/runtests.py",),
        ("tests/calc_tests/tests.py", DJANGO_BASE, DJANGO_NEW),
        ["test_power (calc_tests.tests.CalcTests.test_power)"],
        ["test_add (calc_tests.tests.CalcTests.test_add)"],
    ),
    "sympy": (
        "sympy/sympy",
        "1.12",
        {"setup.py": SETUP.format(extras="{}"), "bin/test": BIN_TEST},
        ("bin/test",),
        ("calc/tests/test_calc.py", PYTEST_BASE, PYTEST_NEW),
        ["test_power"],
        ["test_add"],
    ),
}


def _record(root: Path, family: str, repo: str = "", version: str = "", names: tuple = ()) -> dict:
    """A record of ``family``'s repository (or of ``repo`` at ``version``, same files;
    ``names``: its FAIL_TO_PASS and PASS_TO_PASS instead of the family's)."""
    repo0, version0, files, executables, (test_file, base, new), f2p, p2p = FAMILIES[family]
    repo, version = repo or repo0, version or version0
    f2p, p2p = names or (f2p, p2p)
    work = root / "work" / family
    start = {**files, "calc/__init__.py": BUGGY, test_file: base}
    if test_file.startswith("calc/tests/"):
        start["calc/tests/__init__.py"] = ""
    H.commit_files(work, start, "base")
    for rel in executables:
        (work / rel).chmod(0o755)
        H.git(work, "add", rel)
        H.git(work, "commit", "-q", "-m", "executable")
    base_commit = H.git(work, "rev-parse", "HEAD")
    fixed = H.commit_files(work, {"calc/__init__.py": BUGGY.replace("a * b", "a**b")}, "fix")
    H.commit_files(work, {test_file: base + new}, "test")
    owner, name = repo.split("/")
    H.git(root, "clone", "-q", "--bare", str(work), str(root / f"mirror/{owner}__{name}.git"))
    return {
        "instance_id": f"{owner}__{name}-1",
        "repo": repo,
        "version": version,
        "base_commit": base_commit,
        "environment_setup_commit": base_commit,
        "patch": H.git(work, "diff", base_commit, fixed) + "\n",
        "test_patch": H.git(work, "diff", fixed, "HEAD") + "\n",
        "problem_statement": "power(2, 3) returns 6; it should return 8.",
        "FAIL_TO_PASS": json.dumps(f2p),
        "PASS_TO_PASS": json.dumps(p2p),
        "created_at": "2024-01-02T03:04:05Z",
    }


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory, docker_client) -> dict[str, TaskSpec]:
    root = tmp_path_factory.mktemp("families")
    (root / "mirror").mkdir()
    records = [_record(root, family) for family in FAMILIES]
    data = H.write_jsonl(root / "records.jsonl", records)
    report = import_swebench(data, root / "suite", mirror=root / "mirror", git_url_template=None)
    assert sorted(report.imported) == sorted(r["instance_id"] for r in records), report
    tasks = {t.metadata["repo"]: t for t in load_suite(str(root / "suite"))}
    ensure_images(list(tasks.values()), docker_client)
    return {family: tasks[FAMILIES[family][0]] for family in FAMILIES}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_runs_as_the_official_harness(suite, docker_client, family: str) -> None:
    from swebench.harness.constants import MAP_REPO_VERSION_TO_SPECS

    task = suite[family]
    repo, version = FAMILIES[family][:2]
    official = MAP_REPO_VERSION_TO_SPECS[repo][version]
    assert task.environment.test_cmd.startswith(official["test_cmd"])
    assert task.log_parser == f"swebench:{repo}"
    gold = grade(task, task.gold_patch or "", client=docker_client, timeout=300)
    assert gold.status == "resolved", (gold.status, gold.error, gold.log[-3000:])
    assert sorted(gold.fail_to_pass.passed) == sorted(task.fail_to_pass)
    empty = grade(task, "", client=docker_client, timeout=300)
    assert empty.status == "empty_patch" and not empty.resolved, (empty.error, empty.log[-2000:])
    assert empty.fail_to_pass.failed == list(task.fail_to_pass)
    assert empty.pass_to_pass.failed == []  # the runner ran: P2P passed at the base


# Specs asking for a Python Debian lacks, each in a family's style: (family, repo,
# version, asked, stand-in). Django is the largest family, and most of its versions ask
# for 3.5-3.8.
# Test names as the dataset spells them: unittest before 3.11 (3.6, and the 3.9 stand-in)
# prints "test_x (module.Class)", without the method after the class.
OLD_UNITTEST = (
    ["test_power (calc_tests.tests.CalcTests)"],
    ["test_add (calc_tests.tests.CalcTests)"],
)
STAND_INS = [
    ("django", "django/django", "3.0", "3.6", "3.9", OLD_UNITTEST),
    ("pytest", "pydicom/pydicom", "2.3", "3.10", "3.11", ()),
]


@pytest.mark.timeout(2400)
def test_stand_in_pythons_are_kept_only_once_they_validate(tmp_path: Path, docker_client) -> None:
    """``import-swebench --nearest-python --validate`` as a user runs it: each instance is
    built on the stand-in, validated (gold resolves, empty does not, FAIL_TO_PASS fails at
    the base), and leaves the quarantine only then."""
    from support.cli import swe_env

    from swe_env.tasks.quarantine import read_quarantine

    (tmp_path / "mirror").mkdir()
    records = [_record(tmp_path, f, repo, v, names) for f, repo, v, _, _, names in STAND_INS]
    data = H.write_jsonl(tmp_path / "records.jsonl", records)
    suite_dir = tmp_path / "suite"
    args = ["tasks", "import-swebench", data, "--out", suite_dir, "--repo-mirror"]
    done = swe_env(*args, tmp_path / "mirror", "--nearest-python", "--validate", timeout=2300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert read_quarantine(suite_dir) == {}, done.stdout[-3000:]
    tasks = {t.metadata["repo"]: t for t in load_suite(str(suite_dir))}
    for _, repo, _, asked, used, _ in STAND_INS:
        assert tasks[repo].environment.python == used
        assert tasks[repo].metadata["python_substitute"] == {"asked": asked, "used": used}
