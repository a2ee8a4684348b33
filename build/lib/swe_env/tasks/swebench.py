"""SWE-bench importer: SWE-bench JSON/JSONL records become a native task suite.

Each record becomes ``<out>/<instance_id>/{task.yaml, test.patch, gold.patch}``: a mirror
source, ``grading: swebench``, and an environment from swebench 4.1.0's spec table rewritten
for a pip venv on Debian. Importing downloads nothing: files come from a local mirror.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from swe_env.errors import TaskError
from swe_env.tasks.native import load_task
from swe_env.tasks.spec import GitSource, MirrorSource, TaskSpec
from swe_env.tasks.swebench_specs import (
    NETWORK_REPOS,
    Specs,
    UnsupportedInstance,
    _environment,
    _git,
    _log_parser,
    directives_for,
    lookup_spec,
    python_for,
    scm_version,
)

__all__ = [
    "ImportReport",
    "RecordError",
    "UnsupportedInstance",
    "directives_for",
    "import_swebench",
    "load_spec_file",
    "load_swebench",
    "lookup_spec",
    "mirror_git_dir",
    "normalize_record",
    "raw_records",
    "scm_version",
    "to_task",
    "write_task",
]

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
Record = dict[str, Any]


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
    substituted: dict[str, str] = field(default_factory=dict)
    """Imported ids built on a stand-in Python (id → "3.9 for 3.8"): quarantined until
    they validate."""


# -- mirrors ---------------------------------------------------------------------------------
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


def raw_records(path: Path) -> Iterator[tuple[str, Any]]:
    """``(where, record)`` of a JSON list or JSONL file, unchecked; a line that is not JSON
    comes as a :class:`RecordError`.

    Raises:
        TaskError: the file cannot be read, or is a broken JSON list.
    """
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
    for where, raw in raw_records(path):
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


def _with_python(spec: Mapping[str, Any], nearest: bool) -> tuple[Any, dict[str, Any]]:
    """``spec`` with the Python it will be built on, and the metadata recording a stand-in.

    Raises:
        UnsupportedInstance: no Python for it here (see :func:`python_for`).
    """
    asked = str(spec["python"])
    python = python_for(asked, nearest)
    if python == asked:
        return spec, {}
    return {**spec, "python": python}, {"python_substitute": {"asked": asked, "used": python}}


def to_task(
    record: Mapping[str, Any],
    *,
    mirror: Path | None,
    git_url: str | None = None,
    specs: Specs | None = None,
    nearest_python: bool = False,
) -> TaskSpec:
    """One SWE-bench record as a :class:`TaskSpec` with ``grading="swebench"``.

    ``mirror`` holds git mirrors (:func:`mirror_git_dir`); without one, ``git_url`` is a clone
    URL template with ``{repo}``, ``{owner}``, ``{name}``. ``specs`` (``{repo: {version:
    spec}}``: swebench's spec fields, plus optional ``log_parser``, ``reqs_paths`` and
    ``env_yml_paths``) take precedence over swebench's table. ``nearest_python``: build a
    spec whose Python Debian lacks with its stand-in (:func:`python_for`).

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
        spec, meta_extra = _with_python(spec, nearest_python)
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
            metadata=metadata | {"needs_network": network} | meta | meta_extra,
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
    nearest_python: bool = False,
) -> ImportReport:
    """Import every record of ``file`` into the native suite directory ``out``: malformed
    records go to ``errors``, those :func:`to_task` rejects to ``skipped``, the rest written.
    Tasks built on a stand-in Python (``nearest_python``) go into the suite's quarantine
    until ``swe-env tasks validate`` passes them.

    Raises:
        TaskError: the file itself cannot be read.
    """
    from swe_env.tasks.quarantine import update_quarantine

    report = ImportReport(out=out)
    for rec in load_swebench(file, errors=report.errors):
        iid = rec["instance_id"]
        try:
            task = to_task(
                rec, mirror=mirror, git_url=git_url_template, specs=specs,
                nearest_python=nearest_python,
            )
            write_task(task, out)
        except TaskError as exc:
            report.skipped[iid] = str(exc).removeprefix(f"{iid}: ")
            continue
        report.imported.append(iid)
        if sub := task.metadata.get("python_substitute"):
            report.substituted[iid] = f"{sub['used']} for {sub['asked']}"
    pending = {
        iid: f"Python {how} (nearest stand-in): not validated yet" for iid, how in report.substituted.items()
    }
    if pending:
        update_quarantine(out, pending)
    return report
