"""SWE-bench importer: SWE-bench JSON/JSONL records become a native task suite.

Each record becomes ``<out>/<instance_id>/{task.yaml, test.patch, gold.patch}``: a mirror
source, ``grading: swebench``, and an environment from swebench 4.1.0's spec table rewritten
for a pip venv on Debian. Importing downloads nothing: files come from a local mirror.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import posixpath
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from swe_env.errors import TaskError
from swe_env.tasks.native import load_task
from swe_env.tasks.spec import EnvironmentSpec, GitSource, MirrorSource, TaskSpec

PYTHONS = ("3.9", "3.11", "3.13")
SEED = ("pip==24.0", "setuptools==69.5.1", "wheel==0.43.0")
"""pip, setuptools and wheel of about the dataset's era, installed first in every venv."""
PARSER_PREFIX = "swebench:"  # equals rewards.swebench_parsers.PREFIX
NETWORK_REPOS = frozenset({"psf/requests"})
"""Repositories whose tests call the internet (httpbin): they cannot pass offline."""
NON_TEST_EXTS = (".json", ".png", "csv", ".txt", ".md", ".jpg", ".jpeg", ".pkl", ".yml", ".yaml")
NON_TEST_EXTS += (".toml",)
CONDA_ONLY = {"python", "pip", "compilers", "c-compiler", "cxx-compiler", "graphviz", "gtk3"}
CONDA_ONLY |= {"gtk4", "pygobject", "pyqt", "wxpython", "ffmpeg", "imagemagick", "pkg-config"}
REQUIRED = ("instance_id", "repo", "base_commit", "patch", "test_patch", "problem_statement")
REQUIRED += ("version", "FAIL_TO_PASS", "PASS_TO_PASS")
_SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")
_CHECKS = {
    "instance_id": lambda v: isinstance(v, str) and re.match(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", v),
    "repo": lambda v: isinstance(v, str) and re.match(r"^[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+$", v),
    "base_commit": lambda v: isinstance(v, str) and _SHA.match(v),
    "environment_setup_commit": lambda v: v is None or (isinstance(v, str) and _SHA.match(v)),
    "patch": lambda v: isinstance(v, str),
    "test_patch": lambda v: isinstance(v, str) and v.strip(),
    "problem_statement": lambda v: isinstance(v, str) and v.strip(),
    "version": lambda v: isinstance(v, str | int | float) and not isinstance(v, bool),
    "created_at": lambda v: v is None or isinstance(v, str),
}
_ENV_LEVEL = re.compile(r"\bapt(-get)?\b|\blocale-gen\b|/etc/")
Record = dict[str, Any]
Specs = Mapping[str, Mapping[str, Mapping[str, Any]]]


class UnsupportedInstance(TaskError):
    """A well-formed instance that cannot become a runnable task here (reported, skipped)."""


@dataclass(frozen=True)
class RecordError:
    """A malformed record: where (``file:line``, or ``file[index]`` in a JSON list) and why."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class ImportReport:
    """What :func:`import_swebench` did: imported ids, skipped ids with reasons, bad records."""

    out: Path
    imported: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)


# -- mirrors ---------------------------------------------------------------------------------
def _git(git_dir: Path, *args: str) -> str | None:
    """stdout of ``git --git-dir=git_dir args``, or ``None`` when git fails."""
    cmd = ["git", f"--git-dir={git_dir}", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    return done.stdout if done.returncode == 0 else None


def _as_git_dir(path: Path) -> Path | None:
    if (path / "HEAD").is_file() and ((path / "objects").is_dir() or (path / "commondir").exists()):
        return path.resolve()  # bare, or a .git directory (of a linked work tree: commondir)
    if (path / ".git").is_file():  # a linked work tree: "gitdir: <path>"
        return _as_git_dir(path / (path / ".git").read_text().partition(":")[2].strip())
    return _as_git_dir(path / ".git") if (path / ".git").is_dir() else None


def mirror_git_dir(mirror: Path, repo: str) -> Path:
    """The git dir of ``repo`` (``owner/name``) in ``mirror``, as ``git --git-dir`` takes it.
    Tried: ``owner__name.git``, ``owner__name``, ``owner/name.git``, ``owner/name``,
    ``name.git``, ``name``; each bare or a work tree (then its ``.git`` is returned).

    Raises:
        TaskError: ``repo`` is not ``owner/name``, or no layout holds a git repository.
    """
    if not _CHECKS["repo"](repo):
        raise TaskError(f"repo {repo!r} is not of the form owner/name")
    owner, name = repo.split("/")
    tried = [f"{owner}__{name}.git", f"{owner}__{name}", f"{owner}/{name}.git", repo]
    tried += [f"{name}.git", name]
    for rel in tried:
        if (found := _as_git_dir(mirror / rel)) is not None:
            return found
    raise TaskError(f"no git repository for {repo} in {mirror} (tried: {', '.join(tried)})")


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
def _test_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return list(value) if ok else None


def normalize_record(raw: Any) -> tuple[Record | None, list[str]]:
    """Check one record. Returns it with list-typed FAIL_TO_PASS/PASS_TO_PASS and a ``str``
    version, or ``None`` and the problems found (each naming its field)."""
    if not isinstance(raw, dict):
        return None, [f"expected a JSON object, got {type(raw).__name__}"]
    problems = [f"field {key!r}: missing" for key in REQUIRED if key not in raw]
    for key, check in _CHECKS.items():
        if key in raw and not check(raw[key]):
            problems.append(f"field {key!r}: invalid value {str(raw[key])[:60]!r}")
    rec = dict(raw)
    for key in ("FAIL_TO_PASS", "PASS_TO_PASS"):
        if key in raw and _test_list(raw[key]) is None:
            problems.append(f"field {key!r}: expected a list of strings or a JSON-encoded one")
        rec[key] = _test_list(raw.get(key))
    if problems:
        return None, problems
    rec["version"] = str(rec["version"])
    rec["environment_setup_commit"] = rec.get("environment_setup_commit") or rec["base_commit"]
    return rec, []


def _raw_items(path: Path) -> Iterator[tuple[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskError(f"{path}: cannot read: {exc}") from None
    if text.lstrip().startswith("["):  # a JSON list; otherwise one JSON object per line
        try:
            yield from ((f"{path}[{i}]", rec) for i, rec in enumerate(json.loads(text)))
        except json.JSONDecodeError as exc:
            raise TaskError(f"{path}: not valid JSON: {exc}") from None
        return
    for n, line in ((n, ln) for n, ln in enumerate(text.split("\n"), 1) if ln.strip()):
        try:
            yield f"{path}:{n}", json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"{path}:{n}", RecordError(f"{path}:{n}", f"not valid JSON: {exc}")


def load_swebench(path: Path, *, errors: list[RecordError] | None = None) -> list[Record]:
    """SWE-bench records of a JSON list or JSONL file, checked and normalized. With
    ``errors``, malformed records (their line or index, and field) go there and are left out.

    Raises:
        TaskError: the file cannot be read, is a broken JSON list, or (without ``errors``)
            holds malformed records: the message lists them all.
    """
    found: list[RecordError] = []
    records: list[Record] = []
    seen: dict[str, str] = {}
    for where, raw in _raw_items(path):
        rec, problems = (
            (None, [raw.message]) if isinstance(raw, RecordError) else normalize_record(raw)
        )
        if rec is not None and rec["instance_id"] in seen:
            problems = [f"field 'instance_id': duplicate of {seen[rec['instance_id']]}"]
        found += [RecordError(where, problem) for problem in problems]
        if rec is not None and not problems:
            records.append(rec)
            seen[rec["instance_id"]] = where
    if errors is None and found:
        raise TaskError("\n".join(map(str, found)))
    if errors is not None:
        errors.extend(found)
    return records


def load_spec_file(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Extra specs ``{repo: {version: spec}}`` from YAML or JSON (versions become strings).

    Raises:
        TaskError: unreadable, or not shaped like that.
    """
    try:
        data = yaml.safe_load(path.read_text())
        return {str(r): {str(v): dict(s) for v, s in vs.items()} for r, vs in data.items()}
    except (OSError, yaml.YAMLError, AttributeError, TypeError, ValueError) as exc:
        raise TaskError(f"{path}: expected {{repo: {{version: {{spec}}}}}}: {exc}") from None


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
            env_cmds.append("; ".join([*prefix, *apt, cmd]))
        else:
            repo_cmds.append("; ".join([*scm, *prefix, cmd]))
    if spec.get("install"):
        repo_cmds.append("; ".join([*scm, *prefix, _install(str(spec["install"]))]))
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


def _source(
    rec: Record, mirror: Path | None, git_url: str | None
) -> tuple[MirrorSource | GitSource, Path | None]:
    """``(source, git dir or None)``, after checking the mirror holds the record's commits."""
    repo = rec["repo"]
    if mirror is not None:
        git_dir = mirror_git_dir(mirror, repo)
        for key in ("base_commit", "environment_setup_commit"):
            if _git(git_dir, "cat-file", "-e", f"{rec[key]}^{{commit}}") is None:
                raise TaskError(f"{key} {rec[key]} is not in {git_dir}")
        return MirrorSource(repo=repo, mirror=str(mirror.resolve())), git_dir
    if not git_url:
        raise TaskError("no repository source: pass a mirror or a git URL template with {repo}")
    owner, name = repo.split("/")
    try:
        return GitSource(url=git_url.format(repo=repo, owner=owner, name=name)), None
    except (KeyError, IndexError, ValueError) as exc:
        raise TaskError(f"bad git URL template {git_url!r}: {exc!r}") from None


def to_task(
    record: Mapping[str, Any],
    *,
    mirror: Path | None,
    git_url: str | None = None,
    specs: Specs | None = None,
) -> TaskSpec:
    """One SWE-bench record as a :class:`TaskSpec` with ``grading="swebench"``.

    ``mirror`` holds git mirrors (:func:`mirror_git_dir`); without one, ``git_url`` is a clone
    URL template with ``{repo}``, ``{owner}``, ``{name}``. ``specs`` (``{repo: {version:
    spec}}``: swebench's spec fields, plus optional ``log_parser``, ``reqs_paths`` and
    ``env_yml_paths``) take precedence over swebench's table.

    Raises:
        UnsupportedInstance: not runnable here (Python version; no spec, test command,
            FAIL_TO_PASS, or mirror for a spec that reads files): report and skip it.
        TaskError: a malformed record, a missing mirror or commit, or no source given.
    """
    rec, problems = normalize_record(dict(record))
    if rec is None:
        raise TaskError(f"{record.get('instance_id', '?')}: " + "; ".join(problems))
    try:
        spec = lookup_spec(rec["repo"], rec["version"], specs)
        if "python" not in spec:
            raise UnsupportedInstance("not a Python repository (its spec names no Python)")
        if str(spec["python"]) not in PYTHONS:
            have = ", ".join(PYTHONS)
            raise UnsupportedInstance(f"needs Python {spec['python']}; only {have} are available")
        if not isinstance(spec.get("test_cmd"), str):
            raise UnsupportedInstance("its spec has no (single) test command")
        if not rec["FAIL_TO_PASS"]:
            raise UnsupportedInstance("FAIL_TO_PASS is empty")
        source, git_dir = _source(rec, mirror, git_url)
        env, meta = _environment(rec, spec, git_dir)
        network = rec["repo"] in NETWORK_REPOS or "httpbin" in rec["test_patch"]
        keys = ("repo", "version", "environment_setup_commit", "created_at")
        metadata = {"source": "swebench", **{k: rec[k] for k in keys if rec.get(k)}}
        return TaskSpec(
            id=rec["instance_id"],
            source=source,
            base_commit=rec["base_commit"],
            problem_statement=rec["problem_statement"],
            environment=env,
            test_patch=rec["test_patch"],
            FAIL_TO_PASS=tuple(rec["FAIL_TO_PASS"]),
            PASS_TO_PASS=tuple(rec["PASS_TO_PASS"]),
            gold_patch=rec["patch"] or None,
            log_parser=_log_parser(rec["repo"], spec),
            grading="swebench",
            metadata=metadata | {"needs_network": network} | meta,
        )
    except TaskError as exc:
        raise type(exc)(f"{rec['instance_id']}: {exc}") from None
    except ValidationError as exc:
        raise TaskError(f"{rec['instance_id']}: {exc}") from None


# -- writing ---------------------------------------------------------------------------------
def write_task(task: TaskSpec, out: Path) -> Path:
    """Write ``task`` as ``out/<id>/{task.yaml, test.patch, gold.patch}``, atomically: staged
    in ``out/.staging/``, loaded back, then renamed over any previous version.

    Raises:
        TaskError: the written task does not load back identical (``task.suite`` aside).
    """
    staging = out / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{task.id}.", dir=staging))
    old = tmp.with_name(tmp.name + ".old")
    try:
        doc = task.model_dump(
            mode="json",
            by_alias=True,
            exclude={"suite", "hidden_tests", "test_patch", "gold_patch"},
        )
        for name, text in (("test_patch", task.test_patch), ("gold_patch", task.gold_patch)):
            if text:
                path = tmp / name.replace("_", ".")
                path.write_text(text, encoding="utf-8", newline="")
                doc[name] = path.name
        dumped = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
        (tmp / "task.yaml").write_text(dumped, encoding="utf-8")
        loaded = load_task(tmp, task.suite)
        if changed := [k for k in TaskSpec.model_fields if getattr(loaded, k) != getattr(task, k)]:
            raise TaskError(f"{task.id}: {', '.join(changed)} would not load back as written")
        final = out / task.id
        if final.exists():
            final.rename(old)
        try:
            tmp.rename(final)
        except OSError:
            if old.exists():
                old.rename(final)
            raise
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
        with contextlib.suppress(OSError):
            staging.rmdir()  # only when empty: other writers may be staging too


def import_swebench(
    file: Path,
    out: Path,
    *,
    mirror: Path | None,
    git_url_template: str | None,
    specs: Specs | None = None,
) -> ImportReport:
    """Import every record of ``file`` into the native suite directory ``out``: malformed
    records go to ``errors``, those :func:`to_task` rejects to ``skipped``, the rest written.

    Raises:
        TaskError: the file itself cannot be read.
    """
    report = ImportReport(out=out)
    for rec in load_swebench(file, errors=report.errors):
        iid = rec["instance_id"]
        try:
            write_task(to_task(rec, mirror=mirror, git_url=git_url_template, specs=specs), out)
        except TaskError as exc:
            report.skipped[iid] = str(exc).removeprefix(f"{iid}: ")
        else:
            report.imported.append(iid)
    return report
