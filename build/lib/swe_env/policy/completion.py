"""One assistant turn as a chat-completions server returns it, and its parser."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from pydantic import BaseModel, Field

_TOKEN_ID = re.compile(r"^token_id:(-?\d+)$")


class Completion(BaseModel):
    """One assistant turn as the server returned it."""

    content: str | None = None
    reasoning: str | None = None
    """Reasoning text the server split off (``reasoning_content``), if any."""
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    """OpenAI tool calls: ``{"id", "type": "function", "function": {"name", "arguments"}}``."""
    finish_reason: str | None = None
    tokens: list[str] | None = None
    token_ids: list[int] | None = None
    logprobs: list[float] | None = None
    top_logprobs: list[dict[str, float]] | None = None
    prompt_token_ids: list[int] | None = None
    usage: dict[str, int] = Field(default_factory=dict)
    model: str = ""
    latency: float = 0.0
    """Seconds from the first attempt to the answer, backoff included."""
    attempts: int = 1

    def message(self) -> dict[str, Any]:
        """The assistant message to append to the chat history."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = self.tool_calls
        if self.reasoning:
            msg["reasoning_content"] = self.reasoning
        return msg


def _normalize_tool_calls(raw: Any) -> list[dict[str, Any]]:
    calls = []
    for call in raw or []:
        if not isinstance(call, dict):
            continue
        function = call.get("function") or {}
        arguments = function.get("arguments", "")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        calls.append(
            {
                "id": call.get("id") or f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {"name": function.get("name"), "arguments": arguments},
            }
        )
    return calls


def parse_completion(data: dict[str, Any]) -> Completion:
    """Build a :class:`Completion` from a chat-completions response body.

    Raises:
        ValueError: the body has no ``choices[0].message``.
    """
    try:
        choice = data["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError):
        raise ValueError("the response has no choices[0].message") from None
    comp = Completion(
        content=message.get("content"),
        reasoning=message.get("reasoning_content") or message.get("reasoning"),
        tool_calls=_normalize_tool_calls(message.get("tool_calls")),
        finish_reason=choice.get("finish_reason"),
        model=str(data.get("model") or ""),
        usage={k: v for k, v in (data.get("usage") or {}).items() if isinstance(v, int)},
    )
    entries = (choice.get("logprobs") or {}).get("content") or []
    if entries:
        comp.tokens = [str(e.get("token", "")) for e in entries]
        comp.logprobs = [float(e.get("logprob") or 0.0) for e in entries]
        ids = [_TOKEN_ID.match(t) for t in comp.tokens]
        if all(ids):
            comp.token_ids = [int(m.group(1)) for m in ids if m]
        elif all(isinstance(e.get("id"), int) for e in entries):  # llama.cpp's llama-server
            comp.token_ids = [int(e["id"]) for e in entries]
        tops = [e.get("top_logprobs") for e in entries]
        if any(tops):
            comp.top_logprobs = [
                {str(t.get("token")): float(t.get("logprob") or 0.0) for t in top or []}
                for top in tops
            ]
    if isinstance(choice.get("token_ids"), list):
        comp.token_ids = [int(i) for i in choice["token_ids"]]
    prompt_ids = data.get("prompt_token_ids") or choice.get("prompt_token_ids")
    if isinstance(prompt_ids, list):
        comp.prompt_token_ids = [int(i) for i in prompt_ids]
    return comp
