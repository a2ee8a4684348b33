"""The viewer without a browser: reading runs (growing, torn, Parquet), summaries, pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.viewer_runs import synthetic_record, write_synthetic_run

from swe_env.rollout.export import read_trajectories, stats, write_parquet
from swe_env.viewer import summary
from swe_env.viewer.episode import action_view, diff_lines, fold, grade_rows, heat_strip
from swe_env.viewer.source import JsonlRun, _parse, _quick_entry, entry_of, open_run
from swe_env.viewer.web import create_viewer_app

FIXTURE = Path(__file__).parents[1] / "ui" / "fixtures" / "demo-replay"


def test_the_quick_index_agrees_with_a_full_parse(tmp_path: Path) -> None:
    path = write_synthetic_run(tmp_path / "run", 60, seed=7)
    offset = quick_count = 0
    for line in path.read_bytes().splitlines(keepends=True):
        quick, rec = _quick_entry(line, offset), _parse(line)
        if rec["usage"]:
            assert quick == entry_of(rec, offset, len(line))
        else:  # no summed usage (an infra error here): parsed whole
            assert quick is None and rec["status"] == "infra_error"
        quick_count += quick is not None
        offset += len(line)
    assert quick_count > 50


def test_a_nested_reward_key_falls_back_to_a_full_parse() -> None:
    rec = json.loads(synthetic_record(0, 1, __import__("random").Random(1)).model_dump_json())
    rec["grade"]["extra"] = {"a": 1, "reward": 5, "turns": 1, "usage": {"x": 1}}
    line = (json.dumps(rec, separators=(",", ":")) + "\n").encode()
    assert _quick_entry(line, 0) is None
    assert entry_of(_parse(line), 0).reward == rec["reward"]


def test_a_run_being_written_shows_new_lines_and_skips_a_torn_one(tmp_path: Path) -> None:
    src = write_synthetic_run(tmp_path / "src", 5, seed=2).read_bytes().splitlines(True)
    path = tmp_path / "live" / "trajectories.jsonl"
    path.parent.mkdir()
    path.write_bytes(b"".join(src[:2]) + src[2][:100])
    run = JsonlRun(path, "live")
    assert len(run.entries()) == 2
    with path.open("ab") as fh:
        fh.write(src[2][100:] + src[3])
    assert len(run.entries()) == 4
    third = json.loads(src[2])
    assert run.record(third["episode_id"])["task_id"] == third["task_id"]
    path.write_bytes(src[4])  # replaced (a rerun truncated it): indexed afresh
    assert [e.episode_id for e in run.entries()] == [json.loads(src[4])["episode_id"]]
    path.unlink()  # gone for a moment: the last index stays, its records are gone
    assert len(run.entries()) == 1 and run.matching("synth") == set()
    assert run.record(json.loads(src[4])["episode_id"]) is None


def test_entries_keep_one_record_per_pair_like_the_exporter(tmp_path: Path) -> None:
    path = tmp_path / "trajectories.jsonl"
    rng = __import__("random").Random(0)
    ok = json.loads(synthetic_record(0, 1, rng).model_dump_json())
    failed = {"task_id": ok["task_id"], "sample": 0, "status": "infra_error", "policy": "p"}
    lines = [failed, ok, {**ok, "episode_id": "later"}, {"not": "a record"}]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines) + "{torn")
    kept = JsonlRun(path, "r").entries()
    assert [e.episode_id for e in kept] == [ok["episode_id"]]
    assert [r["episode_id"] for r in read_trajectories(path)] == [ok["episode_id"]]


def test_parquet_export_reads_like_the_jsonl(tmp_path: Path) -> None:
    records = read_trajectories(FIXTURE)
    out = tmp_path / "t.parquet"
    write_parquet(records, out)
    run, jsonl = open_run(out), open_run(FIXTURE)
    assert [e.episode_id for e in run.entries()] == [e.episode_id for e in jsonl.entries()]
    assert summary.headline(run.entries()) == summary.headline(jsonl.entries())
    first = records[0]
    rec = run.record(first["episode_id"])
    assert rec["steps"] == json.loads(json.dumps(first["steps"]))
    assert rec["grade"]["tests"] == first["grade"]["tests"]
    assert run.matching("PRERELEASE") == jsonl.matching("prerelease") != set()


def test_headline_matches_the_stats_command() -> None:
    records = read_trajectories(FIXTURE)
    head, expected = summary.headline(open_run(FIXTURE).entries()), stats(records)
    for key in ("episodes", "resolved", "infra_errors", "tasks", "submitted"):
        assert head[key] == expected[key], key
    assert head["mean_turns"] == pytest.approx(expected["mean_turns"])


def test_a_path_without_a_run_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no trajectories\.jsonl"):
        open_run(tmp_path)
    with pytest.raises(ValueError, match="no such run"):
        open_run(tmp_path / "missing")
    (tmp_path / "bad.parquet").write_text("nope")
    with pytest.raises(ValueError, match="not a readable Parquet"):
        open_run(tmp_path / "bad.parquet")


def test_edits_render_as_diffs_and_text_actions_as_text() -> None:
    edit = action_view(
        {"name": "edit", "arguments": {"path": "a.py", "old_str": "x", "new_str": "y"}}
    )
    assert ("del", "-x") in edit["diff"] and ("add", "+y") in edit["diff"]
    call = {"type": "function", "function": {"name": "bash", "arguments": '{"command": "ls"}'}}
    assert action_view(call)["args"] == [("command", "ls")]
    assert action_view("<tool: bash>\nls\n</tool>")["raw"].startswith("<tool: bash>")
    assert [c for c, _ in diff_lines("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n c")] == [
        "meta", "meta", "hunk", "del", "add", "ctx",
    ]  # fmt: skip
    assert fold("x\n" * 100)["long"] and not fold("short")["long"]


def test_grade_rows_list_every_test_with_its_group() -> None:
    grade = {
        "tests": {"t1": "PASSED", "t2": "FAILED", "t3": "PASSED"},
        "fail_to_pass": {"passed": ["t1"], "failed": ["t2"]},
        "pass_to_pass": {"passed": [], "failed": []},
    }
    rows = grade_rows(grade)
    assert [(r["test"], r["group"], r["good"]) for r in rows] == [
        ("t1", "FAIL_TO_PASS", "passed"),
        ("t2", "FAIL_TO_PASS", "failed"),
        ("t3", "other", "other"),
    ]


def test_pages_answer_and_unknown_names_are_404(tmp_path: Path) -> None:
    client = TestClient(create_viewer_app([FIXTURE]))
    rec = read_trajectories(FIXTURE)[0]
    assert client.get("/").status_code == 200
    page = client.get("/run/demo-replay", params={"status": "resolved", "q": "slug"})
    assert page.status_code == 200 and "1 of 3 episodes match" in page.text
    assert client.get(f"/run/demo-replay/episode/{rec['episode_id']}").status_code == 200
    assert client.get("/run/nope").status_code == 404
    assert client.get("/run/demo-replay/episode/nope").status_code == 404
    assert client.get("/live").status_code == 404
    assert client.get("/static/../web.py").status_code == 404
    assert client.get("/run/demo-replay", params={"page": 0}).status_code == 422


def test_the_heat_strip_colours_tokens_by_probability() -> None:
    strip = str(heat_strip(["a", "<b>"], [0.0, -5.0], [{"a": 0.0, "z": -3.0}, {}]))
    assert strip.count("<rect") == 2
    assert "hsl(120," in strip and "hsl(0," in strip  # p=1 green, p=0.007 red
    assert "top: &#39;a&#39; 0.00, &#39;z&#39; -3.00" in strip
    assert "<b>" not in strip.replace("<rect", "")  # token text is escaped
    assert heat_strip(None, None) is None
