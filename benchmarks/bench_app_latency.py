"""Slider release to re-rendered chart, in a real browser (Debian Chromium + Playwright).

Starts ``streamlit run streamlit_app.py`` on 127.0.0.1 on a free port, moves the technology-zones
slider one step at a time with the keyboard, and times each keypress to the moment the fan
chart's drawing changes, and to the moment the wedge chart beside it (what each lever adds,
split exactly) changes. A MutationObserver on the page compares each chart's SVG paths with
their state before the keypress, so the time is to the *new* chart, not to an idle flag. Every
step goes to a value not seen before, so no result comes from the scenario cache.

For reference it measures, in the same run and interleaved step by step (so both see the same
load from anything else on the machine), a toy app with one slider and one metric (keypress to
the metric's new text): the floor set by the websocket, the rerun and React on this machine.

Prints ``name: value`` lines (milliseconds; medians and 90th percentiles) and the ratios of the
medians to the toy's. Goal: the fan chart's median <= 150 ms.

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

# Arms window.__done[name] for each (name, selector, index, kind, before): resolves with performance.now()
# when that element's signature differs from `before` (-1 after 15 s); window.__t0 is when they were
# armed, just before the keypress.
WATCH_JS = """
(watches) => {
  const sig = (selector, index, kind) => {
    const el = document.querySelectorAll(selector)[index];
    if (!el) return null;
    if (kind === "text") return el.textContent;
    return Array.from(el.querySelectorAll("path")).map((p) => p.getAttribute("d")).join("|");
  };
  const root = document.querySelector('[data-testid="stApp"]');
  window.__done = {};
  for (const [name, selector, index, kind, before] of watches) {
    window.__done[name] = new Promise((resolve) => {
      const obs = new MutationObserver(() => {
        const now = sig(selector, index, kind);
        if (now !== null && now !== before) { obs.disconnect(); resolve(performance.now()); }
      });
      obs.observe(root, {subtree: true, childList: true, attributes: true, characterData: true});
      setTimeout(() => { obs.disconnect(); resolve(-1); }, 15000);
    });
  }
  window.__t0 = performance.now();
}
"""

SIG_JS = """
([selector, index, kind]) => {
  const el = document.querySelectorAll(selector)[index];
  if (!el) return null;
  if (kind === "text") return el.textContent;
  return Array.from(el.querySelectorAll("path")).map((p) => p.getAttribute("d")).join("|");
}
"""


Watch = tuple[str, int, str]
"""(CSS selector, which of its matches, "text" or "svg")."""


def time_step(page, slider, watches: dict[str, Watch], key: str) -> dict[str, float]:
    """Press ``key`` on ``slider``; milliseconds from the keypress to each watched change."""
    armed = [[name, *w, page.evaluate(SIG_JS, list(w))] for name, w in watches.items()]
    page.evaluate(WATCH_JS, armed)
    slider.press(key)
    out = {}
    for name in watches:
        t1 = page.evaluate(f"window.__done[{name!r}]")
        if t1 < 0:
            raise RuntimeError(f"no change of {name} seen within 15 s after pressing {key}")
        out[name] = t1 - page.evaluate("window.__t0")
    page.wait_for_selector(IDLE)
    return out


def open_toy(browser, url: str):
    """The toy app's page, warmed up; returns a function that times one step."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(url)
    page.get_by_test_id("stMetricValue").wait_for()
    slider = page.get_by_role("slider").first
    slider.focus()
    watch = {"metric": ('[data-testid="stMetricValue"]', 0, "text")}
    for _ in range(3):
        time_step(page, slider, watch, "ArrowLeft")
    # from 47: up to 100, then down from 46 (values not seen since the page opened are not needed
    # here: the toy has nothing to cache)
    return lambda i: time_step(page, slider, watch, "ArrowRight" if i < 53 else "ArrowLeft")["metric"]


CHART = '[data-testid="stVegaLiteChart"]'
FAN, WEDGES = (CHART, 0, "svg"), (CHART, 1, "svg")
"""The fan chart and, beside it, the wedges: the page's first two charts."""


def open_app(browser, url: str):
    """The app's page, warmed up on another lever; returns a function that times one step of the
    technology-zones slider (to the fan chart and to the wedges): 23 -> 60, then Home (0, not
    timed) and 1 -> 22, every value new."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(url)
    page.locator(CHART).first.wait_for(timeout=120_000)
    page.wait_for_selector(IDLE)
    warm = page.get_by_test_id("stSlider").filter(has_text="Startup and venture").get_by_role("slider")
    warm.focus()
    watch = {"fan": FAN}
    for _ in range(3):
        time_step(page, warm, watch, "ArrowRight")
    page.locator(CHART).nth(1).wait_for(timeout=120_000)
    watch["wedges"] = WEDGES
    zones = page.get_by_test_id("stSlider").filter(has_text="Special Technology Zones").get_by_role("slider")
    zones.focus()

    def step(i: int) -> dict[str, float]:
        if i == 37:
            time_step(page, zones, watch, "Home")
        return time_step(page, zones, watch, "ArrowRight")

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
    wedges: list[float] = []
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
                    times = app_step(i)
                    app.append(times["fan"])
                    wedges.append(times["wedges"])
        finally:
            browser.close()
    summary("toy_slider_metric", toy)
    summary("app_slider_to_chart", app)
    summary("app_slider_to_wedges", wedges)
    print(f"app_over_toy_median_ratio: {statistics.median(app) / statistics.median(toy):.2f}")
    print(f"wedges_over_toy_median_ratio: {statistics.median(wedges) / statistics.median(toy):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
