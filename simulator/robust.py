"""A centre of the draws that adds up like a mean and stays inside the 10th-90th percentile band.

Where the app splits a difference between two projections into additive parts (one per lever)
and shows their centre over the draws, a plain mean is the natural choice: the parts' means add
up to the difference's mean exactly, medians do not. But a mean over draws of exports follows
the heaviest draws. The stored trend posterior keeps its tail as the data left it (a few draws
whose growth accelerates without bound: under 0.1% of them, with exports of hundreds of
thousands of US$ billions by FY2040), and by the late 2030s those few draws decide every mean:
the mean difference can then lie above its own 90th percentile.

The centre used instead is an interquantile (trimmed) mean: the mean over the draws whose
*ranking quantity* (the total difference in that year) lies between its 10th and 90th
percentile, inclusive (NumPy's default ``linear`` percentiles, the ones the band shows). Every
quantity is averaged over the same draws, so the parts still add up exactly to the difference
averaged over them (Wilcox, *Introduction to Robust Estimation and Hypothesis Testing*, 2012,
section 3.3 on trimmed means; here trimmed by the total, not each part by itself, which keeps the
sum). Each of those draws lies inside the band, so their mean does too. The draws themselves and
every percentile are unchanged: only what a chart or table calls its centre.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

MIDDLE = (10.0, 90.0)
"""Percentiles bounding the draws that :func:`middle_mean` averages (inclusive)."""

MIDDLE_LABEL = "mean of the middle 80% of draws"
"""How a chart, table or caption names :func:`middle_mean`."""


def middle_draws(ranked_by: ArrayLike) -> NDArray[np.bool_]:
    """Which draws (axis 0) lie between the 10th and 90th percentile of ``ranked_by``, per column.

    Inclusive at both ends. A column where no draw does (two distinct draws: both percentiles
    fall strictly between them) keeps every draw: their mean is then the median, inside the band.
    """
    return middle_band(ranked_by)[0]


def middle_band(
    ranked_by: ArrayLike,
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64]]:
    """:func:`middle_draws` with the percentiles that bound them, ``(keep, p10, p90)``, for a
    chart that shows the band too (the percentiles are taken once)."""
    x = np.asarray(ranked_by, dtype=float)
    lo, hi = np.percentile(x, MIDDLE, axis=0)
    keep = (x >= lo) & (x <= hi)
    return np.where(keep.any(axis=0), keep, True), lo, hi


def middle_mean(values: ArrayLike, keep: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Mean over axis 0 of ``values`` restricted to the draws ``keep`` marks (from
    :func:`middle_draws`). ``values`` may be a single row that broadcasts over the draws (a lever
    the scenario leaves alone)."""
    v = np.broadcast_to(np.asarray(values, dtype=float), keep.shape)
    return np.asarray(np.where(keep, v, 0.0).sum(axis=0) / keep.sum(axis=0), dtype=float)
