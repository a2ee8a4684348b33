"""Mining tasks from history on a real project: a git history built from five
consecutive release sdists of more-itertools (fetched with pip, the registry being the only
network these tests use) gives validated tasks; statements come from a model server started
here (a scripted OpenAI-compatible one), and a killed run resumes to the same set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.scripted_server import ScriptedChatServer, completion_body

from swe_env.factory.history import build_history
from swe_env.factory.mine import mine_tasks, scan
from swe_env.factory.model import ModelWriter
from swe_env.factory.state import FILE
from swe_env.tasks.native import load_suite

pytestmark = [pytest.mark.docker, pytest.mark.slow]
PACKAGE, UNTIL, RELEASES = "more-itertools", "10.5.0", 5
STATEMENT = "Title: new helpers are missing\n\nCalling them fails."


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("history") / "more-itertools"
    versions = build_history(PACKAGE, repo, RELEASES, until=UNTIL)
    assert versions == ["10.1.0", "10.2.0", "10.3.0", "10.4.0", "10.5.0"]
    return repo


@pytest.fixture(scope="module")
def mined(history: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("suite") / "mined"
    with ScriptedChatServer(lambda request: completion_body(content=STATEMENT)) as server:
        writer = ModelWriter(server.url, "scripted")
        summary = mine_tasks(history, out, _client(), workers=2, writer=writer)
        prompts = [json.dumps(r) for r in server.requests]
    return out, summary, prompts


def _client():
    from swe_env.sandbox.docker import docker_client

    return docker_client()


def test_the_history_has_one_commit_per_release(history: Path) -> None:
    scanned, candidates = scan(history)
    assert scanned == RELEASES
    assert len(candidates) == RELEASES - 1
    for c in candidates:
        assert all(not p.startswith("tests/") for p in c.sources)
        assert any(p.startswith("tests/") for p in c.tests)


def test_mining_gives_validated_tasks(mined) -> None:
    out, summary, _ = mined
    assert summary.candidates == RELEASES - 1
    assert summary.validated >= 2, summary
    assert sum(summary.drops.values()) == summary.candidates - summary.validated
    tasks = load_suite(str(out))
    assert sorted(t.id for t in tasks) == summary.tasks
    for task in tasks:
        assert task.fail_to_pass and task.pass_to_pass
        assert not set(task.fail_to_pass) & set(task.pass_to_pass)
        assert task.metadata["factory"] == "mine"
        assert "tests/" not in task.gold_patch.split("\n+++")[0]
        assert all(not line.startswith("+++ b/tests/") for line in task.gold_patch.splitlines())
        assert any(path.startswith("tests/") for path in task.hidden_tests)


def test_statements_come_from_the_model_and_its_prompt_leaks_nothing(mined) -> None:
    out, _, prompts = mined
    tasks = load_suite(str(out))
    assert len(prompts) >= len(tasks)
    for task in tasks:
        assert task.metadata["statement_source"] == "model:scripted"
        assert task.problem_statement.strip() == STATEMENT
    everything = "\n".join(prompts)
    for task in tasks:
        gold_added = [
            line[1:].strip()
            for line in task.gold_patch.splitlines()
            if line.startswith("+") and not line.startswith("+++") and len(line.strip()) > 30
        ]
        assert gold_added and not any(line in everything for line in gold_added)
        for text in task.hidden_tests.values():
            body = [line.strip() for line in text.splitlines() if len(line.strip()) > 30]
            assert not any(line in everything for line in body if "assert" in line)


def test_a_killed_run_resumes_to_the_same_set(mined, history: Path, tmp_path: Path) -> None:
    out, summary, _ = mined
    copy = tmp_path / "mined"
    shutil.copytree(out, copy)
    state = (copy / FILE).read_text().splitlines()
    last = json.loads(state[-1])
    # As if killed before the last decision was written: its task dir is left behind.
    (copy / FILE).write_text("\n".join(state[:-1]) + "\n")
    again = mine_tasks(history, copy, _client(), workers=2)
    assert again.resumed == summary.candidates - 1
    assert again.tasks == summary.tasks
    assert again.drops == summary.drops
    assert json.loads((copy / FILE).read_text().splitlines()[-1])["candidate"] == last["candidate"]
    assert sorted(p.name for p in copy.iterdir() if p.is_dir()) == sorted(
        p.name for p in out.iterdir() if p.is_dir()
    )
