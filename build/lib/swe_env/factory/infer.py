"""Environment inference: a repository's packaging files → an :class:`EnvironmentSpec`.

Reads pyproject.toml (requires-python, dependencies, test extras), setup.cfg, setup.py (by
regular expression: it is never executed), requirements*.txt and tox.ini. The repository's
dependencies go into the env image (``pip_packages``), shared by every task made from it,
and the tests run from the repository root (a ``src/`` layout is put on ``PYTHONPATH``):
an install step would make every instance image a committed layer (one file-system walk
each) instead of a loaded tar.
"""

from __future__ import annotations

import configparser
import contextlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from swe_env.tasks.spec import EnvironmentSpec

PYTHONS = ("3.11", "3.13", "3.9")
"""What the base images bootstrap, in order of preference."""
PYTEST = "pytest==8.3.3"
TEST_EXTRAS = ("test", "tests", "testing", "dev")
_SETUP_PY_PYTHON = re.compile(r"python_requires\s*=\s*['\"]([^'\"]+)['\"]")
_SETUP_PY_DEPS = re.compile(r"install_requires\s*=\s*\[([^\]]*)\]", re.S)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")
_NEEDS_NETWORK = ("requests", "httpx", "aiohttp", "urllib3")


@dataclass
class Inference:
    """The inferred environment, or the one-line reason there is none."""

    spec: EnvironmentSpec | None
    reason: str = ""
    notes: tuple[str, ...] = ()
    """What was read, for the user."""


def _pyproject(repo: Path) -> dict:
    path = repo / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(errors="replace"))
    except tomllib.TOMLDecodeError:
        return {}


def _setup_cfg(repo: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    path = repo / "setup.cfg"
    if path.is_file():
        with contextlib.suppress(configparser.Error):
            parser.read_string(path.read_text(errors="replace"))
    return parser


def _lines(text: str) -> list[str]:
    return [s.strip() for s in text.splitlines() if s.strip() and not s.strip().startswith("#")]


def requires_python(repo: Path) -> str:
    """The requires-python specifier the repository declares ('' when none)."""
    project = _pyproject(repo).get("project", {})
    if project.get("requires-python"):
        return str(project["requires-python"])
    cfg = _setup_cfg(repo)
    if cfg.has_option("options", "python_requires"):
        return cfg.get("options", "python_requires")
    setup_py = repo / "setup.py"
    if setup_py.is_file() and (m := _SETUP_PY_PYTHON.search(setup_py.read_text(errors="replace"))):
        return m.group(1)
    return ""


def choose_python(spec: str) -> str | None:
    """The preferred bootstrapped Python that ``spec`` allows (``None``: none does)."""
    try:
        allowed = SpecifierSet(spec)
    except InvalidSpecifier:
        return PYTHONS[0]
    return next((v for v in PYTHONS if allowed.contains(f"{v}.0")), None)


def _project_deps(repo: Path) -> list[str]:
    project = _pyproject(repo).get("project", {})
    deps = list(project.get("dependencies", []))
    extras = project.get("optional-dependencies", {})
    cfg = _setup_cfg(repo)
    if cfg.has_option("options", "install_requires"):
        deps += _lines(cfg.get("options", "install_requires"))
    for extra in TEST_EXTRAS:
        deps += list(extras.get(extra, []))
        if cfg.has_option("options.extras_require", extra):
            deps += _lines(cfg.get("options.extras_require", extra))
    setup_py = repo / "setup.py"
    if setup_py.is_file() and (m := _SETUP_PY_DEPS.search(setup_py.read_text(errors="replace"))):
        deps += _QUOTED.findall(m.group(1))
    return deps


def _file_deps(repo: Path) -> list[str]:
    deps: list[str] = []
    files = sorted({*repo.glob("requirements*.txt"), *repo.glob("requirements/*.txt")})
    files = [f for f in files if f.name == "requirements.txt" or "test" in f.name]
    for path in files:
        deps += [s for s in _lines(path.read_text(errors="replace")) if not s.startswith("-")]
    tox = configparser.ConfigParser(interpolation=None)
    if (repo / "tox.ini").is_file():
        try:
            tox.read_string((repo / "tox.ini").read_text(errors="replace"))
        except configparser.Error:
            return deps
        if tox.has_option("testenv", "deps"):
            deps += [s for s in _lines(tox.get("testenv", "deps")) if not s.startswith(("-", "{"))]
    return deps


def dependencies(repo: Path, python: str) -> list[str]:
    """Distinct requirement names (with their specifiers) that apply on ``python``;
    pytest itself is pinned by the factory, the repository's own name is left out."""
    own = str(_pyproject(repo).get("project", {}).get("name", "")).lower()
    found: dict[str, str] = {}
    for raw in [*_project_deps(repo), *_file_deps(repo)]:
        try:
            req = Requirement(raw)
        except InvalidRequirement:
            continue
        env = {"python_version": python, "python_full_version": f"{python}.0"}
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        name = req.name.lower()
        if name in {"pytest", own} or name.startswith("pytest-cov"):
            continue
        found.setdefault(name, f"{req.name}{req.specifier}")
    return sorted(found.values())


def pytest_command(repo: Path) -> str:
    """pytest from the repository root, on the tests directory when there is one."""
    where = next((d for d in ("tests", "test", "testing") if (repo / d).is_dir()), "")
    return f"python -m pytest -rA -p no:cacheprovider {where}".strip()


def infer_environment(repo_dir: Path) -> Inference:
    """The environment that runs ``repo_dir``'s tests, or why none can be inferred."""
    repo = Path(repo_dir)
    if not repo.is_dir():
        return Inference(None, f"{repo}: not a directory")
    if not any((repo / f).is_file() for f in ("pyproject.toml", "setup.py", "setup.cfg")):
        return Inference(None, "not a Python project: no pyproject.toml, setup.py or setup.cfg")
    spec = requires_python(repo)
    python = choose_python(spec)
    if python is None:
        return Inference(None, f"Python version: requires-python {spec!r} allows none of {PYTHONS}")
    deps = dependencies(repo, python)
    if any(d.split("[")[0].lower().startswith(_NEEDS_NETWORK) for d in deps):
        notes: tuple[str, ...] = (
            "its tests may need the network (an HTTP client is a dependency)",
        )
    else:
        notes = ()
    env_vars = {"PYTHONPATH": "/testbed/src"} if (repo / "src").is_dir() else {}
    env = EnvironmentSpec(
        python=python,  # type: ignore[arg-type]
        pip_packages=(PYTEST, *deps),
        test_cmd=pytest_command(repo),
        env_vars=env_vars,
    )
    read = f"requires-python {spec or '(none)'} -> {python}; {len(deps)} dependencies"
    return Inference(env, notes=(read, *notes))
