"""The levers' recorded history as paths over a timeline, and their exposures.

The fit (:mod:`calibration.fit`) and the engine both need every lever's value in each year
from the first year with a lever record (or the first year they ask for, if earlier) to a last
year: :func:`lever_history` builds that once, from the rows of ``lever_history.csv``, with the
rules of :func:`simulator.data.lever_history_paths` (the first record before it, the lever's
default after the last one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from simulator import model
from simulator.data import LeverValue, first_history_year, lever_history_paths


@dataclass(frozen=True)
class LeverHistory:
    """Every lever's recorded path over :attr:`years`, and the exposures the model reads off it."""

    years: np.ndarray
    """Fiscal years, consecutive, from the first lever record (or earlier) to the last year asked."""
    paths: dict[str, np.ndarray]
    exposures: dict[str, np.ndarray]

    def columns(self, years: np.ndarray) -> np.ndarray:
        """Positions of ``years`` on the timeline."""
        return (np.asarray(years) - self.years[0]).astype(np.intp)


def lever_history(rows: Iterable[LeverValue], first_year: int, last_year: int) -> LeverHistory:
    """The levers' history from ``min(first year with a record, first_year)`` to ``last_year``."""
    rows = tuple(rows)
    first = min(first_history_year(rows) or first_year, first_year)
    years = np.arange(first, last_year + 1)
    paths = {k: np.asarray(v) for k, v in lever_history_paths(rows, years).items()}
    return LeverHistory(years=years, paths=paths, exposures=model.exposures(paths))
