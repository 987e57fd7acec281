"""Fit the model's trend to the reported figures and estimate the nowcast ingredients.

What the data identify, and how
-------------------------------
* **Trend growth and shock size.** The core :math:`\\ln C_t` (reported exports with the
  levers' central effects taken out, :func:`simulator.model.log_core_from`) is observed in each
  full fiscal year. Under the random walk with drift, increments over ``h`` years are
  ``N(h alpha, h sigma^2)``; with the Jeffreys prior the posterior is exactly
  normal / scaled-inverse-chi-square (Gelman et al., *Bayesian Data Analysis*, 3rd ed., 3.2).
  Gaps in the series (FY2011-FY2015) count as one multi-year increment.
* **Does growth slow as the sector grows?** The damped trend adds ``-beta (ln C_{t-1} - ln C_b)``
  (an AR(1) in logs, exact over gaps). It is fitted by maximum likelihood and kept only if a
  likelihood-ratio test rejects ``beta = 0`` at 5% (boundary-corrected: half a chi-square with
  one degree of freedom; Self and Liang, JASA 1987). Its uncertainty is a Laplace approximation.
* **Seasonality, revisions and the nowcast** of the incomplete year: :mod:`calibration.nowcast`.

What they do not identify: the levers' effect sizes. The lever histories barely move over a
dozen annual points; their effects are stated assumptions (``simulator/levers.py``) and the trend
is estimated net of their central values.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize, stats

from calibration.nowcast import estimate_nowcast
from calibration.peer_data import PEERS_FILE, PeerPanel, load_peer_panel
from calibration.peers_fit import panel_note, panel_trend
from simulator import __version__, model
from simulator.data import (
    MIN_FULL_YEARS,
    Dataset,
    annual_series,
    require_full_years,
)
from simulator.errors import InputError
from simulator.lever_history import lever_history
from simulator.levers import ASSUMPTIONS
from simulator.params import (
    SCHEMA_VERSION,
    AnnualPoint,
    DriftPosterior,
    FittedParams,
    InSample,
    LaplacePosterior,
    Sample,
    Selection,
    Trend,
)

SELECTION_THRESHOLD = 0.05
MIN_POINTS = MIN_FULL_YEARS
"""The loader's rule (:func:`simulator.data.require_full_years`), applied again after ``--until``."""


# --------------------------------------------------------------------------- likelihoods


@dataclass(frozen=True)
class Increments:
    """The core's log level at the observed years, as steps: ``x[i] - x[i-1]`` over ``h[i]`` years."""

    years: np.ndarray
    level: np.ndarray
    """ln C at each observed year, minus ln C at the base (last) year."""

    @property
    def h(self) -> np.ndarray:
        return np.diff(self.years).astype(float)

    @property
    def d(self) -> np.ndarray:
        return np.diff(self.level)


def drift_estimates(inc: Increments) -> tuple[float, float, int]:
    """(alpha_hat, s^2, dof) of the random walk with drift, by generalised least squares."""
    h, d = inc.h, inc.d
    alpha = d.sum() / h.sum()
    dof = len(d) - 1
    s2 = float(np.sum((d - h * alpha) ** 2 / h) / max(dof, 1))
    return float(alpha), s2, dof


