"""Unit tests for the rollout helpers: gold-patch replay plans, the trajectory writer and
prediction files. Patches are applied with real ``git`` in temporary copies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from swe_env.errors import SandboxError
from swe_env.policy.replay import ReplayPolicy, plan_actions
from swe_env.rollout import evaluate as evaluate_mod
from swe_env.rollout.evaluate import Prediction, evaluate, read_predictions, summary
from swe_env.rollout.trajectory import Trajectory, TrajectoryWriter
from swe_env.tasks import TaskSpec, load_suite
from swe_env.tasks.native import TASKS_DIR

DEMO = {t.id: t for t in load_suite(str(TASKS_DIR / "demo"))}


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment where git ignores the user's and the system's configuration."""
    home = tmp_path / "git-home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@localhost",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@localhost",
    }
    return env


def sh(command: str, cwd: Path, env: dict[str, str], stdin: str | None = None) -> str:
    result = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, input=stdin, capture_output=True, text=True
    )
    assert result.returncode == 0, f"{command!r} failed: {result.stderr}{result.stdout}"
    return result.stdout


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def read(path: Path) -> str:
    return path.read_bytes().decode()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())


def apply_plan(root: Path, plan: list[tuple[str, dict]], env: dict[str, str]) -> None:
    """Carry out a plan the way the tools would: edit = unique string replacement."""
    for _, action in plan:
        args = action["arguments"]
        if action["name"] == "edit":
            text = read(root / args["path"])
            assert text.count(args["old_str"]) == 1, f"old_str not unique in {args['path']}"
            write(root / args["path"], text.replace(args["old_str"], args["new_str"]))
        elif action["name"] == "create":
            assert not (root / args["path"]).exists()
            write(root / args["path"], args["content"])
        else:
            assert action["name"] == "bash"
            sh(args["command"], root, env)


def git_repo(src: Path, dest: Path, env: dict[str, str]) -> Path:
    shutil.copytree(src, dest)
    sh("git init -q && git add -A && git commit -qm base", dest, env)
    return dest


# -- plan_actions on the demo gold patches ---------------------------------------------


@pytest.mark.parametrize("task_id", sorted(DEMO))
def test_plan_reproduces_git_apply(task_id: str, tmp_path: Path, git_env: dict) -> None:
    task = DEMO[task_id]
    assert task.gold_patch
    plan = plan_actions(task.gold_patch)
    assert plan and all(a["name"] in {"edit", "create"} for _, a in plan)
    base = Path(task.source.path)

    applied = tmp_path / "applied"
    shutil.copytree(base, applied)
    sh("git init -q && git apply -", applied, git_env, stdin=task.gold_patch)

    replayed = tmp_path / "replayed"
    shutil.copytree(base, replayed)
    apply_plan(replayed, plan, git_env)

    assert tree(replayed) == tree(applied)
    assert tree(replayed) != tree(base)


def test_plan_orders_hunks_by_file_and_names_them() -> None:
    task = DEMO["argkit-env-var-fallback"]
    plan = plan_actions(task.gold_patch or "")
    assert len(plan) == 10  # one edit per hunk
    assert [p for p, _ in plan] == [a["arguments"]["path"] for _, a in plan]
    files = [p for p, _ in plan]
    assert files == sorted(files, key=files.index)  # grouped per file, in patch order


MOD = "def f():\n    return 1\n" + "\n# filler\n" * 10 + "\ndef g():\n    return 2\n"
SYNTHETIC_BASE = {
    "pkg/mod.py": MOD,
    "pkg/old.py": "OLD = True\n",
    "pkg/moved.py": "".join(f"line {i}\n" for i in range(20)),
    "pkg/same.py": "SAME = 1\n",
}


