"""What the runs pages show: headline numbers, distributions, GRPO groups, comparisons,
and the episode filter. Everything works on index entries, never on whole records."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from swe_env.viewer.source import Entry


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def headline(entries: list[Entry]) -> dict[str, Any]:
    """Episodes, resolved rate, turns, time and tokens (infra errors counted apart)."""
    ok = [e for e in entries if e.status == "ok"]
    resolved = sum(e.resolved for e in ok)
    return {
        "episodes": len(entries),
        "completed": len(ok),
        "infra_errors": len(entries) - len(ok),
        "resolved": resolved,
        "resolved_rate": resolved / len(ok) if ok else 0.0,
        "mean_reward": _mean([e.reward for e in ok]),
        "mean_turns": _mean([e.turns for e in ok]),
        "mean_seconds": _mean([e.seconds for e in ok]),
        "total_seconds": sum(e.seconds for e in ok),
        "prompt_tokens": sum(e.prompt_tokens for e in ok),
        "completion_tokens": sum(e.completion_tokens for e in ok),
        "submitted": sum(e.terminated for e in ok),
        "format_errors": sum(e.format_errors for e in ok),
        "tasks": len({e.task_id for e in entries}),
    }


@dataclass
class Group:
    """The samples of one task (a GRPO group)."""

    task_id: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def rewards(self) -> list[float]:
        return [e.reward for e in self.entries]

    @property
    def mixed(self) -> bool:
        return len(set(self.rewards)) > 1


def groups(entries: list[Entry]) -> list[Group]:
    """Completed episodes grouped by task, in first-seen order."""
    by_task: dict[str, Group] = {}
    for e in entries:
        if e.status == "ok":
            by_task.setdefault(e.task_id, Group(e.task_id)).entries.append(e)
    return list(by_task.values())


KEEP: dict[str, Callable[[Entry], bool]] = {
    "any": lambda e: True,
    "resolved": lambda e: e.status == "ok" and e.resolved,
    "unresolved": lambda e: e.status == "ok" and not e.resolved,
    "infra_error": lambda e: e.status != "ok",
    "truncated": lambda e: e.status == "ok" and e.truncation is not None,
    "submitted": lambda e: e.status == "ok" and e.terminated,
}


STATUSES = tuple(KEEP)


def keep(entry: Entry, status: str) -> bool:
    """Whether ``entry`` passes the status filter (one of :data:`STATUSES`; any other
    keeps everything)."""
    return KEEP.get(status, KEEP["any"])(entry)


def select(
    entries: list[Entry],
    *,
    task: str = "",
    status: str = "any",
    text: str = "",
    matching: Callable[[str], set[str]] | None = None,
) -> list[Entry]:
    """The entries that pass the task substring, the status and the full-text filters."""
    task = task.strip().lower()
    wanted = KEEP.get(status, KEEP["any"])
    if task or status != "any":
        entries = [e for e in entries if task in e.task_id.lower() and wanted(e)]
    chosen = entries
    if text.strip() and matching is not None:
        hits = matching(text.strip())
        chosen = [e for e in chosen if e.episode_id in hits]
    return chosen


@dataclass
class Page:
    items: list[Entry]
    number: int
    pages: int
    total: int


def paginate(entries: list[Entry], number: int, per_page: int) -> Page:
    pages = max(1, -(-len(entries) // per_page))
    number = min(max(1, number), pages)
    start = (number - 1) * per_page
    return Page(entries[start : start + per_page], number, pages, len(entries))


# -- distributions as inline SVG ----------------------------------------------------------


def histogram(values: Iterable[float], title: str, bins: int = 20, unit: str = "") -> Markup:
    """A bar chart of ``values`` as an inline SVG (server-rendered, no script)."""
    data = list(values)
    width, height, pad = 320, 120, 18
    head = f'<svg class="hist" viewBox="0 0 {width} {height + 2 * pad}" role="img"'
    head += f' aria-label="{escape(title)}"><title>{escape(title)}</title>'
    text = f'<text x="0" y="12" class="t">{escape(title)}</text>'
    if not data:
        return Markup(f'{head}{text}<text x="0" y="40" class="l">no data</text></svg>')
    low, high = min(data), max(data)
    span = (high - low) or 1.0
    counts = [0] * bins
    for v in data:
        counts[min(bins - 1, int((v - low) / span * bins))] += 1
    top = max(counts)
    bar = width / bins
    rects = []
    for i, c in enumerate(counts):
        h = (height * c / top) if top else 0
        lo = low + span * i / bins
        tip = f"{lo:.4g} to {lo + span / bins:.4g}{unit}: {c}"
        rects.append(
            f'<rect x="{i * bar + 1:.1f}" y="{pad + height - h:.1f}" width="{bar - 2:.1f}" '
            f'height="{h:.1f}"><title>{escape(tip)}</title></rect>'
        )
    axis = (
        f'<text x="0" y="{height + 2 * pad - 2}" class="l">{low:.4g}{unit}</text>'
        f'<text x="{width}" y="{height + 2 * pad - 2}" class="l" text-anchor="end">'
        f"{high:.4g}{unit}</text>"
    )
    return Markup(head + text + "".join(rects) + axis + "</svg>")


def distributions(entries: list[Entry]) -> list[Markup]:
    ok = [e for e in entries if e.status == "ok"]
    return [
        histogram([e.turns for e in ok], "turns per episode"),
        histogram([e.seconds for e in ok], "seconds per episode", unit="s"),
        histogram([e.tokens for e in ok], "tokens per episode"),
        histogram([e.reward for e in ok], "reward", bins=10),
    ]


# -- two runs on the same tasks -------------------------------------------------------------


@dataclass
class Side:
    """One run's episodes of one task."""

    entries: list[Entry]

    @property
    def resolved(self) -> int:
        return sum(e.resolved for e in self.entries)

    @property
    def mean_reward(self) -> float:
        return _mean([e.reward for e in self.entries])

    @property
    def mean_turns(self) -> float:
        return _mean([e.turns for e in self.entries])


@dataclass
class Comparison:
    tasks: list[tuple[str, Side, Side]]
    only_a: int
    only_b: int
    a: dict[str, Any]
    b: dict[str, Any]


def compare(a: list[Entry], b: list[Entry]) -> Comparison:
    """Both runs restricted to the tasks they share, task by task."""
    ga = {g.task_id: g.entries for g in groups(a)}
    gb = {g.task_id: g.entries for g in groups(b)}
    shared = [t for t in ga if t in gb]
    rows = [(t, Side(ga[t]), Side(gb[t])) for t in shared]
    keep_a = [e for t in shared for e in ga[t]]
    keep_b = [e for t in shared for e in gb[t]]
    return Comparison(
        rows, len(set(ga) - set(gb)), len(set(gb) - set(ga)), headline(keep_a), headline(keep_b)
    )
