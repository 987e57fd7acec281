"""`python -m calibration peers candidates`: the pre-registered comparison of the peer panel's shock
forms (commit ed95b3a). Fast tests run it with a tiny sampler; the slow one checks the figures
on the bundled panel with the fit's settings."""

from __future__ import annotations

import csv
import functools
import json
from pathlib import Path

import numpy as np
import pytest

from calibration import peers, peers_candidates
from calibration import peers_persistence as pp
from calibration import peers_tails as pt
from calibration.__main__ import main as calibration_main
from calibration.peer_data import load_peer_panel
from calibration.peers_fit import loco_table, panel_entries

TINY = peers.Sampler(chains=2, burn=20, keep=30, thin=1)


@pytest.fixture(scope="module")
def entries():
    return panel_entries(load_peer_panel())


def test_one_current_fit_serves_both_candidates_and_changes_no_score(entries):
    """Fitting the current form once and passing it to both candidates gives the numbers each
    module gives on its own (same table, seed and sampler)."""
    some = entries[:5]
    c = peers_candidates.compare(some, seed=3, sampler=TINY)
    p = pp.loco_scores([pp.from_entry(e) for e in some], seed=3, sampler=TINY)
    t = pt.loco_scores([e.stats for e in some], 3, sampler=TINY)
    np.testing.assert_array_equal(c.p.current, p.current)
    np.testing.assert_array_equal(c.p.persistent, p.persistent)
    np.testing.assert_array_equal(c.t.current, t.current)
    np.testing.assert_array_equal(c.t.candidate, t.candidate)
    np.testing.assert_array_equal(c.t.ess, t.ess)
    np.testing.assert_array_equal(c.p.current, c.t.current)
    batch = peers.sample_panel(
        loco_table([e.stats for e in some]), "damped", seed=3, shocks="scaled", sampler=TINY
    )
    with pytest.raises(ValueError, match="6 fits, not 5"):
        pt.loco_scores([e.stats for e in some[:4]], 3, sampler=TINY, current=batch)
    with pytest.raises(ValueError, match="6 fits, not 5"):
        pp.loco_scores([pp.from_entry(e) for e in some[:4]], seed=3, sampler=TINY, current=batch)


def _scores(p_diff, t_diff, ess):
    """Hand-made scores: current 0 per country, the candidates' per-country differences (the
    fits are not needed by the rule and left out)."""
    zeros = np.zeros(len(p_diff))
    p = pp.LocoScores(("A",) * len(p_diff), zeros, np.array(p_diff), None, None, (1.0, 1.0))
    t = pt.LocoScores(zeros, np.array(t_diff), np.array(ess), zeros, None, None, 1.0, 1.0, {})
    return peers_candidates.Comparison(("A",) * len(p_diff), 1, p, t, {})


def test_adoption_rule_by_hand():
    """Neither, one, or both qualify; both: the higher elpd_loco; T never with an ESS below 100."""
    steady, bigger, noisy = [1.0, 1.2, 0.8, 1.1, 0.9], [2.0, 2.2, 1.8, 2.1, 1.9], [3.0, -2.0, 2.5, -1.5, 0.5]
    ok, low = [500.0] * 5, [500.0, 99.0, 500.0, 500.0, 500.0]
    assert peers_candidates.adopted(_scores(noisy, noisy, ok)) is None
    assert peers_candidates.adopted(_scores(steady, noisy, ok)) == "P"
    assert peers_candidates.adopted(_scores(noisy, steady, ok)) == "T"
    assert peers_candidates.adopted(_scores(steady, bigger, ok)) == "T"
    assert peers_candidates.adopted(_scores(bigger, steady, ok)) == "P"
    assert peers_candidates.adopted(_scores(steady, bigger, low)) == "P"
    assert peers_candidates.adopted(_scores(noisy, bigger, low)) is None


@pytest.fixture
def tiny_command(monkeypatch):
    monkeypatch.setattr(
        peers_candidates, "compare", functools.partial(peers_candidates.compare, sampler=TINY)
    )


