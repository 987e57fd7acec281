"""Pakistan's trend from the peer panel: choose the form, fit the panel, condition on Pakistan.

:func:`panel_trend` is what ``python -m calibration fit`` uses when the data folder has a peer
panel (``peers.csv``); the maths is in :mod:`calibration.peers`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from calibration import peers
from calibration.peer_data import PeerPanel, PeerSeries
from simulator.params import FormScore, PanelCountry, PanelFit, Quantity, SamplePosterior, Trend

SEED = 20250911
"""The fit's seed: the same data give the same posterior draws, byte for byte."""
DRAWS = 4000
"""Posterior draws of Pakistan's (alpha, beta, ln sigma) stored in the parameter file."""
DECIMALS = 6
"""Stored draws are rounded to 1e-6 log points (far below their Monte Carlo error)."""

PRIOR_TEXT = (
    "mu = (a, b) of the population ~ N(0, 1) each: vague (1 log point is 170% growth a year)",
    "Sigma ~ Inverse-Wishart(p + 2, diag(0.10^2, 0.05^2)): smallest degrees of freedom with a finite "
    "mean; a prior spread of 10 log points in growth and 5 in slowdown, weighing four countries",
    "s0^2 ∝ 1/s0^2: scale-invariant; shock sizes sigma_c^2 ~ Scaled-Inv-chi^2(nu, s0^2)",
    "nu log-uniform on 0.5-500: from no pooling of shock sizes to complete pooling",
    "scaled shocks: sigma_ct = sigma_c exp(-gamma y_{c,t-1}), gamma uniform on -1..1 (at 1 the shock "
    "size would fall by a factor e per log point of size)",
)

Choice = tuple[peers.Form, peers.Shocks]
CANDIDATES: tuple[Choice, ...] = tuple((f, s) for s in peers.SHOCKS for f in peers.FORMS)
_T = TypeVar("_T")


@dataclass(frozen=True)
class PanelEntry:
    series: PeerSeries
    stats: peers.SeriesStats


def panel_entries(
    panel: PeerPanel, *, until: int | None = None, exclude: str | None = None
) -> list[PanelEntry]:
    """The panel's series with years up to ``until`` (calendar), without the country ``exclude``
    (ISO code), keeping those with at least :data:`peers.MIN_INCREMENTS` one-year increments."""
    out = []
    for s in panel.series:
        pts = [(y, v) for y, v in s.points if until is None or y <= until]
        if s.iso3 == exclude or len(pts) < 2:
            continue
        st = peers.series_stats([y for y, _ in pts], [v for _, v in pts])
        if st.n >= peers.MIN_INCREMENTS:
            out.append(PanelEntry(s, st))
    return out


def select_form(stats: Sequence[peers.SeriesStats], *, seed: int = SEED) -> tuple[list[FormScore], dict]:
    """Leave-one-country-out predictive density of each candidate (trend form and shocks), and
    each candidate's full-panel fit, keyed by ``(form, shocks)``.

    One batch per candidate: the fit without each country in turn, and the fit on all of them.
    Deterministic given the statistics and the seed, so kept for repeated calls in a process
    (a backtest re-fits Pakistan at each origin on the same few truncated panels).
    """
    return _select_form(tuple(stats), seed)


@functools.lru_cache(maxsize=32)
def _select_form(stats: tuple[peers.SeriesStats, ...], seed: int) -> tuple[list[FormScore], dict]:
    c = len(stats)
    table = loco_table(stats)
    scores, fits = {}, {}
    for form, shocks in CANDIDATES:
        hyper = peers.sample_panel(table, form, seed=seed, shocks=shocks)
        scores[form, shocks] = loco_log_densities(stats, hyper)
        fits[form, shocks] = hyper.fit(c)
    best = choose(scores)
    out = [
        FormScore(
            form=f,
            shocks=sh,
            elpd_loco=float(scores[f, sh].sum()),
            diff_se=float(np.sqrt(c) * np.std(scores[best] - scores[f, sh], ddof=1))
            if (f, sh) != best
            else 0.0,
            chosen=(f, sh) == best,
        )
        for f, sh in CANDIDATES
    ]
    return out, fits


def loco_table(items: Sequence[_T]) -> list[list[_T | None]]:
    """The rows of a leave-one-country-out batch: the panel ``items`` without each country in turn
    (None in its place), then the whole panel; row ``i`` scores country ``i``, the last row is the
    full-panel fit."""
    c = len(items)
    return [[None if i == j else s for j, s in enumerate(items)] for i in range(c)] + [list(items)]


