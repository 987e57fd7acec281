r"""Moves on top of a scenario: each lever's path as the scenario has it, moved from a start year.

Goal seek and its package start from a scenario *as it is*: every lever keeps the path the
scenario gives it (a constant, a ``{value, start, ramp_years}`` or year-by-year ``values``), and
a **move** of lever :math:`i` by :math:`\delta_i \ge 0` (in the lever's unit, in the direction
that raises exports, :math:`d_i = \pm 1`) adds to that path

.. math:: x_{it} = \mathrm{clip}\big(b_{it} + d_i\, \delta_i\, r_t,\ \min_i, \max_i\big),
   \qquad r_t = \mathrm{clip}\Big(\frac{t - s + 1}{\max(R, 1)}, 0, 1\Big),

with :math:`b_{it}` the scenario's path, :math:`s` the start year and :math:`R` the ramp in
years: the ramp of a scenario file's ``{value, start, ramp_years}``. :math:`\delta = 0` is the
scenario exactly. A lever at current policy moved by :math:`\delta` is the scenario file's
``{value: default + d δ, start: s, ramp_years: R}``.

The largest move of a lever, :math:`D_i`, takes its path to the end of its range from the
start year on (once the ramp is done): :math:`D_i = \max_{t \ge s} d_i(\mathrm{end}_i - b_{it})`
(0 when the scenario already holds the lever at that end). The moves considered lie on the
lever's grid: whole ``step``\ s, and :math:`D_i` itself. A move's size in the least-change package
is :math:`z_i = \delta_i / (\max_i - \min_i)`, a share of the lever's range.

A moved lever is written to a scenario file as year-by-year ``values`` (every year from the first
projection year until the path stops changing), rounded to :data:`DECIMALS` places; the
projection of the file equals the projection goal seek made, draw for draw, because both read
those same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME, LEVERS, Lever
from simulator.scenario import LeverPath, LeverSetting, Scenario, lever_path, validate_scenario
from simulator.settings import MAX_HORIZON

DECIMALS = 6
"""Places a moved path is rounded to (the file then reads ``45.4``, not ``45.400000000000006``)."""


def ramp_bounds() -> tuple[int, int]:
    """(shortest, longest) ramp of a move: a scenario file's ``ramp_years`` bounds (:class:`LeverPath`)."""
    meta = LeverPath.model_fields["ramp_years"].metadata
    lo = next(m.ge for m in meta if getattr(m, "ge", None) is not None)
    hi = next(m.le for m in meta if getattr(m, "le", None) is not None)
    return int(lo), int(hi)


def ramp_fraction(years: np.ndarray, start: int, ramp_years: int) -> np.ndarray:
    """Share of a move in effect each year: 0 before ``start``, reaching 1 after ``ramp_years``."""
    return np.clip((years - start + 1) / max(ramp_years, 1), 0.0, 1.0)


def moved_values(lever: Lever, base: np.ndarray, delta: float, frac: np.ndarray) -> np.ndarray:
    """The lever's yearly values: the scenario's ``base`` path moved by ``delta`` over ``frac``."""
    if delta == 0:
        return base
    values = np.clip(base + lever.direction * delta * frac, lever.min, lever.max)
    return np.round(values, DECIMALS)


def range_width(lever: Lever) -> float:
    return float(lever.max - lever.min)


def end_of_range(lever: Lever) -> float:
    """The end of the range that raises exports most."""
    return float(lever.max if lever.direction > 0 else lever.min)


def move_grid(lever: Lever, largest: float) -> np.ndarray:
    """The moves considered: 0, whole steps up to ``largest``, and ``largest`` itself."""
    if largest <= 0:
        return np.zeros(1)
    k = math.floor(largest / lever.step + 1e-9)
    steps = np.round(np.arange(k + 1) * lever.step, 10)
    return steps if math.isclose(steps[-1], largest, abs_tol=1e-9) else np.append(steps, largest)


