"""Instance images: leak-free, cached, layered."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from swe_env.images.build import ensure_images, env_tag, instance_tag
from swe_env.sandbox.docker import DockerSandbox
from swe_env.tasks import load_suite

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def tasks(docker_client):
    tasks = load_suite("demo")
    ensure_images(tasks, docker_client)
    return tasks


def _secret_lines(text: str) -> list[str]:
    """Distinctive lines of a hidden test or gold patch (long enough not to occur by chance)."""
    out = []
    for line in text.splitlines():
        body = line[1:] if line[:1] in "+-" else line
        if line.startswith("+") and not line.startswith("+++") and len(body.strip()) > 40:
            out.append(body.strip())
    return out


@pytest.mark.parametrize("task_id", ["demo/inicfg-delimiter-in-value", "demo/minicache-ttl-expiry"])
def test_instance_image_is_leak_free(tasks, docker_client, task_id):
    task = next(t for t in tasks if t.full_id == task_id)
    with DockerSandbox(instance_tag(task), client=docker_client, task="leak-check") as sb:
        git = sb.run(
            "cd /testbed && git rev-list --all --count; git remote; git reflog | wc -l; "
            "git for-each-ref --format='%(refname)'; git count-objects -v | grep -E '^count'"
        )
        lines = git.output.split()
        assert lines[0] == "1", git.output  # one commit
        assert git.output.count("refs/") == 1 and "refs/heads/main" in git.output
        assert "count: 0" in git.output  # every object packed by gc, no loose leftovers
        assert sb.run("cd /testbed && git reflog | wc -l").output.strip() == "0"
        assert sb.run("cd /testbed && git remote").output == ""
        # No distinctive line of the gold patch or of the hidden tests (that is not already
        # in the base repository) anywhere in the image's files or git objects.
        base_text = "\n".join(
            p.read_text(errors="replace") for p in Path(task.source.path).rglob("*") if p.is_file()
        )
        # Sanity: the same search does find a line that is in the base repository.
        known = max(base_text.splitlines(), key=len).strip()
        sb.write_file("/tmp/.known", known.encode())
        hit = sb.run("grep -rIlF -f /tmp/.known /testbed /opt /root /home /var/tmp /srv")
        assert hit.output.strip(), "the leak search finds nothing at all"
        needles = _secret_lines(task.gold_patch or "")
        for content in task.hidden_tests.values():
            needles += [ln.strip() for ln in content.splitlines() if len(ln.strip()) > 40]
        needles = [n for n in dict.fromkeys(needles) if n not in base_text]
        assert len(needles) >= 3
        sb.write_file("/tmp/.needles", "\n".join(needles).encode())
        found = sb.run(
            # Everything our builds write (the base image's system files come from Debian).
            "grep -rIlF -f /tmp/.needles /testbed /opt /root /home /tmp /var/tmp /srv 2>/dev/null "
            "| grep -v '^/tmp/.needles$'; "
            "cd /testbed && git grep -F -f /tmp/.needles $(git rev-list --all) | head",
            timeout=300,
        )
        assert found.output.strip() == "", f"leaked: {found.output}"


def test_envs_are_shared_and_rebuild_is_cached(tasks, docker_client):
    assert len({env_tag(t.environment) for t in tasks}) == 1
    built = []
    started = time.monotonic()
    ensure_images(tasks, docker_client, on_done=lambda tag, b: built.append(b))
    assert time.monotonic() - started < 10
    assert not any(built)
    image = docker_client.images.get(instance_tag(tasks[0]))
    assert image.labels["swe-env.kind"] == "instance"


def test_a_killed_build_leaves_nothing_that_gc_cannot_remove(docker_client, base_image):
    """A build's work container carries owner labels: when the build is SIGKILLed, the
    container outlives it, and gc proves its owner dead and removes it."""
    import subprocess
    import sys

    from swe_env.sandbox import gc

    code = (
        "import os, signal, docker\n"
        "from swe_env.images.layer import WorkContainer\n"
        f"with WorkContainer(docker.from_env(), {base_image!r}, 'swe-env-probe:killed', "
        "lambda t, m: None) as w:\n"
        "    print(w.container.id, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    cid = done.stdout.strip()
    assert cid and docker_client.containers.get(cid).status == "running"
    orphans = [o for o in gc.find_orphans(docker_client) if o.id == cid]
    assert orphans, "the killed build's container is not seen as an orphan"
    gc.remove_orphans(docker_client, orphans)
    assert not docker_client.containers.list(all=True, filters={"id": cid})
