"""Scenario files and downloads, through the batch layer so the app and the command line agree.

Presets are the shipped ``scenarios/*.yaml``; an uploaded file is read by the same strict loader
as ``simulator run`` (same messages, same size cap, no tag can build an object); the YAML
download is :func:`~simulator.scenario_writer.dump_scenario`, which ``simulator run`` reads back
unchanged; the CSV download is :func:`~simulator.output.projections_csv`, byte for byte what
the command line writes for the same scenario.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import replace
from typing import Any

import streamlit as st
import vl_convert as vlc

from simulator import output
from simulator.app import charts
from simulator.app.state import within_app_limits
from simulator.engine import Projection
from simulator.errors import InputError, InputErrors
from simulator.output import projections_csv, targets_csv
from simulator.scenario import BASELINE, Scenario
from simulator.scenario_files import load_scenario_text, resolve, shipped_scenarios
from simulator.scenario_writer import dump_scenario
from simulator.settings import Settings
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


# --------------------------------------------------------------------------- result files


def manifest(scenario: Scenario, projection: Projection, files: dict[str, str], settings: Settings) -> str:
    """``manifest.json`` as ``simulator run`` writes it for ``files`` (name -> text): the command
    that reproduces them from the scenario's YAML, the package, data and parameter hashes, the
    seed and the draws."""
    name, horizon = scenario.name, int(projection.years[-1])
    yaml_file = SCENARIO_FILE.format(name=name)
    command = ["simulator", "run", yaml_file, "--out", f"{name}-results", "--draws", str(projection.draws.n)]
    command += ["--seed", str(projection.draws.seed), "--horizon", str(horizon)]
    entry = {
        "file": yaml_file,
        "file_sha256": _sha256(scenario_yaml(scenario)),
        "name": name,
        "status": "ok",
        "seed": projection.draws.seed,
        "draws": projection.draws.n,
        "horizon": horizon,
    }
    shas = {k: _sha256(v) for k, v in files.items()}
    data = output.run_manifest(command, settings, projection.engine, jobs=1, files=shas, scenarios=[entry])
    return output.manifest_text(data)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


SCENARIO_FILE = "{name}.yaml"


def results_zip(scenario: Scenario, projection: Projection, settings: Settings) -> bytes:
    """The scenario file, ``projections.csv``, ``targets.csv`` and ``manifest.json`` in one ZIP:
    what ``simulator run`` writes for this scenario (the same bytes, the creation time aside)."""
    name = scenario.name
    texts = {
        output.PROJECTIONS_FILE: projection_csv(name, projection),
        output.TARGETS_FILE: odds_csv(name, projection),
    }
    texts[output.MANIFEST_FILE] = manifest(scenario, projection, texts, settings)
    texts[SCENARIO_FILE.format(name=name)] = scenario_yaml(scenario)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for file_name, text in texts.items():
            z.writestr(f"{name}-results/{file_name}", text)
    return buf.getvalue()


# --------------------------------------------------------------------------- charts


def chart_export(spec: dict[str, Any], text: charts.ExportText, size: str, kind: str) -> bytes:
    """The chart as a stand-alone figure (title, odds, sources, vintage, version, seed, date and
    link around it) at one of :data:`~simulator.app.charts.EXPORT_SIZES`: PNG (twice the pixels)
    or SVG. The plot is sized so that the whole figure has the size's width and height."""
    width, height, _ = charts.EXPORT_SIZES[size]
    details = size in charts.DETAILED_SIZES
    inner_w, inner_h = width - 140, height - 320
    for _ in range(3):  # measure what the titles, axes, legend and footer take, then fit the plot
        spec_out = charts.export_spec(
            spec, text, width=inner_w, plot_height=max(inner_h, 120), details=details
        )
        svg = vlc.vegalite_to_svg(spec_out)
        got_w, got_h = svg_size(svg)
        if (got_w, got_h) == (width, height):
            break
        inner_w, inner_h = inner_w + width - got_w, inner_h + height - got_h
    if kind == "svg":
        return svg.encode()
    return vlc.vegalite_to_png(spec_out, scale=2)


def svg_size(svg: str) -> tuple[int, int]:
    """(width, height) an SVG document declares."""
    head = svg[: svg.index(">")]
    w = re.search(r'width="([\d.]+)', head)
    h = re.search(r'height="([\d.]+)', head)
    if w is None or h is None:
        raise ValueError("the SVG does not declare its size")
    return round(float(w.group(1))), round(float(h.group(1)))
