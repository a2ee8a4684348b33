"""The viewer in a real headless Chromium: Debian's ``chromium`` driven by Playwright for
Python through ``executable_path`` (Playwright never downloads a browser here).

These tests never skip: a missing browser or Playwright fails them with what to install.
Screenshots of every page go to ``tests/ui/artifacts/`` (or ``$SWE_ENV_UI_ARTIFACTS``),
kept out of git; each test prints where it saved them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from swe_env.server.live import LiveServer
from swe_env.viewer.web import create_viewer_app

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
ARTIFACTS = Path(os.environ.get("SWE_ENV_UI_ARTIFACTS", HERE / "artifacts"))


def chromium_path() -> str:
    """Debian's chromium (``$SWE_ENV_CHROMIUM`` overrides), or the test fails."""
    path = os.environ.get("SWE_ENV_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        pytest.fail(
            f"no Chromium at {path}: install Debian's (apt-get install -y chromium); "
            "the UI tests never skip"
        )
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Not for the session: Playwright's sync API keeps an
    event loop running in the main thread until it stops, and every later test that calls
    ``asyncio.run`` would fail."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: pip install -e '.[ui]'")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(),
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """Save a screenshot of ``page`` as ``ARTIFACTS/<test>-<name>.png``; print its path."""

    def save(page: Any, name: str, full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        print(f"screenshot: {path}")
        return path

    return save


@pytest.fixture(scope="module")
def viewer() -> Iterator[LiveServer]:
    """``swe-env view`` over the two committed runs (real replay runs of demo tasks)."""
    app = create_viewer_app([FIXTURES / "demo-replay", FIXTURES / "demo-replay-3turns"])
    with LiveServer(app) as server:
        yield server
