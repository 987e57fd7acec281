"""Scenario files and downloads, through the batch layer so the app and the command line agree.

Presets are the shipped ``scenarios/*.yaml``; an uploaded file is read by the same strict loader
as ``simulator run`` (same messages, same size cap, no tag can build an object); the YAML
download is :func:`~simulator.scenario_writer.dump_scenario`, which ``simulator run`` reads back
unchanged; the CSV download is :func:`~simulator.output.projections_csv`, byte for byte what
the command line writes for the same scenario.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st
import vl_convert as vlc

from simulator.app import charts
from simulator.app.state import within_app_limits
from simulator.engine import Projection
from simulator.errors import InputError, InputErrors
from simulator.output import projections_csv, targets_csv
from simulator.scenario import BASELINE, Scenario
from simulator.scenario_files import load_scenario_text, resolve, shipped_scenarios
from simulator.scenario_writer import dump_scenario
from simulator.strict_yaml import MAX_FILE_BYTES


@st.cache_resource(show_spinner=False, ttl=60)
def presets(first_year: int) -> tuple[dict[str, Scenario], list[str]]:
    """The shipped scenarios (resolved, baseline left out) and any problem loading them."""
    try:
        found = shipped_scenarios(resolved=True, first_year=first_year)
    except InputErrors as exc:
        return {}, [str(e) for e in exc.errors]
    return {k: v for k, v in found.items() if k != BASELINE}, []


def read_upload(data: bytes, filename: str, first_year: int, known: dict[str, Scenario]) -> Scenario:
    """An uploaded scenario file, validated and merged onto its base (a shipped scenario or baseline).

    Raises :class:`InputErrors` with the command line's messages.
    """
    if len(data) > MAX_FILE_BYTES:
        raise InputErrors(
            [
                InputError(
                    f"is too large for a scenario file ({len(data):,} bytes)",
                    file=filename,
                    allowed=f"at most {MAX_FILE_BYTES:,} bytes",
                )
            ]
        )
    written = load_scenario_text(data, filename, first_year=first_year)
    try:
        resolved = resolve(written, known)
    except InputError as exc:
        raise InputErrors([exc if exc.file else replace(exc, file=filename)]) from None
    return within_app_limits(resolved, filename)


def scenario_yaml(scenario: Scenario) -> str:
    """The scenario as a YAML file that ``simulator run`` reads unchanged."""
    return dump_scenario(scenario)


def projection_csv(name: str, projection: Projection) -> str:
    """``projections.csv`` for this scenario, as the command line writes it."""
    return projections_csv([(name, projection)])


def odds_csv(name: str, projection: Projection) -> str:
    """``targets.csv`` for this scenario (every open target), as the command line writes it."""
    return targets_csv([(name, projection)])


def chart_png(spec: dict[str, Any], *, width: int = 1400, scale: float = 1.5) -> bytes:
    """A chart spec from :mod:`simulator.app.charts` as PNG (rendered offline by vl-convert;
    a container-wide chart gets ``width`` pixels)."""
    return vlc.vegalite_to_png(_fixed_width(spec, width), scale=scale)


def chart_svg(spec: dict[str, Any], *, width: int = 1400) -> str:
    """A chart spec from :mod:`simulator.app.charts` as SVG."""
    return vlc.vegalite_to_svg(_fixed_width(spec, width))


def _fixed_width(spec: dict[str, Any], width: int) -> dict[str, Any]:
    out = charts.inline(spec)
    if out.get("width") == "container":
        out["width"] = width
    return out
