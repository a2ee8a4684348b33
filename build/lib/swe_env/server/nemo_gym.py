"""NeMo Gym's ``GymnasiumServer`` contract, served under ``/nemo-gym`` (no NeMo import).

NeMo Gym's ``gymnasium_agent`` drives a resources server through ``POST /reset`` (the
dataset row: ``responses_create_params`` plus the row's own fields), ``POST /step`` (the
row plus the model's Responses-API ``response``; tool results go back in
``info["tool_outputs"]`` as ``{"call_id", "output"}``), ``POST /close`` (when reset's
info says ``supports_explicit_close``) and ``POST /aggregate_metrics``. The session is a
cookie set by ``/reset``; the agent sends the cookies it got back on every later call.
Each route is also answered under NeMo Gym's rollout prefix ``/ng-rollout/<id>/``.

Here a session is an episode of the service's :class:`EpisodeManager`: the row names
the task (``task_id``, and optionally ``seed`` and ``config`` as in ``POST
/v1/episodes``); each ``function_call`` of the model's output is one step; a submit ends
the episode with the graded reward, and its containers are removed at once.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from swe_env.server.models import (
    TASK_ID,
    CreateEpisode,
    ServiceError,
    StepResult,
    errors,
    invalid,
)
from swe_env.server.routes import Manager, bearer
from swe_env.tasks import load_suite
from swe_env.tools.registry import openai_schemas

COOKIE = "swe_env_nemo_gym"
"""The session cookie: the episode id."""
PREFIX = "/nemo-gym"
ROLLOUT = "/ng-rollout/{rollout_id}"
"""NeMo Gym's per-rollout path prefix (its ``RolloutContextMiddleware`` strips it)."""
TASK_INDEX = "_ng_task_index"
STEP_REQUEST_ID = "_ng_step_request_id"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class EnvResetRequest(_Open):
    """The dataset row: ``task_id``, and optionally ``seed`` and ``config`` among its
    extra fields (as in ``POST /v1/episodes``); NeMo Gym's own ``_ng_*`` fields are
    ignored."""

    responses_create_params: dict[str, Any]
    task_id: str = Field(pattern=TASK_ID, max_length=300, description="The row's swe-env task.")


class EnvResetResponse(BaseModel):
    observation: str | None = None
    info: dict[str, Any] = {}


class ModelResponse(_Open):
    """The Responses-API response of one model call; only ``output`` is read."""

    output: list[dict[str, Any]] = Field(default_factory=list)


class EnvStepRequest(_Open):
    responses_create_params: dict[str, Any]
    response: ModelResponse


class EnvStepResponse(BaseModel):
    observation: str | None = None
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    info: dict[str, Any] = {}


class AggregateMetricsRequest(BaseModel):
    verify_responses: list[dict[str, Any]]


class AggregateMetrics(BaseModel):
    group_level_metrics: list[dict[str, Any]] = Field(default_factory=list)
    agent_metrics: dict[str, Any] = Field(default_factory=dict)
    key_metrics: dict[str, Any] = Field(default_factory=dict)


Session = Annotated[str | None, Cookie(alias=COOKIE)]
nemo_gym_routes = APIRouter(
    prefix=PREFIX, dependencies=[Depends(bearer)], tags=["nemo-gym"], responses=errors(401)
)
"""NeMo Gym's GymnasiumServer routes; behind the token like the rest of the API."""


def _both(path: str, *codes: int) -> Any:
    """Register a POST handler at ``path`` and under the rollout prefix; ``codes``: the
    error answers it documents (besides 401 and 422)."""

    def register(handler: Any) -> Any:
        nemo_gym_routes.post(path, responses=errors(*codes))(handler)
        nemo_gym_routes.post(ROLLOUT + path, include_in_schema=False)(handler)
        return handler

    return register


def create_request(metadata: dict[str, Any]) -> CreateEpisode:
    """The episode a row asks for (its ``task_id``, ``seed`` and ``config``)."""
    fields = {k: metadata[k] for k in ("task_id", "seed", "config") if k in metadata}
    if "task_id" not in fields:
        raise invalid(("body", "task_id"), "the row must name its task_id")
    try:
        return CreateEpisode.model_validate(fields)
    except ValidationError as exc:
        raise invalid(("body",), str(exc)) from exc


