"""Execution traces on the real engine: the tracer's three modes in a task container, the
base/gold pairs of a demo task, the CLI (collect, resume, export), and nothing left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.trace_programs import PROGRAM
from support.trace_programs import run_tracer as run_on_host
from typer.testing import CliRunner

from swe_env.images.build import ensure_images, instance_tag
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.provider import SandboxProvider
from swe_env.tasks import find_task
from swe_env.traces.collect import run_tracer, trace_task
from swe_env.traces.format import parse

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TASK = "demo/textkit-slug-trailing-separator"


@pytest.fixture(scope="module")
def task(docker_client):
    task = find_task(TASK)
    ensure_images([task], docker_client)
    return task


@pytest.fixture(scope="module")
def provider(docker_client):
    with SandboxProvider(DockerSandboxConfig(command_timeout=300), client=docker_client) as p:
        yield p


@pytest.fixture
def sb(task, provider):
    sandbox = provider.acquire(instance_tag(task), task=task.full_id)
    yield sandbox
    provider.release(sandbox)


def _left(sb) -> str:
    return sb.run("ls -a /tmp; cd /testbed && git status --porcelain").output


def test_function_mode_in_the_container_leaves_nothing(sb) -> None:
    before = _left(sb)
    run = run_tracer(
        sb, ["--args", "('Hello, World!',)", "--kwargs", "{'sep': '_'}", "function",
             "textkit.slug:slugify"],
    )  # fmt: skip
    assert [r["function"] for r in run.records] == ["_ascii", "slugify"]
    slugify = run.records[1]
    assert slugify["events"][0] == [
        "call",
        {"text": "'Hello, World!'", "sep": "'_'", "max_length": "None", "lowercase": "True"},
        'def slugify(text, sep="-", max_length=None, lowercase=True):',
    ]
    assert slugify["events"][-1][0] == "return" and run.summary["result"] == repr("hello_world_")
    assert run.summary["python"].startswith("3.")
    assert _left(sb) == before  # no tracer, output or bytecode left in /tmp or /testbed


def test_script_mode_matches_the_host(sb, tmp_path: Path) -> None:
    sb.run("mkdir -p /tmp/prog")
    sb.write_file("/tmp/prog/prog.py", PROGRAM.encode())
    run = run_tracer(sb, ["script", "/tmp/prog/prog.py"], root="/tmp/prog", cwd="/tmp/prog")
    (tmp_path / "prog.py").write_text(PROGRAM)
    host, _ = run_on_host(tmp_path, "script", "prog.py")
    assert [r["events"] for r in run.records] == [r["events"] for r in host]


def test_test_mode_pairs_base_and_gold(task, provider) -> None:
    base, base_summary = trace_task(task, "base", provider)
    gold, gold_summary = trace_task(task, "gold", provider)
    assert base_summary["exit_code"] == 1 and gold_summary["exit_code"] == 0
    hidden = set(task.fail_to_pass) | set(task.pass_to_pass)
    assert {r["test"] for r in gold} <= hidden
    assert set(task.fail_to_pass) <= {r["test"] for r in gold}
    for record in base + gold:
        assert record["format_version"] == 1 and record["file"].startswith("textkit/")
        assert parse(record["trace"]).events  # every trace parses
    key = lambda r: (r["test"], r["function"], r["call_index"])  # noqa: E731
    pairs = {key(r) for r in base} & {key(r) for r in gold}
    assert pairs and any(
        b["trace"] != g["trace"]
        for b in base for g in gold if key(b) == key(g) and key(b)[1] == "slugify"
    )  # fmt: skip


def test_cli_collects_resumes_and_exports(task, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from swe_env.cli import app

    runner = CliRunner()
    args = ["traces", "collect", "demo", "--task", task.id, "--out", str(tmp_path), "-j", "2"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    files = sorted(p.name for p in (tmp_path / "traces").iterdir())
    assert files == [f"demo__{task.id}.base.jsonl", f"demo__{task.id}.gold.jsonl"]
    lines = (tmp_path / "traces" / files[1]).read_text().splitlines()
    record = json.loads(lines[0])
    assert {"task", "test", "function", "format_version", "event_count", "truncated"} <= set(record)
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "2 already there" in again.output
    export = runner.invoke(app, ["traces", "export", str(tmp_path), "--format", "parquet"])
    assert export.exit_code == 0, export.output
    table = pq.read_table(tmp_path / "traces.parquet")
    total = sum(len(p.read_text().splitlines()) for p in (tmp_path / "traces").iterdir())
    assert table.num_rows == total and "trace" in table.column_names