@dataclass(frozen=True)
class MoveSpace:
    """The scenario's lever paths and the moves allowed on top of them.

    Parameters
    ----------
    base:
        The scenario as it is, resolved onto its bases (its paths are kept).
    levers:
        The levers allowed to move.
    first_year:
        First projection year.
    start_year, ramp_years:
        When the moves start and over how many years they reach their full size.
    """

    base: Scenario
    levers: tuple[Lever, ...]
    first_year: int
    start_year: int
    ramp_years: int = 0

    def __post_init__(self) -> None:
        if not self.first_year <= self.start_year <= MAX_HORIZON:
            raise InputError(
                "is outside the model's years",
                field="start_year",
                value=self.start_year,
                allowed=f"fiscal years {self.first_year} to {MAX_HORIZON}",
            )
        lo, hi = ramp_bounds()
        if not lo <= self.ramp_years <= hi:
            raise InputError(
                "is out of range", field="ramp_years", value=self.ramp_years, allowed=f"{lo} to {hi}"
            )

    @property
    def years(self) -> np.ndarray:
        """Every projection year the model allows (the paths are written over all of them)."""
        return np.arange(self.first_year, MAX_HORIZON + 1)

    @cached_property
    def _base_paths(self) -> dict[str, np.ndarray]:
        settings = self.base.lever_settings()
        out = {lv.name: lever_path(lv, settings.get(lv.name), self.years) for lv in LEVERS}
        for a in out.values():
            a.flags.writeable = False
        return out

    def base_path(self, lever: Lever) -> np.ndarray:
        """The scenario's own path of ``lever`` over :attr:`years`."""
        return self._base_paths[lever.name]

    @cached_property
    def _fraction(self) -> np.ndarray:
        out = ramp_fraction(self.years, self.start_year, self.ramp_years)
        out.flags.writeable = False
        return out

    def fraction(self) -> np.ndarray:
        return self._fraction

    def largest(self, lever: Lever) -> float:
        """:math:`D_i`: the move that takes the path to the end of the range from the start year."""
        after = self.years >= self.start_year
        gap = lever.direction * (end_of_range(lever) - self.base_path(lever)[after])
        return float(round(max(0.0, float(gap.max())), 10))

    def grid(self, lever: Lever) -> np.ndarray:
        return move_grid(lever, self.largest(lever))

    def path(self, lever: Lever, delta: float) -> np.ndarray:
        """The lever's values over :attr:`years` with the move ``delta``."""
        return moved_values(lever, self.base_path(lever), delta, self.fraction())

    def setting(self, lever: Lever, delta: float) -> LeverSetting | None:
        """The lever's setting in a scenario file: the scenario's own when not moved, else the
        moved path as year-by-year ``values`` up to the last year it changes."""
        if delta == 0:
            return self.base.lever_settings().get(lever.name)
        values = self.path(lever, delta)
        changes = np.flatnonzero(np.diff(values) != 0)
        last = int(changes[-1]) + 1 if len(changes) else 0
        return LeverPath(
            values={int(y): _num(v) for y, v in zip(self.years[: last + 1], values[: last + 1], strict=True)}
        )

    def scenario(
        self,
        moves: Mapping[str, float],
        *,
        name: str,
        description: str = "",
        draws: int | None = None,
        seed: int | None = None,
    ) -> Scenario:
        """The scenario with ``moves`` (lever name -> move) applied, validated like a file.

        Its other fields (assumptions, trend, horizon) are the base's; ``draws`` and ``seed``
        default to the base's.
        """
        doc = self.base.to_document()
        doc.pop("base", None)
        doc.update(name=name, description=description)
        levers = dict(doc.get("levers", {}))
        for lever_name, delta in moves.items():
            lv = LEVER_BY_NAME[lever_name]
            setting = self.setting(lv, float(delta))
            if setting is None:
                levers.pop(lever_name, None)
            else:
                levers[lever_name] = (
                    setting.model_dump(exclude_none=True, exclude_defaults=True)
                    if isinstance(setting, LeverPath)
                    else setting
                )
        doc["levers"] = {lv.name: levers[lv.name] for lv in LEVERS if lv.name in levers}
        if not doc["levers"]:
            doc.pop("levers")
        if not description:
            doc.pop("description")
        for key, value in (("draws", draws), ("seed", seed)):
            if value is not None:
                doc[key] = value
        return validate_scenario(doc, first_year=self.first_year)

    def value_in(self, lever: Lever, delta: float, year: int) -> float:
        """The lever's value in ``year`` with the move ``delta``."""
        return float(self.path(lever, delta)[year - self.first_year])


def _num(x: float) -> float | int:
    x = float(x)
    return int(x) if x.is_integer() else x


def describe_setting(lever: Lever, setting: LeverSetting | None) -> str:
    """A lever's setting in a scenario, in a few words: ``23 (current policy)``, ``60 from FY2027
    over 5 years``, ``year by year: FY2026 30, FY2028 45``."""
    if setting is None:
        return f"{lever.default:g} (current policy)"
    if isinstance(setting, int | float):
        return f"{setting:g}"
    if setting.value is not None:
        text = f"{setting.value:g}"
        if setting.start is not None:
            text += f" from FY{setting.start}"
        if setting.ramp_years > 1:
            text += f" over {setting.ramp_years} years"
        return text
    pairs = sorted(setting.values.items())
    return "year by year: " + ", ".join(f"FY{y} {v:g}" for y, v in pairs)


def signed_change(lever: Lever, delta: float) -> float:
    """A move as a change of the lever's value (negative for a lever that lowers exports)."""
    return float(lever.direction * delta)


def format_change(lever: Lever, delta: float) -> str:
    change = signed_change(lever, delta)
    return f"{change:+g}" if change else "0"


def moves_text(space: MoveSpace, moves: Mapping[str, float], year: int) -> Sequence[str]:
    """One phrase per moved lever: ``Special Technology Zones +15 zones (45 in FY2029)``."""
    out = []
    for name, delta in moves.items():
        if delta == 0:
            continue
        lv = LEVER_BY_NAME[name]
        value = space.value_in(lv, delta, year)
        out.append(f"{lv.label} {format_change(lv, delta)} {lv.unit} ({value:g} in FY{year})")
    return out