def _ar_moments(phi: float, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(phi^h, sum_{j<h} phi^j, sum_{j<h} phi^{2j}) for each gap h."""
    hmax = int(h.max())
    powers = phi ** np.arange(hmax)
    s1 = np.cumsum(powers)[h.astype(int) - 1]
    s2 = np.cumsum(powers**2)[h.astype(int) - 1]
    return phi**h, s1, s2


def loglik_damped(alpha: float, beta: float, sigma: float, inc: Increments) -> float:
    """Exact log-likelihood of the damped trend over irregular gaps (beta = 0: random walk)."""
    phi = 1.0 - beta
    x_prev, x = inc.level[:-1], inc.level[1:]
    ph, s1, s2 = _ar_moments(phi, inc.h)
    mean = ph * x_prev + alpha * s1
    var = sigma**2 * s2
    return float(np.sum(-0.5 * np.log(2 * np.pi * var) - (x - mean) ** 2 / (2 * var)))


BETA_GRID = np.linspace(0.0, 0.95, 191)
"""Slowdowns at which the damped trend's profile likelihood is evaluated before refining."""


def _profile(beta: np.ndarray, inc: Increments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each ``beta``, the maximum-likelihood alpha and ln sigma and the log-likelihood.

    Given beta the transition is linear in alpha with known relative variances, so alpha is a
    weighted least-squares estimate and sigma^2 the weighted mean squared residual."""
    phi = 1.0 - np.asarray(beta, dtype=float)[:, None]
    h = inc.h[None, :]
    powers = phi[..., None] ** np.arange(int(inc.h.max()))[None, None, :]
    keep = np.arange(powers.shape[-1])[None, None, :] < h[..., None]
    s1 = np.sum(powers * keep, axis=-1)
    s2 = np.sum(powers**2 * keep, axis=-1)
    r = inc.level[None, 1:] - phi**h * inc.level[None, :-1]
    alpha = np.clip(np.sum(s1 * r / s2, axis=1) / np.sum(s1**2 / s2, axis=1), -1.0, 1.0)
    sig2 = np.maximum(np.mean((r - alpha[:, None] * s1) ** 2 / s2, axis=1), 1e-8)
    ll = -0.5 * np.sum(
        np.log(2 * np.pi * sig2[:, None] * s2) + (r - alpha[:, None] * s1) ** 2 / (sig2[:, None] * s2), axis=1
    )
    return alpha, 0.5 * np.log(sig2), ll


def fit_damped(inc: Increments) -> tuple[np.ndarray, float]:
    """Maximum likelihood (alpha, beta, ln sigma) with 0 <= beta <= 0.95: the profile likelihood
    over a grid of beta, refined by a bounded scalar search around the best grid point."""
    _, _, ll = _profile(BETA_GRID, inc)
    i = int(np.argmax(ll))
    lo, hi = BETA_GRID[max(i - 1, 0)], BETA_GRID[min(i + 1, len(BETA_GRID) - 1)]
    res = optimize.minimize_scalar(
        lambda b: -_profile(np.array([b]), inc)[2][0],
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-7},
    )
    beta = float(res.x) if -res.fun > ll[i] + 1e-9 else float(BETA_GRID[i])
    alpha, log_sigma, best = _profile(np.array([beta]), inc)
    return np.array([alpha[0], beta, log_sigma[0]]), float(best[0])


def hessian(f, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function."""
    n = len(x)
    out = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            ei, ej = np.eye(n)[i] * step, np.eye(n)[j] * step
            out[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * step**2)
    return out


# --------------------------------------------------------------------------- the fit


def central_assumptions() -> dict[str, np.ndarray]:
    return {a.name: np.array([a.central]) for a in ASSUMPTIONS}


def history_effects(data: Dataset, years: np.ndarray) -> tuple[model.Effects, np.ndarray]:
    """Lever effects at central assumptions for ``years``, from the lever history."""
    history = lever_history(data.lever_history, int(years[0]), int(years[-1]))
    fx = model.effects(history.exposures, central_assumptions(), history.columns(years))
    return fx, history.years


def core_levels(data: Dataset, years: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, model.Effects]:
    fx, _ = history_effects(data, years)
    lc = model.log_core_from(values[None, :], fx)[0]
    if np.isnan(lc).any():
        raise InputError("the central effect assumptions explain more than the reported exports in some year")
    return lc, fx


PEERS_AUTO = "auto"


def fit(
    data: Dataset,
    *,
    until: int | None = None,
    peers: PeerPanel | str | None = PEERS_AUTO,
    peers_until: int | None = None,
) -> FittedParams:
    """Fit the trend, seasonality, revisions and nowcast; return the fitted-parameter record.

    ``peers``: the peer panel that informs the trend (:mod:`calibration.peers_fit`); ``"auto"``
    reads ``peers.csv`` from the data folder when there is one; ``None`` fits the trend on
    Pakistan's series alone (:func:`own_trend`). The panel's years are those before fiscal year
    ``peers_until`` (default ``until``; all when both are ``None``): a view of the data as of a
    day (:meth:`Dataset.as_of`) has no ``until`` but must not see later peer years either.
    """
    if until is not None:
        data = data.until(until)
    require_full_years(data.observations, field="until" if until is not None else None, value=until)
    series = annual_series(data.observations)
    years = np.array([y for y, _ in series])
    values = np.array([o.value_musd for _, o in series])
    base_year = int(years[-1])
    lc, fx = core_levels(data, years, values)
    if isinstance(peers, str):
        peers = load_peer_panel(data.directory) if (data.directory / PEERS_FILE).exists() else None
    if peers is None:
        trend = own_trend(Increments(years, lc - lc[-1]))
    else:
        trend = panel_trend(years, lc, peers, until=until if peers_until is None else peers_until)
    nc = estimate_nowcast(data, base_year)
    return FittedParams(
        schema_version=SCHEMA_VERSION,
        package_version=__version__,
        data_sha256=data.sha256,
        data_until=until,
        sample=Sample(
            first_year=int(years[0]),
            base_year=base_year,
            points=[
                AnnualPoint(fiscal_year=int(y), value_musd=float(v))
                for y, v in zip(years, values, strict=True)
            ],
            span=float(years[-1] - years[0]),
        ),
        central_assumptions={a.name: a.central for a in ASSUMPTIONS},
        trend=trend,
        nowcast=nc.nowcast,
        seasonality=nc.seasonality,
        revisions=nc.revisions,
        in_sample=one_step_errors(years, values, lc, fx, trend),
        notes=fit_notes(years, trend) + nc.notes,
    )


def own_trend(inc: Increments) -> Trend:
    """The trend from one series alone: a random walk with drift (Jeffreys prior, exact
    posterior), or the damped trend (Laplace) when a likelihood-ratio test rejects beta = 0."""
    alpha, s2, dof = drift_estimates(inc)
    span = float(inc.years[-1] - inc.years[0])
    sigma_mle = float(np.sqrt(np.sum((inc.d - inc.h * alpha) ** 2 / inc.h) / len(inc.d)))
    ll0 = loglik_damped(alpha, 0.0, sigma_mle, inc)
    pdamp, ll1 = fit_damped(inc)
    lr = 2.0 * (ll1 - ll0)
    lr = lr if lr > 1e-9 else 0.0  # below 1e-9: the two fits' rounding, not evidence
    p_value = 0.5 * float(stats.chi2.sf(lr, 1)) if lr > 0 else 1.0
    slowing = p_value < SELECTION_THRESHOLD and pdamp[1] > 0
    selected: Literal["drift", "damped"] = "damped" if slowing else "drift"
    selection = Selection(
        loglik_drift=ll0,
        loglik_damped=ll1,
        beta_hat=float(pdamp[1]),
        lr_stat=lr,
        p_value=p_value,
        threshold=SELECTION_THRESHOLD,
        selected=selected,
    )
    if selected == "drift":
        posterior = DriftPosterior(alpha=alpha, scale2=s2, dof=dof, span=span)
        return Trend(
            model="drift",
            alpha=alpha,
            alpha_se=float(np.sqrt(s2 / span)),
            beta=0.0,
            sigma=float(np.sqrt(s2)),
            posterior=posterior,
            selection=selection,
        )
    cov = np.linalg.inv(hessian(lambda p: -loglik_damped(p[0], p[1], float(np.exp(p[2])), inc), pdamp))
    return Trend(
        model="damped",
        alpha=float(pdamp[0]),
        alpha_se=float(np.sqrt(cov[0, 0])),
        beta=float(pdamp[1]),
        sigma=float(np.exp(pdamp[2])),
        posterior=LaplacePosterior(
            names=("alpha", "beta", "log_sigma"),
            mean=_triple(pdamp),
            cov=(_triple(cov[0]), _triple(cov[1]), _triple(cov[2])),
        ),
        selection=selection,
    )


def _triple(v: np.ndarray) -> tuple[float, float, float]:
    """Three numbers of an array as plain floats (alpha, beta, ln sigma)."""
    a, b, c = (float(x) for x in v)
    return a, b, c


def one_step_errors(years, values, lc, fx, trend: Trend) -> list[InSample]:
    """Each observed year predicted from the previous observation with the fitted trend."""
    out = []
    x = lc - lc[-1]
    for i in range(1, len(years)):
        h = np.array([float(years[i] - years[i - 1])])
        ph, s1, _ = _ar_moments(1.0 - trend.beta, h)
        pred_x = ph[0] * x[i - 1] + trend.alpha * s1[0]
        one = model.Effects({k: v[:, i : i + 1] for k, v in fx.by_lever.items()})
        pred = float(model.exports_from(np.array([[pred_x + lc[-1]]]), one)[0, 0])
        out.append(
            InSample(
                fiscal_year=int(years[i]),
                actual=float(values[i]),
                predicted=pred,
                error_pct=100.0 * (pred - values[i]) / values[i],
                years_ahead=int(h[0]),
            )
        )
    return out


def fit_notes(years: np.ndarray, trend: Trend) -> list[str]:
    gaps = [(int(a), int(b)) for a, b in itertools.pairwise(years) if b - a > 1]
    notes = [
        f"Fitted on {len(years)} full fiscal years, FY{years[0]}-FY{years[-1]} (latest vintage of each).",
    ]
    for a, b in gaps:
        notes.append(
            f"No full-year figure between FY{a} and FY{b}: that step counts as one {b - a}-year increment."
        )
    if trend.panel is not None:
        notes.append(panel_note(trend))
    elif trend.selection is None:
        pass  # a trend without a model choice (none is fitted so): nothing to say
    elif trend.model == "drift":
        s = trend.selection
        notes.append(
            f"Growth slowing as the sector grows is not supported by the data (beta_hat = {s.beta_hat:.3f}, "
            f"likelihood-ratio p = {s.p_value:.2f} >= {s.threshold}): the trend is a random walk with drift."
        )
    else:
        notes.append(
            "The data support growth slowing as the sector grows "
            f"(beta = {trend.beta:.3f}, p = {trend.selection.p_value:.3f})."
        )
    notes.append(
        "Not identified by the data: the levers' effect sizes. They are stated assumptions, sampled "
        "from their ranges; the trend is fitted net of their central values and shifts, draw by draw, "
        "with the effect sizes so that every draw still reproduces the first and last reported years."
    )
    return notes
