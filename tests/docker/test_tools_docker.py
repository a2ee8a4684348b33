"""The agent's tools on a real container: hostile paths, big files, submit."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from swe_env.sandbox.docker import LABEL_MANAGED, LABEL_PREFIX, DockerSandbox
from swe_env.sandbox.gc import find_orphans, remove_orphans
from swe_env.tools import execute
from swe_env.tools.base import ToolContext

pytestmark = pytest.mark.docker


@pytest.fixture
def repo(sandbox):
    head = sandbox.run(
        "cd /testbed && printf 'a = 1\\nb = 2\\na = 1\\n' > mod.py && mkdir -p pkg && "
        "git init -q && git add -A && git commit -qm base && git rev-parse HEAD"
    )
    return sandbox, ToolContext(base_commit=head.output.strip(), repo_root="/testbed")


def call(sb_ctx, name: str, **arguments):
    sandbox, ctx = sb_ctx
    return execute(sandbox, {"name": name, "arguments": arguments}, ctx)


def test_edit_refuses_paths_outside_the_repository(repo):
    for path in ("../../etc/passwd", "/etc/passwd"):
        result = call(repo, "edit", path=path, old_str="root", new_str="toor")
        assert not result.ok and result.error_kind == "path"
    sandbox, _ = repo
    assert sandbox.run("head -c 4 /etc/passwd").output == "root"


def test_edit_missing_file_directory_and_multiple_matches(repo):
    missing = call(repo, "edit", path="nope.py", old_str="x", new_str="y")
    assert not missing.ok and missing.error_kind == "not_found"
    directory = call(repo, "edit", path="pkg", old_str="x", new_str="y")
    assert not directory.ok and directory.error_kind == "is_directory"
    several = call(repo, "edit", path="mod.py", old_str="a = 1", new_str="a = 3")
    assert (
        several.error_kind == "multiple_matches" and "1" in several.output and "3" in several.output
    )
    nomatch = call(repo, "edit", path="mod.py", old_str="b  = 2", new_str="b = 5")
    assert nomatch.error_kind == "no_match" and "whitespace" in nomatch.output.lower()
    ok = call(repo, "edit", path="mod.py", old_str="b = 2", new_str="b = 5")
    assert ok.ok and "b = 5" in ok.output


def test_create_large_and_existing(repo):
    sandbox, _ = repo
    content = ("x" * 99 + "\n") * 500_000  # 50 MB
    started = time.monotonic()
    big = call(repo, "create", path="data/big.txt", content=content)
    assert big.ok, big.output
    assert time.monotonic() - started < 60
    assert sandbox.run("stat -c %s /testbed/data/big.txt").output.strip() == str(len(content))
    again = call(repo, "create", path="data/big.txt", content="x")
    assert not again.ok and again.error_kind == "exists"


def test_submit_patch_has_new_and_binary_files(repo):
    sandbox, _ = repo
    call(repo, "create", path="pkg/new.py", content="print('new')\n")
    sandbox.write_file("/testbed/pkg/blob.bin", bytes(range(256)))
    call(repo, "edit", path="mod.py", old_str="b = 2", new_str="b = 7")
    result = call(repo, "submit")
    assert result.done and result.patch
    assert "pkg/new.py" in result.patch and "GIT binary patch" in result.patch
    assert "+b = 7" in result.patch


def test_gc_finds_containers_whose_owner_died(docker_client, base_image):
    dead = subprocess.Popen(["true"])
    dead.wait()
    labels = {
        LABEL_MANAGED: "1",
        f"{LABEL_PREFIX}.owner-pid": str(dead.pid),
        f"{LABEL_PREFIX}.owner-host": os.uname().nodename,
        f"{LABEL_PREFIX}.created": f"{time.time():.0f}",
        f"{LABEL_PREFIX}.task": "gc-test",
    }
    orphan = docker_client.containers.create(base_image, ["sleep", "60"], labels=labels)
    with DockerSandbox(base_image, client=docker_client, task="gc-alive") as alive:
        found = {o.id: o for o in find_orphans(docker_client, ttl=None)}
        assert orphan.id in found and "dead" in found[orphan.id].reason
        assert alive.id not in found
        assert remove_orphans(docker_client, [found[orphan.id]]) == 1
    old = docker_client.containers.create(
        base_image,
        ["sleep", "60"],
        labels={
            **labels,
            f"{LABEL_PREFIX}.owner-pid": str(os.getpid()),
            f"{LABEL_PREFIX}.created": "1000",
        },
    )
    aged = [o for o in find_orphans(docker_client, ttl=3600) if o.id == old.id]
    assert aged and "older" in aged[0].reason
    remove_orphans(docker_client, aged)
