"""A token-in, token-out policy over a local ``transformers`` model (the trainer's own).

The conversation is kept as token ids, never as text to re-tokenise: each turn's prompt
is the previous prompt, the ids the model sampled, and the chat template's glue around
the new observation (the end of the assistant message if the sample stopped short of
it, the user block, the generation prompt), tokenised on its own. So every turn's prompt
extends the last one exactly, and :func:`~swe_env.integrations.tokens.flatten` can mask
the glue without guessing.

Actions are CWM text blocks (``<tool: bash>…</tool>``). With ``script`` (another policy,
e.g. :class:`~swe_env.policy.replay.ReplayPolicy`), the action comes from the script,
rendered as text, and the model *scores* it (teacher forcing): the ids and logprobs are
still the model's own, which is how a test gets real rewards in a group from a random
model. Used by the TRL adapter when the trainer generates with its own model
(``use_vllm=False``) and by the tests; needs ``torch`` and ``transformers``.
"""

from __future__ import annotations

from typing import Any

from swe_env.policy.completion import Completion
from swe_env.tools.base import ToolCall
from swe_env.tools.formats import render_text_call

__all__ = ["TransformersPolicy", "chat_glue"]

_PROBE = "\x00swe-env-probe\x00"


def chat_glue(tokenizer: Any) -> tuple[str, tuple[str, str]]:
    """``(assistant_end, (user_before, user_after))`` of ``tokenizer``'s chat template:
    the text that follows an assistant message's content, and what comes before and
    after a user message's content (the generation prompt included)."""
    pair = [{"role": "user", "content": "u"}, {"role": "assistant", "content": _PROBE}]
    text = tokenizer.apply_chat_template(pair, tokenize=False)
    assistant_end = text[text.rindex(_PROBE) + len(_PROBE) :]
    user = [{"role": "user", "content": _PROBE}]
    block = tokenizer.apply_chat_template(user, tokenize=False, add_generation_prompt=True)
    start = block.rfind("<|im_start|>user") if "<|im_start|>user" in block else 0
    before, _, after = block[start:].partition(_PROBE)
    return assistant_end, (before, after)


class TransformersPolicy:
    """Samples actions with ``model`` (or scores ``script``'s actions), keeping ids."""

    name = "transformers"
    mode = "text"
    tools = None

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        max_new_tokens: int = 32,
        temperature: float = 1.0,
        script: Any | None = None,
    ) -> None:
        self.lm, self.tokenizer = model, tokenizer
        self.max_new_tokens, self.temperature = max_new_tokens, temperature
        self.script = script
        self.model = getattr(getattr(model, "config", None), "name_or_path", "") or "local"
        self.messages: list[dict[str, Any]] = []
        self.last_completion: Completion | None = None
        self._ids: list[int] = []
        self._end, self._user = chat_glue(tokenizer)
        self._eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
        if not isinstance(self._eos, int) or self._eos < 0:
            self._eos = tokenizer.eos_token_id

    @property
    def sampling(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "max_tokens": self.max_new_tokens}

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def observe(self, observation: str, info: dict[str, Any] | None = None) -> None:
        """Append ``observation`` as a user turn (glue ids only; nothing re-tokenised)."""
        self.messages.append({"role": "user", "content": observation})
        if not self._ids:  # the first prompt: the template's whole rendering
            text = self.tokenizer.apply_chat_template(
                self.messages, tokenize=False, add_generation_prompt=True
            )
            self._ids = self._encode(text)
            return
        glue = self._end
        if self._ids[-1] == self._eos:  # the sample ended the message itself
            glue = glue.removeprefix(self.tokenizer.convert_ids_to_tokens(self._eos))
        before, after = self._user
        self._ids += self._encode(glue + before + observation + after)

    def act(self, observation: str, info: dict[str, Any]) -> str:
        self.observe(observation, info)
        prompt = list(self._ids)
        if self.script is not None:
            action = self.script.act(observation, info)
            text = render_text_call(ToolCall(action["name"], action.get("arguments") or {}))
            sampled = [*self._encode(text), self._eos]
            logprobs = self._score(prompt, sampled)
        else:
            sampled, logprobs = self._sample(prompt)
        self._ids = prompt + sampled
        text = self.tokenizer.decode(sampled, skip_special_tokens=True)
        self.messages.append({"role": "assistant", "content": text})
        stop = "stop" if sampled and sampled[-1] == self._eos else "length"
        self.last_completion = Completion(
            content=text, token_ids=sampled, logprobs=logprobs, prompt_token_ids=prompt,
            finish_reason=stop, model=self.model,
        )  # fmt: skip
        return text

    def _logits(self, ids: list[int]) -> Any:
        import torch

        with torch.no_grad():
            batch = torch.tensor([ids], device=self.lm.device)
            return self.lm(input_ids=batch).logits[0].float()

    def _score(self, prompt: list[int], sampled: list[int]) -> list[float]:
        """Teacher-forced logprobs of ``sampled`` after ``prompt``."""
        logits = self._logits(prompt + sampled)[len(prompt) - 1 : -1] / self.temperature
        logprobs = logits.log_softmax(-1)
        return [float(logprobs[i, t]) for i, t in enumerate(sampled)]

    def _sample(self, prompt: list[int]) -> tuple[list[int], list[float]]:
        """Plain ancestral sampling (no top-k/top-p), so the logprobs are the model's."""
        import torch

        ids, sampled, logprobs = list(prompt), [], []
        for _ in range(self.max_new_tokens):
            dist = (self._logits(ids)[-1] / self.temperature).log_softmax(-1)
            token = int(torch.multinomial(dist.exp(), 1))
            sampled.append(token)
            logprobs.append(float(dist[token]))
            ids.append(token)
            if token == self._eos:
                break
        return sampled, logprobs
