"""Exports of a projection computed a block at a time, and what users read off them.

A projection's exports are a (years x draws) array; what a run reports from it is per year
(the mean and percentiles over the draws) and per target (the share of draws whose highest
exports so far reach the amount, year by year). Exact percentiles need every draw of a year,
so a *year* is the unit that must be whole; everything else can be blocked. This module:

- computes exports a tile at a time (:class:`LeverRun`): a few years of every draw, or a slice
  of the draws of one year when the draws are many, so that every temporary stays small
  (:data:`TILE_ELEMENTS`, 128 KiB). Small temporaries are reused from the heap: the speed no
  longer depends on the process's allocator settings (about 2x before, with the large
  temporaries page-faulted afresh on every call), and a worker's memory no longer grows with
  draws x years x levers;
- summarises a block of years as it is made (:func:`scan`): mean and percentiles of each year
  (:func:`simulator.quantiles.row_percentiles`, NumPy's ``linear`` method), and the running
  maximum of each draw with the count of draws that reached each amount. Nothing of size
  draws x years is kept unless the caller asks for the exports themselves;
- turns those counts into the odds of a target and the quantiles of the year it is reached
  (:func:`quantile_years`), the same numbers as from each draw's first year.

Every number is the one the whole-array computation gives, bit for bit: the same elementwise
operations on the same values, means over the same contiguous rows, order statistics picked
exactly.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulator import model
from simulator.errors import InputError
from simulator.quantiles import BLOCK_ELEMENTS, row_percentiles
from simulator.scenario import lever_paths

if TYPE_CHECKING:
    from simulator.data import Target
    from simulator.engine import Draws, Engine
    from simulator.scenario import Scenario

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
STAT_COLUMNS = ("mean", *(f"p{q}" for q in PERCENTILES))
YEAR_QUANTILES = (0.1, 0.5, 0.9)
"""Quantiles of the year a target is first reached (``year_p10``, ``year_p50``, ``year_p90``)."""

TILE_ELEMENTS = BLOCK_ELEMENTS // 2
"""Draws x years computed together: each lever's effect and each channel's total is a temporary
of this size (128 KiB), several alive at once."""

Rows = Callable[[int, int, np.ndarray], np.ndarray]
"""``rows(start, stop, buffer)``: exports of projection years ``start`` to ``stop - 1`` (0-based),
one row per year, written into (or instead of) ``buffer``."""


class LeverRun:
    """Reported exports of one setting of the levers on a set of draws, a tile at a time.

    ``exposure``: each lever's exposure at the projection years (:func:`simulator.model.exposures`
    of the whole timeline, from the first projection year on).
    """

    def __init__(self, draws: Draws, exposure: Mapping[str, np.ndarray]):
        self.draws = draws
        self.exposure = dict(exposure)
        self.n = draws.n
        self.n_years = len(draws.years)

    def rows(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Exports of projection years ``start`` to ``stop - 1``, (years x draws), into ``out``."""
        n = self.n
        out = np.empty((stop - start, n)) if out is None else out
        if n <= TILE_ELEMENTS:
            step = max(1, TILE_ELEMENTS // n)
            for y0 in range(start, stop, step):
                y1 = min(stop, y0 + step)
                self._tile(y0, y1, 0, n, out[y0 - start : y1 - start])
            return out
        for y in range(start, stop):
            for d0 in range(0, n, TILE_ELEMENTS):
                d1 = min(n, d0 + TILE_ELEMENTS)
                self._tile(y, y + 1, d0, d1, out[y - start : y - start + 1, d0:d1])
        return out

    def all(self) -> np.ndarray:
        """Every projection year, (years x draws)."""
        return self.rows(0, self.n_years)

    def _tile(self, y0: int, y1: int, d0: int, d1: int, out: np.ndarray) -> None:
        a = self.draws.assumptions
        if d0 > 0 or d1 < self.n:
            a = {k: v[d0:d1] for k, v in a.items()}
        totals = model.channel_totals(self.exposure, a, slice(y0, y1))
        model.exports_of(self.draws.log_core[d0:d1, y0:y1], **totals, out=out.T)


def array_rows(exports_by_year: np.ndarray) -> Rows:
    """:data:`Rows` of exports already computed, (years x draws)."""
    return lambda start, stop, _buffer: exports_by_year[start:stop]


@dataclass(frozen=True)
class Scan:
    """What :func:`scan` found: statistics of some years and reach counts at some years."""

    mean: np.ndarray
    """Mean over the draws, one per year asked for."""
    percentiles: np.ndarray
    """(years asked for x percentiles)."""
    reached: np.ndarray
    """(amounts x years counted): draws whose highest exports up to that year reach the amount."""


def scan(
    rows: Rows,
    *,
    n: int,
    stop: int,
    stat_years: Sequence[int],
    percentiles: Sequence[float],
    amounts: Sequence[float] = (),
    count_years: Sequence[int] = (),
) -> Scan:
    """Go once through projection years ``0`` to ``stop - 1`` of the exports, a block at a time.

    ``stat_years``, ``count_years``: the (0-based, increasing) years whose mean and percentiles,
    and whose reach counts for each of ``amounts``, are wanted. Memory: a block of rows and a
    block of running maxima, whatever the number of years.
    """
    step = max(1, BLOCK_ELEMENTS // n)
    size = min(step, stop)
    buffer, peaks = _workspace("rows", (size, n)), _workspace("peaks", (size, n))
    stat_at = {j: i for i, j in enumerate(stat_years)}
    count_at = {j: i for i, j in enumerate(count_years)}
    mean = np.empty(len(stat_years))
    qs = np.empty((len(stat_years), len(percentiles)))
    reached = np.zeros((len(amounts), len(count_years)), dtype=np.int64)
    levels = np.asarray(amounts, float)
    q = np.asarray(percentiles, float)
    last_count = max(count_years, default=-1) if len(amounts) else -1
    for y0 in range(0, stop, step):
        y1 = min(stop, y0 + step)
        block = rows(y0, y1, buffer[: y1 - y0])
        wanted = [j for j in range(y0, y1) if j in stat_at]
        if wanted:
            sub = block if len(wanted) == y1 - y0 else block[[j - y0 for j in wanted]]
            at = [stat_at[j] for j in wanted]
            mean[at] = sub.mean(axis=1)
            qs[at] = row_percentiles(sub, q)
        if y0 <= last_count:
            m = min(y1, last_count + 1) - y0
            _running_max(block[:m], peaks, first=y0 == 0)
            counted = [j for j in range(y0, y0 + m) if j in count_at]
            if counted:
                at = [count_at[j] for j in counted]
                reached[:, at] = _reach_counts(peaks[[j - y0 for j in counted]], levels)
    return Scan(mean, qs, reached)


def _reach_counts(peaks: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """(levels x rows): how many values of each row of ``peaks`` are at least each level.

    Levels above every peak (the last row is the highest) are not compared: nobody reached them.
    """
    out = np.zeros((len(levels), len(peaks)), dtype=np.int64)
    live = np.flatnonzero(levels <= peaks[-1].max())
    if len(live):
        hit = peaks[:, None, :] >= levels[live][None, :, None]
        counts = [np.count_nonzero(r) for r in hit.reshape(-1, peaks.shape[1])]
        out[live] = np.array(counts, dtype=np.int64).reshape(len(peaks), len(live)).T
    return out


_WORKSPACE = threading.local()


def _workspace(role: str, shape: tuple[int, int]) -> np.ndarray:
    """A scratch array kept by this thread for the next :func:`scan`: memory reused, not mapped
    afresh (and page-faulted) on every call. At most a block, or one year of draws, per role."""
    size = shape[0] * shape[1]
    kept = getattr(_WORKSPACE, role, None)
    if kept is None or kept.size < size:
        kept = np.empty(size)
        setattr(_WORKSPACE, role, kept)
    return kept[:size].reshape(shape)


def _running_max(block: np.ndarray, peaks: np.ndarray, *, first: bool) -> None:
    """Running maximum over the years of ``block``, carried on from the last row of ``peaks``."""
    for i, row in enumerate(block):
        if i == 0 and first:
            peaks[0] = row
        else:
            np.maximum(peaks[i - 1], row, out=peaks[i])


def quantile_years(reached: np.ndarray, n: int, first_year: int) -> tuple[int | None, int | None, int | None]:
    """:data:`YEAR_QUANTILES` of the first year reached, from the cumulative counts ``reached``.

    ``reached[j]``: draws that reached the amount by year ``first_year + j``. The smallest year
    whose share is at least the quantile (NumPy's ``inverted_cdf``); ``None``: not by the last.
    """
    cdf = np.asarray(reached) / n
    out = []
    for q in YEAR_QUANTILES:
        i = int(np.searchsorted(cdf, q - 1e-12))
        out.append(first_year + i if i < len(cdf) else None)
    return (out[0], out[1], out[2])


def summary_stats(mean: np.ndarray, percentile_values: np.ndarray) -> dict[str, np.ndarray]:
    """The ``mean`` and ``p5`` ... ``p95`` columns of :data:`STAT_COLUMNS`."""
    out = {"mean": mean}
    out.update({f"p{q}": percentile_values[:, i] for i, q in enumerate(PERCENTILES)})
    return out


# --------------------------------------------------------------------------- sweeps


@dataclass(frozen=True)
class Scores:
    """What :class:`Scorer` keeps of each point of a sweep."""

    odds: np.ndarray
    """(points x targets): the share of draws that reach each target by its deadline."""
    percentiles: np.ndarray
    """(points x years x percentiles): percentiles of exports, US$ m."""


class Scorer:
    """Score many settings of the levers with the same draws (common random numbers).

    For each setting: the odds of each of ``targets`` by its deadline and the ``percentiles`` of
    exports in ``years``, exactly as :meth:`Engine.project` reports them (``p_by_deadline``, and
    ``stats`` for the percentiles it has), but projecting only up to the last year needed and
    keeping nothing else: no statistics of other years, no year each target is reached, no
    baseline. Each lever's exposure is kept per distinct path (a grid has few per lever).
    """

    EXPOSURE_CACHE = 4096

    def __init__(
        self,
        engine: Engine,
        draws: Draws,
        *,
        targets: Sequence[Target],
        years: Sequence[int] = (),
        percentiles: Sequence[float] = (10, 50, 90),
    ):
        self.engine = engine
        self.draws = draws
        self.targets = tuple(targets)
        self.years = tuple(int(y) for y in years)
        self.percentiles = tuple(float(q) for q in percentiles)
        first, last = int(draws.years[0]), int(draws.years[-1])
        for y in self.years:
            if not first <= y <= last:
                raise InputError(
                    "is not a projection year",
                    field="years",
                    value=y,
                    allowed=f"fiscal years {first} to {last}",
                )
        for q in self.percentiles:
            if not 0.0 <= q <= 100.0:
                raise InputError("is not a percentile", field="percentiles", value=q, allowed="0 to 100")
        self.fixed: dict[int, float] = {}
        """Odds that do not depend on the draws, by target position (reached in the data, or not
        reached and the deadline already past)."""
        columns: dict[int, int] = {}
        for i, t in enumerate(self.targets):
            if t.deadline_fy is None:
                raise InputError(
                    "has no deadline: a sweep scores the odds by a deadline", field="targets", value=t.id
                )
            seen = engine.reached_in_history(t)
            if seen is not None:
                self.fixed[i] = 1.0 if seen <= t.deadline_fy else 0.0
            elif t.deadline_fy < first:
                self.fixed[i] = 0.0
            elif t.deadline_fy > last:
                raise InputError(
                    f"has its deadline (FY{t.deadline_fy}) after the horizon (FY{last}): its odds would "
                    "be understated",
                    field="targets",
                    value=t.id,
                    allowed=f"a horizon of FY{t.deadline_fy} or later",
                )
            else:
                columns[i] = t.deadline_fy - first
        self._columns = columns
        self._count_years = sorted(set(columns.values()))
        self._amounts = sorted({self.targets[i].amount_musd for i in columns})
        self._stat_years = sorted({y - first for y in self.years})
        self._stop = max([*self._count_years, *self._stat_years], default=-1) + 1
        self._exposures: OrderedDict[tuple[str, bytes], np.ndarray] = OrderedDict()

    def score(self, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
        """(odds per target, percentiles per year) of one scenario (merged onto its base)."""
        paths = lever_paths(scenario, self.draws.years)
        return self.score_exposure({k: self._exposure(k, v) for k, v in paths.items()})

    def score_many(self, scenarios: Iterable[Scenario]) -> Scores:
        """:meth:`score` of each scenario, stacked."""
        scored = [self.score(s) for s in scenarios]
        odds = np.array([o for o, _ in scored]).reshape(len(scored), len(self.targets))
        qs = np.array([q for _, q in scored]).reshape(len(scored), len(self.years), len(self.percentiles))
        return Scores(odds, qs)

    def score_exposure(self, exposure: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`score` given each lever's exposure in the projection years."""
        n = self.draws.n
        found = scan(
            LeverRun(self.draws, exposure).rows,
            n=n,
            stop=self._stop,
            stat_years=self._stat_years,
            percentiles=self.percentiles,
            amounts=self._amounts,
            count_years=self._count_years,
        )
        odds = np.empty(len(self.targets))
        for i, p in self.fixed.items():
            odds[i] = p
        for i, col in self._columns.items():
            k = self._amounts.index(self.targets[i].amount_musd)
            odds[i] = found.reached[k, self._count_years.index(col)] / n
        first = int(self.draws.years[0])
        rows = [self._stat_years.index(y - first) for y in self.years]
        return odds, found.percentiles[rows]

    def _exposure(self, name: str, path: np.ndarray) -> np.ndarray:
        key = (name, path.tobytes())
        hit = self._exposures.get(key)
        if hit is None:
            hit = self._exposures[key] = self.engine.lever_exposure(name, path)
            if len(self._exposures) > self.EXPOSURE_CACHE:
                self._exposures.popitem(last=False)
        return hit
