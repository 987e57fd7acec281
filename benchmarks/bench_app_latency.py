"""Slider release to re-rendered chart, in a real browser (Debian Chromium + Playwright).

Starts ``streamlit run streamlit_app.py`` on 127.0.0.1 on a free port, moves the technology-zones
slider one step at a time with the keyboard, and times each keypress to the moment the fan
chart's drawing changes (a MutationObserver on the page compares the chart's SVG paths with
their state before the keypress, so the time is to the *new* chart, not to an idle flag).
Every step goes to a value not seen before, so no result comes from the scenario cache.

For reference it measures, in the same run and interleaved step by step (so both see the same
load from anything else on the machine), a toy app with one slider and one metric (keypress to
the metric's new text): the floor set by the websocket, the rerun and React on this machine.

Prints ``name: value`` lines (milliseconds; medians and 90th percentiles) and the ratio of the
two medians. Goal: app median <= 150 ms.

    .venv/bin/python benchmarks/bench_app_latency.py [--steps 59]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

from simulator.app.serve import APP, CHROMIUM, CHROMIUM_ARGS, IDLE, streamlit_server

MAX_STEPS = 59
"""Technology zones 23 -> 60 and 1 -> 22: the new values one keypress apart."""

TOY_APP = textwrap.dedent(
    """
    import streamlit as st
    x = st.slider("x", 0, 100, 50)
    st.metric("twice x", x * 2)
    """
)

# Arms window.__done: resolves with performance.now() when the selector's signature differs
# from `before` (-1 after 15 s); window.__t0 is when it was armed, just before the keypress.
WATCH_JS = """
([selector, kind, before]) => { window.__done = new Promise((resolve) => {
  const sig = () => {
    const el = document.querySelector(selector);
    if (!el) return null;
    if (kind === "text") return el.textContent;
    return Array.from(el.querySelectorAll("path")).map((p) => p.getAttribute("d")).join("|");
  };
  const root = document.querySelector('[data-testid="stApp"]');
  const obs = new MutationObserver(() => {
    const now = sig();
    if (now !== null && now !== before) { obs.disconnect(); resolve(performance.now()); }
  });
  obs.observe(root, {subtree: true, childList: true, attributes: true, characterData: true});
  setTimeout(() => { obs.disconnect(); resolve(-1); }, 15000);
  window.__t0 = performance.now();
}); }
"""

SIG_JS = """
([selector, kind]) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  if (kind === "text") return el.textContent;
  return Array.from(el.querySelectorAll("path")).map((p) => p.getAttribute("d")).join("|");
}
"""


def time_step(page, slider, selector: str, kind: str, key: str) -> float:
    """Press ``key`` on ``slider``; milliseconds from the keypress to the watched change."""
    before = page.evaluate(SIG_JS, [selector, kind])
    page.evaluate(WATCH_JS, [selector, kind, before])
    slider.press(key)
    t1 = page.evaluate("window.__done")
    t0 = page.evaluate("window.__t0")
    if t1 < 0:
        raise RuntimeError(f"no change seen within 15 s after pressing {key}")
    page.wait_for_selector(IDLE)
    return t1 - t0


def open_toy(browser, url: str):
    """The toy app's page, warmed up; returns a function that times one step."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(url)
    page.get_by_test_id("stMetricValue").wait_for()
    slider = page.get_by_role("slider").first
    slider.focus()
    metric = '[data-testid="stMetricValue"]'
    for _ in range(3):
        time_step(page, slider, metric, "text", "ArrowLeft")
    # from 47: up to 100, then down from 46 (values not seen since the page opened are not needed
    # here: the toy has nothing to cache)
    return lambda i: time_step(page, slider, metric, "text", "ArrowRight" if i < 53 else "ArrowLeft")


def open_app(browser, url: str):
    """The app's page, warmed up on another lever; returns a function that times one step of the
    technology-zones slider: 23 -> 60, then Home (0, not timed) and 1 -> 22, every value new."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(url)
    chart = '[data-testid="stVegaLiteChart"]'
    page.locator(chart).first.wait_for(timeout=120_000)
    page.wait_for_selector(IDLE)
    warm = page.get_by_test_id("stSlider").filter(has_text="Startup and venture").get_by_role("slider")
    warm.focus()
    for _ in range(3):
        time_step(page, warm, chart, "svg", "ArrowRight")
    zones = page.get_by_test_id("stSlider").filter(has_text="Special Technology Zones").get_by_role("slider")
    zones.focus()

    def step(i: int) -> float:
        if i == 37:
            time_step(page, zones, chart, "svg", "Home")
        return time_step(page, zones, chart, "svg", "ArrowRight")

    return step


def summary(name: str, xs: list[float]) -> None:
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, round(0.9 * (len(xs) - 1)))]
    print(f"{name}_median_ms: {statistics.median(xs):.1f}")
    print(f"{name}_p90_ms: {p90:.1f}")
    print(f"{name}_samples: {len(xs)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--steps", type=int, default=MAX_STEPS, help=f"slider steps measured per app (at most {MAX_STEPS})"
    )
    args = ap.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"skipped: {CHROMIUM} not found (apt-get install chromium)")
        return 0
    from playwright.sync_api import sync_playwright

    steps = min(args.steps, MAX_STEPS)
    toy: list[float] = []
    app: list[float] = []
    with (
        tempfile.TemporaryDirectory() as d,
        sync_playwright() as p,
    ):
        script = Path(d) / "toy_app.py"
        script.write_text(TOY_APP)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            with streamlit_server(script, cwd=Path(d)) as toy_url, streamlit_server(APP) as app_url:
                toy_step, app_step = open_toy(browser, toy_url), open_app(browser, app_url)
                # interleaved, so both see the same load from whatever else runs on the machine
                for i in range(steps):
                    toy.append(toy_step(i))
                    app.append(app_step(i))
        finally:
            browser.close()
    summary("toy_slider_metric", toy)
    summary("app_slider_to_chart", app)
    print(f"app_over_toy_median_ratio: {statistics.median(app) / statistics.median(toy):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
