"""The app in a real browser: Debian Chromium driven by Playwright, the server on 127.0.0.1.

Loads the app, moves lever sliders with the keyboard, sees the chart and a target card change,
downloads the result files and a chart figure and checks them against the engine and the
loader, checks that the odds are on the first screen at 1280x800 and 1024x768, that a link with
tracking keys reproduces the view and keeps them, that no help text is clipped, opens the other
pages, and saves screenshots in ``tests/artifacts/`` (git-ignored). The README's screenshot,
``docs/screenshots/app.png``, is replaced only when ``UPDATE_SCREENSHOTS=1`` (so a test run leaves
the checkout clean). Skipped only when ``/usr/bin/chromium`` is absent (``.ci/run`` installs it).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import zipfile
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from simulator.app import compute, files, links
from simulator.app.serve import CHROMIUM, IDLE, REPO, chromium, streamlit_server
from simulator.levers import ASSUMPTIONS, LEVER_BY_NAME
from simulator.scenario_files import load_scenario_text, shipped_scenarios

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
SCREENS = ((1280, 800), (1024, 768))


@pytest.fixture(scope="module")
def server() -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(log=ARTIFACTS / "streamlit-server.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


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


def odds_texts(page) -> list[str]:
    """The cards' odds, once they are drawn (a rerun may be redrawing them when the page is idle
    for a moment: CI once read none)."""
    values = page.get_by_test_id("stMetricValue")
    values.first.wait_for()
    page.wait_for_selector(IDLE)
    return [v.inner_text() for v in values.all()]


def query_of(page) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(page.url).query))


def download(page, label: str, path: Path) -> Path:
    with page.expect_download() as dl:
        page.get_by_test_id("stDownloadButton").filter(has_text=label).get_by_role("button").click()
    dl.value.save_as(path)
    return path


def test_slider_moves_chart_and_card_and_downloads_match_the_engine(server, browser, tmp_path):
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
    assert float(odds.inner_text().rstrip("%")) > float(before_odds.rstrip("%").lstrip("<"))
    expect(card(page, "$10B")).to_contain_text(" pts vs ")
    expect(page.get_by_text("this scenario's exports are between")).to_be_visible()
    expect(page.get_by_text("What the levers add")).to_be_visible()  # the wedges, beside the fan
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(3)  # fan, wedges, contributions

    query = query_of(page)
    assert query == {"start": "2027", "levers.tech_zones": "60", "levers.vc_funding": "1000"}
    page.screenshot(path=ARTIFACTS / "main-scenario-1280x800.png")

    page.get_by_role("tab", name="Share and export").click()
    page.wait_for_selector(IDLE)
    check_downloads(page, query, tmp_path)

    # another page and back: the scenario and the link survive
    page.get_by_test_id("stSidebarNav").get_by_text("Data").click()
    expect(page.get_by_text("Reported ICT-services exports").first).to_be_visible()
    page.get_by_test_id("stSidebarNav").get_by_text("Scenario").click()
    zones = page.get_by_test_id("stSlider").filter(has_text=LEVER_BY_NAME["tech_zones"].label)
    expect(zones.get_by_test_id("stSliderThumbValue")).to_have_text("60")
    page.wait_for_selector(IDLE)
    assert query_of(page) == {**query, "tab": "share"}
    page.close()


def check_downloads(page, query: dict[str, str], tmp_path: Path) -> None:
    """On the share tab: each download is what the engine, the command line and the loader give."""
    from playwright.sync_api import expect

    first_year = compute.engine().first_projection_year
    ctx = links.LinkContext(first_year, {})
    scenario, _ = links.scenario_from_query(query, ctx)
    projection = compute.run(scenario).projection
    csv_path = download(page, "Projection CSV", tmp_path / "projections.csv")
    assert csv_path.read_bytes() == files.projection_csv(scenario.name, projection).encode()
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert rows[-1]["kind"] == "projection" and float(rows[-1]["p50"]) > 0
    targets = download(page, "Target odds CSV", tmp_path / "targets.csv")
    assert targets.read_bytes() == files.odds_csv(scenario.name, projection).encode()
    yaml_path = download(page, "Scenario YAML", tmp_path / "scenario.yaml")
    loaded = load_scenario_text(yaml_path.read_bytes(), "scenario.yaml", first_year=first_year)
    assert loaded.lever_settings() == scenario.lever_settings()
    bundle = download(page, "All, with manifest", tmp_path / "results.zip")
    with zipfile.ZipFile(bundle) as z:
        assert sorted(n.split("/", 1)[1] for n in z.namelist()) == [
            "manifest.json",
            "my-scenario.yaml",
            "projections.csv",
            "targets.csv",
        ]
    png = download(page, "Chart PNG", tmp_path / "chart.png")
    shutil.copy(png, ARTIFACTS / "downloaded-chart-slide.png")
    from PIL import Image

    assert Image.open(png).size == (3200, 1800)
    page.get_by_text("1.91:1, for a social post").click()
    # the click reruns the page, which replaces the download's deferred file: wait for the new run
    chosen = page.locator('[data-testid="stButtonGroup"] button[aria-checked="true"]')
    expect(chosen).to_have_text("1.91:1, for a social post")
    page.wait_for_timeout(1000)
    page.wait_for_selector(IDLE)
    social = download(page, "Chart PNG", tmp_path / "chart-social.png")
    shutil.copy(social, ARTIFACTS / "downloaded-chart-social.png")
    assert Image.open(social).size == (2400, 1260)


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_the_odds_are_on_the_first_screen(server, browser, width, height):
    """The three target cards' odds are visible without scrolling, above the chart."""
    page = open_page(browser, f"{server}/?preset=blueprint-package", width, height)
    no_exception(page)
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / f"main-first-screen-{width}x{height}.png")
    values = page.get_by_test_id("stMetricValue").all()
    assert len(values) == 3
    chart_top = page.locator(CHART).first.bounding_box()["y"]
    for v in values:
        box = v.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (width, height, box)
        assert box["y"] < chart_top
    page.close()


