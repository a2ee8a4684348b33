"""The README's comparison table is the one bench/peers.py's record renders."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from peers_table import BEGIN, END, README, RECORD, readme_block, render_table, write_readme


def record() -> dict:
    return json.loads(RECORD.read_text())


def test_the_readme_table_is_the_recorded_run() -> None:
    assert readme_block(README.read_text()) == render_table(record()), (
        "README.md's peers table and bench/results/peers.json disagree: "
        "run `python bench/peers_table.py` (or bench/peers.py --write-readme)"
    )


def test_the_record_holds_what_the_table_needs() -> None:
    rec = record()
    for key in ("date", "versions", "machine", "rounds", "setups", "results"):
        assert rec[key], key
    for key in ("cpus", "kernel", "docker", "storage_driver"):
        assert rec["machine"][key], key
    for peer in ("swe-env", "mini-swe-agent", "swe-rex"):
        assert set(rec["results"][peer]) >= {"commands", "start", "teardown"}, peer
        assert rec["versions"][peer]


def test_a_changed_figure_changes_the_table() -> None:
    rec = record()
    changed = copy.deepcopy(rec)
    changed["results"]["swe-rex"]["commands"]["echo hi"]["median"] += 1
    assert render_table(changed) != render_table(rec)
    changed = copy.deepcopy(rec)
    changed["machine"]["storage_driver"] = "zfs"
    assert render_table(changed) != render_table(rec)


def test_write_readme_replaces_only_the_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# t\n\nbefore\n\n{BEGIN}\nstale\n{END}\n\nafter\n")
    write_readme(record(), readme)
    text = readme.read_text()
    assert readme_block(text) == render_table(record())
    assert text.startswith("# t\n\nbefore\n\n") and text.endswith("\n\nafter\n")


def test_a_readme_without_markers_is_refused(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no table\n")
    with pytest.raises(ValueError, match="peers:begin"):
        write_readme(record(), readme)
