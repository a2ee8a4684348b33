"""The whole code base (swe_env, rewards, and tasks/ if it becomes a package): no import
cycle, imports that point the way docs/architecture.md says, small functions and modules.

Lazy imports (inside functions, or under ``TYPE_CHECKING``) count like any other: a module
that imports another only when called still depends on it. A rule holds for everything a
module reaches, not only what it imports itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from support.modules import (
    MAX_FUNCTION_LINES,
    MAX_MODULE_LINES,
    edges,
    find_cycle,
    import_chain,
    imports_of,
    oversized,
    package_modules,
)

ROOT = Path(__file__).resolve().parents[2]
OURS = ("swe_env", "rewards", "tasks")
PACKAGES = tuple(p for p in OURS if (ROOT / p / "__init__.py").is_file())
MODULES = {n: p for pkg in PACKAGES for n, p in package_modules(ROOT / pkg, ROOT).items()}


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    """Whether ``name`` is one of ``prefixes`` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@dataclass(frozen=True)
class Rule:
    """Modules under ``sources`` never reach a module or library under ``forbidden`` and,
    if ``only`` is given, reach none of our modules outside ``only``."""

    says: str
    sources: tuple[str, ...]
    forbidden: tuple[str, ...] = ()
    only: tuple[str, ...] | None = None

    def banned(self, name: str) -> bool:
        """Whether reaching ``name`` (a module of ours or a library) breaks the rule."""
        if under(name, self.forbidden):
            return True
        return self.only is not None and under(name, OURS) and not under(name, self.only)


FLOORS = (
    ("swe_env.cli", "swe_env.integrations", "swe_env.factory"),
    ("swe_env.rollout", "swe_env.server", "swe_env.cluster"),
    ("swe_env.env", "swe_env.env_fork", "swe_env.traces.trace_env"),
    (
        "swe_env.tools",
        "swe_env.images",
        "swe_env.tasks",
        "rewards",
        "swe_env.traces.collect",
        "swe_env.viewer",
    ),
    ("swe_env.traces.format", "swe_env.traces.tracer"),
    ("swe_env.sandbox",),
)
"""'Imports point one way, down the flow': cli and the trainer adapters -> rollout and
server -> env (and the Trace env) -> tools, images, tasks, rewards (and the trace collector)
-> the trace format and tracer -> sandbox. A floor never reaches a floor above it."""

SHARED = ("swe_env.patch", "swe_env.errors", "swe_env.retry")

RULES = (
    *(
        Rule(
            f"imports point one way, down the flow: {', '.join(floor)} never import "
            + ", ".join(above),
            floor,
            above,
        )
        for i, floor in enumerate(FLOORS)
        if (above := tuple(name for higher in FLOORS[:i] for name in higher))
    ),
    Rule(
        "rewards/ never imports swe_env.env, rollout or server; of swe_env it uses only "
        "tasks, images, sandbox and patch (and errors, retry, which every floor may use)",
        ("rewards",),
        ("swe_env.env", "swe_env.rollout", "swe_env.server", "swe_env.cli"),
        only=("rewards", "swe_env.tasks", "swe_env.images", "swe_env.sandbox", *SHARED),
    ),
    Rule("swe_env.patch, errors, retry import nothing of swe_env", SHARED, only=()),
    Rule(
        "the sandbox knows no task, tool or environment",
        ("swe_env.sandbox",),
        ("swe_env.tasks", "swe_env.tools", "swe_env.env", "swe_env.client"),
    ),
    Rule(
        "tools see only a Sandbox",
        ("swe_env.tools",),
        only=("swe_env.tools", "swe_env.sandbox.base", "swe_env.errors"),
    ),
    Rule(
        "the environment knows no runner and no transport, HTTP included",
        ("swe_env.env", "swe_env.env_fork"),
        ("swe_env.rollout", "swe_env.server", "swe_env.client", "swe_env.cli"),
    ),
    Rule(
        "the policy client knows no environment",
        ("swe_env.policy",),
        ("swe_env.env", "swe_env.client", "swe_env.rollout", "swe_env.server", "swe_env.cli"),
    ),
    Rule("tasks are data, and import no sandbox", ("swe_env.tasks",), ("swe_env.sandbox",)),
    Rule(
        "the viewer reads run records only: no Docker, no sandbox, no environment",
        ("swe_env.viewer",),
        ("docker", "swe_env.sandbox", "swe_env.env", "swe_env.tools", "swe_env.images"),
        only=("swe_env.viewer", *SHARED),
    ),
    Rule(
        "the remote client imports no Docker, tools or tasks",
        ("swe_env.client",),
        (
            "docker",
            "swe_env.sandbox.docker",
            "swe_env.images",
            "swe_env.tools",
            "swe_env.tasks",
            "swe_env.env",
        ),
    ),
    Rule(
        "only the CLI imports the task factory; the factory uses tasks, images, sandbox, "
        "rewards and rollout.validate, never env, server or the trainer adapters",
        ("swe_env.integrations", "swe_env.rollout", "swe_env.server", "swe_env.env"),
        ("swe_env.factory",),
    ),
    Rule(
        "the task factory reaches no env, server, policy, client or trainer adapter",
        ("swe_env.factory",),
        (
            "swe_env.env",
            "swe_env.server",
            "swe_env.policy",
            "swe_env.client",
            "swe_env.cli",
            "swe_env.integrations",
        ),
    ),
    Rule(
        "SWEEnvConfig is light: no Docker, no tools",
        ("swe_env.env_config",),
        ("docker", "swe_env.sandbox.docker", "swe_env.images", "swe_env.tools", "swe_env.env"),
    ),
)


