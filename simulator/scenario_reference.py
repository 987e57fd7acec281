"""The scenario-file field reference, generated from the declarations.

``scenarios/README.md`` holds a generated section between :data:`README_BEGIN` and
:data:`README_END`: the top-level fields, every lever (:data:`simulator.levers.LEVERS`), every
effect assumption (:data:`simulator.levers.ASSUMPTIONS`) and the trend overrides
(:class:`simulator.scenario.TrendOverride`), each with its unit, range, default, source and an
example. ``python -m simulator levers --update-readme`` rewrites it (:func:`update_readme`); a
test compares it with a fresh :func:`reference_markdown`, so the docs cannot drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulator.levers import ASSUMPTIONS, LEVERS, Assumption, Lever
from simulator.scenario import BASELINE, Scenario, TrendOverride
from simulator.scenario_files import SCENARIO_DIR, default_first_year
from simulator.settings import MAX_DRAWS, MAX_HORIZON, MIN_DRAWS

README_PATH = SCENARIO_DIR / "README.md"
README_BEGIN = "<!-- BEGIN GENERATED REFERENCE: `python -m simulator levers --update-readme` -->"
README_END = "<!-- END GENERATED REFERENCE -->"


def reference_markdown(first_year: int | None = None) -> str:
    """The scenario-file field reference, generated from the declarations (for scenarios/README.md)."""
    fy = first_year if first_year is not None else default_first_year()
    sections = (_fields_section(fy), _levers_section(fy), _assumptions_section(), _trend_section())
    return "\n".join(line for section in sections for line in section)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    """A Markdown table (cells escaped), then an empty line."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def _fields_section(first_year: int) -> list[str]:
    header = ("field", "type", "unit", "allowed", "default", "example")
    return ["## Fields\n", *_table(header, _top_field_rows(first_year))]


def _levers_section(first_year: int) -> list[str]:
    intro = (
        "Each lever is a constant (`tech_zones: 40`: from the first projection year on) or a path: "
        "`{value: V, start: YEAR, ramp_years: N}` (current policy before `start`, then a straight line "
        "to `V` over `N` years; `ramp_years` 0 or 1 means at once) or `{values: {YEAR: V, ...}}` "
        "(straight lines between the years given, current policy before the first, the last value "
        f"after it). Years are fiscal years from {first_year} to {MAX_HORIZON}.\n"
    )
    header = ("lever", "what", "unit", "current policy", "allowed", "step", "effect", "source of the default")
    return [
        "## Levers (`levers:`)\n",
        intro,
        *_table((*header, "example"), [_lever_row(lv) for lv in LEVERS]),
        "Example:\n",
        "```yaml\nlevers:\n" + _lever_examples() + "```\n",
    ]


def _lever_row(lv: Lever) -> tuple[str, ...]:
    refs = "; ".join(f"{label}: {v:g}" for label, v in lv.reference_points)
    what = lv.label + (f" (marked values: {refs})" if refs else "")
    return (
        f"`{lv.name}`",
        what,
        lv.unit,
        f"{lv.default:g}",
        f"{lv.min:g} to {lv.max:g}",
        f"{lv.step:g}",
        lv.effect,
        lv.default_source,
        f"`{lv.name}: {_lever_example_value(lv):g}`",
    )


def _assumptions_section() -> list[str]:
    intro = (
        "Each effect size is uncertain and drawn from a triangular distribution (low, central, high). "
        "Override it with a number or `{central: C}` (moves the mode and scales the range with it), "
        "`{low: L, central: C, high: H}`, or `{fixed: X}` (no uncertainty). Every value must lie in "
        "the allowed range.\n"
    )
    header = ("assumption", "what", "unit", "low", "central", "high", "allowed", "source", "example")
    a0, a1 = ASSUMPTIONS[0], ASSUMPTIONS[1]
    example = (
        "```yaml\nassumptions:\n"
        f"  {a0.name}: {{low: {a0.low:g}, central: {a0.central:g}, high: {a0.high:g}}}\n"
        f"  {a1.name}: {{fixed: {a1.central:g}}}\n```\n"
    )
    return [
        "## Effect assumptions (`assumptions:`)\n",
        intro,
        *_table(header, [_assumption_row(a) for a in ASSUMPTIONS]),
        "Example:\n",
        example,
    ]


def _assumption_row(a: Assumption) -> tuple[str, ...]:
    return (
        f"`{a.name}`",
        a.label,
        a.unit,
        f"{a.low:g}",
        f"{a.central:g}",
        f"{a.high:g}",
        f"{a.bounds[0]:g} to {a.bounds[1]:g}",
        a.source,
        f"`{a.name}: {{central: {a.high:g}}}`",
    )


