"""Problem statements written by a model: an OpenAI-compatible chat completions server
asked for an issue-style report from the facts the template uses (:class:`.statement.Facts`),
as SWE-smith does. The prompt holds the subject, where it lives, the failing tests' names
and their assertion output: never a test's source, never the fix.

A tiny httpx call: the factory does not reach :mod:`swe_env.policy` (see
tests/unit/test_structure.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx

from swe_env.factory.statement import TEMPLATE, Facts, render

SYSTEM = (
    "You write GitHub issues for a Python project. Write one issue as a user who met the "
    "bug would: a title line, what they did, what they observed, what they expected. Use "
    "only the facts given. Do not suggest a fix, do not name a line to change, do not "
    "quote test code. Plain Markdown, under 250 words."
)


def prompt(f: Facts) -> str:
    """The user message: the facts, and nothing else."""
    what = "A change is missing or wrong" if f.mined else f"The function `{f.subject}` misbehaves"
    lines = [
        f"{what} in `{f.where}` (subject: `{f.subject}`); {f.broken} test(s) fail.",
        "Failing tests and their assertion output:",
    ]
    for test, output in f.failures:
        lines.append(f"- {test}")
        lines += [f"    {s}" for s in output]
    return "\n".join(lines)


@dataclass
class ModelWriter:
    """Asks ``base_url`` (…/v1) for a statement; ``api_key`` defaults to $OPENAI_API_KEY."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 120.0

    @property
    def source(self) -> str:
        return f"model:{self.model}"

    def ask(self, f: Facts) -> str:
        """The model's statement.

        Raises:
            httpx.HTTPError, KeyError, ValueError: the server failed or answered no text.
        """
        key = self.api_key or os.environ.get("OPENAI_API_KEY", "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": prompt(f)},
            ],
            "temperature": 0.7,
            "max_tokens": 600,
        }
        url = self.base_url.rstrip("/") + "/chat/completions"
        reply = httpx.post(url, json=body, headers=headers, timeout=self.timeout)
        reply.raise_for_status()
        text = reply.json()["choices"][0]["message"]["content"]
        if not isinstance(text, str) or not text.strip():
            raise ValueError("the model answered no text")
        return text.strip() + "\n"


def statement(f: Facts, writer: ModelWriter | None) -> tuple[str, str]:
    """(statement, how it was written: ``template`` or ``model:<name>``). When the model
    fails, the template writes it (and the source says ``template``)."""
    if writer is None:
        return render(f), TEMPLATE
    try:
        return writer.ask(f), writer.source
    except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError):
        return render(f), TEMPLATE