def synthetic_patch(tmp_path: Path, env: dict[str, str]) -> tuple[Path, str]:
    """A real ``git diff`` that adds, modifies, deletes and renames files."""
    repo = tmp_path / "synthetic"
    for rel, text in SYNTHETIC_BASE.items():
        write(repo / rel, text)
    sh("git init -q && git add -A && git commit -qm base", repo, env)
    write(repo / "pkg/mod.py", SYNTHETIC_BASE["pkg/mod.py"].replace("1", "10").replace("2", "20"))
    write(repo / "pkg/new.py", "NEW = 'é'\n\nprint(NEW)\n")
    (repo / "pkg/old.py").unlink()
    sh("git mv pkg/moved.py pkg/renamed.py && git mv pkg/same.py pkg/same2.py", repo, env)
    write(repo / "pkg/renamed.py", read(repo / "pkg/renamed.py").replace("line 5", "LINE 5"))
    sh("git add -A", repo, env)
    patch = sh("git diff --cached --binary HEAD", repo, env)
    sh("git stash -q", repo, env)  # back to the base state
    return repo, patch


def test_plan_for_added_deleted_and_renamed_files(tmp_path: Path, git_env: dict) -> None:
    repo, patch = synthetic_patch(tmp_path, git_env)
    plan = plan_actions(patch)
    by_path = {}
    for path, action in plan:
        by_path.setdefault(path, []).append(action)
    creates = by_path["pkg/new.py"]
    assert creates == [
        {
            "name": "create",
            "arguments": {"path": "pkg/new.py", "content": "NEW = 'é'\n\nprint(NEW)\n"},
        }
    ]
    assert by_path["pkg/old.py"] == [
        {"name": "bash", "arguments": {"command": "rm -- 'pkg/old.py'"}}
    ]
    assert [a["name"] for a in by_path["pkg/mod.py"]] == ["edit", "edit"]
    assert by_path["pkg/renamed.py"][0]["name"] == "bash"
    assert "git apply" in by_path["pkg/renamed.py"][0]["arguments"]["command"]
    assert "git apply" in by_path["pkg/same2.py"][0]["arguments"]["command"]

    applied = tmp_path / "applied"
    shutil.copytree(repo, applied)
    sh("git apply -", applied, git_env, stdin=patch)
    apply_plan(repo, plan, git_env)
    assert tree(repo) == tree(applied)


def test_plan_for_binary_file(tmp_path: Path, git_env: dict) -> None:
    repo = tmp_path / "bin"
    (repo).mkdir()
    (repo / "data.bin").write_bytes(b"\x00\x01\x02")
    sh("git init -q && git add -A && git commit -qm base", repo, git_env)
    (repo / "data.bin").write_bytes(b"\x00\xff\x02\x03")
    patch = sh("git diff --binary", repo, git_env)
    sh("git checkout -q -- data.bin", repo, git_env)
    plan = plan_actions(patch)
    assert [(p, a["name"]) for p, a in plan] == [("data.bin", "bash")]
    assert "GIT binary patch" in plan[0][1]["arguments"]["command"]
    apply_plan(repo, plan, git_env)
    assert (repo / "data.bin").read_bytes() == b"\x00\xff\x02\x03"


def test_unparseable_patch_falls_back_to_one_git_apply() -> None:
    plan = plan_actions("@@ this is not a diff\n+++ b/x\n")
    assert len(plan) == 1
    path, action = plan[0]
    assert path == "*"
    assert action["name"] == "bash"
    assert action["arguments"]["command"].startswith("git apply --whitespace=nowarn - <<'")


def test_plan_respects_missing_newline_at_end_of_file(tmp_path: Path, git_env: dict) -> None:
    repo = tmp_path / "nl"
    write(repo / "f.txt", "a\nb\n")
    sh("git init -q && git add -A && git commit -qm base", repo, git_env)
    write(repo / "f.txt", "a\nc")
    patch = sh("git diff", repo, git_env)
    assert "\\ No newline at end of file" in patch
    sh("git checkout -q -- f.txt", repo, git_env)
    apply_plan(repo, plan_actions(patch), git_env)
    assert read(repo / "f.txt") == "a\nc"  # today: "a\nc\n"


