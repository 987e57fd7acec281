"""Scores of probabilistic forecasts given as samples: CRPS, PIT, interval coverage, MAPE.

Gneiting and Raftery (2007), *Strictly proper scoring rules, prediction, and estimation*, JASA
102, 359-378: the continuous ranked probability score ``CRPS(F, y) = E|X - y| - E|X - X'|/2``
(their eq. 21). For the empirical distribution of ``m`` samples it is exact with the sorted
samples: ``E|X - X'| = (2 / m^2) sum_i (2i - m - 1) x_(i)``.
"""

from __future__ import annotations

import numpy as np

PIT_BINS = 10


def crps_samples(samples: np.ndarray, y: np.ndarray) -> np.ndarray:
    """CRPS of each row's sample distribution (rows x samples) at the outcome ``y`` (rows)."""
    x = np.sort(np.atleast_2d(samples), axis=1)
    m = x.shape[1]
    y = np.asarray(y, dtype=float).reshape(-1, 1)
    spread = (2.0 / m**2) * (x @ (2.0 * np.arange(1, m + 1) - m - 1))
    return np.mean(np.abs(x - y), axis=1) - 0.5 * spread


def pit(samples: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Probability integral transform: the share of each row's samples at or below ``y``."""
    return np.mean(np.atleast_2d(samples) <= np.asarray(y, dtype=float).reshape(-1, 1), axis=1)


def pit_histogram(values: np.ndarray, bins: int = PIT_BINS) -> list[int]:
    """Counts of PIT values in ``bins`` equal bins of [0, 1] (1 falls in the last): flat when the
    forecasts are calibrated, U-shaped when too narrow, hump-shaped when too wide."""
    counts, _ = np.histogram(np.asarray(values, dtype=float), bins=bins, range=(0.0, 1.0))
    return [int(c) for c in counts]


def covered(lo: np.ndarray, hi: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether each outcome lies in its interval (ends included)."""
    return (np.asarray(lo) <= np.asarray(y)) & (np.asarray(y) <= np.asarray(hi))


def ape_pct(point: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Absolute percentage error of a point forecast."""
    return 100.0 * np.abs(np.asarray(point) / np.asarray(y) - 1.0)
