"""A horizon before a target's deadline: the odds are reported as not computed, with the reason.

Projected paths that stop before the deadline cannot say whether the target is reached by it;
counting only the years up to the horizon understates the odds ($10B by FY2029 at 2% instead of
7% with a FY2028 horizon), so every view says "not computed" and why instead.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simulator import cli
from simulator import scenario_files as sf
from simulator.scenario import baseline_scenario

BASE, ZONES = (str(sf.SCENARIO_DIR / f"{n}.yaml") for n in ("baseline", "tech-zones-60"))
SHORT = ["--draws", "500", "--seed", "7", "--horizon", "2028"]
REASON = "not computed: the horizon (FY2028) ends before the deadline (FY2029)"


@pytest.fixture(scope="module")
def short(engine, settings):
    return engine.run(baseline_scenario(), settings.model_copy(update={"horizon": 2028, "draws": 500}))


def test_engine_odds_after_the_horizon_are_not_computed(short, engine):
    odds = {o.target.id: o for o in short.target_odds()}
    late = odds["t10b_fy2029_uraan"]
    assert late.p_by_deadline is None and late.p_never is None and late.not_computed == REASON
    early = odds["t10b_fy2027_export_strategy"]  # deadline within the horizon: computed as before
    assert early.p_by_deadline is not None and early.p_never is not None and early.not_computed is None
    undated = next(o for o in odds.values() if o.target.deadline_fy is None)
    assert undated.p_by_deadline is None and undated.not_computed == "no deadline stated"
    for o in odds.values():  # every dated target after FY2028, and only those
        dated_late = o.target.deadline_fy is not None and o.target.deadline_fy > 2028
        assert (o.not_computed or "").startswith("not computed") == dated_late


def test_run_csv_and_summary_say_not_computed(tmp_path: Path, capsys):
    out = tmp_path / "o"
    assert cli.main(["run", BASE, "--out", str(out), *SHORT]) == 0
    stdout = capsys.readouterr().out
    with open(out / "targets.csv", newline="", encoding="utf-8") as fh:
        rows = {r["target_id"]: r for r in csv.DictReader(fh)}
    r = rows["t10b_fy2029_uraan"]
    assert (r["p_by_deadline"], r["p_never"], r["note"]) == ("", "", REASON)
    assert rows["t10b_fy2027_export_strategy"]["p_by_deadline"] != ""
    line = next(ln for ln in stdout.splitlines() if ln.startswith("baseline"))
    assert line.split()[-4:] == ["n/c"] * 4  # $10B, $15B, $25B by FY2029 and $15B by FY2030
    assert (
        "n/c: not computed, the horizon (FY2028) ends before the deadline and the odds would be "
        "understated (baseline); set a later horizon" in stdout
    )


def test_compare_says_not_computed(tmp_path: Path, capsys):
    out = tmp_path / "c"
    assert cli.main(["compare", BASE, ZONES, "--out", str(out), *SHORT]) == 0
    stdout = capsys.readouterr().out
    assert "$10B by FY2029" in stdout and "n/c: not computed" in stdout
    with open(out / "compare_targets.csv", newline="", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["target_id"] == "t10b_fy2029_uraan")
    assert (row["p_by_deadline"], row["p_diff"], row["note"]) == ("", "", REASON)


def test_app_cards_say_not_computed():
    at = AppTest.from_file(str(Path(sf.SCENARIO_DIR).parent / "streamlit_app.py"), default_timeout=60)
    at.query_params["horizon"] = "2028"
    at.query_params["levers.tech_zones"] = "60"
    at.run()
    assert not at.exception and not at.error
    card = next(m for m in at.metric if m.label == "$10B by FY2029")
    assert card.value == "n/a" and card.delta in (None, "")
    assert any(c.value.startswith(f"Odds {REASON}.") for c in at.caption)
