"""Slider release to re-rendered chart, in a real browser (Debian Chromium + Playwright).

Starts ``streamlit run streamlit_app.py`` on 127.0.0.1 on a free port, moves the technology-zones
slider one step at a time with the keyboard, and times each keypress to the moment the fan
chart's drawing changes (a MutationObserver on the page compares the chart's SVG paths with
their state before the keypress, so the time is to the *new* chart, not to an idle flag).
Every step goes to a value not seen before, so no result comes from the scenario cache.

For reference it measures, in the same run, a toy app with one slider and one metric (keypress
to the metric's new text): the floor set by the websocket, the rerun and React on this machine.

Prints ``name: value`` lines (milliseconds; medians and 90th percentiles) and the ratio of the
two medians. Goal: app median <= 150 ms.

    .venv/bin/python benchmarks/bench_app_latency.py [--steps 40]
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


def time_steps(page, slider, selector: str, kind: str, keys: list[str]) -> list[float]:
    """Press each key on the focused slider; milliseconds from keypress to the watched change."""
    out = []
    for key in keys:
        before = page.evaluate(SIG_JS, [selector, kind])
        page.evaluate(WATCH_JS, [selector, kind, before])
        slider.press(key)
        t1 = page.evaluate("window.__done")
        t0 = page.evaluate("window.__t0")
        if t1 < 0:
            raise RuntimeError(f"no change seen within 15 s after pressing {key}")
        out.append(t1 - t0)
        page.wait_for_selector(IDLE)
    return out


def measure_toy(browser, steps: int) -> list[float]:
    with tempfile.TemporaryDirectory() as d:
        script = Path(d) / "toy_app.py"
        script.write_text(TOY_APP)
        with streamlit_server(script, cwd=Path(d)) as url:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url)
            page.get_by_test_id("stMetricValue").wait_for()
            slider = page.get_by_role("slider").first
            slider.focus()
            time_steps(page, slider, '[data-testid="stMetricValue"]', "text", ["ArrowRight"] * 3)
            keys = (["ArrowRight"] * steps)[: min(steps, 45)] + ["ArrowLeft"] * max(0, steps - 45)
            return time_steps(page, slider, '[data-testid="stMetricValue"]', "text", keys)


def measure_app(browser, steps: int) -> list[float]:
    with streamlit_server(APP) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        chart = '[data-testid="stVegaLiteChart"]'
        page.locator(chart).first.wait_for(timeout=120_000)
        page.wait_for_selector(IDLE)
        # warm up on another lever (first projection, first chart update)
        warm = page.get_by_test_id("stSlider").filter(has_text="Startup and venture").get_by_role("slider")
        warm.focus()
        time_steps(page, warm, chart, "svg", ["ArrowRight"] * 3)
        zones = (
            page.get_by_test_id("stSlider").filter(has_text="Special Technology Zones").get_by_role("slider")
        )
        zones.focus()
        # 23 -> 60, then Home (0) and 1 -> 22: every value measured is new
        up = min(steps, 37)
        samples = time_steps(page, zones, chart, "svg", ["ArrowRight"] * up)
        rest = min(steps - up, 22)
        if rest > 0:
            time_steps(page, zones, chart, "svg", ["Home"])
            samples += time_steps(page, zones, chart, "svg", ["ArrowRight"] * rest)
        return samples


def summary(name: str, xs: list[float]) -> None:
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, round(0.9 * (len(xs) - 1)))]
    print(f"{name}_median_ms: {statistics.median(xs):.1f}")
    print(f"{name}_p90_ms: {p90:.1f}")
    print(f"{name}_samples: {len(xs)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=40, help="slider steps measured per app (default 40)")
    args = ap.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"skipped: {CHROMIUM} not found (apt-get install chromium)")
        return 0
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            toy = measure_toy(browser, args.steps)
            app = measure_app(browser, args.steps)
        finally:
            browser.close()
    summary("toy_slider_metric", toy)
    summary("app_slider_to_chart", app)
    print(f"app_over_toy_median_ratio: {statistics.median(app) / statistics.median(toy):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
