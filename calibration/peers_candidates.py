"""The pre-registered comparison of the peer panel's shock forms (commit ed95b3a).

The current form (damped trend, shocks scaled by size, normal and independent) against
candidate P, persistent AR(1) shocks (:mod:`calibration.peers_persistence`), and candidate T,
Student-t shocks (:mod:`calibration.peers_tails`): one batch of leave-one-country-out fits per
form, the same seed and sampler settings, the current form fitted once and scored for both.
Each candidate is decided by its own module's rule (:func:`peers_persistence.decide`,
:func:`peers_tails.decide`): adopted only if its elpd_loco beats the current form's by more than
two standard errors of the per-country difference, and, for T, every country's importance
sampling effective sample size is at least 100; if both qualify, the higher elpd_loco
(:func:`adopted`). ``python -m calibration peers candidates [--json] [--seed N] [--detail]``.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from calibration import peers, peers_fit
from calibration import peers_persistence as pp
from calibration import peers_tails as pt

CURRENT_LABEL = "current: damped, scaled"
LABELS = {"P": "P: persistent AR(1) shocks", "T": "T: Student-t shocks"}
RULE = (
    f"a candidate is adopted only if its elpd_loco beats the current form's by more than "
    f"{peers_fit.MARGIN_SE:g} SE of the per-country difference (sqrt(C) x sd), and for T every country's "
    f"ESS is at least {pt.MIN_ESS:.0f}; if both qualify, the higher elpd_loco (commit ed95b3a)"
)


@dataclass(frozen=True)
class Comparison:
    """Both candidates' LOCO scores against the same current-form fits (``p.current`` and
    ``t.current`` are the same numbers), the panel's countries in order, the seed and the run
    time of each part (s)."""

    isos: tuple[str, ...]
    seed: int
    p: pp.LocoScores
    t: pt.LocoScores
    seconds: dict[str, float]


def compare(
    entries: Sequence[peers_fit.PanelEntry],
    *,
    seed: int = peers_fit.SEED,
    sampler: peers.Sampler = peers.SAMPLER,
) -> Comparison:
    """Score the current form, P and T on the panel ``entries`` (:func:`peers_fit.panel_entries`)."""
    isos = tuple(e.series.iso3 for e in entries)
    stats = [e.stats for e in entries]
    t0 = time.perf_counter()
    current = peers_fit.current_batch(stats, seed=seed, sampler=sampler)
    t1 = time.perf_counter()
    p = pp.loco_scores(
        [pp.from_entry(e) for e in entries], seed=seed, countries=isos, sampler=sampler, current=current
    )
    t2 = time.perf_counter()
    t = pt.loco_scores(stats, seed, sampler=sampler, current=current)
    t3 = time.perf_counter()
    return Comparison(isos, seed, p, t, {"current": t1 - t0, "P": t2 - t1, "T": t3 - t2})


def adopted(c: Comparison) -> str | None:
    """The candidate the rule adopts ("P" or "T"), or None: the model stays as it is."""
    elpd = {"P": float(c.p.persistent.sum()), "T": float(c.t.candidate.sum())}
    qualified = [k for k, ok in (("P", pp.decide(c.p)[0]), ("T", pt.decide(c.t)[0])) if ok]
    return max(qualified, key=elpd.__getitem__) if qualified else None


def _candidate(elpd: float, diff: np.ndarray, decision: tuple[bool, str], rhat: float) -> dict:
    se = peers_fit.loco_se(diff)
    return {
        "elpd_loco": elpd,
        "diff": float(diff.sum()),
        "se": se,
        "ratio": float(diff.sum()) / se,
        "adopted": decision[0],
        "decision": "adopted" if decision[0] else "not adopted",
        "reason": decision[1],
        "rhat_max": rhat,
    }


def as_dict(c: Comparison) -> dict:
    """The comparison as one JSON-ready object."""
    low = [iso for iso, e in zip(c.isos, c.t.ess, strict=True) if e < pt.MIN_ESS]
    p = _candidate(float(c.p.persistent.sum()), c.p.diff, pp.decide(c.p), c.p.rhat_max[1])
    t = _candidate(float(c.t.candidate.sum()), c.t.diff, pt.decide(c.t), c.t.rhat_t)
    p["rho"] = pp.rho_summary(c.p)
    t["nu_e"] = pt.nu_e_summary(c.t)
    t["ess_min"] = float(c.t.ess.min())
    t["ess_min_country"] = c.isos[int(np.argmin(c.t.ess))]
    t["ess_below_min"] = low
    t["mc_se"] = float(np.sqrt(np.sum(c.t.mc_se**2)))
    return {
        "seed": c.seed,
        "countries": list(c.isos),
        "rule": RULE,
        "current": {
            "label": CURRENT_LABEL,
            "elpd_loco": float(c.p.current.sum()),
            "rhat_max": c.p.rhat_max[0],
        },
        "candidates": {"P": {"label": LABELS["P"], **p}, "T": {"label": LABELS["T"], **t}},
        "adopted": adopted(c),
        "seconds": c.seconds,
    }


def report(c: Comparison) -> str:
    """The comparison as text: one line per form, T's effective sample sizes, the decisions."""
    d = as_dict(c)
    p, t = d["candidates"]["P"], d["candidates"]["T"]
    rho, nu_e = p["rho"], t["nu_e"]
    own = {
        "P": f"rho mean {rho['mean']:.3f} (90%: {rho['p5']:.3f} to {rho['p95']:.3f})",
        "T": f"nu_e median {nu_e['median']:.1f} (90%: {nu_e['p5']:.1f} to {nu_e['p95']:.1f})",
    }
    lines = [
        "Peer panel shock forms, scored as pre-registered in commit ed95b3a: leave-one-country-out",
        f"elpd over {len(c.isos)} countries, seed {c.seed}, the same sampler settings for every form.",
        "",
        f"{'form':28s} {'elpd_loco':>9s} {'diff':>8s} {'SE':>6s} {'ratio':>5s}  own parameter (full panel)",
        f"{CURRENT_LABEL:28s} {d['current']['elpd_loco']:9.3f}",
    ]
    for k, v in d["candidates"].items():
        lines.append(
            f"{v['label']:28s} {v['elpd_loco']:9.3f} {v['diff']:+8.3f} {v['se']:6.3f} "
            f"{v['ratio']:5.2f}  {own[k]}"
        )
    below = ", ".join(t["ess_below_min"]) or "none"
    lines += [
        "",
        f"T's importance sampling: smallest ESS {t['ess_min']:.0f} ({t['ess_min_country']}); below "
        f"{pt.MIN_ESS:.0f}: {below} ({len(t['ess_below_min'])} of {len(c.isos)})",
        f"split R-hat max over all fits: current {d['current']['rhat_max']:.4f}, "
        f"P {p['rhat_max']:.4f}, T {t['rhat_max']:.4f}",
        "",
        f"decision P: {p['reason']}",
        f"decision T: {t['reason']}",
        "result: "
        + (
            f"the rule adopts candidate {d['adopted']}; `calibration fit` does not implement it "
            "and still fits the current form"
            if d["adopted"]
            else "neither candidate is adopted; the model stays as it is"
        ),
        textwrap.fill(f"rule: {RULE}", width=100, subsequent_indent="      "),
        "seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in c.seconds.items()),
    ]
    return "\n".join(lines)


def detail(c: Comparison) -> str:
    """Each candidate's own report (per-country differences, R-hat, T's ESS per country)."""
    return "\n\n".join(
        [
            "Candidate P in detail",
            pp.report(c.p, c.seconds["P"]),
            "Candidate T in detail",
            pt.report(c.t, c.isos),
        ]
    )
