"""Goal seek: known answers, moves on top of a scenario's paths, monotonicity, agreement with the
engine's own odds, and the least-change package against exhaustive search.

The known-answer cases fix every effect size and switch the additive levers off (zones and
startup funding yield nothing), so that the log of reported exports is linear in the retention
limit and in connectivity loss: ``ln R = ln C + b/1000 (retention - 50) - e/100 (loss - 1.3)``.
Then the margin of every draw moves by the same amount, the quantile of the margins is linear
in the levers and the answers have closed forms computed here from the lever declarations. The
moves start in the first projection year there (as the closed forms assume).
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
from simulator.analysis.moves import describe_setting
from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME, LEVERS
from simulator.scenario import assumption_triples, baseline_scenario, default_start_year, validate_scenario
from simulator.scenario_files import shipped_scenarios

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


def first_year_model(engine, goal, settings, base):
    return ReachModel.build(
        engine, goal, settings, base=base, draws=N, start_year=engine.first_projection_year
    )


@pytest.fixture(scope="module")
def blueprint(engine):
    return shipped_scenarios(first_year=engine.first_projection_year)["blueprint-package"]


def test_one_lever_known_answer(engine, settings, linear_base):
    # margin gap of 0.0975 in logs: retention must rise by 0.0975 / (B / 1000) = 19.5 points,
    # i.e. to 69.5%, which the 5-point grid of the lever rounds up to 70%
    q = best_year_quantile(engine, linear_base, settings)
    amount = q * math.exp(0.0975)
    model = first_year_model(engine, Goal(amount, DEADLINE), settings, linear_base)
    ans = one_lever(model, LEVER_BY_NAME["retention_limit"], P)
    assert (ans.move, ans.value, ans.change) == (20, 70, 20)
    assert ans.p_value >= P
    # the step below fails, checked through the engine directly
    assert share_reaching(engine, linear_base, settings, {"retention_limit": 65}, amount) < P
    assert share_reaching(engine, linear_base, settings, {"retention_limit": 70}, amount) >= P
    assert ans.text().startswith("+20 % of export proceeds (70 in the deadline year, 50 in the scenario)")


def test_one_lever_negative_direction_and_unreachable(engine, settings, linear_base):
    # connectivity lowers exports: the answer is the least cut in lost time that reaches. A gap
    # of 0.0512 needs 1.024 points less loss than 1.3%: at most 0.2% on the 0.1-point grid.
    q = best_year_quantile(engine, linear_base, settings)
    model = first_year_model(engine, Goal(q * math.exp(0.0512), DEADLINE), settings, linear_base)
    ans = one_lever(model, LEVER_BY_NAME["connectivity_loss"], P)
    assert ans.value == pytest.approx(0.2)
    assert ans.change == pytest.approx(-1.1)
    assert "-1.1 % of working time (0.2 in the deadline year" in ans.text()
    # a gap larger than the whole range can close (1.3 points x 5%): not reachable
    far = first_year_model(engine, Goal(q * math.exp(0.08), DEADLINE), settings, linear_base)
    none = one_lever(far, LEVER_BY_NAME["connectivity_loss"], P)
    assert none.move is None and none.value is None
    assert none.text().startswith("not reachable with this lever alone within 0 to 15 % of working time")


def test_package_known_answer(engine, settings, linear_base):
    """Continuous optimum = closed form; package = brute force over the lever grids, proved."""
    gap = 0.0512
    q = best_year_quantile(engine, linear_base, settings)
    amount = q * math.exp(gap)
    levers = check_levers(["retention_limit", "connectivity_loss"])
    model = first_year_model(engine, Goal(amount, DEADLINE), settings, linear_base)
    pkg = least_change(model, P, levers)
    ret, con = LEVER_BY_NAME["retention_limit"], LEVER_BY_NAME["connectivity_loss"]
    # gain in log margin per unit of normalised effort z = move / range
    a = np.array([B / 1000 * (ret.max - ret.min), E / 100 * (con.max - con.min)])
    z = gap * a / (a @ a)
    assert pkg.continuous["retention_limit"] == pytest.approx(z[0] * 65, abs=0.05)
    assert pkg.continuous["connectivity_loss"] == pytest.approx(z[1] * 15, abs=0.005)
    # brute force: every grid point of both levers at or beyond current policy
    best, best_d = None, math.inf
    for r, c in itertools.product(np.arange(50, 101, 5), np.round(np.arange(0, 1.31, 0.1), 1)):
        ok = B / 1000 * (r - 50) + E / 100 * (1.3 - c) >= gap
        d = ((r - 50) / 65) ** 2 + ((1.3 - c) / 15) ** 2
        if ok and d < best_d:
            best, best_d = (float(r) - 50, 1.3 - float(c)), d
    assert (pkg.moves["retention_limit"], pkg.moves["connectivity_loss"]) == pytest.approx(best)
    assert pkg.distance == pytest.approx(best_d)
    assert pkg.proved and pkg.lower_bound == pytest.approx(best_d)
    assert pkg.p_value >= P
    settings_at = {"retention_limit": 50 + best[0], "connectivity_loss": 1.3 - best[1]}
    assert share_reaching(engine, linear_base, settings, settings_at, amount) >= P


def test_package_already_reached_and_unreachable(engine, settings, linear_base):
    q = best_year_quantile(engine, linear_base, settings)
    easy = first_year_model(engine, Goal(q * 0.9, DEADLINE), settings, linear_base)
    pkg = least_change(easy, P)
    assert pkg.reachable and not pkg.moved() and pkg.already
    assert pkg.text().startswith("already reached by the scenario as it is")
    hard = first_year_model(engine, Goal(q * 100, DEADLINE), settings, linear_base)
    pkg = least_change(hard, P)
    assert not pkg.reachable
    assert pkg.text().startswith("not reachable with every allowed lever")


def test_margins_equal_the_engine_draw_for_draw(engine, settings, blueprint):
    """The lever-by-lever evaluation equals projecting the package's scenario with the engine."""
    goal = resolve_goal(engine, target_id="t10b_fy2029_uraan")
    model = ReachModel.build(engine, goal, settings, base=blueprint, draws=1000)
    rng = np.random.default_rng(7)
    for _ in range(4):
        moves = {lv.name: float(rng.choice(model.space.grid(lv))) for lv in LEVERS}
        x = engine.project(model.scenario(moves), model.draws).exports[:, : model.columns]
        assert np.array_equal(model.margins(moves), np.log(x.max(axis=1) / goal.amount_musd))