# -- ReplayPolicy ------------------------------------------------------------------------


def drive(policy: ReplayPolicy, infos: list[dict[str, Any]]) -> list[dict]:
    return [policy.act("obs", info) for info in infos]


def test_replay_policy_sequence() -> None:
    task = DEMO["inicfg-delimiter-in-value"]
    policy = ReplayPolicy(task)
    actions = drive(policy, [{}] + [{"ok": True}] * 5)
    assert actions[0] == {"name": "bash", "arguments": {"command": "git status --short && ls"}}
    assert [a["name"] for a in actions] == ["bash", "edit", "bash", "submit", "submit", "submit"]
    assert actions[2]["arguments"]["command"].startswith(task.environment.test_cmd)


def test_replay_policy_requires_a_gold_patch() -> None:
    task = DEMO["inicfg-delimiter-in-value"].model_copy(update={"gold_patch": None})
    with pytest.raises(ValueError, match="no gold patch"):
        ReplayPolicy(task)


def test_replay_falls_back_to_git_apply_after_a_failed_edit(tmp_path: Path, git_env: dict) -> None:
    task = DEMO["argkit-env-var-fallback"]
    plan = plan_actions(task.gold_patch or "")
    target = "argkit/parser.py"
    first = [p for p, _ in plan].index(target)
    after = max(i for i, (p, _) in enumerate(plan) if p == target) + 1
    assert after - first >= 2  # the file has several hunks
    policy = ReplayPolicy(task)
    assert policy.act("", {})["name"] == "bash"  # explore
    for i in range(first + 2):
        assert policy.act("", {"ok": True}) == plan[i][1]
    # The target's second edit fails: put the file back, then git apply its whole diff.
    checkout = policy.act("no match", {"ok": False, "error_kind": "no_match"})
    assert checkout == {"name": "bash", "arguments": {"command": f"git checkout -q -- '{target}'"}}
    apply = policy.act("", {"ok": True})
    assert apply["name"] == "bash"
    assert apply["arguments"]["command"].startswith("git apply --whitespace=nowarn - <<'")
    assert f"diff --git a/{target} b/{target}" in apply["arguments"]["command"]
    assert "argkit/spec.py" not in apply["arguments"]["command"]
    # The target's remaining hunks are dropped; the next action is the next file's.
    assert policy.act("", {"ok": True}) == plan[after][1]

    # The fallback commands really rebuild the file from a half-applied state.
    repo = git_repo(Path(task.source.path), tmp_path / "repo", git_env)
    apply_plan(repo, plan[: first + 1], git_env)  # the edits that landed
    sh(checkout["arguments"]["command"], repo, git_env)
    sh(apply["arguments"]["command"], repo, git_env)
    expected = tmp_path / "expected"
    shutil.copytree(Path(task.source.path), expected)
    sh("git init -q && git apply -", expected, git_env, stdin=task.gold_patch)
    assert read(repo / target) == read(expected / target)


def test_replay_falls_back_only_once_per_file() -> None:
    task = DEMO["argkit-env-var-fallback"]
    plan = plan_actions(task.gold_patch or "")
    policy = ReplayPolicy(task)
    policy.act("", {})
    policy.act("", {"ok": True})  # first edit
    assert policy.act("", {"ok": False})["arguments"]["command"].startswith("git checkout")
    apply = policy.act("", {"ok": True})
    assert apply["arguments"]["command"].startswith("git apply")
    nxt = policy.act("", {"ok": False})  # the apply failed: a bash result, no new fallback
    first_file = plan[0][0]
    assert nxt == next(a for p, a in plan if p != first_file)


def test_failed_bash_does_not_trigger_a_fallback() -> None:
    task = DEMO["inicfg-delimiter-in-value"]
    policy = ReplayPolicy(task)
    policy.act("", {})
    assert policy.act("", {"ok": False})["name"] == "edit"  # `git status` failing is no edit


# -- TrajectoryWriter --------------------------------------------------------------------


