"""The viewer on a synthetic 10,000-episode run: time to first byte of the run page
(cold: the index is built by that request) and its full render in headless Chromium,
against `wc -l` on the same JSONL (the cost of merely reading the file once).

value: cold time to first byte of the run page (ms); baseline: `wc -l` (ms);
ratio = value / baseline. Also printed: the warm time to first byte (index kept), the
runs index page, and Chromium's load time (cold and warm), each with its ratio to wc -l.
Needs Debian's chromium and Playwright (the `ui` extra).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _common import report
from support.viewer_runs import write_synthetic_run

from swe_env.server.live import LiveServer
from swe_env.viewer.web import create_viewer_app

EPISODES = 10_000


def wc_seconds(path: Path, n: int = 5) -> float:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        subprocess.run(["wc", "-l", str(path)], check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def first_byte(url: str) -> float:
    """Seconds from sending the request to the first byte of the body."""
    started = time.perf_counter()
    with httpx.stream("GET", url, timeout=600) as answer:
        next(answer.iter_raw(1))
        elapsed = time.perf_counter() - started
        answer.raise_for_status()
    return elapsed


def chromium_load(url: str) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        page = browser.new_page()
        page.goto("about:blank")  # the renderer process is up before the clock starts
        started = time.perf_counter()
        page.goto(url, wait_until="load", timeout=600_000)
        elapsed = time.perf_counter() - started
        assert page.locator("#episode-list tbody tr").count() == 50
        browser.close()
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="swe-env-bench-viewer-") as tmp:
        path = write_synthetic_run(Path(tmp) / "big", EPISODES)
        size_mb = path.stat().st_size / 1e6
        wc = wc_seconds(path)
        with LiveServer(create_viewer_app([path.parent])) as server:
            cold = first_byte(f"{server.url}/run/big")
            warm = statistics.median(first_byte(f"{server.url}/run/big") for _ in range(5))
            index = statistics.median(first_byte(f"{server.url}/") for _ in range(5))
            render_warm = chromium_load(f"{server.url}/run/big")
        with LiveServer(create_viewer_app([path.parent])) as server:
            render_cold = chromium_load(f"{server.url}/run/big")
    ms = 1e3
    report(
        "viewer_run_page_10k",
        cold * ms,
        "ms",
        wc * ms,
        cold / wc,
        episodes=EPISODES,
        jsonl_mb=round(size_mb, 1),
        ttfb_warm_ms=round(warm * ms, 1),
        ttfb_warm_ratio=round(warm / wc, 2),
        index_page_ttfb_warm_ms=round(index * ms, 1),
        chromium_render_cold_ms=round(render_cold * ms, 1),
        chromium_render_cold_ratio=round(render_cold / wc, 1),
        chromium_render_warm_ms=round(render_warm * ms, 1),
        chromium_render_warm_ratio=round(render_warm / wc, 1),
    )


if __name__ == "__main__":
    main()