def _trend_section() -> list[str]:
    rows = []
    for name, f in TrendOverride.model_fields.items():
        lo, hi = _bounds(f)
        rows.append((f"`{name}`", f.description or "", f"{lo:g} to {hi:g}", f"`{name}: {_example(lo, hi)}`"))
    return ["## Trend overrides (`trend:`)\n", *_table(("field", "meaning", "allowed", "example"), rows)]


def _top_field_rows(first_year: int) -> list[tuple[str, ...]]:
    """(field, type, unit, allowed, default, example) of each top-level field."""
    from simulator.settings import Settings

    d_lo, d_hi = _bounds(Scenario.model_fields["draws"])
    run_default = {k: Settings.model_fields[k].default for k in ("draws", "seed", "horizon")}
    a0 = ASSUMPTIONS[0].name
    return [
        ("`name`", "text", "", "1-64 letters, digits, `-`, `_`, `.`; unique in a run", "(required)",
         "`name: tech-zones-60`"),
        ("`description`", "text", "", "what the scenario assumes and why, with sources", "empty",
         "`description: ...`"),
        ("`base`", "text", "", "`baseline`, a shipped scenario's name or another file's name",
         f"`{BASELINE}`", "`base: connectivity-no-drag`"),
        ("`levers`", "mapping", "per lever", "see [Levers](#levers-levers)", "current policy",
         "`levers: {tech_zones: 40}`"),
        ("`assumptions`", "mapping", "per assumption",
         "see [Effect assumptions](#effect-assumptions-assumptions)", "as declared",
         f"`assumptions: {{{a0}: 8}}`"),
        ("`trend`", "mapping", "per field", "see [Trend overrides](#trend-overrides-trend)",
         "as calibrated", "`trend: {shock_scale: 1.5}`"),
        ("`draws`", "whole number", "Monte Carlo draws", f"{d_lo:g} to {d_hi:g}",
         f"the run's (`--draws`, else {run_default['draws']})", "`draws: 20000`"),
        ("`seed`", "whole number", "", _seed_range(), f"the run's (`--seed`, else {run_default['seed']})",
         "`seed: 7`"),
        ("`horizon`", "whole number", "last fiscal year projected", f"{first_year} to {MAX_HORIZON}",
         f"the run's ({run_default['horizon']})", "`horizon: 2035`"),
    ]  # fmt: skip


def _lever_example_value(lv: Lever) -> float:
    """A named value of the lever (its first reference point), else the end it points to."""
    if lv.reference_points:
        return lv.reference_points[0][1]
    return lv.max if lv.direction > 0 else lv.min


def _lever_examples() -> str:
    lines = []
    for i, lv in enumerate(LEVERS):
        target = _lever_example_value(lv)
        if i % 3 == 0:
            lines.append(f"  {lv.name}: {target:g}")
        elif i % 3 == 1:
            lines.append(f"  {lv.name}: {{value: {target:g}, start: 2027, ramp_years: 3}}")
        else:
            lines.append(f"  {lv.name}: {{values: {{2027: {lv.default:g}, 2030: {target:g}}}}}")
    return "\n".join(lines) + "\n"


def _seed_range() -> str:
    meta = Scenario.model_fields["seed"].metadata
    lo = next(m.ge for m in meta if hasattr(m, "ge"))
    hi = next(m.le for m in meta if hasattr(m, "le"))
    return f"{lo} to {hi:,} (2^63-1)" if hi == 2**63 - 1 else f"{lo} to {hi:,}"


def _bounds(f: Any) -> tuple[float, float]:
    lo = next((m.ge for m in f.metadata if hasattr(m, "ge")), float(MIN_DRAWS))
    hi = next((m.le for m in f.metadata if hasattr(m, "le")), float(MAX_DRAWS))
    return float(lo), float(hi)


def _example(lo: float, hi: float) -> str:
    return f"{(lo + hi) / 2:g}" if lo < 0 else f"{lo + (hi - lo) / 4:g}"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def update_readme(path: Path = README_PATH, first_year: int | None = None) -> Path:
    """Rewrite the generated section of ``scenarios/README.md`` (between the markers)."""
    text = path.read_text("utf-8")
    start, end = text.index(README_BEGIN) + len(README_BEGIN), text.index(README_END)
    path.write_text(text[:start] + "\n\n" + reference_markdown(first_year) + "\n" + text[end:], "utf-8")
    return path


def readme_section(path: Path = README_PATH) -> str:
    """The generated section as it stands in the README (the test compares it with a fresh one)."""
    text = path.read_text("utf-8")
    return text[text.index(README_BEGIN) + len(README_BEGIN) : text.index(README_END)].strip("\n") + "\n"
