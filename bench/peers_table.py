"""The README's measured comparison, generated from bench/peers.py's record.

    python bench/peers_table.py          # rewrite the README's table from the record

The table lives between ``<!-- peers:begin -->`` and ``<!-- peers:end -->`` in README.md;
tests/unit/test_peers_table.py fails when it and the record disagree.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "bench/results/peers.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- peers:begin -->", "<!-- peers:end -->"
DASH = "\u2013"
ORDER = ("swe-env", "mini-swe-agent", "swe-rex", "exec_run")
LABELS = {
    "swe-env": "swe-env {v} (`SWEEnv.step`)",
    "mini-swe-agent": "mini-swe-agent {v}",
    "swe-rex": "SWE-ReX {v} (`run_in_session`)",
    "exec_run": "raw `exec_run` (reference)",
}


def _ms(stat: dict | None) -> str:
    if not stat:
        return "—"
    return f"{_num(stat['median'])} ms ({_num(stat['p10'])}{DASH}{_num(stat['p90'])})"


def _s(stat: dict | None) -> str:
    if not stat:
        return "—"
    return f"{stat['median']:.2f} s ({stat['p10']:.2f}{DASH}{stat['p90']:.2f})"


def _num(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.0f}"


def _returned(stat: dict) -> str:
    return f"{stat['output_len']:,} characters returned"


def _shown(stat: dict) -> str:
    return "nothing" if not stat["head"] else f"`{json.dumps(stat['head'])}`"


def render_table(record: dict) -> str:
    """The Markdown block (table and its notes) for ``record``."""
    versions, machine = record["versions"], record["machine"]
    lines = [
        "| measured here | `echo hi` | `true` | 1 MiB of output | start to first command "
        "| teardown until gone |",
        "|---|---|---|---|---|---|",
    ]
    for name in ORDER:
        if name not in record["results"]:
            continue
        res = record["results"][name]
        cmds = res["commands"]
        label = LABELS[name].format(v=versions.get(name, ""))
        big = cmds["1 MiB output"]
        lines.append(
            f"| {label} | {_ms(cmds['echo hi'])} | {_ms(cmds['true'])} "
            f"| {_ms(big)}, {_returned(big)} | {_s(res.get('start'))} "
            f"| {_s(res.get('teardown'))} |"
        )
    rounds = record["rounds"]
    lines += [
        "",
        f"Median (p10{DASH}p90) of one interleaved run of `bench/peers.py` on {record['date']}: "
        f"{rounds['commands']} rounds of commands, {rounds['lifecycle']} of start and "
        f"teardown; {machine['cpus']} cores, kernel {machine['kernel']}, Docker "
        f"{machine['docker']}, storage driver {machine['storage_driver']}, load "
        f"{machine['load_avg_1m']} at the start. The record: `bench/results/peers.json`.",
    ]
    if "summary" in record:
        summary = record["summary"]
        lines[-1] += (
            f" An `echo hi` step: swe-env {_num(summary['step_ms'])} ms, the best peer "
            f"({summary['best_peer']}) {_num(summary['best_peer_step_ms'])} ms: "
            f"{summary['ratio']}x."
        )
    present = [name for name in ORDER if name in record["results"]]
    lines += ["", "What each returns:"]
    for label in ("echo hi", "true"):
        returned = ", ".join(
            f"{name} {_shown(record['results'][name]['commands'][label])}" for name in present
        )
        lines.append(f"- `{label}`: {returned}.")
    lines += ["", "The setups differ:"]
    lines += [f"- {name}: {text}." for name, text in record["setups"].items()]
    return "\n".join(lines)


def readme_block(text: str) -> str:
    """What the README holds between the markers (stripped).

    Raises:
        ValueError: the markers are missing.
    """
    match = re.search(re.escape(BEGIN) + r"(.*?)" + re.escape(END), text, re.S)
    if match is None:
        raise ValueError(f"README.md has no {BEGIN} … {END} block")
    return match.group(1).strip()


def write_readme(record: dict, readme: Path = README) -> None:
    """Replace the README's block with the table of ``record``."""
    text = readme.read_text()
    readme_block(text)  # the markers exist
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    readme.write_text(text[:start] + "\n" + render_table(record) + "\n" + text[end:])


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RECORD
    write_readme(json.loads(path.read_text()))
    print(f"README.md: the table of {path}")


if __name__ == "__main__":
    main()
