"""The "What it takes" page in a real browser: its answers readable at 1280 and 1024 pixels, and
the package opened on the Scenario page and downloaded as a scenario file that runs unchanged.

Screenshots go to ``tests/artifacts/`` (git-ignored). Skipped only when ``/usr/bin/chromium`` is
absent (``.ci/run`` installs it).
"""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from simulator.analysis.goal_seek import ReachModel, goal_seek
from simulator.analysis.goals import resolve_goal
from simulator.app import compute
from simulator.app.frames import format_odds
from simulator.app.serve import CHROMIUM, IDLE, REPO, chromium, streamlit_server
from simulator.app.wit_query import PROBABILITIES
from simulator.cli import main
from simulator.engine import Engine
from simulator.scenario_files import load_scenario_files, shipped_scenarios

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"
    ),
]

ARTIFACTS = REPO / "tests" / "artifacts"
SIZES = ((1280, 800), (1024, 768))


@pytest.fixture(scope="module")
def server() -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(log=ARTIFACTS / "streamlit-server-wit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _question() -> tuple[str, float]:
    """A question whose answer is a package from the blueprint, under any calibration: the first
    target and page probability above the blueprint's own odds and below its far end."""
    engine = Engine.from_settings(compute.settings())
    base = shipped_scenarios(first_year=engine.first_projection_year)["blueprint-package"]
    for target_id in ("t10b_fy2029_uraan", "t15b_fy2030_govt", "t15b_fy2029_survey"):
        goal = resolve_goal(engine, target_id=target_id)
        model = ReachModel.build(engine, goal, compute.settings(), base=base, ramp_years=2)
        far = goal_seek(model, 0.999).package.p_best
        inside = [p for p in PROBABILITIES if model.probability({}) < p < far]
        if inside:
            return target_id, inside[0]
    raise AssertionError("no target and page probability needs a package from the blueprint")


@pytest.fixture(scope="module")
def question() -> tuple[str, float]:
    return _question()


@pytest.fixture(scope="module")
def expected(question):
    """The package goal seek finds for the question, through the Python API."""
    target_id, p = question
    engine = Engine.from_settings(compute.settings())
    goal = resolve_goal(engine, target_id=target_id)
    base = shipped_scenarios(first_year=engine.first_projection_year)["blueprint-package"]
    model = ReachModel.build(engine, goal, compute.settings(), base=base, ramp_years=2)
    return goal_seek(model, p)


def open_question(browser, server: str, width: int, height: int, question: tuple[str, float]):
    target_id, p = question
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    page.set_default_timeout(120_000)
    query = f"target={target_id}&p={p:g}&from=blueprint-package&ramp=2&utm_source=newsletter"
    page.goto(f"{server}/what-it-takes?{query}")
    page.get_by_text("Probability with the package").first.wait_for()
    page.get_by_test_id("stTable").nth(1).wait_for()  # the idle marker may still be the last run's
    page.get_by_test_id("stDownloadButton").filter(has_text="package").wait_for()
    page.wait_for_selector(IDLE)
    assert page.get_by_test_id("stException").count() == 0
    return page


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_answer_columns_are_readable_without_scrolling_sideways(server, browser, question, width, height):
    """Every table's columns, "P there" included, lie inside the page's main column."""
    page = open_question(browser, server, width, height, question)
    main = page.get_by_test_id("stMainBlockContainer").bounding_box()
    tables = page.get_by_test_id("stTable")
    assert tables.count() == 2
    for i in range(tables.count()):
        table = tables.nth(i)
        table.scroll_into_view_if_needed()
        for header in table.locator("th").all():
            box = header.bounding_box()
            assert box["x"] + box["width"] <= main["x"] + main["width"] + 1, header.inner_text()
        scroller = table.evaluate("t => [t.scrollWidth, t.clientWidth]")
        assert scroller[0] <= scroller[1] + 1
        table.screenshot(path=ARTIFACTS / f"wit-table{i}-{width}x{height}.png")
    assert table.locator("th", has_text="Share of range").count() == 1
    assert tables.first.locator("th", has_text="P there").count() == 1
    page.screenshot(path=ARTIFACTS / f"wit-{width}x{height}.png")
    # the wedges (the Scenario page's chart) in the page's full-width column, to look at
    wedges = page.get_by_test_id("stVegaLiteChart").nth(1)
    wedges.scroll_into_view_if_needed()
    page.wait_for_selector(IDLE)
    wedges.screenshot(path=ARTIFACTS / f"wit-wedges-{width}x{height}.png")
    page.close()


def test_the_package_downloads_as_a_scenario_that_runs_with_its_odds(
    server, browser, question, expected, tmp_path
):
    page = open_question(browser, server, 1280, 800, question)
    with page.expect_download() as dl:
        page.get_by_test_id("stDownloadButton").filter(has_text="package").get_by_role("button").click()
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    engine = Engine.from_settings(compute.settings())
    (scenario,) = load_scenario_files([path], first_year=engine.first_projection_year)
    projection = engine.run(scenario, compute.settings())
    (odds,) = projection.target_odds([expected.goal.target])
    assert odds.p_by_deadline == expected.package.p_value
    # and the command line runs the file as downloaded: the same odds in its targets.csv
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 0
    with open(out / "targets.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["target_id"] == expected.goal.target.id)
    assert float(row["p_by_deadline"]) == round(expected.package.p_value, 4)
    page.close()


def test_the_package_opens_on_the_scenario_page(server, browser, question, expected):
    """One click: the Scenario page shows the package (its card has the package's odds) and its
    address bar is a link to it."""
    page = open_question(browser, server, 1280, 800, question)
    page.get_by_role("button", name="Open on the Scenario page").click()
    page.get_by_text("Opened the goal-seek package").first.wait_for()
    page.wait_for_selector(IDLE)
    assert page.get_by_test_id("stException").count() == 0
    assert urlsplit(page.url).path.rstrip("/").endswith("/scenario") or urlsplit(page.url).path in ("", "/")
    goal = expected.goal
    card = page.get_by_test_id("stMetric").filter(
        has_text=f"${goal.amount_musd / 1000:g}B by FY{goal.deadline_fy}"
    )
    shown = card.first.get_by_test_id("stMetricValue").inner_text()
    p = expected.package.p_value  # the card rounds it with the baseline's odds: 0 or 1 decimal
    assert shown in (format_odds(p, 0), format_odds(p, 1))
    assert any(f"levers.{lever}" in page.url for lever in expected.package.moved())
    page.screenshot(path=ARTIFACTS / "wit-opened-on-scenario-page-1280x800.png")
    page.close()
