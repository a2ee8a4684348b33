"""``swe-env tasks import-swebench --validate`` and ``tasks validate`` on an imported suite:
broken instances go to the suite's quarantine with the reason, and are skipped after.

Three instances of the small calc project (tests/unit/test_swebench_import.py): a sound
one, one whose FAIL_TO_PASS lists a test that passes at the base, and one whose spec
installs no test runner (an environment failure).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.swebench_helpers import H

from swe_env.tasks.native import load_suite
from swe_env.tasks.quarantine import read_quarantine

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def swe_env(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "swe_env", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, docker_client) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("validate")
    mirror, info = H.make_calc_mirror(root)
    specs = {H.REPO: {**H.SPECS[H.REPO], "2.0": {**H.SPECS[H.REPO]["1.0"], "pip_packages": []}}}
    (root / "specs.json").write_text(json.dumps(specs))
    records = [
        H.calc_record(info),
        H.calc_record(info, instance_id="acme__calc-2", FAIL_TO_PASS=json.dumps(H.P2P[:1])),
        H.calc_record(info, instance_id="acme__calc-3", version="2.0"),
    ]
    data = H.write_jsonl(root / "calc.jsonl", records)
    suite = root / "suite"
    done = swe_env(
        "tasks", "import-swebench", str(data), "--out", str(suite), "--repo-mirror", str(mirror),
        "--spec-file", str(root / "specs.json"), "--validate",
    )  # fmt: skip
    return suite, done.stdout + done.stderr


def test_import_validate_quarantines_the_broken_instances(imported) -> None:
    suite, output = imported
    quarantine = read_quarantine(suite)
    assert sorted(quarantine) == ["acme__calc-2", "acme__calc-3"], output
    assert "FAIL_TO_PASS passes at the base" in quarantine["acme__calc-2"]
    assert quarantine["acme__calc-3"].startswith("env_error at the base state")
    assert "pytest" in quarantine["acme__calc-3"]  # the runner that is missing
    assert [t.id for t in load_suite(str(suite))] == [H.IID]  # skipped unless asked
    everything = load_suite(str(suite), include_quarantined=True)
    assert [t.id for t in everything] == [H.IID, "acme__calc-2", "acme__calc-3"]


def test_tasks_validate_on_the_imported_suite(imported) -> None:
    suite, _ = imported
    plain = swe_env("tasks", "validate", str(suite))
    assert plain.returncode == 0, plain.stdout + plain.stderr  # the quarantined are skipped
    again = swe_env("tasks", "validate", str(suite), "--include-quarantined")
    assert again.returncode == 1, again.stdout + again.stderr
    assert sorted(read_quarantine(suite)) == ["acme__calc-2", "acme__calc-3"]