def loco_log_densities(stats: Sequence[peers.SeriesStats], batch: peers.Hyper) -> np.ndarray:
    """Each country's leave-one-country-out log density: country ``i`` under row ``i`` of a batch
    fitted on :func:`loco_table` ``(stats)`` (the panel without it)."""
    return np.array([peers.log_predictive(s, batch.fit(i)) for i, s in enumerate(stats)])


def current_batch(
    stats: Sequence[peers.SeriesStats],
    *,
    seed: int,
    priors: peers.Priors = peers.PRIORS,
    sampler: peers.Sampler = peers.SAMPLER,
    current: peers.Hyper | None = None,
) -> peers.Hyper:
    """The current form's (damped, scaled) leave-one-country-out batch on :func:`loco_table`
    ``(stats)``, which a candidate form is scored against; ``current`` if already made (same
    table, seed, priors and sampler), checked to have one fit per country plus the full panel."""
    if current is None:
        current = peers.sample_panel(
            loco_table(stats), "damped", seed=seed, shocks="scaled", priors=priors, sampler=sampler
        )
    if current.mu.shape[0] != len(stats) + 1:
        raise ValueError(f"the current form's batch has {current.mu.shape[0]} fits, not {len(stats) + 1}")
    return current


MARGIN_SE = 2.0
"""A form replaces the current one only when its elpd_loco is higher by more than this many
standard errors of the per-country difference: the rule that adopted scaled shocks (724167a) and
the one the candidates of ed95b3a were scored by, each fixed before its forms were scored."""


def choose(scores: dict[Choice, np.ndarray]) -> Choice:
    """The shock form, then the trend form, from each candidate's per-country LOCO log densities.

    Shocks: scaled when, for the trend form that scores best with constant shocks, scaled shocks
    beat constant ones by more than :data:`MARGIN_SE` standard errors of the difference;
    otherwise constant (the simpler model keeps the benefit of the doubt). Trend form: the higher
    elpd_loco with those shocks, as before.
    """
    base = max(peers.FORMS, key=lambda f: scores[f, "constant"].sum())
    diff = scores[base, "scaled"] - scores[base, "constant"]
    shocks: peers.Shocks = "scaled" if diff.sum() > MARGIN_SE * loco_se(diff) else "constant"
    return max(peers.FORMS, key=lambda f: scores[f, shocks].sum()), shocks


def loco_se(diff: np.ndarray) -> float:
    """Standard error of a difference in elpd_loco from its per-country differences: ``sqrt(C)``
    times their sd, C countries (infinite for fewer than two)."""
    return float(np.sqrt(len(diff)) * np.std(diff, ddof=1)) if len(diff) > 1 else np.inf


def beats_current(diff: np.ndarray, margin_se: float = MARGIN_SE) -> tuple[bool, str]:
    """A candidate form against the current one from the per-country differences of their LOCO
    log densities (candidate - current): adopted only if the elpd_loco difference is above
    ``margin_se`` standard errors (:func:`loco_se`); the decision and its reason in words."""
    gain, se = float(np.sum(diff)), loco_se(diff)
    if gain > margin_se * se:
        return True, f"adopted: elpd_loco higher by {gain:.2f} > {margin_se:g} x {se:.2f}"
    return False, f"not adopted: elpd_loco difference {gain:.2f} is not above {margin_se:g} x {se:.2f}"


def chosen(selection: Sequence[FormScore]) -> Choice:
    """The candidate :func:`select_form` chose."""
    s = next(x for x in selection if x.chosen)
    return s.form, s.shocks


