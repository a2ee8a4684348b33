"""SWE-bench specs to environments: swebench 4.x's per-repository, per-version spec table
rewritten for a pip venv on our Debian base (Python 3.9, 3.11 or 3.13).

Each family runs as the official harness runs it: the same test command with the same
directives (test files; dotted labels for Django), the same pre-install and install steps,
environment variables and log parser (``swebench:<repo>``). Where a pip venv on Debian must
differ from the official conda images, it differs so:

- **Python**: the venv is made from Debian's interpreter (bullseye 3.9, bookworm 3.11,
  trixie 3.13). A spec asking for another is refused (``UnsupportedInstance``), unless the
  import is asked for the nearest stand-in (:data:`NEAREST_PYTHON`): then the task records
  ``python_substitute`` and is quarantined until validation passes on the stand-in.
- **packages**: a conda package list is installed with pip (``numpy=1.21`` becomes
  ``numpy==1.21.*``); conda-only names (compilers, gtk, pyqt, ...) are dropped and listed
  in the task's metadata; ``requirements.txt`` and ``environment.yml`` are read from the
  local mirror at the environment setup commit (the pip section of the latter as pip
  requirements).
- **pre_install**: system steps (apt, locales, ``/etc``) run in the shared env image; the
  others touch the repository, so they run in ``/testbed`` before the install. ``VAR=x``
  steps prefix the steps that follow them, as in one shell script.
- **install**: conda and ``source`` steps are dropped, and pip installs are made editable:
  grading does not re-run the install (no network), so the patched tree is what is imported.
- **eval_commands**: ``export`` lines become image environment variables; other lines are
  run at build time. A ``locale-gen`` step gets Debian's ``locales`` package installed
  first when the spec does not install it itself (the official base images ship it; our
  slim base does not, and Django 3.x's specs edit ``/etc/locale.gen`` directly).
- **tox --current-env** (sphinx): tox-current-env symlinks ``.tox/<env>/bin/python`` to the
  venv's Python, which, reached through a link from outside the venv, runs as the bare
  system Python without the test dependencies. Exec wrappers put there at install time
  take the links' place (:func:`tox_current_env_python`).
- **setuptools_scm**: no history in ``/testbed``, so ``SETUPTOOLS_SCM_PRETEND_VERSION`` is
  set from ``git describe`` on the mirror for the install steps.

Used by :mod:`swe_env.tasks.swebench`; imports the ``swebench`` package lazily.
"""

from __future__ import annotations

import importlib
import posixpath
import re
import shlex
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from swe_env.errors import TaskError
from swe_env.tasks.spec import EnvironmentSpec

PYTHONS = ("3.9", "3.11", "3.13")
NEAREST_PYTHON = {"3.5": "3.9", "3.6": "3.9", "3.7": "3.9", "3.8": "3.9", "3.10": "3.11"}
NEAREST_PYTHON |= {"3.12": "3.13"}
"""Stand-ins for the Pythons Debian does not ship here, used only when asked
(``--nearest-python``): the nearest newer one, which still parses the code written for the
older. A task made so records ``python_substitute`` in its metadata and stays quarantined
until validation passes with the stand-in."""
SEED = ("pip==24.0", "setuptools==69.5.1", "wheel==0.43.0")
"""pip, setuptools and wheel of about the dataset's era, installed first in every venv."""
PARSER_PREFIX = "swebench:"  # equals rewards.swebench_parsers.PREFIX
NETWORK_REPOS = frozenset({"psf/requests"})
"""Repositories whose tests call the internet (httpbin): they cannot pass offline."""
NON_TEST_EXTS = (".json", ".png", "csv", ".txt", ".md", ".jpg", ".jpeg", ".pkl", ".yml", ".yaml")
NON_TEST_EXTS += (".toml",)
CONDA_ONLY = {"python", "pip", "compilers", "c-compiler", "cxx-compiler", "graphviz", "gtk3"}
CONDA_ONLY |= {"gtk4", "pygobject", "pyqt", "wxpython", "ffmpeg", "imagemagick", "pkg-config"}
LOCALES = "DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq locales"
_ENV_LEVEL = re.compile(r"\bapt(-get)?\b|\blocale-gen\b|/etc/")
Record = dict[str, Any]
Specs = Mapping[str, Mapping[str, Mapping[str, Any]]]


