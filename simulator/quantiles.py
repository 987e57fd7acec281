"""Exact order statistics and percentiles of the rows of a matrix, without sorting the rows.

``np.partition`` selects one rank at a time with a scalar introselect: for the fourteen ranks
behind the engine's seven percentiles of 10,000 draws it takes about 0.2 ms a row, most of the
time of a projection. :func:`order_statistics` gets the same values from one counting pass per
row -- the first pass of a most-significant-digit radix sort (Knuth, *The Art of Computer
Programming* vol. 3, section 5.2.5, "Sorting by distribution"), used to select:

1. a float's bits, read as an integer and with the sign handled, order the same way as the
   floats (:func:`sortable_keys`);
2. the top bits of each key's offset from the row's smallest key put it in one of ``2**b``
   buckets; counting the buckets (``np.bincount``) tells which bucket holds each wanted rank
   and how many values lie below it;
3. only the values in those few buckets are sorted.

Every step is a comparison or a count of the row's own values, so the result is exactly the
value ``np.partition`` puts at that rank; how narrow the buckets are only changes the speed.
A row with a NaN is handed to ``np.partition`` (NumPy's rules for NaN then apply).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

SMALL_ROW = 64
"""Rows shorter than this are partitioned directly: the radix pass does not pay off."""

BLOCK_ELEMENTS = 1 << 15
"""Rows are handled a few at a time, about this many values (256 KiB) together, so that the
temporaries stay small: they are then reused from the heap instead of being mapped afresh
(and page-faulted) on every call, whatever the process's allocator settings."""

_MAGNITUDE = np.int64(2**63 - 1)


def sortable_keys(x: FloatArray) -> NDArray[np.int64]:
    """Integers in the same order as the floats ``x`` (``-0.0`` just below ``0.0``; no NaN).

    A non-negative float's bits are already ordered as an integer; a negative one's magnitude
    bits are flipped so that larger magnitudes come first.
    """
    bits = x.view(np.int64)
    return bits ^ ((bits >> 63) & _MAGNITUDE)


