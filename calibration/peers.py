"""A reference class for Pakistan's trend: a hierarchical growth model of peer countries' ICT exports.

The model
---------
For country ``c`` let ``y_ct = ln X_ct - ln X_ref`` (exports in US$ m, ``X_ref`` =
:data:`REFERENCE_MUSD`). From one year to the next

.. math:: y_{ct} = y_{c,t-1} + a_c - b_c\\, y_{c,t-1} + \\sigma_c \\varepsilon_{ct},
          \\qquad \\varepsilon_{ct} \\sim N(0, 1),

so ``a_c`` is the country's growth (log points a year) when its exports are ``X_ref`` and ``b_c``
the growth it loses per log point of size (``100 b_c ln 2`` points per doubling). This is the
engine's damped trend (:func:`simulator.model.core_path`) with its base at ``X_ref``; the
``drift`` form sets ``b_c = 0`` (a random walk with drift).

Partial pooling: ``(a_c, b_c) ~ N(mu, Sigma)`` and ``sigma_c^2 ~ Scaled-Inv-chi^2(nu, s0^2)``:
countries' trends, slowdowns and shock sizes are drawn from one population whose parameters
are estimated. With ``nu`` large every country has the same shock size; with ``nu`` small each
has its own. The hyperpriors (:data:`PRIORS`) are weak next to 26 countries.

How it is fitted
----------------
* The panel: a Gibbs sampler on per-country sufficient statistics, every conditional exact
  (normal, inverse-Wishart, scaled-inverse-chi-square, gamma; a griddy-Gibbs step for ``nu``),
  vectorised over many fits at once (a backtest fits hundreds of panels in one run). Increments
  across a gap in a peer's series are left out (the likelihood restarts after the gap).
* A new country (Pakistan, a held-out series): its ``(a, b, sigma)`` given the panel's
  posterior and its own series. For each draw of the population parameters, ``sigma`` is drawn
  from its exact marginal on a fine grid (``(a, b)`` integrated out analytically), then
  ``(a, b) | sigma`` from its normal conditional. Increments across a gap (Pakistan's
  FY2010-FY2016) enter exactly, with the AR(1) multi-step moments, as importance weights.
* The form (drift or damped) is chosen by the leave-one-country-out predictive density of the
  panel: how well the other countries predict each country's whole series.

References: Gelman et al., *Bayesian Data Analysis*, 3rd ed. (2013), ch. 5 and 15 (hierarchical
normal and regression models), 11.3 (Gibbs with a grid step); Vehtari, Gelman and Gabry (2017),
*Statistics and Computing* 27, 1413-1432 (leave-one-out predictive checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special

Form = Literal["drift", "damped"]
FORMS: tuple[Form, ...] = ("drift", "damped")
Shocks = Literal["constant", "scaled"]
SHOCKS: tuple[Shocks, ...] = ("constant", "scaled")
"""``constant``: a country's shocks have one size ``sigma_c``; ``scaled``: their size changes with
the country's size, ``sigma_c exp(-gamma y_{c,t-1})``, ``gamma`` common to the panel."""

REFERENCE_MUSD = 1000.0
"""Exports (US$ m) at which ``a_c`` is the growth rate: US$1 billion, inside the range every
panel country passed through (Pakistan: about 0.8-3.8 billion over its series)."""

MIN_INCREMENTS = 3
"""A series enters a fit with at least this many one-year increments."""


@dataclass(frozen=True)
class Priors:
    """Hyperpriors, each chosen before any fit and weak next to 26 countries' data.

    ``mu ~ N(0, mu_sd^2 I)``: 1 log point is 170% growth a year; the prior only excludes the absurd.
    ``Sigma ~ Inv-Wishart(p + 2, diag(scale)^2)``: p + 2 degrees of freedom is the smallest with a
    finite prior mean (then equal to the scale matrix): a between-country spread of 10 log points
    in growth at US$1bn and 5 in the slowdown per log point (3.5 points per doubling), each with
    a prior weight of four countries against the panel's 26.
    ``p(s0^2) ∝ 1/s0^2``: the usual scale-invariant prior; the posterior is proper with one country.
    ``nu``: log-uniform on ``nu_grid`` (0.5 to 500): from no pooling of shock sizes to complete.
    """

    mu_sd: float = 1.0
    scale_a: float = 0.10
    scale_b: float = 0.05
    gamma_bound: float = 1.0
    """Scaled shocks: ``gamma`` uniform on (-1, 1). At 1 the shock size would fall by a factor
    e per log point of size, far beyond any series; the prior only excludes the absurd."""
    nu_grid: tuple[float, ...] = tuple(float(v) for v in np.geomspace(0.5, 500.0, 61))


PRIORS = Priors()


@dataclass(frozen=True)
class Sampler:
    """Gibbs settings: ``chains`` independent chains, each ``burn`` sweeps then ``keep`` draws
    every ``thin`` sweeps. Fixed, not tuned to any result."""

    chains: int = 2
    burn: int = 500
    keep: int = 1000
    thin: int = 2
    gamma_steps: int = 3
    """Scaled shocks: random-walk Metropolis steps for ``gamma`` per sweep, proposal sd
    ``gamma_proposal``."""
    gamma_proposal: float = 0.03