class UnsupportedInstance(TaskError):
    """A well-formed instance that cannot become a runnable task here (reported, skipped)."""


def python_for(asked: str, nearest: bool) -> str:
    """The Python to build for a spec asking for ``asked``: itself when Debian has it,
    else (with ``nearest``) its stand-in from :data:`NEAREST_PYTHON`.

    Raises:
        UnsupportedInstance: neither is available.
    """
    if asked in PYTHONS:
        return asked
    stand_in = NEAREST_PYTHON.get(asked)
    if nearest and stand_in:
        return stand_in
    hint = f" (--nearest-python would try {stand_in})" if stand_in else ""
    raise UnsupportedInstance(f"needs Python {asked}; only {', '.join(PYTHONS)} are available{hint}")


def _git(git_dir: Path, *args: str) -> str | None:
    """stdout of ``git --git-dir=git_dir args``, or ``None`` when git fails."""
    cmd = ["git", f"--git-dir={git_dir}", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    return done.stdout if done.returncode == 0 else None


def scm_version(git_dir: Path, commit: str) -> str | None:
    """``SETUPTOOLS_SCM_PRETEND_VERSION`` for ``commit`` from ``git describe --tags``, as
    setuptools_scm would guess it (the tag, else next patch release + ``.devN``); ``None``
    when the project does not use setuptools_scm or no tag carries a version."""
    files = ("setup.py", "setup.cfg", "pyproject.toml")
    if _git(git_dir, "grep", "-q", "-E", "setuptools[_-]scm", commit, "--", *files) is None:
        return None
    described = _git(git_dir, "describe", "--tags", "--long", "--match", "*[0-9]*", commit) or ""
    match = re.match(r"^.*?(\d+(?:\.\d+)*)((?:a|b|rc)\d+)?.*-(\d+)-g[0-9a-f]+$", described)
    if not match:
        return None
    release, pre, distance = match[1], match[2] or "", int(match[3])
    if distance == 0 or pre:
        return release + pre + (f".post{distance}" if distance else "")
    *head, last = release.split(".")
    return ".".join([*head, str(int(last) + 1)]) + f".dev{distance}"


# -- records ---------------------------------------------------------------------------------
# -- environment -----------------------------------------------------------------------------
def _swebench(module: str, name: str) -> Any:
    """``swebench.harness.<module>.<name>``, or ``None`` (swebench not installed, or 5.x)."""
    try:
        return getattr(importlib.import_module(f"swebench.harness.{module}"), name, None)
    except ImportError:
        return None


def lookup_spec(repo: str, version: str, specs: Specs | None = None) -> dict[str, Any]:
    """The spec of ``repo`` at ``version``: from ``specs``, else swebench 4.x's table.

    Raises:
        UnsupportedInstance: no spec for the repository or version.
        TaskError: swebench's spec table is unavailable (not installed, or 5.x).
    """
    if specs and version in specs.get(repo, {}):
        return dict(specs[repo][version])
    table = _swebench("constants", "MAP_REPO_VERSION_TO_SPECS")
    if table is None:
        raise TaskError("the spec table needs swebench>=4.1,<5 installed, or pass specs")
    if version not in table.get(repo, {}):
        raise UnsupportedInstance(f"swebench has no spec for {repo} version {version}")
    return dict(table[repo][version])


def _conda(spec: str) -> tuple[str, bool]:
    """A conda package spec as pip's (``numpy=1.21`` → ``numpy==1.21.*``), and if pip has it."""
    match = re.match(r"^(?:[\w.-]+::)?([\w.\-]+)(\[[^\]]*\])?\s*(.*)$", spec.strip())
    if not match or match[1].lower() in CONDA_ONLY:
        return spec, False
    rest = match[3].strip()
    if re.match(r"^=?[0-9]", rest):  # conda's "=1.2" (or "1.2"): that release series
        version = rest.lstrip("=").split("=")[0]
        rest = f"=={version}" + ("" if "*" in version else ".*")
    return f"{match[1]}{match[2] or ''}{rest}", True


def _requirements(
    git_dir: Path, commit: str, rel: str, text: str, depth: int = 0
) -> Iterator[tuple[str, bool]]:
    """Yield ``(line, pip_installable)`` for a requirements text, following ``-r``."""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*", "", raw).strip()
        include = re.match(r"^(?:-r|--requirement)\s*=?\s*(\S+)$", line)
        sub = include and posixpath.normpath(posixpath.join(posixpath.dirname(rel), include[1]))
        if sub and depth < 5 and (sub_text := _git(git_dir, "show", f"{commit}:{sub}")):
            yield from _requirements(git_dir, commit, sub, sub_text, depth + 1)
        elif line:
            local = line.startswith(("-", ".", "/", "git+")) or "://" in line
            yield re.sub(r"^types-pkg_resources\b\S*", "types-setuptools", line), not local


def _dependencies(
    rec: Record, spec: dict[str, Any], git_dir: Path | None
) -> list[tuple[str, bool]]:
    """``(requirement, pip_installable)`` for the spec's ``packages`` field."""
    packages = str(spec.get("packages") or "")
    if packages not in ("requirements.txt", "environment.yml"):
        return [_conda(p) for p in shlex.split(packages)]
    if git_dir is None:
        raise UnsupportedInstance(f"its spec reads {packages} from the repository: pass a mirror")
    commit, yml = rec["environment_setup_commit"], packages == "environment.yml"
    key = "env_yml_paths" if yml else "reqs_paths"
    table = _swebench("constants", f"MAP_REPO_TO_{'ENV_YML' if yml else 'REQS'}_PATHS") or {}
    paths = spec.get(key) or table.get(rec["repo"]) or [packages]
    for rel in paths:
        if (text := _git(git_dir, "show", f"{commit}:{rel}")) is not None:
            break
    else:
        raise TaskError(f"none of {', '.join(paths)} exists at {commit} in {git_dir}")
    if not yml:
        return list(_requirements(git_dir, commit, rel, text))
    try:  # conda dependencies converted; the pip section read as requirements
        deps = (yaml.safe_load(text) or {}).get("dependencies") or []
    except (yaml.YAMLError, AttributeError) as exc:
        raise TaskError(f"{rel} at {commit}: not a conda environment file: {exc}") from None
    out: list[tuple[str, bool]] = []
    for dep in deps:
        if isinstance(dep, dict):
            pip_text = "\n".join(str(x) for x in dep.get("pip") or [])
            out += _requirements(git_dir, commit, rel, pip_text)
        else:
            out.append(_conda(str(dep)))
    return out


def _install(cmd: str) -> str:
    """The spec's install command for a venv: conda steps dropped, installs made editable
    (grading does not re-run the install, so the patched tree must be what is imported)."""
    if re.search(r"\b(conda|source)\s", cmd):
        steps = re.split(r"\s*(?:&&|;)\s*", cmd)
        cmd = " && ".join(s for s in steps if s and not re.match(r"(conda|source|\.)\s", s))
    cmd = re.sub(r"\bpython setup\.py install\b", "python -m pip install -e .", cmd)
    if re.search(r"\bpip install\b", cmd) and not re.search(r"\s(-e|--editable)\s", cmd):
        cmd = re.sub(r"(?<=\s)(['\"]?\.(?:\[[^\]]*\])?['\"]?)(?=\s|$)", r"-e \1", cmd, count=1)
    return cmd


_TOX_ENV = re.compile(r"\btox\b.*--current-env.*\s-e\s*([\w.-]+)")


def tox_current_env_python(test_cmd: str, python: str) -> str | None:
    """For ``tox --current-env -e<env>``: the step that puts exec wrappers of the venv's
    Python in ``.tox/<env>/bin``. tox-current-env would symlink them to ``sys.executable``;
    a venv's Python reached through such a link from outside the venv finds no
    ``pyvenv.cfg`` and runs as the bare system Python (``No module named pytest``). It
    leaves files that exist alone, so wrappers made at install time are what it runs."""
    if not (match := _TOX_ENV.search(test_cmd)):
        return None
    bindir = f".tox/{match[1]}/bin"
    script = shlex.quote('#!/bin/sh\\nexec /opt/venv/bin/python "$@"\\n')
    names = " ".join(f"python{v}" for v in ("", python.split(".")[0], python))
    return (
        f"mkdir -p {bindir} && for n in {names}; do printf {script} > {bindir}/$n "
        f"&& chmod 755 {bindir}/$n; done"
    )


def directives_for(repo: str, test_patch: str) -> list[str]:
    """What the official eval script appends to ``test_cmd``: the files the test patch
    touches, minus data files; for Django, dotted module names relative to ``tests/``."""
    files = re.findall(r"diff --git a/.* b/(.*)", test_patch)
    files = [f for f in files if not f.endswith(NON_TEST_EXTS)]
    if repo == "django/django":
        files = [f.removesuffix(".py").removeprefix("tests/").replace("/", ".") for f in files]
    return files


def _environment(
    rec: Record, spec: dict[str, Any], git_dir: Path | None
) -> tuple[EnvironmentSpec, dict[str, Any]]:
    """``(EnvironmentSpec, metadata)``. System steps (apt, locales, /etc) go to the shared
    env image; other pre-install steps touch the repository, so run before its install."""
    env_cmds: list[str] = []
    repo_cmds: list[str] = []
    env_vars: dict[str, str] = {}
    prefix: list[str] = []  # shell variables set by earlier steps
    version = scm_version(git_dir, rec["base_commit"]) if git_dir else None
    # Per instance, so set for the install steps rather than in the shared env image.
    scm = [f"export SETUPTOOLS_SCM_PRETEND_VERSION={version}"] if version else []
    for cmd in [*spec.get("pre_install", []), *spec.get("eval_commands", [])]:
        cmd = re.sub(r"&&\s*&&", "&&", str(cmd).strip())
        if exported := re.match(r"^export\s+([A-Za-z_]\w*)=(.*)$", cmd):
            env_vars[exported[1]] = " ".join(shlex.split(exported[2]))
        elif re.match(r"^[A-Za-z_]\w*=\S*$", cmd):
            prefix.append(cmd)
        elif _ENV_LEVEL.search(cmd):
            apt = ["export DEBIAN_FRONTEND=noninteractive"] if "apt" in cmd else []
            if "locale-gen" in cmd and not any("install -y locales" in c for c in env_cmds):
                apt = [*apt, LOCALES]  # the official images have it; our slim base does not
            env_cmds.append("; ".join([*prefix, *apt, cmd]))
        else:
            repo_cmds.append("; ".join([*scm, *prefix, cmd]))
    if spec.get("install"):
        repo_cmds.append("; ".join([*scm, *prefix, _install(str(spec["install"]))]))
    if wrappers := tox_current_env_python(str(spec["test_cmd"]), str(spec["python"])):
        repo_cmds.append(wrappers)
    deps = _dependencies(rec, spec, git_dir)
    pre = [*env_cmds, "python -m pip install " + " ".join(SEED)]
    if kept := [shlex.quote(d) for d, ok in deps if ok]:
        pre.append("python -m pip install " + " ".join(kept))
    env = EnvironmentSpec(
        python=spec["python"],
        pip_packages=tuple(str(p) for p in spec.get("pip_packages") or ()),
        pre_install=tuple(pre),
        install=tuple(repo_cmds),
        test_cmd=" ".join([spec["test_cmd"], *directives_for(rec["repo"], rec["test_patch"])]),
        env_vars=env_vars,
    )
    meta = {"scm_version": version, "dropped_requirements": [d for d, ok in deps if not ok]}
    return env, {k: v for k, v in meta.items() if v}


def _log_parser(repo: str, spec: dict[str, Any]) -> str:
    if spec.get("log_parser"):
        return str(spec["log_parser"])
    if repo in (_swebench("log_parsers", "MAP_REPO_TO_PARSER") or {}):
        return PARSER_PREFIX + repo
    cmd = spec["test_cmd"]
    return "django" if "runtests.py" in cmd else "sympy" if "bin/test" in cmd else "pytest"