def test_a_link_with_tracking_keys_reproduces_the_view_and_keeps_them(server, browser):
    plain = f"{server}/?preset=blueprint-package&levers.tech_zones=59&deadline_10B=2027"
    page = open_page(browser, plain)
    expected = odds_texts(page)
    page.close()
    tracked = open_page(browser, f"{plain}&utm_source=newsletter&utm_campaign=budget&fbclid=IwAR0xyz")
    no_exception(tracked)
    assert odds_texts(tracked) == expected
    zones = tracked.get_by_test_id("stSlider").filter(has_text=LEVER_BY_NAME["tech_zones"].label)
    assert zones.get_by_test_id("stSliderThumbValue").inner_text() == "59"
    assert query_of(tracked) == {
        "preset": "blueprint-package",
        "levers.tech_zones": "59",
        "deadline_10B": "2027",
        "utm_source": "newsletter",
        "utm_campaign": "budget",
        "fbclid": "IwAR0xyz",
    }
    tracked.screenshot(path=ARTIFACTS / "main-tracked-link-1280x800.png")
    tracked.close()


def test_a_link_reproduces_the_view_at_both_screen_sizes(server, browser):
    link = (
        f"{server}/?preset=blueprint-package&levers.tech_zones=45&levers.vc_funding=250"
        "&assumptions.vc_funding.export_yield=0.2&deadline_10B=2029"
    )
    first = None
    for width, height in ((1280, 800), (1920, 1080)):
        page = open_page(browser, link, width, height)
        no_exception(page)
        assert page.get_by_test_id("stAlert").filter(has_text="problems").count() == 0
        page.wait_for_timeout(500)  # let the chart settle before the screenshot
        page.screenshot(path=ARTIFACTS / f"main-link-{width}x{height}.png")
        first = first or odds_texts(page)
        assert odds_texts(page) == first
        page.close()
    tall = open_page(browser, link, 1440, 2300)
    tall.wait_for_timeout(500)
    tall.screenshot(path=ARTIFACTS / "main-link-full-1440.png")
    tall.close()
    readme = open_page(browser, link, 1440, 1250)
    readme.wait_for_timeout(500)
    readme.screenshot(path=ARTIFACTS / "readme.png")
    README_SHOT.parent.mkdir(parents=True, exist_ok=True)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" or not README_SHOT.exists():
        shutil.copy(ARTIFACTS / "readme.png", README_SHOT)
    readme.close()


