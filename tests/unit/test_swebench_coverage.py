"""Coverage from the spec table and from official records (no Docker, no network)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from swe_env.tasks.swebench_coverage import (
    STAND_IN,
    from_records,
    from_spec_table,
    skip_reason,
    totals,
)

FLASK = {"python": "3.11", "test_cmd": "pytest -rA"}


@pytest.mark.parametrize(
    ("repo", "spec", "patch", "reason"),
    [
        ("a/b", None, "", "no spec"),
        ("a/b", {"test_cmd": "npm test"}, "", "not Python"),
        ("django/django", {"python": "3.6", "test_cmd": "x"}, "", "python 3.6"),
        ("sympy/sympy", {"python": "3.9", "test_cmd": ["a", "b"]}, "", "no test command"),
        ("a/b", {"python": "3.9", "test_cmd": "pytest"}, "", "no log parser"),
        ("psf/requests", {"python": "3.9", "test_cmd": "pytest"}, "", "network at test time"),
        ("pallets/flask", {**FLASK, "test_cmd": "pytest"}, "httpbin.org", "network at test time"),
        ("pallets/flask", {**FLASK, "pre_install": ["wget x"]}, "", "network at build"),
        ("pallets/flask", {"python": "3.11", "test_cmd": "pytest -rA"}, "", None),
    ],
)  # fmt: skip
def test_skip_reasons(repo: str, spec: dict | None, patch: str, reason: str | None) -> None:
    assert skip_reason(repo, spec, patch) == reason


def test_stand_in_pythons_are_counted_only_when_asked() -> None:
    spec = {"python": "3.8", "test_cmd": "pytest -rA"}
    assert skip_reason("pallets/flask", spec) == "python 3.8"
    assert skip_reason("pallets/flask", spec, nearest=True) == STAND_IN
    # another reason still wins over the stand-in
    assert skip_reason("psf/requests", spec, nearest=True) == "network at test time"
    assert skip_reason("a/b", {"python": "2.7", "test_cmd": "x"}, nearest=True) == "python 2.7"
    plain, wide = totals(from_spec_table()), totals(from_spec_table(nearest=True))
    assert wide.get(STAND_IN, 0) > 0 and STAND_IN not in plain
    assert wide["importable"] == plain["importable"]
    assert sum(wide.values()) == sum(plain.values())


def test_spec_table_rows_match_the_importer() -> None:
    rows = {(r.repo, r.version): r for r in from_spec_table()}
    assert rows[("sympy/sympy", "1.12")].reason is None
    assert rows[("sphinx-doc/sphinx", "7.1")].reason is None  # the tox family runs now
    assert rows[("django/django", "4.0")].reason == "python 3.8"
    assert rows[("psf/requests", "2.26")].reason == "network at test time"
    assert rows[("matplotlib/matplotlib", "3.7")].reason == "network at build"  # qhull download


def test_records_are_counted_per_instance(tmp_path: Path) -> None:
    def rec(iid: str, repo: str, version: str) -> dict:
        return {"instance_id": iid, "repo": repo, "version": version, "test_patch": "t"}

    records = [rec("s1", "sympy/sympy", "1.12"), rec("s2", "sympy/sympy", "1.12")]
    records += [rec("d1", "django/django", "4.0"), rec("x1", "nobody/nothing", "1.0")]
    rows = from_records(records)
    assert totals(rows) == {"importable": 2, "python 3.8": 1, "no spec": 1}
    full = [{**r, "base_commit": "a" * 40, "patch": "", "problem_statement": "p"} for r in records]
    full = [{**r, "FAIL_TO_PASS": "[]", "PASS_TO_PASS": "[]"} for r in full]
    data = tmp_path / "lite.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in full))
    out = tmp_path / "coverage.json"
    cmd = [sys.executable, "-m", "swe_env", "tasks", "coverage", str(data), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "| importable | 2 | 50% |" in done.stdout
    assert json.loads(out.read_text())["totals"] == {"importable": 2, "python 3.8": 1, "no spec": 1}


def test_coverage_needs_only_repo_and_version(tmp_path: Path) -> None:
    from swe_env.errors import TaskError
    from swe_env.tasks.swebench_coverage import load_records

    listing = tmp_path / "listing.json"
    items = [{"id": "a", "repo": "sympy/sympy", "version": "1.12"}]
    items.append({"id": "b", "repo": "django/django", "version": 4.0})
    listing.write_text(json.dumps(items))
    rows = from_records(load_records(listing))
    assert totals(rows) == {"importable": 1, "python 3.8": 1}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"repo": "a/b"}\n[1]\n')
    with pytest.raises(TaskError, match=r"bad\.jsonl:1, .*bad\.jsonl:2"):
        load_records(bad)