def test_command_text_and_json_agree(tiny_command, capsys):
    """With a tiny sampler (the figures themselves are the slow test's): the text has one line per
    form and the decisions; --json one object with the same figures, the decisions each module's."""
    assert calibration_main(["peers", "candidates", "--json", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1
    d = json.loads(out)
    assert d["seed"] == 5 and len(d["countries"]) == 26
    cur = d["current"]["elpd_loco"]
    for name in ("P", "T"):
        v = d["candidates"][name]
        assert v["diff"] == pytest.approx(v["elpd_loco"] - cur, abs=1e-9)
        assert v["ratio"] == pytest.approx(v["diff"] / v["se"])
        assert v["decision"] == ("adopted" if v["adopted"] else "not adopted")
        assert v["reason"].startswith(v["decision"])
    p, t = d["candidates"]["P"], d["candidates"]["T"]
    assert -pp.RHO_BOUND < p["rho"]["p5"] < p["rho"]["mean"] < p["rho"]["p95"] < pp.RHO_BOUND
    assert 2.0 <= t["nu_e"]["p5"] <= t["nu_e"]["median"] <= t["nu_e"]["p95"] <= 200.0
    assert t["ess_min_country"] in d["countries"]
    assert all(iso in d["countries"] for iso in t["ess_below_min"])
    assert (t["ess_min"] < pt.MIN_ESS) == bool(t["ess_below_min"])
    if t["ess_below_min"]:
        assert not t["adopted"] and "effective sample size" in t["reason"]
    assert d["adopted"] in (None, "P", "T")
    assert d["adopted"] is None or d["candidates"][d["adopted"]]["adopted"]

    assert calibration_main(["peers", "candidates", "--seed", "5"]) == 0
    text = capsys.readouterr().out
    rows = {line[:28].strip(): line[28:].split() for line in text.splitlines()}
    assert rows["current: damped, scaled"] == [f"{cur:.3f}"]
    for name in ("P", "T"):
        v = d["candidates"][name]
        assert rows[v["label"]][:4] == [
            f"{v['elpd_loco']:.3f}",
            f"{v['diff']:+.3f}",
            f"{v['se']:.3f}",
            f"{v['ratio']:.2f}",
        ]
        assert f"decision {name}: {v['reason']}" in text
    assert f"rho mean {p['rho']['mean']:.3f}" in text and f"nu_e median {t['nu_e']['median']:.1f}" in text
    assert f"smallest ESS {t['ess_min']:.0f} ({t['ess_min_country']})" in text
    assert "Candidate P in detail" not in text


def test_command_detail_adds_each_candidates_report(tiny_command, capsys):
    assert calibration_main(["peers", "candidates", "--detail"]) == 0
    text = capsys.readouterr().out
    assert (
        text.index("decision T:") < text.index("Candidate P in detail") < text.index("Candidate T in detail")
    )
    assert "per-country differences (P - current)" in text and "country  current        T" in text


def test_command_without_a_panel_is_a_clear_error(data_copy: Path, capsys):
    (data_copy / "peers.csv").unlink()
    assert calibration_main(["--data-dir", str(data_copy), "peers", "candidates"]) == 1
    err = capsys.readouterr().err
    assert "peers.csv" in err and "Traceback" not in err


@pytest.mark.parametrize("seed", ["-1", "1.5", "x", "9223372036854775808"])
def test_command_bad_seed_is_a_clear_error(seed, capsys):
    """A seed numpy refuses (negative) or that is no whole number: argparse's one-line error, not a
    traceback from the sampler."""
    with pytest.raises(SystemExit) as exc:
        calibration_main(["peers", "candidates", "--seed", seed])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--seed" in err and "whole number from 0 to 9223372036854775807" in err and "Traceback" not in err


def test_command_with_too_few_series_is_a_clear_error(data_copy: Path, capsys):
    path = data_copy / "peers.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    keep = sorted({r["series"] for r in rows if r["use_in_panel"] == "true"})[:2]
    for r in rows:
        r["use_in_panel"] = "true" if r["series"] in keep else "false"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    assert calibration_main(["--data-dir", str(data_copy), "peers", "candidates", "--json"]) == 1
    err = capsys.readouterr().err
    assert "peers.csv" in err and "has 2 panel series" in err and "at least 3" in err, err


WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


@pytest.mark.slow
def test_bundled_comparison_as_pre_registered(capsys):
    """The figures of the comparison on the bundled panel, the fit's seed and sampler settings:
    neither candidate is adopted (P's gain is about 1 SE; T's ESS falls far below 100 for COL)."""
    assert calibration_main(["peers", "candidates", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    p, t = d["candidates"]["P"], d["candidates"]["T"]
    assert d["current"]["elpd_loco"] == pytest.approx(57.633, abs=0.01)
    assert p["elpd_loco"] == pytest.approx(64.093, abs=0.01)
    assert p["diff"] == pytest.approx(6.460, abs=0.01) and p["se"] == pytest.approx(6.093, abs=0.01)
    assert t["elpd_loco"] == pytest.approx(74.482, abs=0.01)
    assert t["diff"] == pytest.approx(16.849, abs=0.01) and t["se"] == pytest.approx(9.435, abs=0.01)
    assert round(t["ess_min"]) == 7 and t["ess_min_country"] == "COL"
    assert p["decision"] == t["decision"] == "not adopted" and d["adopted"] is None
    # docs/model.md, section 5, states these figures as the command prints them
    text = " ".join((Path(__file__).parents[1] / "docs" / "model.md").read_text().split())
    rho, nu = p["rho"], t["nu_e"]
    for phrase in (
        f"$\\rho$ = {rho['mean']:.2f} (90%: {rho['p5']:.2f} to {rho['p95']:.2f})",
        f"a score of {p['elpd_loco']:.1f} against {d['current']['elpd_loco']:.1f}, a difference of "
        f"{p['diff']:.1f} with standard error {p['se']:.1f}: not adopted",
        f"$\\nu_e$ about {nu['median']:.1f} (90%: {nu['p5']:.1f} to {nu['p95']:.1f}), a score of "
        f"{t['elpd_loco']:.1f}, a difference of {t['diff']:.1f} with standard error {t['se']:.1f}: "
        "not adopted",
        f"which {WORDS[len(t['ess_below_min'])]} countries missed (Colombia {round(t['ess_min'])})",
    ):
        assert phrase in text, phrase