def with_libraries(modules: dict[str, Path]) -> dict[str, set[str]]:
    """:func:`edges` of ``modules``, plus the top-level name of every library each imports."""
    graph = edges(modules)
    for name, path in modules.items():
        graph[name] |= {m.split(".")[0] for m, _ in imports_of(path)} - set(OURS)
    return graph


def broken_rules(graph: dict[str, set[str]], rules: tuple[Rule, ...]) -> list[str]:
    """One line per (rule, module) that breaks it: the rule, then the chain of imports."""
    broken = []
    for rule in rules:
        for source in sorted(n for n in graph if under(n, rule.sources)):
            chain = import_chain(graph, source, rule.banned)
            if chain:
                broken.append(f"{rule.says}: {' -> '.join(chain)}")
    return broken


def test_the_packages_are_found() -> None:
    assert {"swe_env", "rewards"} <= set(PACKAGES)
    for rule in RULES:
        for prefix in rule.sources:
            assert any(under(name, (prefix,)) for name in MODULES), f"{rule.says}: {prefix}?"


def test_no_import_cycle() -> None:
    graph = edges(MODULES)
    assert find_cycle(graph) is None, find_cycle(graph)


def test_imports_point_the_way_the_design_says() -> None:
    assert broken_rules(with_libraries(MODULES), RULES) == []


def test_functions_and_modules_are_small() -> None:
    assert oversized(MODULES) == []


# -- each check can fail ------------------------------------------------------------------
def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_cycle_finder_sees_a_lazy_import(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from a import x\n")
    graph = edges({"a": tmp_path / "a.py", "b": tmp_path / "b.py"})
    assert find_cycle(graph) == ["a", "b", "a"]


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"swe_env.tasks.spec": {"swe_env.patch"}, "swe_env.patch": set()}, []),
        (
            {"swe_env.tasks.spec": {"swe_env.tasks.x"}, "swe_env.tasks.x": {"swe_env.sandbox.a"}},
            ["tasks: swe_env.tasks.spec -> swe_env.tasks.x -> swe_env.sandbox.a",
             "tasks: swe_env.tasks.x -> swe_env.sandbox.a"],
        ),
        ({"swe_env.client.env": {"docker"}}, ["client: swe_env.client.env -> docker"]),
        ({"swe_env.patch": {"swe_env.errors"}}, ["shared: swe_env.patch -> swe_env.errors"]),
    ],
)  # fmt: skip
def test_a_broken_rule_is_reported_with_its_chain(
    graph: dict[str, set[str]], expected: list[str]
) -> None:
    rules = (
        Rule("tasks", ("swe_env.tasks",), ("swe_env.sandbox",)),
        Rule("client", ("swe_env.client",), ("docker",)),
        Rule("shared", ("swe_env.patch",), only=()),
    )
    assert broken_rules(graph, rules) == expected


def test_oversized_sees_a_long_function_and_a_long_module(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "long_function.py").write_text(f"def f():\n{body}")
    (tmp_path / "long_module.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    (tmp_path / "fine.py").write_text("def f():\n" + body[: body.rindex("    x")])
    modules = {p.stem: p for p in tmp_path.glob("*.py")}
    assert sorted(oversized(modules)) == [
        f"long_function.f: {MAX_FUNCTION_LINES + 1} lines",
        f"long_module: {MAX_MODULE_LINES + 1} lines",
    ]