@_both("/reset", 400, 404, 413, 429, 503, 504)
async def reset(body: EnvResetRequest, m: Manager, response: Response) -> EnvResetResponse:
    """Start an episode for the row's task; its first observation is the problem
    statement and tool instructions."""
    created = await m.create(create_request({**(body.model_extra or {}), "task_id": body.task_id}))
    response.set_cookie(COOKIE, created.episode_id, httponly=True, samesite="strict")
    info = {
        "episode_id": created.episode_id,
        "supports_explicit_close": True,
        "supports_step_idempotency": True,
        "swe_env": created.info,
    }
    return EnvResetResponse(observation=created.observation, info=info)


def actions(output: list[dict[str, Any]]) -> list[tuple[str | None, dict[str, Any] | str]]:
    """The steps one model output asks for: each ``function_call`` as ``(call_id,
    {"name", "arguments"})``; without any, its message text as one text-format action."""
    calls = [
        (item.get("call_id", ""), {"name": item.get("name"), "arguments": item.get("arguments")})
        for item in output
        if item.get("type") == "function_call"
    ]
    return calls or [(None, _text(output))]


def _text(output: list[dict[str, Any]]) -> str:
    parts = []
    for item in output:
        if item.get("type") != "message":
            continue
        content = item.get("content")
        if isinstance(content, str):
            parts.append(content)
            continue
        parts += [c.get("text", "") for c in content or [] if c.get("type") == "output_text"]
    return "".join(parts)


def _episode(session: str | None) -> str:
    if not session:
        raise ServiceError(404, "no_session", f"no episode: POST {PREFIX}/reset first")
    return session


@_both("/step", 400, 404, 409, 413, 500, 503, 504)
async def step(body: EnvStepRequest, m: Manager, session: Session = None) -> EnvStepResponse:
    """Run the model's tool calls in order (a text reply is one text-format action).
    Stops at the first that ends the episode, then removes its containers."""
    episode = _episode(session)
    request_id = (body.model_extra or {}).get(STEP_REQUEST_ID)
    outputs: list[dict[str, Any]] = []
    result: StepResult | None = None
    reward = 0.0
    for i, (call_id, action) in enumerate(actions(body.response.output)):
        key = f"{request_id}:{i}" if isinstance(request_id, str) else None
        result, _ = await m.step(episode, action, key)
        reward += result.reward
        if call_id is not None:
            outputs.append({"call_id": call_id, "output": result.observation})
        if result.terminated or result.truncated:
            break
    assert result is not None  # actions() always yields one
    done = result.terminated or result.truncated
    if done:
        await _close(m, episode)
    return EnvStepResponse(
        observation=None if done or outputs else result.observation,
        reward=reward,
        terminated=result.terminated,
        truncated=result.truncated,
        info={"tool_outputs": outputs, "swe_env": result.info},
    )


async def _close(m: Any, episode: str) -> None:
    """Remove the episode's containers; one already gone is fine."""
    try:
        await m.delete(episode)
    except ServiceError as exc:
        if exc.status_code != 404:
            raise


@_both("/close", 400, 404)
async def close(m: Manager, response: Response, session: Session = None) -> dict[str, Any]:
    """End the session's episode early (idempotent)."""
    if session:
        await _close(m, session)
    response.delete_cookie(COOKIE)
    return {"closed": bool(session)}


@_both("/aggregate_metrics", 400, 413)
async def aggregate_metrics(body: AggregateMetricsRequest) -> AggregateMetrics:
    """Mean, min and max reward per task (by ``_ng_task_index``) and over all rollouts."""
    by_task: dict[Any, list[float]] = defaultdict(list)
    for row in body.verify_responses:
        by_task[row.get(TASK_INDEX, 0)].append(float(row.get("reward", 0.0)))
    if not by_task:
        return AggregateMetrics()
    every = [r for rewards in by_task.values() for r in rewards]
    groups = [{TASK_INDEX: task, **_stats(by_task[task])} for task in sorted(by_task)]
    overall = _stats(every)
    return AggregateMetrics(
        group_level_metrics=groups,
        agent_metrics=overall,
        key_metrics={"mean/reward": overall["mean/reward"]},
    )


def _stats(rewards: list[float]) -> dict[str, float]:
    return {
        "mean/reward": mean(rewards),
        "min/reward": min(rewards),
        "max/reward": max(rewards),
        "count": float(len(rewards)),
    }


def dataset_rows(suite: str) -> list[dict[str, Any]]:
    """One NeMo Gym dataset row per task of ``suite``: the tools in the Responses API's
    form, an empty input (``/reset``'s observation, the problem statement and tool
    instructions, becomes the first user message) and the task id."""
    tools = [{"type": "function", **s["function"], "strict": False} for s in openai_schemas()]
    params = {"input": [], "tools": tools}
    return [{"responses_create_params": params, "task_id": t.full_id} for t in load_suite(suite)]