def test_goal_seek_keeps_the_scenarios_paths(engine, settings, blueprint):
    """From blueprint-package: P as it is equals the scenario's own odds (not the baseline's),
    unmoved levers keep their paths, and at 30% nothing needs to move."""
    goal = resolve_goal(engine, target_id="t10b_fy2029_uraan")
    model = ReachModel.build(engine, goal, settings, base=blueprint)
    own = engine.project(blueprint, model.draws).target_odds([goal.target])[0].p_by_deadline
    assert model.probability({}) == own
    base_odds = engine.project(baseline_scenario(), model.draws).target_odds([goal.target])[0]
    assert own > base_odds.p_by_deadline + 0.1
    assert model.scenario({}).lever_settings() == blueprint.lever_settings()
    low = goal_seek(model, round(own - 0.05, 2))
    assert low.scenario_reaches and low.package.already
    assert all(a.move == 0 for a in low.levers)
    rows = goal_seek_rows(low)
    assert {r["probability_scenario"] for r in rows} == {own}
    assert {r["scenario"] for r in rows} == {"blueprint-package"}
    zones = next(r for r in rows if r["lever"] == "tech_zones")
    assert zones["scenario_setting"] == "60 from FY2027 over 5 years"
    assert zones["scenario_value_at_deadline"] == pytest.approx(23 + 37 * 3 / 5)


