"""The app in a real browser: Debian Chromium driven by Playwright, the server on 127.0.0.1.

Loads the app, moves lever sliders with the keyboard, sees the chart and a target card change,
downloads the projection CSV and the scenario YAML and checks them against the engine and the
loader, opens the other pages, and saves screenshots at 1280x800 and 1920x1080 in
``tests/artifacts/`` (git-ignored). The README's screenshot, ``docs/screenshots/app.png``, is
replaced only when ``UPDATE_SCREENSHOTS=1`` (so a test run leaves the checkout clean).
Skipped only when ``/usr/bin/chromium`` is absent (``.ci/run`` installs it).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from simulator.app import compute, files
from simulator.app.serve import CHROMIUM, CHROMIUM_ARGS, IDLE, REPO, streamlit_server
from simulator.app.state import scenario_from_query
from simulator.levers import LEVER_BY_NAME
from simulator.scenario_files import load_scenario_text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"
    ),
]

ARTIFACTS = REPO / "tests" / "artifacts"
README_SHOT = REPO / "docs" / "screenshots" / "app.png"
CHART = '[data-testid="stVegaLiteChart"]'
CHART_SIG = f"""() => Array.from(document.querySelector('{CHART}').querySelectorAll('path'))
    .map((p) => p.getAttribute('d')).join('|')"""


@pytest.fixture(scope="module")
def server() -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(log=ARTIFACTS / "streamlit-server.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        yield b
        b.close()


def open_page(browser, url: str, width: int = 1280, height: int = 800):
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    page.set_default_timeout(60_000)
    page.goto(url)
    page.locator(CHART).first.wait_for()
    page.wait_for_selector(IDLE)
    return page


def card(page, amount: str):
    return page.get_by_test_id("stMetric").filter(has_text=f"{amount} by FY")


def slider(page, label: str):
    return page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider")


def no_exception(page) -> None:
    assert page.get_by_test_id("stException").count() == 0


def test_slider_moves_chart_and_card_and_csv_matches_the_engine(server, browser, tmp_path):
    from playwright.sync_api import expect

    page = open_page(browser, server)
    no_exception(page)
    page.screenshot(path=ARTIFACTS / "main-baseline-1280x800.png")
    odds = card(page, "$10B").get_by_test_id("stMetricValue")
    before_odds = odds.inner_text()
    before_chart = page.evaluate(CHART_SIG)

    for name in ("tech_zones", "vc_funding"):
        lever = LEVER_BY_NAME[name]
        s = slider(page, lever.label)
        s.focus()
        s.press("End")  # the lever's maximum
        thumb = (
            page.get_by_test_id("stSlider").filter(has_text=lever.label).get_by_test_id("stSliderThumbValue")
        )
        expect(thumb).to_have_text(f"{lever.max:g}")
        page.wait_for_selector(IDLE)
    expect(odds).not_to_have_text(before_odds)
    page.wait_for_function(f"() => ({CHART_SIG})() !== {before_chart!r}")
    page.wait_for_selector(IDLE)
    no_exception(page)
    assert int(odds.inner_text().rstrip("%")) > int(before_odds.rstrip("%").lstrip("<"))
    expect(card(page, "$10B")).to_contain_text("pts vs baseline")
    expect(page.get_by_text("Median in FY2040: scenario")).to_be_visible()

    query = dict(parse_qsl(urlsplit(page.url).query))
    assert query == {"levers.tech_zones": "60", "levers.vc_funding": "1000"}
    page.screenshot(path=ARTIFACTS / "main-scenario-1280x800.png")

    page.get_by_role("tab", name="Share and export").click()
    page.wait_for_selector(IDLE)
    buttons = page.get_by_test_id("stDownloadButton")
    with page.expect_download() as dl:
        buttons.filter(has_text="Projection CSV").get_by_role("button").click()
    path = tmp_path / "projections.csv"
    dl.value.save_as(path)
    with page.expect_download() as dl:
        buttons.filter(has_text="Scenario YAML").get_by_role("button").click()
    yaml_path = tmp_path / "scenario.yaml"
    dl.value.save_as(yaml_path)
    with page.expect_download() as dl:
        buttons.filter(has_text="Chart PNG").get_by_role("button").click()
    png = tmp_path / "chart.png"
    dl.value.save_as(png)
    shutil.copy(png, ARTIFACTS / "downloaded-chart.png")

    first_year = compute.engine().first_projection_year
    scenario = scenario_from_query(query, first_year=first_year)
    expected = files.projection_csv(scenario.name, compute.run(scenario).projection)
    assert path.read_bytes() == expected.encode()
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    last = rows[-1]
    assert last["kind"] == "projection" and float(last["p50"]) > 0
    assert float(last["p50"]) == pytest.approx(compute.run(scenario).projection.stats["p50"][-1], abs=0.06)
    loaded = load_scenario_text(yaml_path.read_bytes(), "scenario.yaml", first_year=first_year)
    assert loaded.lever_settings() == scenario.lever_settings()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # another page and back: the scenario and the link survive
    page.get_by_test_id("stSidebarNav").get_by_text("Data").click()
    expect(page.get_by_text("Reported ICT-services exports").first).to_be_visible()
    page.get_by_test_id("stSidebarNav").get_by_text("Scenario").click()
    zones = page.get_by_test_id("stSlider").filter(has_text=LEVER_BY_NAME["tech_zones"].label)
    expect(zones.get_by_test_id("stSliderThumbValue")).to_have_text("60")
    page.wait_for_selector(IDLE)
    assert dict(parse_qsl(urlsplit(page.url).query)) == query
    page.close()


def test_a_link_reproduces_the_view_at_both_screen_sizes(server, browser):
    link = (
        f"{server}/?start=2027&ramp=2&levers.tech_zones=45&levers.vc_funding=250&levers.talent_pipeline=150"
        "&assumptions.vc_funding.export_yield=0.2&deadline_10B=2029"
    )
    shots = {}
    for width, height in ((1280, 800), (1920, 1080)):
        page = open_page(browser, link, width, height)
        no_exception(page)
        assert page.get_by_test_id("stAlert").filter(has_text="problems").count() == 0
        page.wait_for_timeout(500)  # let the chart settle before the screenshot
        shots[width] = ARTIFACTS / f"main-link-{width}x{height}.png"
        page.screenshot(path=shots[width])
        values = [v.inner_text() for v in page.get_by_test_id("stMetricValue").all()]
        if width == 1280:
            first = values
        else:
            assert values == first
        page.close()
    tall = open_page(browser, link, 1440, 2300)
    tall.wait_for_timeout(500)
    tall.screenshot(path=ARTIFACTS / "main-link-full-1440.png")
    tall.close()
    readme = open_page(browser, link, 1440, 1180)
    readme.wait_for_timeout(500)
    README_SHOT.parent.mkdir(parents=True, exist_ok=True)
    readme.screenshot(path=ARTIFACTS / "readme.png")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" or not README_SHOT.exists():
        shutil.copy(ARTIFACTS / "readme.png", README_SHOT)
    readme.close()


def test_a_bad_link_shows_a_message_not_a_traceback(server, browser):
    page = open_page(browser, f"{server}/?levers.tech_zones=500&levers.oops=1")
    no_exception(page)
    alert = page.get_by_test_id("stAlert").filter(has_text="problems")
    assert "0 to 60 zones" in alert.inner_text() and "levers.oops" in alert.inner_text()
    page.screenshot(path=ARTIFACTS / "main-bad-link-1280x800.png")
    page.close()


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("model", "Backtest: would the model have forecast the past?"),
        ("data", "Reported ICT-services exports"),
        ("track-record", "Targets track record"),
        ("what-it-takes", "What it takes"),
    ],
)
def test_other_pages_load_and_load_again(server, browser, path, text):
    """Each page, opened twice in fresh tabs (the second visit is served from the caches)."""
    from playwright.sync_api import expect

    for visit, (width, height) in enumerate(((1280, 800), (1440, 2600))):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.set_default_timeout(120_000)
        page.goto(f"{server}/{path}")
        expect(page.get_by_role("heading", name=text).first).to_be_visible(timeout=120_000)
        page.wait_for_selector(IDLE)
        page.wait_for_timeout(1500)
        page.wait_for_selector(IDLE)
        name = f"page-{path}-{width}x{height}.png" if visit == 0 else f"page-{path}-full-{width}.png"
        page.screenshot(path=ARTIFACTS / name)
        exceptions = page.get_by_test_id("stException")
        assert exceptions.count() == 0, f"visit {visit + 1}: {exceptions.first.inner_text()[:500]}"
        page.close()