def traj(task_id: str, sample: int = 0, status: str = "ok", **kw: Any) -> Trajectory:
    return Trajectory(task_id=task_id, sample=sample, policy="test", status=status, **kw)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_writer_resume_skips_done_pairs(tmp_path: Path) -> None:
    writer = TrajectoryWriter(tmp_path / "out")
    writer.write(traj("demo/a", 0))
    writer.write(traj("demo/a", 1))
    writer.write(traj("demo/b", 0, status="infra_error", infra_errors=["daemon gone"]))
    assert writer.done("demo/a", 0)
    resumed = TrajectoryWriter(tmp_path / "out")
    assert resumed.done("demo/a", 0)
    assert resumed.done("demo/a", 1)
    assert not resumed.done("demo/a", 2)
    assert not resumed.done("demo/b", 0)  # infra errors are retried, not counted


def test_writer_ignores_a_torn_last_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    good = traj("demo/a").model_dump_json()
    torn = traj("demo/b").model_dump_json()[:40]
    (out / "trajectories.jsonl").write_text(good + "\n" + torn)
    writer = TrajectoryWriter(out)
    assert writer.done("demo/a", 0)
    assert not writer.done("demo/b", 0)


def test_writer_rewrites_a_torn_record_on_its_own_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "trajectories.jsonl").write_text(traj("demo/a").model_dump_json() + '\n{"episode_id')
    TrajectoryWriter(out).write(traj("demo/b"))
    assert TrajectoryWriter(out).done("demo/b", 0)
    records = []
    for line in (out / "trajectories.jsonl").read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    assert [r["task_id"] for r in records] == ["demo/a", "demo/b"]


def test_writer_does_not_write_duplicates(tmp_path: Path) -> None:
    writer = TrajectoryWriter(tmp_path)
    writer.write(traj("demo/a", reward=1.0))
    writer.write(traj("demo/a", reward=0.0))
    TrajectoryWriter(tmp_path).write(traj("demo/a"))
    assert [r["reward"] for r in lines(writer.path)] == [1.0]


def test_writer_records_every_infra_error_then_the_success(tmp_path: Path) -> None:
    writer = TrajectoryWriter(tmp_path)
    writer.write(traj("demo/a", status="infra_error"))
    writer.write(traj("demo/a", status="infra_error"))
    assert not writer.done("demo/a", 0)
    writer.write(traj("demo/a"))
    writer.write(traj("demo/a"))
    assert [r["status"] for r in lines(writer.path)] == ["infra_error", "infra_error", "ok"]
    assert writer.done("demo/a", 0)


