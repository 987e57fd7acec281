"""The panel backtest's tables by period: errors per origin, and coverage with each origin's common
shift taken out, on hand-made rows worked by hand; the command prints them after its scores."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration import peers_backtest
from calibration.__main__ import main as calibration_main
from calibration.peers_backtest import PanelRow, by_origin, origin_shifts, shift_removed


def row(origin: int, horizon: int, log_error: float, lo: float, hi: float, *, p50: float = 100.0) -> PanelRow:
    """A forecast with median ``p50``, 80% interval ``p50 * exp(lo)`` to ``p50 * exp(hi)`` and
    actual ``p50 * exp(log_error)`` (the other models' columns are not used here)."""
    q = (p50 * math.exp(lo), p50, p50 * math.exp(hi))
    return PanelRow(
        "X", origin, origin + horizon, horizon, p50 * math.exp(log_error), *q, q[1], *q, q[0], q[2],
        *(0.0,) * 6,
    )  # fmt: skip


# 80% intervals ln 0.8 to ln 1.25 (+-0.223) at one year, ln 0.7 to ln 1.4 (-0.357 to +0.336) at two.
ONE, TWO = (math.log(0.8), math.log(1.25)), (math.log(0.7), math.log(1.4))
ROWS = (
    [row(2000, 1, e, *ONE) for e in (0.30, 0.10, 0.20, 0.50)]
    + [row(2000, 2, e, *TWO) for e in (-0.40, 0.05, 0.40)]
    + [row(2003, 1, e, *ONE) for e in (0.0, -0.30)]  # one other country each: no shift
)


def test_errors_by_origin_by_hand():
    got = {(s.origin, s.horizon): s for s in by_origin(ROWS)}
    assert list(got) == [(2000, 1), (2000, 2), (2003, 1)]
    s = got[2000, 1]  # errors 0.1, 0.2, 0.3, 0.5: median (0.2 + 0.3) / 2, mean 1.1 / 4; 0.1 and 0.2 held
    assert (s.n, s.coverage_80) == (4, 0.5)
    assert (s.median_log_error, s.mean_log_error) == pytest.approx((0.25, 0.275))
    s = got[2000, 2]  # -0.4, 0.05, 0.4: only 0.05 inside (-0.357, 0.336)
    assert (s.n, s.coverage_80) == (3, pytest.approx(1 / 3))
    assert (s.median_log_error, s.mean_log_error) == pytest.approx((0.05, 0.05 / 3))
    s = got[2003, 1]
    assert (s.n, s.coverage_80) == (2, 0.5)
    assert (s.median_log_error, s.mean_log_error) == pytest.approx((-0.15, -0.15))


def test_shifts_are_the_other_countries_median_by_hand():
    # 0.3: median of 0.1, 0.2, 0.5 is 0.2; 0.1: of 0.3, 0.2, 0.5 is 0.3; 0.2: 0.3; 0.5: 0.2.
    # -0.4: median of 0.05 and 0.4 is 0.225; 0.05: of -0.4 and 0.4, 0; 0.4: of -0.4 and 0.05, -0.175.
    # 2003: one other country each, fewer than MIN_OTHERS = 2: no shift.
    expected = [0.2, 0.3, 0.3, 0.2, 0.225, 0.0, -0.175]
    got = origin_shifts(ROWS)
    assert got[:7] == pytest.approx(expected, abs=1e-12)
    assert all(math.isnan(x) for x in got[7:])


def test_coverage_with_the_shift_removed_by_hand():
    one, two = shift_removed(ROWS)
    # One year: errors less shifts 0.1, -0.2, -0.1, 0.3: three inside +-0.223, two above zero. As
    # forecast: 0.1 and 0.2 inside, all four above the median. The two 2003 forecasts skipped.
    assert (one.horizon, one.n, one.skipped) == (1, 4, 2)
    assert (one.coverage_80, one.above_median) == (0.5, 1.0)
    assert (one.coverage_80_shift_removed, one.above_median_shift_removed) == (0.75, 0.5)
    # Two years: -0.625, 0.05, 0.575: only 0.05 inside, two above. As forecast: 0.05 inside, 0.05
    # and 0.4 above.
    assert (two.horizon, two.n, two.skipped) == (2, 3, 0)
    assert (two.coverage_80, two.above_median) == pytest.approx((1 / 3, 2 / 3))
    assert (two.coverage_80_shift_removed, two.above_median_shift_removed) == pytest.approx((1 / 3, 2 / 3))


def test_a_horizon_without_any_shift_is_left_out():
    assert shift_removed(ROWS[7:]) == []
    assert shift_removed([]) == [] and by_origin([]) == []


# Log errors 0.1 k - 0.6 with k from a set holding no three-term progression (no digit 2 in base
# 3): a forecast's error never equals the mean of two others, so a shift-removed error is exactly
# zero only when it is an identical copy, and otherwise at least 0.05 from zero; the interval ends
# sit 0.025 off that 0.05 grid. No rounding can then move a forecast across an end or the median.
ERRORS = st.sampled_from([0.1 * k - 0.6 for k in (0, 1, 3, 4, 9, 10, 12, 13)])
CELL = st.tuples(st.integers(0, 5), st.lists(ERRORS, min_size=1, max_size=6))
PANEL = st.lists(st.lists(CELL, min_size=1, max_size=3), min_size=1, max_size=4)


def panel_rows(panel, shifted: int = -1, by: float = 0.0) -> list[PanelRow]:
    """Rows of origins 2000, 2003, ... (horizons 1, 2, ...), each cell's intervals ``+-(0.025 +
    0.1 width)``; the log errors of origin number ``shifted`` moved by ``by``."""
    out = []
    for i, horizons in enumerate(panel):
        for h, (width, errors) in enumerate(horizons, start=1):
            half = 0.025 + 0.1 * width
            out += [row(2000 + 3 * i, h, e + (by if i == shifted else 0.0), -half, half) for e in errors]
    return out


@settings(max_examples=200, deadline=None)
@given(panel=PANEL, which=st.integers(0, 3), by=st.floats(-1.0, 1.0))
def test_a_common_shift_of_one_origin_leaves_the_shift_removed_scores_unchanged(panel, which, by):
    """Moving every log error of one origin by the same amount (a boom or a slump shared by its
    countries) moves its shifts by that amount, and nothing once they are taken out."""
    base, moved = panel_rows(panel), panel_rows(panel, shifted=which % len(panel), by=by)

    def removed(rows):
        return [(s.n, s.coverage_80_shift_removed, s.above_median_shift_removed) for s in shift_removed(rows)]

    assert removed(base) == removed(moved)
    for a, b in zip(by_origin(base), by_origin(moved), strict=True):
        delta = by if a.origin == 2000 + 3 * (which % len(panel)) else 0.0
        assert b.median_log_error == pytest.approx(a.median_log_error + delta, abs=1e-9)


def test_command_prints_the_period_tables_after_the_scores(monkeypatch, capsys):
    """`peers backtest` (on hand-made rows in place of the slow backtest): the text ends with the
    two tables; ``--json`` prints one object per forecast and nothing else (a reader of the rows
    must not meet a different object)."""
    monkeypatch.setattr(peers_backtest, "backtest", lambda panel, **kw: list(ROWS))
    assert calibration_main(["peers", "backtest"]) == 0
    text = capsys.readouterr().out
    assert text.index("PIT histogram") < text.index("Panel model by origin") < text.index("shift taken out")
    lines = [x.split() for x in text.splitlines()]
    assert ["2000", "1", "4", "+0.250", "+0.275", "50.0%"] in lines
    assert ["1", "4", "2", "50.0%", "75.0%", "100.0%", "50.0%"] in lines  # as forecast, shift out
    assert calibration_main(["peers", "backtest", "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines == [r.as_dict() for r in ROWS]  # one object per forecast, nothing else