def test_moves_are_added_to_the_paths(engine, settings, blueprint):
    goal = resolve_goal(engine, target_id="t10b_fy2029_uraan")
    model = ReachModel.build(engine, goal, settings, base=blueprint, draws=1000, ramp_years=2)
    assert model.start_year == default_start_year(engine.first_projection_year) == 2027
    zones = LEVER_BY_NAME["tech_zones"]
    path = model.space.path(zones, 10.0)[:6]
    # the file's ramp (23 to 60 over FY2027-31) plus 10 zones reached over 2 years from FY2027,
    # kept within the range (at most 60 zones)
    assert path.tolist() == pytest.approx([23, 30.4 + 5, 37.8 + 10, 45.2 + 10, 60, 60])
    assert model.space.largest(zones) == pytest.approx(60 - 30.4)
    setting = model.scenario({"tech_zones": 10.0}).lever_settings()["tech_zones"]
    assert setting.values == {2026: 23, 2027: 35.4, 2028: 47.8, 2029: 55.2, 2030: 60}
    assert describe_setting(zones, setting).startswith("year by year: FY2026 23, FY2027 35.4")


def test_reach_probability_matches_engine_odds(engine, settings):
    goal = resolve_goal(engine, target_id="t10b_fy2029_uraan")
    model = ReachModel.build(engine, goal, settings)
    moves = {"tech_zones": 17, "formal_channel_share": 30}
    s = model.scenario(moves)
    odds = engine.project(s, model.draws).target_odds([goal.target])[0]
    assert model.probability(moves) == pytest.approx(odds.p_by_deadline)


def test_probability_is_monotone_in_every_lever(engine, settings, blueprint):
    goal = resolve_goal(engine, target_id="t10b_fy2029_uraan")
    for base in (None, blueprint):
        model = ReachModel.build(engine, goal, settings, base=base, draws=1000)
        for lv in LEVERS:
            grid = model.space.grid(lv)
            ps = [model.probability({lv.name: v}) for v in grid[:: max(1, len(grid) // 7)]]
            assert (np.diff(ps) >= 0).all(), (lv.name, ps)


def test_start_year_delays_the_effect(engine, settings):
    goal = resolve_goal(engine, target_id="t10b_fy2029_uraan")
    now = ReachModel.build(engine, goal, settings, draws=1000, start_year=2026)
    later = ReachModel.build(engine, goal, settings, draws=1000, start_year=2029)
    moves = {"talent_pipeline": 227}
    assert later.probability(moves) < now.probability(moves)
    with pytest.raises(InputError, match="between the first projection year and the deadline"):
        ReachModel.build(engine, goal, settings, start_year=2031)
    # a goal for the first projection year is moved in that year, not the default's
    first = resolve_goal(engine, target_id="t5b_fy2026_govt")
    assert ReachModel.build(engine, first, settings, draws=1000).start_year == 2026


def test_goal_seek_rows_and_real_targets(engine, settings):
    goal = resolve_goal(engine, target_id="t5b_fy2026_govt")
    model = ReachModel.build(engine, goal, settings)
    res = goal_seek(model, 0.5)
    rows = goal_seek_rows(res)
    assert len(rows) == 2 * len(LEVER_BY_NAME)
    assert {r["method"] for r in rows} == {"one_lever", "package"}
    for a in res.levers:
        if a.move:
            assert a.p_value >= 0.5
            # one step less fails
            grid = model.space.grid(a.lever)
            k = int(np.searchsorted(grid, a.move))
            assert model.probability({a.lever.name: float(grid[k - 1])}) < 0.5
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
    """The least move alone never falls as the required probability rises."""
    goal = resolve_goal(engine, target_id="t5b_fy2026_govt")
    model = ReachModel.build(engine, goal, settings, draws=2000)
    formal = LEVER_BY_NAME["formal_channel_share"]
    values = [one_lever(model, formal, p).move for p in (0.2, 0.35, 0.5, 0.65)]
    assert None not in values
    assert values == sorted(values)
    assert values[0] < values[-1]


def test_a_kept_result_does_not_keep_the_search_memory(engine, settings):
    """The app keeps goal-seek results: the lever effects computed for the search are dropped."""
    goal = resolve_goal(engine, target_id="t5b_fy2026_govt")
    res = goal_seek(ReachModel.build(engine, goal, settings, draws=1000), 0.8)
    assert res.package.evaluations > 10
    assert len(res.model._effects) == 0
