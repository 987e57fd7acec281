"""The scenario page's share and export tab: the link, the result files and the chart figures.

Every download says what it shows: the CSVs are the command line's files (with its manifest in
the ZIP), and the chart figures carry the scenario's name and odds, the sources, the data
vintage, the model version and seed, the date and the share link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from simulator import __version__
from simulator.app import charts, compute, files, session, sidebar
from simulator.app.frames import data_vintage, levers_summary, odds_text, range_text, source_line
from simulator.app.state import is_baseline
from simulator.data import Target
from simulator.engine import Engine, Projection
from simulator.scenario import Scenario
from simulator.settings import Settings

EXPORT_SIZE_KEY = "export_size"


@dataclass(frozen=True)
class Download:
    label: str
    make: Callable[[], Any]
    """Makes the file's content; called only when the button is clicked."""
    suffix: str
    mime: str
    help: str


def export_text(
    engine: Engine,
    scenario: Scenario,
    run: compute.Run,
    targets: list[Target],
    history: pd.DataFrame,
    link: str,
) -> charts.ExportText:
    """What an exported chart says around the plot: name, odds, range, what the scenario changes,
    sources, vintage, version, seed, date and the share link."""
    moved = not is_baseline(scenario)
    odds = []
    for t in targets:
        shown = odds_text(run.odds(t).p_by_deadline, run.odds(t, baseline=True).p_by_deadline)
        odds.append(f"{t.label}: {shown.value}" + (f" (current policy {shown.baseline})" if moved else ""))
    p = run.projection
    return charts.ExportText(
        title=f"Pakistan's IT exports: {scenario.name}"
        if moved
        else "Pakistan's IT exports on current policy",
        subtitle=(
            "Odds of reaching each target by its deadline: " + "; ".join(odds) + ".",
            f"FY{int(p.years[-1])}: {range_text(p.stats)}, 10th to 90th percentile of the simulated paths.",
        ),
        details=(
            f"Levers: {levers_summary(scenario)}.",
            "Lines: medians; shaded: the middle 50% and 90% of the paths; dashed: the targets, diamonds at "
            "their deadlines.",
        ),
        footer=(
            f"Source: {source_line(history)}; {data_vintage(engine.data, engine.base_year)}.",
            f"Projection: Pakistan IT-exports policy simulator {__version__}, fitted parameters "
            f"{engine.params.sha256()[:12]}; {p.draws.n:,} simulated paths, seed {p.draws.seed}; "
            f"made {date.today()}.",
            f"Link: {link}",
        ),
    )


def draw(
    scenario: Scenario,
    run: compute.Run,
    query: dict[str, list[str]],
    figure_text: Callable[[str], charts.ExportText],
    chart_spec: Callable[[], dict[str, Any]],
) -> None:
    """The tab: the scenario's name, the link, the result files and the chart figures.

    ``figure_text(link)`` gives the words around an exported chart; ``chart_spec()`` the fan chart.
    """
    st.text_input(
        "Scenario name",
        key=sidebar.NAME_KEY,
        help="Letters, digits, '-', '_' and '.'; used in the files and the comparison.",
    )
    link = session.share_link(query)
    st.markdown(
        "**Share.** The address bar holds this view (the scenario, the chosen deadlines, the open tab and "
        f"the comparison): copy it, or this link ({len(link)} characters), and anyone who opens it sees "
        "the same."
    )
    st.code(link, language=None, wrap_lines=True)
    _download_row(data_downloads(scenario, run.projection, compute.settings()), scenario.name)
    size = st.segmented_control(
        "Chart size",
        list(charts.EXPORT_SIZES),
        key=EXPORT_SIZE_KEY,
        default="slide",
        required=True,
        format_func=lambda k: charts.EXPORT_SIZES[k][2],
    )

    def figure(kind: str) -> bytes:
        return files.chart_export(chart_spec(), figure_text(link), size, kind)

    chart_downloads = [
        Download("Chart PNG", lambda: figure("png"), f"-{size}.png", "image/png", FIGURE_HELP),
        Download(
            "Chart SVG", lambda: figure("svg"), f"-{size}.svg", "image/svg+xml", "The same, as a drawing."
        ),
    ]
    _download_row(chart_downloads, scenario.name)
    st.caption(
        f"Run it from the command line: save the YAML, then `simulator run {scenario.name}.yaml --out "
        "results`. The CSVs list the reported history, then the projection's mean and percentiles (US$ m; "
        "the mean is over every path, and in the late 2030s a few runaway paths decide it: read the "
        "median), and the odds of every open target; the ZIP adds manifest.json with the versions, "
        "hashes and seed."
    )


FIGURE_HELP = "The fan chart with the odds, sources, data vintage, model version, seed, date and link."


def data_downloads(scenario: Scenario, p: Projection, run_settings: Settings) -> list[Download]:
    """The result files: what ``simulator run`` writes for this scenario, and the scenario itself."""
    name = scenario.name
    return [
        Download(
            "Projection CSV",
            lambda: files.projection_csv(name, p),
            "-projections.csv",
            "text/csv",
            "projections.csv as `simulator run` writes it.",
        ),
        Download(
            "Target odds CSV",
            lambda: files.odds_csv(name, p),
            "-targets.csv",
            "text/csv",
            "targets.csv as `simulator run` writes it: the odds of every open target.",
        ),
        Download(
            "Scenario YAML",
            lambda: files.scenario_yaml(scenario),
            ".yaml",
            "application/x-yaml",
            "Runs unchanged with `simulator run` and loads back here.",
        ),
        Download(
            "All, with manifest (ZIP)",
            lambda: files.results_zip(scenario, p, run_settings),
            "-results.zip",
            "application/zip",
            "The YAML, both CSVs and manifest.json (versions, hashes, seed, the command).",
        ),
    ]


def _download_row(downloads: list[Download], name: str) -> None:
    for col, d in zip(st.columns(len(downloads)), downloads, strict=True):
        # the data is made only when the button is clicked, so a slider move does not render anything
        col.download_button(
            d.label, data=d.make, file_name=f"{name}{d.suffix}", mime=d.mime, on_click="ignore", help=d.help
        )