def test_concurrent_writes_produce_valid_jsonl(tmp_path: Path) -> None:
    writer = TrajectoryWriter(tmp_path)
    big = [{"role": "user", "content": "x" * 20_000}]  # lines far above PIPE_BUF
    n_threads, per_thread = 8, 25
    barrier = threading.Barrier(n_threads)

    def work(t: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            writer.write(traj(f"demo/t{t}", i, messages=big))
            writer.write(traj("demo/shared", i))  # every thread races for the same keys

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = lines(writer.path)
    keys = [(r["task_id"], r["sample"]) for r in records]
    assert len(keys) == len(set(keys)) == n_threads * per_thread + per_thread
    assert all(r["messages"] == big for r in records if r["task_id"] != "demo/shared")


# -- read_predictions ----------------------------------------------------------------------

KNOWN = {"inst-1", "inst-2", "inst-3", "inst-4"}


def pred_line(iid: Any, patch: Any = "diff --git a/x b/x\n", **extra: Any) -> str:
    return json.dumps({"instance_id": iid, "model_patch": patch, **extra})


def test_read_predictions_reports_bad_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    path.write_text(
        "\n".join(
            [
                pred_line("inst-1", model_name_or_path="m1"),  # 1 ok
                '{"instance_id": "inst-2", "model_patch": ',  # 2 malformed
                "[1, 2]",  # 3 not an object
                json.dumps({"model_patch": "p"}),  # 4 no instance_id
                pred_line("inst-3", patch=5),  # 5 model_patch not a string
                pred_line("nope"),  # 6 unknown id
                pred_line("inst-1", patch="other"),  # 7 duplicate of line 1
                "",  # 8 blank: skipped silently
                pred_line("inst-4", patch=None),  # 9 ok, null patch
                pred_line(7),  # 10 non-string id
                pred_line(""),  # 11 empty id
            ]
        )
        + "\n"
    )
    result = read_predictions(path, KNOWN)
    assert [(p.instance_id, p.line, p.model, p.patch) for p in result.predictions] == [
        ("inst-1", 1, "m1", "diff --git a/x b/x\n"),
        ("inst-4", 9, "", ""),
    ]
    problems = result.problems
    assert len(problems) == 8
    expected = {
        2: "malformed JSON",
        3: "expected a JSON object",
        4: "instance_id",
        5: "model_patch must be a string",
        6: "unknown instance_id 'nope'",
        7: "duplicate of line 1",
        10: "instance_id",
        11: "instance_id",
    }
    for problem, (lineno, words) in zip(problems, expected.items(), strict=True):
        assert problem.startswith(f"preds.jsonl:{lineno}: "), problem
        assert words in problem


def test_read_predictions_json_list(tmp_path: Path) -> None:
    path = tmp_path / "preds.json"
    records = [
        {"instance_id": "inst-1", "model_patch": "p1", "model_name_or_path": "m"},
        "not an object",
        {"instance_id": "inst-1", "model_patch": "again"},
        {"instance_id": "inst-2", "model_patch": "p2"},
    ]
    path.write_text(json.dumps(records, indent=2))
    result = read_predictions(path, KNOWN)
    assert [(p.instance_id, p.patch, p.line) for p in result.predictions] == [
        ("inst-1", "p1", 1),
        ("inst-2", "p2", 4),
    ]
    assert len(result.problems) == 2
    assert result.problems[0].startswith("preds.json:2: expected a JSON object")
    assert result.problems[1].startswith("preds.json:3: duplicate of line 1")


def test_read_predictions_broken_json_list(tmp_path: Path) -> None:
    path = tmp_path / "preds.json"
    path.write_text('[{"instance_id": "inst-1"')
    result = read_predictions(path, KNOWN)
    assert result.predictions == []
    assert len(result.problems) == 1
    assert "not valid JSON" in result.problems[0]


def test_read_predictions_swe_agent_dict(tmp_path: Path) -> None:
    path = tmp_path / "preds.json"
    preds = {
        "inst-1": {"instance_id": "inst-1", "model_patch": "p1", "model_name_or_path": "m"},
        "inst-2": {"instance_id": "inst-2", "model_patch": "p2", "model_name_or_path": "m"},
    }
    path.write_text(json.dumps(preds, indent=2))
    result = read_predictions(path, KNOWN)
    assert result.problems == []
    assert [p.instance_id for p in result.predictions] == ["inst-1", "inst-2"]


# -- summary and evaluate ------------------------------------------------------------------


def preds(*ids: str, patch: str = "diff") -> list[Prediction]:
    return [Prediction(i, "m", patch, n) for n, i in enumerate(ids, 1)]


def test_summary_counts_and_ids() -> None:
    all_ids = ["a", "b", "c", "d", "e", "f"]
    outcome = {
        "a": "resolved",
        "b": "unresolved",
        "c": "empty_patch",
        "d": "error",
        "e": "resolved",
    }
    report = summary(all_ids, preds("e", "a", "b", "c", "d"), outcome)
    assert report == {
        "total_instances": 6,
        "submitted_instances": 5,
        "completed_instances": 3,
        "resolved_instances": 2,
        "unresolved_instances": 1,
        "empty_patch_instances": 1,
        "error_instances": 1,
        "completed_ids": ["a", "b", "e"],
        "incomplete_ids": ["f"],
        "empty_patch_ids": ["c"],
        "submitted_ids": ["a", "b", "c", "d", "e"],
        "resolved_ids": ["a", "e"],
        "unresolved_ids": ["b"],
        "error_ids": ["d"],
        "env_error_ids": [],
        "env_error_instances": 0,
        "schema_version": 2,
    }


def test_summary_of_nothing() -> None:
    report = summary(["a"], [], {})
    assert report["total_instances"] == 1
    assert report["submitted_instances"] == report["completed_instances"] == 0
    assert report["incomplete_ids"] == ["a"]


class FakeGrader:
    """Stands in for ``rewards.grade.grade`` (which needs Docker)."""

    def __init__(self, statuses: dict[str, str]) -> None:
        self.statuses = statuses
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, task: TaskSpec, patch: str, timeout: float = 0, **_: Any) -> Any:
        from rewards.grade import Grade

        with self.lock:
            self.calls.append(task.id)
        status = self.statuses[task.id]
        if status == "raise":
            raise SandboxError("container vanished")
        return Grade(task_id=task.id, resolved=status == "resolved", status=status, log="log")


