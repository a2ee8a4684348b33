"""The official SWE-bench harness's text-log parsers, by repository.

Tasks imported from SWE-bench name their parser ``swebench:<owner>/<name>``. The
``swebench`` package is imported lazily, on first use, so ``rewards`` works without it;
only these names then fail to resolve.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from rewards.parsers import PARSERS, StatusMap, TestStatus

__all__ = ["PREFIX", "resolve_parser", "swebench_log_parser"]

PREFIX = "swebench:"
"""Parser names with this prefix select the official parser of the repository that follows."""


@cache
def swebench_log_parser(repo: str) -> Callable[[str], StatusMap]:
    """The official log parser for ``repo`` (``owner/name``), returning our :class:`TestStatus`.

    The wrapper is pure, like every parser in :mod:`rewards.parsers`: statuses the official
    parser emits that we do not know are dropped, and a parser that raises gives ``{}``.

    Raises:
        LookupError: swebench is not installed, or has no parser for ``repo``.
    """
    try:
        from swebench.harness.log_parsers import MAP_REPO_TO_PARSER
    except ImportError as exc:
        raise LookupError(f"the log parser for {repo!r} needs the swebench package") from exc
    official = MAP_REPO_TO_PARSER.get(repo)
    if official is None:
        raise LookupError(f"swebench has no log parser for {repo!r}")

    def parse(log: str) -> StatusMap:
        try:
            raw = official(log, None)  # the Python parsers ignore their test_spec argument
        except Exception:
            return {}
        statuses: StatusMap = {}
        for test, status in raw.items():
            try:
                statuses[test] = TestStatus(getattr(status, "value", status))
            except ValueError:
                continue
        return statuses

    parse.__name__ = f"swebench_{official.__name__}"
    parse.__doc__ = f"The official SWE-bench parser for {repo} ({official.__name__})."
    return parse


def resolve_parser(name: str) -> Callable[[str], StatusMap] | None:
    """The parser a task names: a :data:`rewards.parsers.PARSERS` key or ``swebench:<repo>``.

    Returns ``None`` when the name is unknown or its parser cannot be loaded.
    """
    if name in PARSERS:
        return PARSERS[name]
    if name.startswith(PREFIX):
        try:
            return swebench_log_parser(name.removeprefix(PREFIX))
        except LookupError:
            return None
    return None
