"""Goal seek: known answers, monotonicity, and agreement with the engine's own odds.

The known-answer cases fix every effect size and switch the additive levers off (zones and
startup funding yield nothing), so that the log of reported exports is linear in the retention
limit and in connectivity loss: ``ln R = ln C + b/1000 (retention - 50) - e/100 (loss - 1.3)``.
Then the margin of every draw moves by the same amount, the quantile of the margins is linear
in the levers and the answers have closed forms computed here from the lever declarations.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from simulator.analysis.goal_seek import (
    ReachModel,
    check_levers,
    goal_seek,
    goal_seek_rows,
    least_change,
    needed_count,
    one_lever,
)
from simulator.analysis.goals import Goal, resolve_goal
from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME
from simulator.scenario import assumption_triples, baseline_scenario, validate_scenario

B = 5.0  # retention_limit.effect_per_10pp, % per 10 points
E = 5.0  # connectivity_loss.elasticity, % per point
DEADLINE = 2029
P = 0.5
N = 2000


@pytest.fixture(scope="module")
def linear_base(engine):
    doc = {
        "name": "linear",
        "assumptions": {
            "tech_zones.exports_per_zone": {"fixed": 0},
            "vc_funding.export_yield": {"fixed": 0},
            "retention_limit.effect_per_10pp": {"fixed": B},
            "connectivity_loss.elasticity": {"fixed": E},
        },
    }
    return validate_scenario(doc, first_year=engine.first_projection_year).merged_onto(baseline_scenario())


def _draws(engine, base, settings):
    return engine.draws(
        n=N, seed=settings.seed, horizon=DEADLINE, triples=assumption_triples(base), trend=base.trend
    )


def best_year_quantile(engine, base, settings) -> float:
    """Exports q such that the goal `q` is reached by exactly the needed share at current policy."""
    d = _draws(engine, base, settings)
    best = np.sort(engine.project(base, d).exports.max(axis=1))
    return float(best[N - needed_count(P, N)])


def share_reaching(engine, base, settings, levers: dict[str, float], amount: float) -> float:
    """P(reach by the deadline) through the engine directly, not through ReachModel."""
    s = validate_scenario({"name": "x", "levers": levers}, first_year=engine.first_projection_year)
    d = _draws(engine, base, settings)
    x = engine.project(s.merged_onto(base), d).exports
    return float(np.mean((x >= amount).any(axis=1)))


def test_one_lever_known_answer(engine, settings, linear_base):
    # margin gap of 0.0975 in logs: retention must rise by 0.0975 / (B / 1000) = 19.5 points,
    # i.e. to 69.5%, which the 5-point grid of the lever rounds up to 70%
    q = best_year_quantile(engine, linear_base, settings)
    amount = q * math.exp(0.0975)
    goal = Goal(amount, DEADLINE)
    model = ReachModel.build(engine, goal, settings, base=linear_base, draws=N)
    ans = one_lever(model, LEVER_BY_NAME["retention_limit"], P)
    assert ans.value == 70
    assert ans.p_value >= P
    # the step below fails, checked through the engine directly
    assert share_reaching(engine, linear_base, settings, {"retention_limit": 65}, amount) < P
    assert share_reaching(engine, linear_base, settings, {"retention_limit": 70}, amount) >= P
    assert "at least 70 % of export proceeds" in ans.text()


def test_one_lever_negative_direction_and_unreachable(engine, settings, linear_base):
    # connectivity lowers exports: the answer is the most lost time that still reaches. A gap of
    # 0.0512 needs 1.024 points less loss than 1.3%: at most 0.2% on the 0.1-point grid.
    q = best_year_quantile(engine, linear_base, settings)
    goal = Goal(q * math.exp(0.0512), DEADLINE)
    model = ReachModel.build(engine, goal, settings, base=linear_base, draws=N)
    ans = one_lever(model, LEVER_BY_NAME["connectivity_loss"], P)
    assert ans.value == pytest.approx(0.2)
    assert "at most 0.2 % of working time" in ans.text()
    # a gap larger than the whole range can close (1.3 points x 5%): not reachable
    far = ReachModel.build(engine, Goal(q * math.exp(0.08), DEADLINE), settings, base=linear_base, draws=N)
    none = one_lever(far, LEVER_BY_NAME["connectivity_loss"], P)
    assert none.value is None
    assert none.text().startswith("not reachable with this lever alone within 0 to 15 % of working time")


def test_package_known_answer(engine, settings, linear_base):
    """Continuous optimum = closed form; rounded package = brute force over the lever grids."""
    gap = 0.0512
    q = best_year_quantile(engine, linear_base, settings)
    amount = q * math.exp(gap)
    levers = check_levers(["retention_limit", "connectivity_loss"])
    model = ReachModel.build(engine, Goal(amount, DEADLINE), settings, base=linear_base, draws=N)
    pkg = least_change(model, P, levers)
    ret, con = LEVER_BY_NAME["retention_limit"], LEVER_BY_NAME["connectivity_loss"]
    # gain in log margin per unit of normalised effort z = move / range
    a = np.array([B / 1000 * (ret.max - ret.min), E / 100 * (con.max - con.min)])
    z = gap * a / (a @ a)
    assert pkg.continuous["retention_limit"] == pytest.approx(ret.default + z[0] * 65, abs=0.05)
    assert pkg.continuous["connectivity_loss"] == pytest.approx(con.default - z[1] * 15, abs=0.005)
    # brute force: every grid point of both levers at or beyond current policy
    best, best_d = None, math.inf
    for r, c in itertools.product(np.arange(50, 101, 5), np.round(np.arange(0, 1.31, 0.1), 1)):
        ok = B / 1000 * (r - 50) + E / 100 * (1.3 - c) >= gap
        d = ((r - 50) / 65) ** 2 + ((1.3 - c) / 15) ** 2
        if ok and d < best_d:
            best, best_d = (float(r), float(c)), d
    assert (pkg.settings["retention_limit"], pkg.settings["connectivity_loss"]) == pytest.approx(best)
    assert pkg.distance == pytest.approx(best_d)
    assert pkg.p_value >= P
    assert share_reaching(engine, linear_base, settings, pkg.settings, amount) >= P


def test_package_already_reached_and_unreachable(engine, settings, linear_base):
    q = best_year_quantile(engine, linear_base, settings)
    easy = ReachModel.build(engine, Goal(q * 0.9, DEADLINE), settings, base=linear_base, draws=N)
    pkg = least_change(easy, P)
    assert pkg.reachable and not pkg.moved()
    assert pkg.text().startswith("already reached")
    hard = ReachModel.build(engine, Goal(q * 100, DEADLINE), settings, base=linear_base, draws=N)
    pkg = least_change(hard, P)
    assert not pkg.reachable
    assert pkg.text().startswith("not reachable with every allowed lever")


def test_reach_probability_matches_engine_odds(engine, settings):
    goal = resolve_goal(engine, target_id="t10b_fy2029_uraan")
    model = ReachModel.build(engine, goal, settings)
    levers = {"tech_zones": 40, "formal_channel_share": 80}
    s = model.scenario(levers)
    odds = engine.project(s, model.draws).target_odds([goal.target])[0]
    assert model.probability(levers) == pytest.approx(odds.p_by_deadline)


def test_probability_is_monotone_in_every_lever(engine, settings):
    goal = resolve_goal(engine, target_id="t10b_fy2029_uraan")
    model = ReachModel.build(engine, goal, settings, draws=1000)
    for lv in LEVER_BY_NAME.values():
        values = np.linspace(lv.min, lv.max, 7)
        ps = [model.probability({lv.name: v}) for v in values]
        diffs = np.diff(ps) * lv.direction
        assert (diffs >= 0).all(), (lv.name, ps)


def test_start_year_delays_the_effect(engine, settings):
    goal = resolve_goal(engine, target_id="t10b_fy2029_uraan")
    now = ReachModel.build(engine, goal, settings, draws=1000)
    later = ReachModel.build(engine, goal, settings, draws=1000, start_year=2029)
    levers = {"talent_pipeline": 300}
    assert later.probability(levers) < now.probability(levers)
    with pytest.raises(InputError, match="between the first projection year and the deadline"):
        ReachModel.build(engine, goal, settings, start_year=2031)


def test_goal_seek_rows_and_real_targets(engine, settings):
    goal = resolve_goal(engine, target_id="t5b_fy2026_govt")
    model = ReachModel.build(engine, goal, settings)
    res = goal_seek(model, 0.5)
    rows = goal_seek_rows(res)
    assert len(rows) == 2 * len(LEVER_BY_NAME)
    assert {r["method"] for r in rows} == {"one_lever", "package"}
    for a in res.levers:
        if a.value is not None:
            assert a.p_value >= 0.5
            # one step less demanding fails
            back = a.value - a.lever.direction * a.lever.step
            if a.lever.min <= back <= a.lever.max and a.p_current < 0.5:
                assert model.probability({a.lever.name: back}) < 0.5
    assert res.package.p_value >= 0.5


def test_bad_inputs_are_input_errors(engine):
    with pytest.raises(InputError, match="did you mean 't10b_fy2029_uraan'"):
        resolve_goal(engine, target_id="t10b_fy2029_uran")
    with pytest.raises(InputError, match="without a deadline"):
        resolve_goal(engine, target_id="t30b_nodeadline_pm")
    with pytest.raises(InputError, match="not after the last full year of data"):
        resolve_goal(engine, target_id="t4b_fy2025_moitt")
    with pytest.raises(InputError, match="did you mean 'tech_zones'"):
        check_levers(["tech_zone"])
    g = resolve_goal(engine, target_id="t30b_nodeadline_pm", deadline_fy=2035)
    assert g.amount_musd == 30000 and g.deadline_fy == 2035


def test_more_certainty_needs_more_effort(engine, settings):
    """The least setting alone never falls as the required probability rises."""
    goal = resolve_goal(engine, target_id="t5b_fy2026_govt")
    model = ReachModel.build(engine, goal, settings, draws=2000)
    formal = LEVER_BY_NAME["formal_channel_share"]
    values = [one_lever(model, formal, p).value for p in (0.2, 0.35, 0.5, 0.65)]
    assert None not in values
    assert values == sorted(values)
    assert values[0] < values[-1]
