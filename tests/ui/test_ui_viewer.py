"""The viewer's pages in headless Chromium, over committed real runs and a synthetic one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.viewer_runs import write_synthetic_run

from swe_env.rollout.export import read_trajectories, stats
from swe_env.server.live import LiveServer
from swe_env.viewer.web import create_viewer_app

pytestmark = pytest.mark.ui

FIXTURES = Path(__file__).parent / "fixtures"
RUN = FIXTURES / "demo-replay"
SHORT = FIXTURES / "demo-replay-3turns"


def card(page, key: str) -> str:
    return page.locator(f'dd[data-k="{key}"]').first.inner_text()


def records(run: Path) -> list[dict]:
    return read_trajectories(run)


def test_runs_page_shows_the_counts_of_the_fixture_run(viewer, page, shot) -> None:
    expected = stats(records(RUN))
    page.goto(f"{viewer.url}/")
    row = page.locator("#runs tbody tr", has_text="demo-replay-3turns")
    assert row.count() == 1
    cells = page.locator("#runs tbody tr").first.locator("td").all_inner_texts()
    assert cells[:3] == ["demo-replay", str(expected["episodes"]), str(expected["resolved"])]
    shot(page, "index")

    page.get_by_role("link", name="demo-replay", exact=True).click()
    page.wait_for_url("**/run/demo-replay")
    assert card(page, "episodes") == str(expected["episodes"])
    assert card(page, "resolved") == str(expected["resolved"])
    assert card(page, "infra_errors") == str(expected["infra_errors"])
    assert card(page, "mean_turns") == f"{expected['mean_turns']:.1f}"
    assert card(page, "tasks") == str(expected["tasks"])
    assert page.locator("#episode-list tbody tr").count() == expected["episodes"]
    assert page.locator("section.plots svg.hist").count() == 4
    shot(page, "run")

    short = stats(records(SHORT))
    page.goto(f"{viewer.url}/run/demo-replay-3turns")
    assert card(page, "episodes") == str(short["episodes"]) == "6"
    assert card(page, "resolved") == "0"
    assert page.locator("#episode-list .badge.warn", has_text="max_turns").count() == 6

    # The two runs side by side: the same three tasks, resolved in one run only.
    page.goto(f"{viewer.url}/")
    page.click("text=side by side")
    page.wait_for_url("**/compare?a=demo-replay&b=demo-replay-3turns")
    assert page.locator("#compare tbody tr.differs").count() == 3
    first = page.locator("#compare tbody tr").first.locator("td").all_inner_texts()
    assert first[1].endswith("1/1") and first[4].endswith("0/2")
    shot(page, "compare-fixtures")


def test_episode_page_shows_steps_diff_and_per_test_grade(viewer, page, shot) -> None:
    rec = next(r for r in records(RUN) if "textkit" in r["task_id"])
    page.goto(f"{viewer.url}/run/demo-replay")
    page.locator("#episode-list tr", has_text="textkit").locator("a").click()
    page.wait_for_url(f"**/episode/{rec['episode_id']}")
    assert page.locator("h1").inner_text().startswith(rec["task_id"])
    assert page.locator("section.step").count() == len(rec["steps"])
    tools = page.locator("section.step .tool").all_inner_texts()
    assert tools == [s["action"]["name"] for s in rec["steps"]]
    # The edit step's arguments render as a diff; the final patch as a coloured diff.
    edit = page.locator("section.step", has=page.locator(".tool", has_text="edit")).first
    assert edit.locator("pre.diff .del").count() > 0 and edit.locator("pre.diff .add").count() > 0
    added = [ln[1:] for ln in rec["patch"].splitlines() if ln.startswith("+") and ln[1:].strip()]
    patch_adds = page.locator("h2#patch + pre.diff .add").all_inner_texts()
    assert added[-1] in "\n".join(patch_adds)
    colour = page.locator("h2#patch + pre.diff .add").first.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    # The grade, test by test: every FAIL_TO_PASS test is listed as passed.
    rows = page.locator("#grade-tests tbody tr")
    assert rows.count() == len(rec["grade"]["tests"])
    for test in rec["grade"]["fail_to_pass"]["passed"]:
        row = page.locator("#grade-tests tr", has_text=test)
        assert row.locator("td").nth(1).inner_text() == "FAIL_TO_PASS"
        assert row.locator(".badge").inner_text() == rec["grade"]["tests"][test]
    timings = page.locator("#grade-timings").inner_text()
    assert f"tests {rec['grade']['timings']['tests']:.2f}s" in timings
    shot(page, "episode")
    # A step's permalink lands on that step.
    page.goto(f"{page.url}#step-2")
    assert page.locator("section.step:target").get_attribute("id") == "step-2"
    shot(page, "step-permalink", full_page=False)


def test_search_filters_by_task_status_and_text(viewer, page, shot) -> None:
    page.goto(f"{viewer.url}/run/demo-replay-3turns")
    rows = page.locator("#episode-list tbody tr")
    assert rows.count() == 6
    page.fill('input[name="task"]', "urlkit")
    page.click("form.filters button")
    page.wait_for_url("**task=urlkit**")
    assert rows.count() == 2
    assert all("urlkit" in t for t in rows.locator("td:first-child").all_inner_texts())
    assert page.locator("#match-count").inner_text().startswith("2 of 6")

    page.goto(f"{viewer.url}/run/demo-replay")
    page.select_option('select[name="status"]', "unresolved")
    page.click("form.filters button")
    page.wait_for_url("**status=unresolved**")
    assert rows.count() == 0

    # Full text: a word of one episode's statement only.
    recs = records(RUN)
    word = "prerelease"
    hits = [r for r in recs if word in json.dumps(r).lower()]
    assert 0 < len(hits) < len(recs)
    page.goto(f"{viewer.url}/run/demo-replay")
    page.fill('input[name="q"]', word.upper())
    page.click("form.filters button")
    page.wait_for_url("**q=**")
    assert rows.count() == len(hits)
    assert {t for t in rows.locator("td:first-child").all_inner_texts()} == {
        r["task_id"] for r in hits
    }
    shot(page, "search")


def test_groups_infra_errors_pagination_and_compare(tmp_path, page, shot) -> None:
    a = write_synthetic_run(tmp_path / "grpo-a", 240, samples=4, seed=3).parent
    b = write_synthetic_run(tmp_path / "grpo-b", 200, samples=4, seed=4).parent
    recs = read_trajectories(a)
    expected = stats(recs)
    with LiveServer(create_viewer_app([a, b])) as server:
        page.goto(f"{server.url}/run/grpo-a")
        assert page.locator("#mixed tbody tr").count() == min(100, expected["mixed_groups"])
        assert page.locator("#infra-errors tbody tr").count() == expected["infra_errors"]
        assert card(page, "infra_errors") == str(expected["infra_errors"])
        assert page.locator("#episode-list tbody tr").count() == 50
        assert page.locator(".heat").count() == 0  # heat strips are on episode pages
        page.click("text=next →")
        page.wait_for_url("**page=2**")
        assert "page 2 of 5" in page.locator("#match-count").inner_text()
        shot(page, "run-synthetic")
        page.locator("#episode-list a").first.click()
        page.wait_for_url("**/episode/**")
        shot(page, "episode-synthetic")

        page.goto(f"{server.url}/")
        page.select_option('select[name="a"]', "grpo-a")
        page.select_option('select[name="b"]', "grpo-b")
        page.click("text=side by side")
        page.wait_for_url("**/compare?**")
        assert page.locator("#compare tbody tr").count() == 50  # the tasks both ran
        assert "10 only in grpo-a" in page.locator("main").inner_text()
        shot(page, "compare")


def test_logprob_heat_strip_where_recorded(tmp_path, page) -> None:
    run = write_synthetic_run(tmp_path / "lp", 2, samples=2, seed=5).parent
    with_lp, without = read_trajectories(run)
    with LiveServer(create_viewer_app([run])) as server:
        page.goto(f"{server.url}/run/lp/episode/{with_lp['episode_id']}")
        strips = page.locator("svg.heat")
        assert strips.count() == len(with_lp["steps"])
        cells = strips.first.locator("rect").count()
        assert cells == len(with_lp["steps"][0]["logprobs"])
        said = page.locator("section.step .said pre").all_inner_texts()
        assert said == [f"Next, turn {s['turn']}: {s['action']['name']}." for s in with_lp["steps"]]
        page.goto(f"{server.url}/run/lp/episode/{without['episode_id']}")
        assert page.locator("svg.heat").count() == 0