TOOLTIP_FITS = """() => {
  const e = document.querySelector('[data-testid="stTooltipContent"]');
  if (!e) return null;
  const r = e.getBoundingClientRect();
  return [e.scrollHeight <= e.clientHeight + 1, r.top >= 0, r.bottom <= window.innerHeight];
}"""


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_no_help_text_is_clipped(server, browser, width, height):
    """Every lever's, card's and assumption's help text shows whole: no scroll bar inside the
    tooltip, and the tooltip inside the window."""
    page = open_page(browser, f"{server}/?preset=blueprint-package", width, height)
    targets = [
        *(page.get_by_test_id("stSlider").filter(has_text=lv.label) for lv in LEVER_BY_NAME.values()),
        *(page.get_by_test_id("stMetric").filter(has_text=f"{a} by FY") for a in ("$10B", "$15B", "$25B")),
    ]
    page.get_by_text("Assumptions: effect sizes and trend").click()
    page.wait_for_selector(IDLE)
    page.get_by_test_id("stSlider").filter(has_text=ASSUMPTIONS[-1].label).wait_for()
    targets += [page.get_by_test_id("stSlider").filter(has_text=a.label) for a in ASSUMPTIONS]
    for i, target in enumerate(targets):
        icon = target.get_by_test_id("stTooltipHoverTarget").first
        icon.scroll_into_view_if_needed()
        icon.hover()
        page.wait_for_selector('[data-testid="stTooltipContent"]')
        page.wait_for_timeout(300)
        fits = page.evaluate(TOOLTIP_FITS)
        if i == 1:
            page.screenshot(path=ARTIFACTS / f"help-text-{width}x{height}.png")
        assert fits == [True, True, True], (i, fits)
        page.mouse.move(width - 5, height - 5)
        page.wait_for_timeout(200)
    page.close()


def test_a_bad_link_shows_a_message_not_a_traceback(server, browser):
    page = open_page(browser, f"{server}/?levers.tech_zones=40.5&levers.oops=1")
    no_exception(page)
    alert = page.get_by_test_id("stAlert").filter(has_text="problems")
    assert "whole number" in alert.inner_text() and "levers.oops" in alert.inner_text()
    page.screenshot(path=ARTIFACTS / "main-bad-link-1280x800.png")
    page.close()


def test_every_preset_by_link_shows_its_name_and_odds(server, browser):
    page = None
    for name in shipped_scenarios(first_year=compute.engine().first_projection_year):
        if name == "baseline":
            continue
        page = open_page(browser, f"{server}/?preset={name}")
        no_exception(page)
        assert page.get_by_text(f"Scenario: {name}").count() == 1
        assert query_of(page) == {"preset": name}
        page.close()


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("model", "Backtest: would the model have forecast the past?"),
        ("data", "Reported ICT-services exports"),
        ("track-record", "Targets track record"),
        ("what-it-takes", "What it takes"),
        ("policy-map", "Policy map"),
        ("scenario", "Where are Pakistan's IT exports heading?"),  # the default page by name too
    ],
)
def test_other_pages_load_and_load_again(server, browser, path, text):
    """Each page, opened twice in fresh tabs (the second visit is served from the caches), asks
    nothing of any host but the app's own: it works offline and tells no third party who visits
    (a Material icon as the tab's icon made every visitor's browser fetch it from Google)."""
    from playwright.sync_api import expect

    own = urlsplit(server).hostname
    for visit, (width, height) in enumerate(((1280, 800), (1440, 2600))):
        page = browser.new_page(viewport={"width": width, "height": height})
        outside: list[str] = []
        page.on(
            "request",
            lambda r, out=outside: out.append(r.url) if urlsplit(r.url).hostname not in (None, own) else None,
        )
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
        assert not outside, f"requests to other hosts: {sorted(set(outside))}"
        page.close()