def test_evaluate_grades_resumes_and_regrades_changed_patches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rewards.grade

    ids = sorted(DEMO)[:5]
    tasks = {i: DEMO[i] for i in ids}
    fake = FakeGrader(
        {ids[0]: "resolved", ids[1]: "unresolved", ids[2]: "raise", ids[3]: "resolved"}
    )
    monkeypatch.setattr(rewards.grade, "grade", fake)
    predictions = [*preds(ids[0], ids[1], ids[2]), Prediction(ids[3], "m", "  \n", 4)]
    done: list[tuple[str, str]] = []
    report = evaluate(
        tasks, predictions, tmp_path / "run", workers=3, on_done=lambda *a: done.append(a)
    )
    assert sorted(fake.calls) == sorted(ids[:3])  # a blank patch is never graded
    assert report["resolved_ids"] == [ids[0]]
    assert report["unresolved_ids"] == [ids[1]]
    assert report["error_ids"] == [ids[2]]
    assert report["empty_patch_ids"] == [ids[3]]
    assert report["incomplete_ids"] == [ids[4]]
    assert sorted(done) == sorted(
        [(ids[0], "resolved"), (ids[1], "unresolved"), (ids[2], "error"), (ids[3], "empty_patch")]
    )
    record = json.loads((tmp_path / "run" / ids[0] / "grade.json").read_text())
    assert record["status"] == "resolved"
    assert record["patch_sha256"] == evaluate_mod._key("diff")
    assert (tmp_path / "run" / ids[0] / "patch.diff").read_text() == "diff"

    # A rerun does not grade the same patches again, but does grade what changed.
    graded = [predictions[0], predictions[1], predictions[3]]
    fake.calls.clear()
    again = evaluate(tasks, graded, tmp_path / "run", workers=2)
    assert fake.calls == []
    assert again["resolved_ids"] == [ids[0]]
    assert again["unresolved_ids"] == [ids[1]]
    changed = [Prediction(ids[0], "m", "diff --git changed", 1), *graded[1:]]
    evaluate(tasks, changed, tmp_path / "run", workers=2)
    assert fake.calls == [ids[0]]


def test_evaluate_rerun_retries_infrastructure_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rewards.grade

    task_id = sorted(DEMO)[0]
    fake = FakeGrader({task_id: "raise"})
    monkeypatch.setattr(rewards.grade, "grade", fake)
    report = evaluate({task_id: DEMO[task_id]}, preds(task_id), tmp_path / "run", workers=1)
    assert report["error_ids"] == [task_id]
    fake.statuses[task_id] = "resolved"  # the daemon is back
    report = evaluate({task_id: DEMO[task_id]}, preds(task_id), tmp_path / "run", workers=1)
    assert fake.calls == [task_id, task_id]
    assert report["resolved_ids"] == [task_id]
