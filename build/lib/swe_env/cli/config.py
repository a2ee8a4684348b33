"""``--config FILE`` for the commands that run episodes: the file, then the flags given
on the command line, make one :class:`~swe_env.rollout.config.RolloutConfig`.

A bad file (missing, not YAML, an unknown key, a wrong type) is one error line and
exit 2. Flags left at their defaults never override the file: their defaults are the
model's own.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import BaseModel, ValidationError

from swe_env.cli.common import fail, input_file

if TYPE_CHECKING:
    from swe_env.rollout.config import RolloutConfig

POLICIES = ("openai", "replay")


def default(model: type[BaseModel], field: str) -> Any:
    """The default of ``model.field`` (so that a flag's default is the model's)."""
    return model.model_fields[field].get_default(call_default_factory=True)


def given(ctx: typer.Context) -> dict[str, Any]:
    """The parameters set on the command line or by an environment variable."""
    # by name: typer carries its own copy of click, whose enum is not ``click``'s
    sources = ("COMMANDLINE", "ENVIRONMENT")
    return {
        k: v
        for k, v in ctx.params.items()
        if getattr(ctx.get_parameter_source(k), "name", None) in sources
    }


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """``data[a][b][c] = value`` for ``path`` ``"a.b.c"`` (making the mappings on the way)."""
    *parents, last = path.split(".")
    for key in parents:
        if not isinstance(data.get(key), dict):
            data[key] = {}
        data = data[key]
    data[last] = value


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``over``, mapping by mapping."""
    result = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def read_config(path: Path | None, base: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by the file at ``path``; exit 2 on a bad file (unknown key, wrong
    type, missing file, not YAML). A missing required value (e.g. the model, which a
    flag may give) is left for :func:`finish_config`."""
    from swe_env.rollout.config import RolloutConfig, read_yaml_mapping

    if path is None:
        return copy.deepcopy(base)
    input_file(path, "--config", code=2)
    try:
        data = merge(base, read_yaml_mapping(path))
    except (OSError, ValueError) as exc:
        fail(f"--config {path}: {exc}", 2)
    try:
        RolloutConfig.model_validate(data)
    except ValidationError as exc:
        problems = [e for e in exc.errors() if e["type"] != "missing"]
        if problems:
            fail(f"--config {path}: {describe(problems)}", 2)
    return data


def finish_config(data: dict[str, Any], source: Path | None) -> RolloutConfig:
    """Validate the merged data; one error line and exit 2 if it is not a config."""
    from swe_env.rollout.config import RolloutConfig

    try:
        return RolloutConfig.model_validate(data)
    except ValidationError as exc:
        where = f"--config {source}: " if source else ""
        fail(f"{where}{describe(exc.errors())}", 2)


def switch(data: dict[str, Any], key: str, kind: str) -> None:
    """Make ``data[key]`` a ``kind`` (a policy or runner type), dropping the settings of
    another kind."""
    if (data.get(key) or {}).get("type") != kind:
        data[key] = {"type": kind}


def describe(errors: list[Any]) -> str:
    """Pydantic errors as one line: ``where: what (got …)``, joined by ``; ``."""
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error["loc"] if not _is_union_tag(p)) or "config"
        what = error["msg"].replace("Extra inputs are not permitted", "unknown key")
        got = error.get("input")
        shown = f" (got {got!r})" if error["type"] != "missing" and _scalar(got) else ""
        parts.append(f"{where}: {what}{shown}")
    return "; ".join(parts)


def _is_union_tag(part: Any) -> bool:
    return part in ("openai", "replay", "local", "ray")


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and len(str(value)) < 80