SAMPLER = Sampler()

LOG_SIGMA_GRID = np.linspace(np.log(0.002), np.log(3.0), 161)
"""Grid for a new country's shock size: 0.2% to 300% a year, 0.046 log points apart."""


# --------------------------------------------------------------------------- 1x1 and 2x2 algebra
# Closed forms for the batched small matrices (about ten times faster than numpy.linalg on
# millions of 2x2 systems).


def inv_small(m: np.ndarray) -> np.ndarray:
    """Inverse of (..., p, p) symmetric matrices, p = 1 or 2."""
    if m.shape[-1] == 1:
        return 1.0 / m
    a, b, d = m[..., 0, 0], m[..., 0, 1], m[..., 1, 1]
    det = a * d - b * b
    out = np.empty_like(m)
    out[..., 0, 0] = d / det
    out[..., 1, 1] = a / det
    out[..., 0, 1] = out[..., 1, 0] = -b / det
    return out


def logdet_small(m: np.ndarray) -> np.ndarray:
    if m.shape[-1] == 1:
        return np.log(m[..., 0, 0])
    return np.log(m[..., 0, 0] * m[..., 1, 1] - m[..., 0, 1] ** 2)


def matvec(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(..., p, p) @ (..., p) for p = 1 or 2."""
    if m.shape[-1] == 1:
        return m[..., 0] * v
    out = np.empty(np.broadcast_shapes(m.shape[:-1], v.shape))
    out[..., 0] = m[..., 0, 0] * v[..., 0] + m[..., 0, 1] * v[..., 1]
    out[..., 1] = m[..., 1, 0] * v[..., 0] + m[..., 1, 1] * v[..., 1]
    return out


def normal_from_precision(prec: np.ndarray, rhs: np.ndarray, z: np.ndarray) -> np.ndarray:
    """A draw of N(prec^-1 rhs, prec^-1) from standard normals ``z``: mean + L^-T z, L L' = prec."""
    mean = matvec(inv_small(prec), rhs)
    if prec.shape[-1] == 1:
        return mean + z / np.sqrt(prec[..., 0])
    l00 = np.sqrt(prec[..., 0, 0])
    l10 = prec[..., 1, 0] / l00
    l11 = np.sqrt(prec[..., 1, 1] - l10**2)
    mean[..., 1] += z[..., 1] / l11
    mean[..., 0] += (z[..., 0] - l10 * z[..., 1] / l11) / l00
    return mean


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class SeriesStats:
    """One series as the model sees it: sufficient statistics of its one-year increments
    ``g = y_t - y_{t-1}`` on ``x = y_{t-1}``, and its gap increments kept whole."""

    n: float
    sg: float
    sx: float
    sgg: float
    sgx: float
    sxx: float
    gaps: tuple[tuple[int, float, float], ...]
    """(years, y before, y after) for each step of more than one year."""
    last_year: int
    last_y: float
    g: tuple[float, ...] = ()
    """The one-year increments themselves, and ``x`` the sizes they start from (the scaled
    shocks weigh each by its size)."""
    x: tuple[float, ...] = ()


def series_stats(years, values_musd) -> SeriesStats:
    """Statistics of a series of levels (US$ m) at increasing ``years``."""
    years = np.asarray(years, dtype=int)
    y = np.log(np.asarray(values_musd, dtype=float)) - np.log(REFERENCE_MUSD)
    h = np.diff(years)
    one = h == 1
    g, x = np.diff(y)[one], y[:-1][one]
    gaps = tuple(
        (int(k), float(a), float(b)) for k, a, b in zip(h[~one], y[:-1][~one], y[1:][~one], strict=True)
    )
    return SeriesStats(
        n=float(one.sum()),
        sg=float(g.sum()),
        sx=float(x.sum()),
        sgg=float(g @ g),
        sgx=float(g @ x),
        sxx=float(x @ x),
        gaps=gaps,
        last_year=int(years[-1]),
        last_y=float(y[-1]),
        g=tuple(float(v) for v in g),
        x=tuple(float(v) for v in x),
    )


def design(stats: dict[str, np.ndarray], form: Form) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``X'X`` (..., p, p), ``X'g`` (..., p) and ``g'g`` for ``g = X theta + e``: ``X = [1]`` (drift)
    or ``[1, -x]`` (damped, ``theta = (a, b)``)."""
    n, sg, sgg = stats["n"], stats["sg"], stats["sgg"]
    if form == "drift":
        return n[..., None, None], sg[..., None], sgg
    sx, sgx, sxx = stats["sx"], stats["sgx"], stats["sxx"]
    xtx = np.stack([np.stack([n, -sx], -1), np.stack([-sx, sxx], -1)], -2)
    return xtx, np.stack([sg, -sgx], -1), sgg


STAT_KEYS = ("n", "sg", "sx", "sgg", "sgx", "sxx")


def weighted_stats(s: SeriesStats, gamma: np.ndarray) -> dict[str, np.ndarray]:
    """The statistics of :class:`SeriesStats` with each increment weighted by ``exp(2 gamma x)``,
    its precision relative to ``1/sigma^2`` under scaled shocks, one set per ``gamma`` (any shape).
    ``n`` is then the weighted count; the number of increments stays ``s.n``."""
    g, x = np.asarray(s.g, dtype=float), np.asarray(s.x, dtype=float)
    w = np.exp(2.0 * np.multiply.outer(np.asarray(gamma, dtype=float), x))
    return {
        "n": w.sum(-1),
        "sg": w @ g,
        "sx": w @ x,
        "sgg": w @ (g * g),
        "sgx": w @ (g * x),
        "sxx": w @ (x * x),
    }


def _stat_arrays(s: SeriesStats) -> dict[str, np.ndarray]:
    return {k: np.array(getattr(s, k)) for k in STAT_KEYS}


def stack_stats(table: list[list[SeriesStats | None]]) -> dict[str, np.ndarray]:
    """(fits x countries) arrays of the statistics; ``None`` (country not in that fit) is all zero."""
    return {
        k: np.array([[getattr(s, k) if s is not None else 0.0 for s in row] for row in table])
        for k in STAT_KEYS
    }


# --------------------------------------------------------------------------- the panel sampler


@dataclass(frozen=True)
class Hyper:
    """Posterior draws of the population parameters, one fit per row: ``mu`` (fits, draws, p),
    ``sigma`` (fits, draws, p, p) its covariance, ``nu`` and ``s02`` (fits, draws)."""

    form: Form
    mu: np.ndarray
    cov: np.ndarray
    nu: np.ndarray
    s02: np.ndarray
    rhat: np.ndarray
    """Split R-hat (Gelman et al. 2013, 11.4) of mu, ln nu and ln s0^2, per fit; the largest."""
    countries: np.ndarray
    """Countries in each fit (fits,)."""
    gamma: np.ndarray | None = None
    """Scaled shocks: draws of ``gamma`` (fits, draws); ``None`` for constant shocks."""

    @property
    def shocks(self) -> Shocks:
        return "constant" if self.gamma is None else "scaled"

    def gamma_draws(self, idx: np.ndarray) -> np.ndarray:
        """``gamma`` of draws ``idx`` of the first fit (zeros for constant shocks)."""
        return np.zeros(len(idx)) if self.gamma is None else self.gamma[0, idx]

    def fit(self, i: int) -> Hyper:
        return Hyper(
            self.form,
            self.mu[i : i + 1],
            self.cov[i : i + 1],
            self.nu[i : i + 1],
            self.s02[i : i + 1],
            self.rhat[i : i + 1],
            self.countries[i : i + 1],
            None if self.gamma is None else self.gamma[i : i + 1],
        )


def _wishart(rng, df: np.ndarray, iw_scale: np.ndarray) -> np.ndarray:
    """One draw per row of ``Sigma^-1`` for ``Sigma ~ Inv-Wishart(df, iw_scale)``, that is of
    ``Wishart(df, iw_scale^-1)``, by Bartlett's decomposition ``L A A' L'`` (p = 1 or 2)."""
    v = inv_small(iw_scale)
    if v.shape[-1] == 1:
        return v * rng.chisquare(df)[:, None, None]
    l00 = np.sqrt(v[..., 0, 0])
    l10 = v[..., 1, 0] / l00
    l11 = np.sqrt(v[..., 1, 1] - l10**2)
    a00, a11, a10 = np.sqrt(rng.chisquare(df)), np.sqrt(rng.chisquare(df - 1)), rng.standard_normal(df.shape)
    # L A = [[l00 a00, 0], [l10 a00 + l11 a10, l11 a11]]
    r00, r10, r11 = l00 * a00, l10 * a00 + l11 * a10, l11 * a11
    return np.stack([np.stack([r00**2, r00 * r10], -1), np.stack([r00 * r10, r10**2 + r11**2], -1)], -2)


def sample_panel(
    table: list[list[SeriesStats | None]],
    form: Form,
    *,
    seed: int,
    shocks: Shocks = "constant",
    priors: Priors = PRIORS,
    sampler: Sampler = SAMPLER,
) -> Hyper:
    """Gibbs draws of the population parameters for each row of ``table`` (fits x countries).

    A row's countries with fewer than :data:`MIN_INCREMENTS` increments are left out of it.
    With scaled shocks each sweep also moves ``gamma`` by random-walk Metropolis steps (its
    conditional is not of a standard form) and re-weights the countries' statistics by it.
    """
    panel = prepare_panel(table, form, shocks=shocks, priors=priors, chains=sampler.chains)
    xtx, xtg, gg = panel.xtx, panel.xtg, panel.gg
    rng = np.random.default_rng(seed)
    state = initial_state(panel)
    out: dict[str, list[np.ndarray]] = {"mu": [], "cov": [], "nu": [], "s02": [], "gamma": []}
    for sweep in range(sampler.burn + sampler.keep * sampler.thin):
        if panel.inc is not None:
            xtx, xtg, gg = design(_weighted_panel(panel.inc, state.gamma), form)
        country_step(rng, state, panel, xtx, xtg, gg)
        population_step(rng, state, panel, priors)
        if panel.inc is not None:
            state.gamma = _gamma_steps(
                rng, panel.inc, state.theta, state.sig2, state.gamma, form, priors, sampler
            )
        if sweep >= sampler.burn and (sweep - sampler.burn) % sampler.thin == 0:
            record(out, state)
    return _collect(
        out, form, len(table), sampler.chains, panel.mask.sum(axis=1), scaled=panel.inc is not None
    )


@dataclass(frozen=True)
class Panel:
    """What the panel sampler works from, each fit repeated once per chain: the countries'
    unweighted ``X'X``, ``X'g``, ``g'g`` (:func:`design`), ``n`` their numbers of increments,
    ``m`` 1 where a country is in a fit, ``k`` the countries per fit, ``inc`` the increments
    themselves (scaled shocks), ``psi`` the inverse-Wishart scale; ``mask`` per fit (not repeated)."""

    xtx: np.ndarray
    xtg: np.ndarray
    gg: np.ndarray
    n: np.ndarray
    m: np.ndarray
    k: np.ndarray
    inc: _Increments | None
    psi: np.ndarray
    mask: np.ndarray


def prepare_panel(
    table: list[list[SeriesStats | None]], form: Form, *, shocks: Shocks, priors: Priors, chains: int
) -> Panel:
    """The sampler's inputs for ``table`` (fits x countries), each fit repeated ``chains`` times."""
    stats = stack_stats(table)
    mask = stats["n"] >= MIN_INCREMENTS
    stats = {k: np.where(mask, v, 0.0) for k, v in stats.items()}
    xtx, xtg, gg = design(stats, form)
    p = xtx.shape[-1]
    rep = lambda v: np.repeat(v, chains, axis=0)  # noqa: E731
    m = rep(mask)
    inc = _increments(table, mask, chains) if shocks == "scaled" else None
    psi = np.diag([priors.scale_a**2, priors.scale_b**2][:p])
    return Panel(rep(xtx), rep(xtg), rep(gg), rep(stats["n"]), m, m.sum(axis=1).astype(float), inc, psi, mask)


@dataclass
class State:
    """The Gibbs sampler's current values, one row per chain: the countries' ``theta`` = (a, b)
    and ``sig2``, the population's ``mu``, ``prec`` (Sigma^-1), ``nu``, ``s02``, and ``gamma``."""

    theta: np.ndarray
    sig2: np.ndarray
    mu: np.ndarray
    prec: np.ndarray
    nu: np.ndarray
    s02: np.ndarray
    gamma: np.ndarray


def initial_state(panel: Panel) -> State:
    """The chains' starting values (the same for every chain)."""
    fits, p = panel.xtx.shape[0], panel.xtx.shape[-1]
    return State(
        theta=np.zeros((*panel.m.shape, p)),
        sig2=np.full(panel.m.shape, 0.01),
        mu=np.zeros((fits, p)),
        prec=np.broadcast_to(np.linalg.inv(panel.psi), (fits, p, p)).copy(),
        nu=np.full(fits, 4.0),
        s02=np.full(fits, 0.01),
        gamma=np.zeros(fits),
    )


def country_step(rng, state: State, panel: Panel, xtx, xtg, gg) -> None:
    """(a_c, b_c) | rest: normal; then sigma_c^2 | rest: scaled inverse chi-square, its degrees
    of freedom ``nu`` plus the number of increments (``panel.n``), whatever weights the
    statistics ``xtx``, ``xtg``, ``gg`` carry."""
    prec, mu, sig2 = state.prec, state.mu, state.sig2
    post_prec = prec[:, None] + xtx / sig2[..., None, None]
    rhs = matvec(prec, mu)[:, None] + xtg / sig2[..., None]
    theta = normal_from_precision(post_prec, rhs, np.asarray(rng.standard_normal(state.theta.shape)))
    rss = gg - 2 * np.einsum("...i,...i", theta, xtg) + np.einsum("...i,...ij,...j", theta, xtx, theta)
    state.theta = theta
    state.sig2 = (state.nu[:, None] * state.s02[:, None] + np.maximum(rss, 0.0)) / rng.chisquare(
        state.nu[:, None] + panel.n
    )


def population_step(rng, state: State, panel: Panel, priors: Priors) -> None:
    """mu | rest: normal; Sigma | rest: inverse Wishart; s0^2 | rest: gamma (prior 1/s0^2);
    nu | rest: on the grid."""
    m, k, theta, sig2, nu = panel.m, panel.k, state.theta, state.sig2, state.nu
    p, fits = theta.shape[-1], len(k)
    tsum = np.einsum("fc,fci->fi", m, theta)
    mu_prec = np.eye(p) / priors.mu_sd**2 + k[:, None, None] * state.prec
    mu = normal_from_precision(mu_prec, matvec(state.prec, tsum), rng.standard_normal((fits, p)))
    dev = (theta - mu[:, None]) * m[..., None]
    scatter = np.einsum("fci,fcj->fij", dev, dev)
    state.mu, state.prec = mu, _wishart(rng, p + 2 + k, panel.psi + scatter)
    inv_sum = np.sum(m / sig2, axis=1)
    log_sum = np.sum(m * np.log(sig2), axis=1)
    s02 = rng.gamma(k * nu / 2, 1.0 / (nu / 2 * inv_sum))
    nu_grid = np.asarray(priors.nu_grid)
    half = nu_grid[None, :] / 2
    logp = (
        k[:, None] * (half * np.log(half * s02[:, None]) - special.gammaln(half))
        - half * log_sum[:, None]
        - half * s02[:, None] * inv_sum[:, None]
    )
    state.s02, state.nu = s02, grid_draw(rng, logp, nu_grid)


def grid_draw(rng, logp: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """One draw per row from the discrete distribution ``exp(logp)`` (rows x grid) on ``grid``."""
    cdf = np.cumsum(np.exp(logp - logp.max(axis=1, keepdims=True)), axis=1)
    u = rng.random(len(logp)) * cdf[:, -1]
    return grid[np.minimum((cdf < u[:, None]).sum(axis=1), len(grid) - 1)]


def record(out: dict[str, list[np.ndarray]], state: State) -> None:
    out["mu"].append(state.mu)
    out["cov"].append(inv_small(state.prec))
    out["nu"].append(state.nu)
    out["s02"].append(state.s02)
    out["gamma"].append(state.gamma)


@dataclass(frozen=True)
class _Increments:
    """Every fit's increments ``g`` and starting sizes ``x`` (fits, countries, longest series),
    ``w`` 1 where an increment is in the fit, else 0."""

    g: np.ndarray
    x: np.ndarray
    w: np.ndarray


def _increments(table: list[list[SeriesStats | None]], mask: np.ndarray, chains: int) -> _Increments:
    longest = max((len(s.g) for row in table for s in row if s is not None), default=0)
    shape = (len(table), len(table[0]), longest)
    g, x, w = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for i, row in enumerate(table):
        for j, s in enumerate(row):
            if s is not None and mask[i, j]:
                k = len(s.g)
                g[i, j, :k], x[i, j, :k], w[i, j, :k] = s.g, s.x, 1.0
    if any(s is not None and len(s.g) != s.n for row in table for s in row):
        raise ValueError("scaled shocks need each series' increments (SeriesStats.g and .x)")
    return _Increments(*(np.repeat(v, chains, axis=0) for v in (g, x, w)))


def _weighted_panel(inc: _Increments, gamma: np.ndarray) -> dict[str, np.ndarray]:
    """Each fit's country statistics weighted by ``exp(2 gamma x)`` (see :func:`weighted_stats`)."""
    w = inc.w * np.exp(2.0 * gamma[:, None, None] * inc.x)
    wg, wx = w * inc.g, w * inc.x
    return {
        "n": w.sum(-1),
        "sg": wg.sum(-1),
        "sx": wx.sum(-1),
        "sgg": (wg * inc.g).sum(-1),
        "sgx": (wg * inc.x).sum(-1),
        "sxx": (wx * inc.x).sum(-1),
    }


def residuals(inc: _Increments, theta: np.ndarray, form: Form) -> np.ndarray:
    """``g - a + b x`` of every increment (fits, countries, longest series) given the countries' (a, b)."""
    slope = theta[..., 1:2] if form == "damped" else 0.0
    return inc.g - theta[..., 0:1] + slope * inc.x


def _gamma_steps(
    rng, inc: _Increments, theta, sig2, gamma, form: Form, priors: Priors, sampler: Sampler, lam=None
):
    """Random-walk Metropolis steps for each fit's ``gamma`` given the countries' (a, b, sigma):
    ``ln p = sum_ct [gamma x_ct - r_ct^2 exp(2 gamma x_ct) / (2 sigma_c^2)]``, uniform prior.
    ``lam`` (same shape as ``inc.g``): each increment's precision multiplier (the scale mixture of
    Student-t shocks), which weighs its squared residual but not the Jacobian ``gamma x``."""
    r = residuals(inc, theta, form)
    r2 = (inc.w if lam is None else inc.w * lam) * r * r / sig2[..., None]
    return gamma_metropolis(rng, r2, inc.x, inc.w, gamma, priors, sampler)


def gamma_metropolis(rng, r2, x, w, gamma, priors: Priors, sampler: Sampler) -> np.ndarray:
    """``sampler.gamma_steps`` random-walk Metropolis steps for each fit's ``gamma`` (fits,) under
    ``ln p = sum_ct [gamma x_ct - r2_ct exp(2 gamma x_ct) / 2]``, ``gamma`` uniform on
    ``(-priors.gamma_bound, priors.gamma_bound)``: ``r2`` the squared standardised residuals (or
    innovations) at ``gamma = 0``, ``w`` 1 where an increment is in the fit (fits, countries,
    increments); ``w`` weighs the Jacobian ``gamma x``, whatever weights ``r2`` carries."""
    sx = np.sum(w * x, axis=(1, 2))

    def logp(gm):
        return gm * sx - 0.5 * np.sum(r2 * np.exp(2.0 * gm[:, None, None] * x), axis=(1, 2))

    current = logp(gamma)
    for _ in range(sampler.gamma_steps):
        prop = gamma + sampler.gamma_proposal * rng.standard_normal(gamma.shape)
        inside = np.abs(prop) < priors.gamma_bound
        new = np.where(inside, logp(np.where(inside, prop, gamma)), -np.inf)
        accept = np.log(rng.random(gamma.shape)) < new - current
        gamma = np.where(accept, prop, gamma)
        current = np.where(accept, new, current)
    return gamma


def _collect(out, form: Form, n_fits: int, chains: int, countries: np.ndarray, *, scaled: bool) -> Hyper:
    """(draws, fits*chains, ...) lists to (fits, chains*draws, ...) arrays, and R-hat per fit."""

    def arr(name):
        a = np.stack(out[name], axis=1)  # (fits*chains, draws, ...)
        return a.reshape((n_fits, chains, *a.shape[1:]))

    mu, cov, nu, s02, gamma = arr("mu"), arr("cov"), arr("nu"), arr("s02"), arr("gamma")
    parts = [mu, np.log(nu)[..., None], np.log(s02)[..., None]] + ([gamma[..., None]] if scaled else [])
    rhat = split_rhat(np.concatenate(parts, axis=-1)).max(axis=-1)
    flat = lambda a: a.reshape((n_fits, -1, *a.shape[3:]))  # noqa: E731
    return Hyper(
        form, flat(mu), flat(cov), flat(nu), flat(s02), rhat, countries, flat(gamma) if scaled else None
    )


def split_rhat(x: np.ndarray) -> np.ndarray:
    """Split R-hat of draws ``x`` (..., chains, draws, quantities) (Gelman et al. 2013, 11.4)."""
    half = x.shape[-2] // 2
    parts = np.concatenate([x[..., :half, :], x[..., half : 2 * half, :]], axis=-3)
    w = parts.var(axis=-2, ddof=1).mean(axis=-2)
    b = half * parts.mean(axis=-2).var(axis=-2, ddof=1)
    var = (half - 1) / half * w + b / half
    return np.sqrt(var / np.where(w > 0, w, np.inf))


# --------------------------------------------------------------------------- a new country


def _grid_terms(
    s: SeriesStats, hyper: Hyper, idx: np.ndarray, weighted: dict[str, np.ndarray] | None = None
) -> np.ndarray:
    """For draws ``idx`` of one fit's population parameters and each grid value of ln sigma:
    ln p(sigma | population) + ln p(one-year increments | sigma, population), (a, b) integrated
    out (draws x grid). Written out for 2x2 matrices; the drift form pads b with a unit prior
    and no data, which changes nothing. Scaled shocks: ``sigma`` is the shock size at the
    reference size, the statistics are weighted per draw (:func:`weighted_stats`) and the
    Jacobian ``gamma sum x`` is added. ``weighted``: the statistics of each draw (each (draws,)),
    for a shock model whose statistics :func:`weighted_stats` does not make (the increments'
    count and the Jacobian stay those of ``s``)."""
    sig2 = np.exp(2 * LOG_SIGMA_GRID)[None, :]
    nu, s02 = hyper.nu[0, idx, None], hyper.s02[0, idx, None]
    log_prior = log_sigma_prior(sig2, nu, s02)
    mu, prec, logdet_cov = _prior_components(hyper, idx)
    damped = hyper.form == "damped"
    gamma = hyper.gamma_draws(idx)  # zeros for constant shocks
    jacobian = (gamma * sum(s.x))[:, None]
    if weighted is not None:
        w: dict[str, np.ndarray] = {k: v[:, None] for k, v in weighted.items()}
    elif hyper.gamma is None:
        w = _stat_arrays(s)
    else:
        w = {k: v[:, None] for k, v in weighted_stats(s, gamma).items()}
    pa = prec[0][:, None] + w["n"] / sig2
    pb = prec[1][:, None] - (w["sx"] / sig2 if damped else 0.0)
    pd = prec[2][:, None] + (w["sxx"] / sig2 if damped else 0.0)
    q0 = prec[0] * mu[0] + prec[1] * mu[1]
    q1 = prec[1] * mu[0] + prec[2] * mu[1]
    r0 = q0[:, None] + w["sg"] / sig2
    r1 = q1[:, None] - (w["sgx"] / sig2 if damped else 0.0)
    det = pa * pd - pb * pb
    m_rhs = (pd * r0 * r0 - 2 * pb * r0 * r1 + pa * r1 * r1) / det
    quad = w["sgg"] / sig2 + (mu[0] * q0 + mu[1] * q1)[:, None] - m_rhs
    log_lik = -0.5 * (s.n * np.log(2 * np.pi * sig2) + logdet_cov[:, None] + np.log(det) + quad)
    return log_prior + log_lik + jacobian


def log_sigma_prior(sig2, nu, s02):
    """ln density of ``ln sigma`` when ``sigma^2 ~ Scaled-Inv-chi^2(nu, s0^2)`` (the Jacobian is
    ``2 sigma^2``), at ``sig2`` = sigma^2 (arrays broadcast)."""
    half = nu / 2
    out = half * np.log(half * s02) - special.gammaln(half) - half * s02 / sig2 - half * np.log(sig2)
    out += np.log(2.0)
    return out


def _prior_components(hyper: Hyper, idx: np.ndarray):
    """(mu_a, mu_b), the prior precision's (00, 01, 11) and ln det of the covariance, for draws
    ``idx``; the drift form as a 2x2 with b's mean 0 and variance 1."""
    cov = hyper.cov[0, idx]
    if hyper.form == "drift":
        zero, one = np.zeros(len(idx)), np.ones(len(idx))
        return (hyper.mu[0, idx, 0], zero), (1.0 / cov[:, 0, 0], zero, one), np.log(cov[:, 0, 0])
    prec = inv_small(cov)
    mu = hyper.mu[0, idx]
    return (mu[:, 0], mu[:, 1]), (prec[:, 0, 0], prec[:, 0, 1], prec[:, 1, 1]), logdet_small(cov)


def log_predictive(s: SeriesStats, hyper: Hyper, *, weighted: dict[str, np.ndarray] | None = None) -> float:
    """ln p(one-year increments of a new series | the fit's population draws): the
    leave-one-country-out score of a country held out of that fit. ``weighted``: each draw's
    statistics, for another shock model (see :func:`_grid_terms`)."""
    idx = np.arange(hyper.mu.shape[1])
    logp = _grid_terms(s, hyper, idx, weighted)
    step = LOG_SIGMA_GRID[1] - LOG_SIGMA_GRID[0]
    per_draw = special.logsumexp(logp, axis=1) + np.log(step)
    return float(special.logsumexp(per_draw) - np.log(len(per_draw)))


@dataclass(frozen=True)
class CountryPosterior:
    """Draws of a new country's (a, b, sigma) in the panel's coordinates (``b`` is zero in the
    drift form), and the importance-sampling effective sample size of the gap weights."""

    a: np.ndarray
    b: np.ndarray
    sigma: np.ndarray
    ess: float
    gamma: np.ndarray | None = None
    """Scaled shocks: the panel's ``gamma`` of each draw (``sigma`` is then the shock size at the
    reference size); ``None`` for constant shocks."""

    def growth_at(self, y: float) -> np.ndarray:
        """Trend growth at size ``y = ln X - ln X_ref``: ``a - b y``."""
        return self.a - self.b * y

    def sigma_at(self, y: float) -> np.ndarray:
        """Shock size at size ``y``: ``sigma exp(-gamma y)`` (``sigma`` for constant shocks)."""
        return self.sigma if self.gamma is None else self.sigma * np.exp(-self.gamma * y)


@dataclass(frozen=True)
class Conditional:
    """Draws of a new country's ``(a, b, sigma)`` from its conditional posterior given population
    draws ``idx`` (normal shocks): ``ln sigma`` in grid cell ``cell`` (probabilities ``exp(logp)``
    normalised over the grid) jittered uniformly inside it, then ``theta = (a, b)`` from its normal
    given sigma, ``theta = mean + L^-T z`` with ``L L' = prec``. Its density at the draw is therefore
    exact: ``p(cell) / step * N(theta; mean, prec^-1)`` (:meth:`log_density`)."""

    idx: np.ndarray
    logp: np.ndarray
    cell: np.ndarray
    log_sigma: np.ndarray
    sig2: np.ndarray
    theta: np.ndarray
    z: np.ndarray
    prec: np.ndarray
    gamma: np.ndarray | None

    def log_density(self) -> np.ndarray:
        """ln of the draws' joint density in (a, b, ln sigma) (``(a,)`` in the drift form)."""
        log_cell = self.logp[np.arange(len(self.cell)), self.cell] - special.logsumexp(self.logp, axis=1)
        step = LOG_SIGMA_GRID[1] - LOG_SIGMA_GRID[0]
        p = self.theta.shape[-1]
        log_normal = -0.5 * (p * np.log(2 * np.pi) - logdet_small(self.prec) + np.sum(self.z**2, axis=-1))
        return log_cell - np.log(step) + log_normal


def conditional_draws(s: SeriesStats, hyper: Hyper, idx: np.ndarray, rng: np.random.Generator) -> Conditional:
    """One draw of ``(a, b, sigma)`` given the series ``s`` for each population draw ``idx`` of
    the first fit (see :class:`Conditional`); gap increments are not used."""
    n = len(idx)
    logp = _grid_terms(s, hyper, idx)
    j = grid_draw(rng, logp, np.arange(len(LOG_SIGMA_GRID)))
    step = LOG_SIGMA_GRID[1] - LOG_SIGMA_GRID[0]
    log_sigma = LOG_SIGMA_GRID[j] + step * (rng.random(n) - 0.5)
    sig2 = np.exp(2 * log_sigma)
    # (a, b) | sigma: normal, at the jittered sigma
    mu, prec = hyper.mu[0, idx], inv_small(hyper.cov[0, idx])
    gamma = None if hyper.gamma is None else hyper.gamma_draws(idx)
    xtx, xtg, _ = design(_stat_arrays(s) if gamma is None else weighted_stats(s, gamma), hyper.form)
    pp = prec + xtx / sig2[:, None, None]
    z = rng.standard_normal(mu.shape)
    theta = normal_from_precision(pp, matvec(prec, mu) + xtg / sig2[:, None], z)
    return Conditional(idx, logp, j, log_sigma, sig2, theta, z, pp, gamma)


def country_posterior(s: SeriesStats, hyper: Hyper, *, n: int, seed: int) -> CountryPosterior:
    """Draws of ``(a, b, sigma)`` given one fit's population draws and the series ``s``."""
    rng = np.random.default_rng(seed)
    draws = hyper.mu.shape[1]
    c = conditional_draws(s, hyper, np.arange(n) % draws, rng)
    theta, gamma = c.theta, c.gamma
    a = theta[:, 0]
    b = theta[:, 1] if theta.shape[1] > 1 else np.zeros(n)
    sigma = np.sqrt(c.sig2)
    logw = np.zeros(n)
    for h, y0, y1 in s.gaps:
        mean_h, var_h = ar_moments(a, b, sigma, y0, h, gamma=gamma)
        logw += -0.5 * (np.log(2 * np.pi * var_h) + (y1 - mean_h) ** 2 / var_h)
    if not s.gaps:
        return CountryPosterior(a, b, sigma, float(n), gamma)
    w = np.exp(logw - logw.max())
    ess = float(w.sum() ** 2 / (w @ w))
    keep = systematic_resample(w / w.sum(), rng)
    return CountryPosterior(a[keep], b[keep], sigma[keep], ess, None if gamma is None else gamma[keep])


def systematic_resample(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of a systematic resample of ``weights`` (summing to 1), as many as weights."""
    n = len(weights)
    positions = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(weights), positions), n - 1)


def ar_moments(a, b, sigma, y0, h: int, *, gamma=None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of ``y_{t+h}`` given ``y_t = y0`` under ``y' = y + a - b y + sigma e``:
    ``phi^h y0 + a sum_{j<h} phi^j`` and ``sigma^2 sum_{j<h} phi^{2j}``, ``phi = 1 - b``.

    Scaled shocks (``gamma``): each year's shock size is taken at the mean path's size,
    ``var_{j+1} = phi^2 var_j + sigma^2 exp(-2 gamma m_j)``, a linearisation that is exact at
    ``gamma = 0``.
    """
    if gamma is not None:
        return _scaled_ar_moments(a, b, sigma, y0, h, gamma)
    phi = 1.0 - np.asarray(b, dtype=float)
    s1 = np.zeros_like(phi)
    s2 = np.zeros_like(phi)
    power = np.ones_like(phi)
    for _ in range(h):
        s1 += power
        s2 += power**2
        power = power * phi
    return power * y0 + a * s1, sigma**2 * s2


def _scaled_ar_moments(a, b, sigma, y0, h: int, gamma) -> tuple[np.ndarray, np.ndarray]:
    phi = 1.0 - np.asarray(b, dtype=float)
    mean = np.full(np.broadcast_shapes(np.shape(a), phi.shape, np.shape(sigma)), float(y0))
    var = np.zeros_like(mean)
    for _ in range(h):
        var = phi**2 * var + sigma**2 * np.exp(-2.0 * gamma * mean)
        mean = mean + a - b * mean
    return mean, var


def predictive_draws(post: CountryPosterior, y0: float, horizons, *, seed: int) -> np.ndarray:
    """Draws of ``ln X - ln X_ref`` at each horizon (draws x horizons) from level ``y0``.

    Scaled shocks: paths simulated year by year (each shock's size set by the path's own size);
    constant shocks: the exact normal at each horizon."""
    rng = np.random.default_rng(seed)
    if post.gamma is not None:
        path, out = np.full(len(post.a), float(y0)), {}
        for h in range(1, max(int(h) for h in horizons) + 1):
            step = rng.standard_normal(len(post.a))
            path = path + post.a - post.b * path + post.sigma * np.exp(-post.gamma * path) * step
            out[h] = path
        return np.stack([out[int(h)] for h in horizons], axis=1)
    z = rng.standard_normal((len(post.a), len(horizons)))
    cols = []
    for i, h in enumerate(horizons):
        mean, var = ar_moments(post.a, post.b, post.sigma, y0, int(h))
        cols.append(mean + np.sqrt(var) * z[:, i])
    return np.stack(cols, axis=1)
