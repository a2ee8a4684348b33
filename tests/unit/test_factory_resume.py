"""Task factory without Docker: the resume ledger, task names after a kill, statements
written by a model server started here, the release choice of a history, and the commits
`tasks mine` picks from a small git repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from packaging.version import Version
from support.scripted_server import Reply, ScriptedChatServer, completion_body

from swe_env.factory.common import Summary, free_name
from swe_env.factory.history import choose_releases
from swe_env.factory.mine import scan
from swe_env.factory.model import ModelWriter, statement
from swe_env.factory.state import FILE, Ledger
from swe_env.factory.statement import facts
from swe_env.factory.writer import task_yaml
from swe_env.tasks.spec import EnvironmentSpec

LOG = """\
______________________ ClampTests.test_high ______________________
    def test_high(self):
        secret_hidden_source = clamp(11)
>       self.assertEqual(secret_hidden_source, 10)
E       AssertionError: 11 != 10
"""
TEST = "tests/test_m.py::ClampTests::test_high"


def test_the_ledger_survives_a_cut_line_and_counts(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.record("a", "validated", task="t-a", key=["m.py", "f", ["x"]])
    ledger.record("b", "breaks no test")
    ledger.record("c", "validation: the gold patch does not resolve", task="t-c")
    with (tmp_path / FILE).open("a") as fh:
        fh.write('{"candidate": "d", "outc')  # killed mid-write
    again = Ledger(tmp_path)
    assert again.decided("a") and again.decided("b") and not again.decided("d")
    assert again.tasks() == ["t-a"] and again.names() == {"t-a", "t-c"}
    assert again.keys() == {json.dumps(["m.py", "f", ["x"]])}
    summary = Summary()
    summary.count(again, ["a", "b", "c", "e"])
    assert (summary.candidates, summary.kept, summary.validated) == (4, 2, 1)
    assert summary.drops == {"breaks no test": 1, "validation: the gold patch does not resolve": 1}


def _leftover(out: Path, name: str, candidate: str) -> None:
    (out / name).mkdir(parents=True)
    env = EnvironmentSpec(python="3.11", test_cmd="python -m pytest")
    task_yaml(out / name, env, "s", ["t"], [], {"candidate": candidate})


def test_names_are_taken_back_from_an_interrupted_run(tmp_path: Path) -> None:
    _leftover(tmp_path, "f-operator", "cand-1")
    _leftover(tmp_path, "f-operator-2", "cand-2")
    (tmp_path / "f-function").mkdir()  # not ours: never reused
    used: set[str] = set()
    assert free_name(tmp_path, "f-operator", "cand-1", used) == "f-operator"
    assert not (tmp_path / "f-operator").exists()  # emptied for the rewrite
    assert free_name(tmp_path, "f-operator", "cand-2", used) == "f-operator-2"
    assert free_name(tmp_path, "f-function", "cand-3", used) == "f-function-2"
    assert free_name(tmp_path, "f-operator", "cand-4", used) == "f-operator-3"


def test_a_model_writes_the_statement_from_the_facts_only() -> None:
    f = facts("clamp", "pkg/m.py", [TEST], LOG)
    with ScriptedChatServer(
        lambda r: completion_body(content="Clamp is wrong\n\nIt gives 11.")
    ) as s:
        text, source = statement(f, ModelWriter(s.url, "tiny"))
        sent = json.dumps(s.requests)
    assert (text, source) == ("Clamp is wrong\n\nIt gives 11.\n", "model:tiny")
    assert "AssertionError: 11 != 10" in sent and "clamp" in sent and TEST in sent
    assert "secret_hidden_source" not in sent and "assertEqual" not in sent


def test_a_failing_model_leaves_the_template() -> None:
    f = facts("clamp", "pkg/m.py", [TEST], LOG)
    with ScriptedChatServer(lambda r: Reply({"error": "overloaded"}, status=500)) as s:
        text, source = statement(f, ModelWriter(s.url, "tiny"))
    assert source == "template"
    assert "`clamp` in `pkg/m.py`" in text and "AssertionError: 11 != 10" in text
    assert "secret_hidden_source" not in text


def test_releases_are_the_last_n_up_to_a_version() -> None:
    versions = [Version(v) for v in ("1.0", "1.1", "2.0", "2.1", "3.0")]
    assert choose_releases(versions, 3) == [Version("2.0"), Version("2.1"), Version("3.0")]
    assert choose_releases(versions, 2, until="2.0") == [Version("1.1"), Version("2.0")]


def _commit(repo: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm",
         message],
        check=True,
    )  # fmt: skip


def test_mine_picks_commits_changing_code_and_tests_together(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _commit(tmp_path, {"pkg/m.py": "A = 1\n", "tests/test_m.py": "def test(): pass\n"}, "root")
    _commit(tmp_path, {"pkg/m.py": "A = 2\n", "tests/test_m.py": "def test(): 1\n"}, "both")
    _commit(tmp_path, {"pkg/m.py": "A = 3\n"}, "code only")
    _commit(tmp_path, {"tests/test_m.py": "def test(): 2\n"}, "tests only")
    _commit(tmp_path, {"README": "x\n", "tests/test_m.py": "def test(): 3\n"}, "no python code")
    _commit(tmp_path, {"pkg/m.py": "A = 4\n", "tests/conftest.py": "X = 1\n"}, "again")
    scanned, found = scan(tmp_path)
    assert scanned == 6
    assert [c.subject for c in found] == ["both", "again"]
    assert found[0].sources == ["pkg/m.py"] and found[0].tests == ["tests/test_m.py"]
    assert found[1].tests == ["tests/conftest.py"]
    assert [c.subject for c in scan(tmp_path, limit=1)[1]] == ["again"]
    since = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD~1"], capture_output=True, text=True
    ).stdout.strip()
    assert [c.subject for c in scan(tmp_path, since=since)[1]] == ["again"]


def test_mine_refuses_what_is_not_a_git_repository(tmp_path: Path) -> None:
    from swe_env.errors import TaskError
    from swe_env.factory.mine import mine_tasks

    with pytest.raises(TaskError, match="not a git repository"):
        mine_tasks(tmp_path, tmp_path / "out", client=None)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["tasks", "mine", "{tmp}", "--out", "{tmp}/o"], "not a git repository"),
        (["tasks", "mine", "{tmp}/nowhere", "--out", "{tmp}/o"], "not a directory"),
        (["tasks", "mutate", "{tmp}", "--out", "{tmp}/o", "--policy", "openai"], "--base-url"),
        (["tasks", "mutate", "{tmp}", "--out", "{tmp}/o", "--policy", "gpt"], "expected"),
    ],
)
def test_the_cli_says_in_one_line_what_is_wrong(tmp_path: Path, args, says) -> None:
    from support.cli import swe_env

    done = swe_env(*(a.format(tmp=tmp_path) for a in args))
    assert done.returncode == 1
    assert says in done.stderr + done.stdout and "Traceback" not in done.stderr