def order_statistics(rows: FloatArray, ranks: NDArray[np.intp]) -> FloatArray:
    """The ``ranks``-th smallest value (0-based) of each row of ``rows`` (rows x len(ranks)).

    Equal to ``np.partition(rows, ranks, axis=1)[:, ranks]`` for finite values.
    """
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    ranks = np.asarray(ranks, dtype=np.intp)
    r, n = rows.shape
    if n < SMALL_ROW or len(ranks) == 0:
        return np.partition(rows, np.unique(ranks), axis=1)[:, ranks] if len(ranks) else rows[:, :0]
    step = max(1, BLOCK_ELEMENTS // n)
    if r <= step:
        return _block_order_statistics(rows, ranks)
    out = np.empty((r, len(ranks)))
    for i in range(0, r, step):
        out[i : i + step] = _block_order_statistics(rows[i : i + step], ranks)
    return out


def _block_order_statistics(rows: FloatArray, ranks: NDArray[np.intp]) -> FloatArray:
    n = rows.shape[1]
    low, high = rows.min(axis=1), rows.max(axis=1)
    if np.isnan(low).any() or np.isnan(high).any():
        return np.partition(rows, np.unique(ranks), axis=1)[:, ranks]
    if (low > 0.0).all():
        keys, key_low, key_high = rows.view(np.int64), low.view(np.int64), high.view(np.int64)
    else:  # keys of the extremes from the keys: min() may return 0.0 where -0.0 is the least key
        keys = sortable_keys(rows)
        key_low, key_high = keys.min(axis=1), keys.max(axis=1)
    bits = bucket_bits(n)
    buckets = _bucket_ids(keys, key_low, key_high, bits)
    return _select(rows, buckets, ranks, bits)


BUCKET_SHIFT = 3
"""About ``2**BUCKET_SHIFT`` values a bucket on average (fastest of 1 to 5 at 10,000 draws)."""


def bucket_bits(n: int) -> int:
    """Buckets per row as a power of two, 2**6 to 2**16, a few values a bucket."""
    return min(16, max(6, n.bit_length() - BUCKET_SHIFT))


def _bucket_ids(
    keys: NDArray[np.int64], key_low: NDArray[np.int64], key_high: NDArray[np.int64], bits: int
) -> NDArray[np.int64]:
    """Each value's bucket, numbered across rows (row ``i`` owns ``i * 2**bits`` onwards).

    The offset from the row's smallest key is taken modulo 2**64 and read as unsigned, so it is
    exact whatever the signs; it is shifted right until the row's largest offset fits in ``bits``.
    """
    span = (key_high - key_low).view(np.uint64)
    shifts = np.array([max(0, int(s).bit_length() - bits) for s in span], dtype=np.uint64)
    out = np.subtract(keys, key_low[:, None])
    u = out.view(np.uint64)
    np.right_shift(u, shifts[:, None], out=u)
    out += (np.arange(len(span), dtype=np.int64) << bits)[:, None]
    return out


def _select(rows: FloatArray, buckets: NDArray[np.int64], ranks: NDArray[np.intp], bits: int) -> FloatArray:
    """The values at ``ranks`` of each row, given every value's bucket (see :func:`_bucket_ids`)."""
    r, n = rows.shape
    counts = np.bincount(buckets.ravel(), minlength=r << bits)
    cum = counts.reshape(r, -1).cumsum(axis=1)
    # the bucket holding rank k of row i: the first whose cumulative count exceeds k; rows are
    # stacked by offsetting row i's counts by i * (n + 1) so that one search serves all rows
    row_offset = np.arange(r, dtype=np.int64)[:, None] * (n + 1)
    wanted = np.searchsorted((cum + row_offset).ravel(), (ranks[None, :] + row_offset).ravel(), side="right")
    below = cum.ravel()[wanted] - counts[wanted]
    marked = np.zeros(r << bits, dtype=bool)
    marked[wanted] = True
    picked = np.flatnonzero(marked[buckets.ravel()])
    values = rows.ravel()[picked]
    # within a row, bucket order is value order: sorting each row's candidates orders them by
    # bucket too, so a bucket's values start where the earlier marked buckets' counts end
    bounds = np.searchsorted(picked, np.arange(r + 1) * n)
    for i in range(r):
        values[bounds[i] : bounds[i + 1]].sort()
    marked_ids = np.flatnonzero(marked)
    starts = np.concatenate([[0], np.cumsum(counts[marked_ids])[:-1]])
    where = starts[np.searchsorted(marked_ids, wanted)] + (np.tile(ranks, r) - below)
    return values[where].reshape(r, len(ranks))


def percentile_positions(
    n: int, percentiles: NDArray[np.float64]
) -> tuple[NDArray[np.intp], NDArray[np.intp], FloatArray]:
    """(lower rank, upper rank, weight of the upper) of each percentile, NumPy's ``linear`` method."""
    pos = (n - 1) * np.asarray(percentiles, float) / 100.0
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    return lo, hi, pos - lo


def row_percentiles(rows: FloatArray, percentiles: NDArray[np.float64]) -> FloatArray:
    """Percentiles of each row (rows x len(percentiles)), NumPy's default ``linear`` method.

    The same values as ``np.percentile(rows, percentiles, axis=1).T`` up to rounding in the
    last place: the interpolation is ``v_lo * (1 - f) + v_hi * f``.
    """
    n = rows.shape[1]
    lo, hi, frac = percentile_positions(n, percentiles)
    ranks, inverse = np.unique(np.concatenate([lo, hi]), return_inverse=True)
    v = order_statistics(rows, ranks)
    k = len(lo)
    return v[:, inverse[:k]] * (1.0 - frac) + v[:, inverse[k:]] * frac