def panel_trend(years: np.ndarray, log_core: np.ndarray, panel: PeerPanel, *, until: int | None) -> Trend:
    """Pakistan's trend posterior given the panel (peer years before fiscal year ``until``,
    all when ``None``) and its core series ``log_core`` (ln US$ m) at ``years``."""
    panel_until = None if until is None else until - 1
    entries = panel_entries(panel, until=panel_until)
    selection, fits = select_form([e.stats for e in entries])
    form, shocks = chosen(selection)
    hyper = fits[form, shocks]
    pk = peers.series_stats(years, np.exp(log_core))
    post = peers.country_posterior(pk, hyper, n=DRAWS, seed=SEED + 1)
    alpha = np.round(post.growth_at(pk.last_y), DECIMALS)
    beta = np.round(post.b, DECIMALS)
    log_sigma = np.round(np.log(post.sigma_at(pk.last_y)), DECIMALS)
    slope = None if post.gamma is None else np.round(post.gamma, DECIMALS)
    fit = PanelFit(
        peers_sha256=panel.sha256,
        reference_musd=peers.REFERENCE_MUSD,
        panel_until=panel_until,
        form=form,
        shocks=shocks,
        selection=selection,
        countries=[
            PanelCountry(
                iso3=e.series.iso3,
                country=e.series.country,
                first_year=e.series.years[0],
                last_year=max(y for y in e.series.years if panel_until is None or y <= panel_until),
                increments=int(e.stats.n),
            )
            for e in entries
        ],
        population=population_summary(hyper),
        pakistan=[
            _quantity("alpha", "growth at the base year's size (log points a year)", alpha),
            _quantity("beta", "growth lost per log point of size", beta),
            _quantity(
                "sigma", "size of yearly shocks at the base year's size (sd, log points)", np.exp(log_sigma)
            ),
        ]
        + (
            []
            if slope is None
            else [_quantity("gamma", "fall of ln shock size per log point of size", slope)]
        ),
        pakistan_y_base=pk.last_y,
        priors=list(PRIOR_TEXT),
        sampler={k: getattr(peers.SAMPLER, k) for k in ("chains", "burn", "keep", "thin")},
        rhat_max=float(hyper.rhat.max()),
        gap_ess=post.ess,
    )
    return Trend(
        model=form,
        alpha=float(alpha.mean()),
        alpha_se=float(alpha.std(ddof=1)),
        beta=float(beta.mean()),
        sigma=float(np.exp(log_sigma).mean()),
        posterior=SamplePosterior(
            alpha=alpha.tolist(),
            beta=beta.tolist(),
            log_sigma=log_sigma.tolist(),
            shock_slope=None if slope is None else slope.tolist(),
        ),
        selection=None,
        panel=fit,
    )


def _quantity(name: str, label: str, x: np.ndarray) -> Quantity:
    p05, p95 = np.percentile(x, [5, 95])
    return Quantity(name=name, label=label, mean=float(np.mean(x)), p05=float(p05), p95=float(p95))


def population_summary(hyper: peers.Hyper) -> list[Quantity]:
    """Population mean growth at the reference size and slowdown, their spreads between countries,
    and the typical shock size ``s0`` and its pooling ``nu``."""
    mu, cov = hyper.mu[0], hyper.cov[0]
    out = [
        _quantity("mu_a", "mean growth at US$1bn (log points a year)", mu[:, 0]),
        _quantity("sd_a", "spread of growth at US$1bn between countries", np.sqrt(cov[:, 0, 0])),
    ]
    if hyper.form == "damped":
        out += [
            _quantity("mu_b", "mean growth lost per log point of size", mu[:, 1]),
            _quantity("sd_b", "spread of the slowdown between countries", np.sqrt(cov[:, 1, 1])),
            _quantity(
                "corr_ab",
                "correlation of growth and slowdown",
                cov[:, 0, 1] / np.sqrt(cov[:, 0, 0] * cov[:, 1, 1]),
            ),
        ]
    at = " at US$1bn" if hyper.gamma is not None else ""
    out += [
        _quantity("s0", f"typical shock size{at} (sd, log points)", np.sqrt(hyper.s02[0])),
        _quantity("nu", "pooling of shock sizes (degrees of freedom)", hyper.nu[0]),
    ]
    if hyper.gamma is not None:
        out.append(_quantity("gamma", "fall of ln shock size per log point of size", hyper.gamma[0]))
    return out


def panel_note(trend: Trend) -> str:
    """One sentence on where Pakistan's trend comes from, for the fit's notes."""
    f = trend.panel
    if f is None:
        raise ValueError("panel_note needs a trend fitted with the peer panel")
    q = {x.name: x for x in f.pakistan}
    per_doubling = 100 * np.log(2)
    return (
        f"The trend is Pakistan's posterior in a hierarchical {f.form} model of {len(f.countries)} peer "
        f"countries' ICT-services exports (World Bank WDI) and its own series: growth at its base-year size "
        f"{np.expm1(q['alpha'].mean) * 100:.1f}% a year (90%: {np.expm1(q['alpha'].p05) * 100:.1f}% to "
        f"{np.expm1(q['alpha'].p95) * 100:.1f}%), slowing by {q['beta'].mean * per_doubling:.1f} points per "
        f"doubling ({q['beta'].p05 * per_doubling:.1f} to {q['beta'].p95 * per_doubling:.1f}), yearly shocks "
        f"of {q['sigma'].mean:.3f} log points."
    )
