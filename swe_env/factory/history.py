"""A git history made of a project's consecutive release sdists (for ``tasks mine``).

Each release is fetched with the host's own pip (``pip index versions`` for the list,
``pip download --no-binary :all: --no-deps`` for the sdist), so whatever index the host's
pip configuration names is the one used. Each sdist becomes one commit, oldest first,
tagged with its version; a release's tests then come with its code, as ``mine`` needs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from packaging.version import InvalidVersion, Version

from swe_env.errors import TaskError

_VERSIONS = re.compile(r"^Available versions:\s*(.+)$", re.M)
_DATE = "2000-01-01T00:00:00Z"


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"],
        capture_output=True,
        text=True,
    )


def release_versions(package: str) -> list[Version]:
    """The project's final releases, oldest first, as the configured index lists them.

    Raises:
        TaskError: pip could not list them (one line saying why).
    """
    done = _pip("index", "versions", package)
    found = _VERSIONS.search(done.stdout)
    if done.returncode != 0 or not found:
        why = (done.stderr.strip().splitlines() or ["no versions listed"])[-1]
        raise TaskError(f"{package}: cannot list its releases: {why}")
    versions = []
    for raw in found.group(1).split(","):
        try:
            v = Version(raw.strip())
        except InvalidVersion:
            continue
        if not v.is_prerelease and not v.is_devrelease:
            versions.append(v)
    return sorted(versions)


def choose_releases(versions: list[Version], n: int, until: str | None = None) -> list[Version]:
    """The last ``n`` releases, up to and including ``until`` when given."""
    if until is not None:
        versions = [v for v in versions if v <= Version(until)]
    return versions[-n:] if n > 0 else []


def _unpack(archive: Path, dest: Path) -> Path:
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest)
    else:
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
    tops = [p for p in dest.iterdir() if p.is_dir()]
    return tops[0] if len(tops) == 1 else dest


def fetch_sdist(package: str, version: Version, where: Path) -> Path:
    """The release's sdist, unpacked under ``where``; returns its top directory.

    Raises:
        TaskError: there is no sdist of that release, or pip failed.
    """
    download = where / "download"
    download.mkdir(parents=True, exist_ok=True)
    done = _pip(
        "download", "--no-binary", ":all:", "--no-deps", "--quiet", f"{package}=={version}",
        "-d", str(download),
    )  # fmt: skip
    archives = sorted(download.iterdir())
    if done.returncode != 0 or not archives:
        why = (done.stderr.strip().splitlines() or ["no archive"])[-1]
        raise TaskError(f"{package}=={version}: no sdist: {why}")
    unpacked = where / "unpacked"
    unpacked.mkdir()
    return _unpack(archives[0], unpacked)


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "swe-env",
        "GIT_AUTHOR_EMAIL": "swe-env@localhost",
        "GIT_COMMITTER_NAME": "swe-env",
        "GIT_COMMITTER_EMAIL": "swe-env@localhost",
        "GIT_AUTHOR_DATE": _DATE,
        "GIT_COMMITTER_DATE": _DATE,
    }
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise TaskError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def _replace_tree(repo: Path, src: Path) -> None:
    for p in repo.iterdir():
        if p.name != ".git":
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
    for p in src.iterdir():
        target = repo / p.name
        shutil.copytree(p, target, symlinks=True) if p.is_dir() else shutil.copy2(p, target)


def build_history(
    package: str,
    out: Path,
    releases: int,
    *,
    until: str | None = None,
    on_progress: Callable[[str], None] = lambda message: None,
) -> list[str]:
    """A git repository at ``out`` whose commits are the last ``releases`` sdists of
    ``package`` (oldest first, each tagged ``v<version>``); returns the versions committed.

    Raises:
        TaskError: ``out`` is not empty, the releases cannot be listed, or none has an sdist.
    """
    if out.exists() and any(out.iterdir()):
        raise TaskError(f"{out}: not empty (the history is built in a new directory)")
    chosen = choose_releases(release_versions(package), releases, until)
    if len(chosen) < 2:
        raise TaskError(f"{package}: fewer than 2 releases to build a history from")
    out.mkdir(parents=True, exist_ok=True)
    _git(out, "init", "-q")
    committed: list[str] = []
    for i, version in enumerate(chosen, 1):
        on_progress(f"[{i}/{len(chosen)}] {package} {version}")
        with tempfile.TemporaryDirectory() as tmp:
            try:
                tree = fetch_sdist(package, version, Path(tmp))
            except TaskError as exc:
                on_progress(f"skipped: {exc}")
                continue
            _replace_tree(out, tree)
        _git(out, "add", "-A", "-f")
        _git(out, "commit", "-q", "--allow-empty", "--no-verify", "-m", f"{package} {version}")
        _git(out, "tag", f"v{version}")
        committed.append(str(version))
    if not committed:
        raise TaskError(f"{package}: no release had an sdist")
    return committed
