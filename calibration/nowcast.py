"""Seasonality of the year-to-date figures, revisions of first prints, and the nowcast of the
incomplete fiscal year.

Consistent vintages
-------------------
A complete year's *share* through fiscal month ``m`` is its year-to-date figure divided by the
full year **of the same vintage**: the full-year figure that was current when the year-to-date
figure was published, or the full year's first print when the year-to-date figure came out
before it (the usual case: a figure released during the year). Publication dates are those of
:func:`simulator.data.known_dates` (an undated figure takes its page's date). Dividing an early
print by a later revision would mix vintages: FY2019's year-to-date figures were printed before
its full year was revised up by 9% (1,090 to 1,192) and would look 9% too small. A year-to-date
figure that is not below the full year of its vintage cannot be on that vintage (FY2019
July-May, 1,098.8 against 1,090): it is left out, and the fit's notes say so.

The incomplete year's figures, first prints, divided by these shares give its full year on
their own vintage. The model, the targets and the backtest all use latest vintages, so the
nowcast adds two revisions, each with its mean and spread over the periods with two or more
dated prints (:func:`revision_term`): a year-to-date first print's to its latest vintage, and a
full year's first print's to its latest.

Cumulative figures are the latest vintage of each year-to-date period; where there is none, the
previous month's cumulative figure plus the single month (from July, month by month).

The months jointly
------------------
The ln shares of a year, ``x_m = ln(YTD_m / R)`` for ``m = 1..11``, are multivariate normal,
``x = mu + e``. The mean is ``mu_m = ln(p_1 + ... + p_m)`` with ``p`` the typical monthly flows
(a softmax of eleven free parameters, so the shares rise with ``m``; weakly informative prior
:data:`FLOW_PRIOR_SD` on each month's ln flow relative to June's). The covariance comes from a
model of the monthly flows, linearised around ``p``:

* the level of a year's monthly exports wanders away from its typical seasonal path as a random
  walk from July, with monthly steps of spread ``kappa``: a change in some month persists for
  the rest of the year. A step in month
  ``i`` moves the ln share through month ``m`` by ``L_mi = sum_{j >= i} A_mj`` with
  ``A_mj = p_j [j <= m] / P_m - p_j`` (``P_m = p_1 + ... + p_m``);
* each figure carries its own noise with spread ``eta`` (rounding, a source's compilation), at
  least :data:`SD_BOUNDS`'s lower end, about the rounding of a figure printed to three or four
  digits.

``Sigma = kappa^2 L L' + eta^2 I``, fitted with the flows by maximum a posteriori over the
complete years, each contributing the months it has (the normal marginal of the observed ones).
The uncertainty of ``mu`` is its generalised-least-squares covariance given ``Sigma``:
``V = J (sum_y J_y' Sigma_y^-1 J_y + I / FLOW_PRIOR_SD^2)^-1 J'`` with ``J = dmu/dtheta``
(which equals the first eleven columns of ``A``).

Priors: the boundary-avoiding gamma(2, 0) density on each spread (:func:`neg_log_posterior`);
and at least :data:`MIN_YEARS` complete years.

Why this covariance: it was preferred to three others fitted the same way (independent monthly
noise; a growth pace within the year, ``b = A t``; the growth pace with the random walk) on the
nowcasts each would have made at every month's end from the figures published then
(:func:`calibration.backtest.nowcast_backtest`): fitted on the few complete years of the early
vintages, the growth-pace form put all the variance on one direction and extrapolated far
outside its band; the random walk, with one spread and the figure noise, stayed calibrated.

The nowcast of the incomplete year with figures in months ``O``: ``ln YTD_m = L + mu_m + e_m``;
with ``T = Sigma + V`` restricted to ``O``, the generalised least-squares estimate is
``L = w'(ln YTD - mu)``, ``w = T^-1 1 / (1' T^-1 1)``, variance ``1 / (1' T^-1 1)``. Adding a
month never lowers ``1' T^-1 1`` (the information of a normal sample cannot fall when a
component is added), so the band narrows, or stays, as months arrive.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import linalg, optimize

from simulator.data import (
    Dataset,
    Observation,
    known_dates,
    latest_vintages,
    revision_pairs,
    vintage_key,
)
from simulator.params import (
    Nowcast,
    NowcastFigure,
    NowcastStep,
    Revisions,
    RevisionStats,
    Seasonality,
    SeasonalShare,
    ShareObservation,
)

MONTHS = 11
"""Fiscal months that leave a year incomplete (July to May)."""
MIN_YEARS = 5
"""Complete years with year-to-date figures the seasonal model needs: as many as the backtest
asks of the trend (``MIN_DOF + 2`` points). With fewer, the spread across years is a guess (the
earliest vintages, three years, put it at half a percent)."""
FLOW_PRIOR_SD = 1.0
"""Prior spread of a month's ln flow relative to June's (a factor of e): it only matters for a
month no complete year has a figure for."""
SD_BOUNDS = (1e-3, 1.0)
Z80 = 1.2815515655446004
"""Standard-normal 0.9 quantile: an 80% interval is the log mean plus or minus ``Z80`` sd."""
MONTH_NAMES = ["Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May", "Jun"]


def period_label(fiscal_year: int, months: int) -> str:
    """``Jul FY2026`` or ``Jul-Feb FY2026``."""
    span = "Jul" if months == 1 else f"Jul-{MONTH_NAMES[months - 1]}"
    return f"{span} FY{fiscal_year}"


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Cumulative:
    """Exports from July through fiscal month ``months``, with the day it was known."""

    fiscal_year: int
    months: int
    value_musd: float
    known: date


def cumulative_figures(observations: Iterable[Observation]) -> dict[int, dict[int, Cumulative]]:
    """Cumulative exports by fiscal year and month: the latest vintage of each year-to-date
    period; where there is none, the previous month's cumulative figure plus the single month."""
    obs = list(observations)
    known = {id(o): k for o, k in zip(obs, known_dates(obs), strict=True)}
    prints: dict[int, dict[int, Cumulative]] = {}
    singles: dict[int, dict[int, Cumulative]] = {}
    for o in latest_vintages(obs).values():
        if o.is_year_to_date:
            target, m = prints, o.months
        elif o.period_start == o.period_end:
            target, m = singles, o.period_end.fiscal_month
        else:
            continue
        target.setdefault(o.fiscal_year, {})[m] = Cumulative(o.fiscal_year, m, o.value_musd, known[id(o)])
    out: dict[int, dict[int, Cumulative]] = {}
    for fy in set(prints) | set(singles):
        ps, ms, cum = prints.get(fy, {}), singles.get(fy, {}), {}
        for m in range(1, 13):
            if m in ps:
                cum[m] = ps[m]
            elif m in ms and (m == 1 or m - 1 in cum):
                before = cum[m - 1] if m > 1 else Cumulative(fy, 0, 0.0, date.min)
                cum[m] = Cumulative(
                    fy, m, before.value_musd + ms[m].value_musd, max(before.known, ms[m].known)
                )
        out[fy] = cum
    return out


def share_observations(data: Dataset, base_year: int) -> tuple[list[ShareObservation], list[str]]:
    """Each complete year's cumulative figures over the full year of the same vintage (module
    docstring); the notes name the figures left out."""
    obs = list(data.observations)
    known = {id(o): k for o, k in zip(obs, known_dates(obs), strict=True)}
    full: dict[int, list[Observation]] = {}
    for o in obs:
        if o.is_full_year and o.is_value and o.fiscal_year <= base_year:
            full.setdefault(o.fiscal_year, []).append(o)
    out, notes = [], []
    for fy, cum in sorted(cumulative_figures(obs).items()):
        if fy not in full:
            continue
        first = min(full[fy], key=lambda o: (known[id(o)], vintage_key(o)))
        for m, c in sorted(cum.items()):
            if m > MONTHS:
                continue
            current = [o for o in full[fy] if known[id(o)] <= c.known]
            f = max(current, key=vintage_key) if current else first
            if c.value_musd >= f.value_musd:
                notes.append(
                    f"{period_label(fy, m)} (US$ {c.value_musd:,.1f}m, known {c.known}) is not below the "
                    f"full year current then (US$ {f.value_musd:,.1f}m): it cannot be on that vintage, "
                    "so its seasonal share is left out."
                )
                continue
            out.append(
                ShareObservation(
                    fiscal_year=fy,
                    months=m,
                    ytd_musd=c.value_musd,
                    full_year_musd=f.value_musd,
                    full_year_published=str(f.published) if f.published is not None else None,
                )
            )
    return out, notes


# --------------------------------------------------------------------------- the model


def flows(theta: np.ndarray) -> np.ndarray:
    """Monthly flows, July to June, from eleven ln ratios to June's (softmax)."""
    z = np.append(theta, 0.0)
    e = np.exp(z - z.max())
    return e / e.sum()


def design(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mu, A, L) for monthly flows ``p``: the mean ln shares, the map from single months' ln
    flows to ln shares, and the ln shares' response to a lasting step in each month's level
    (module docstring)."""
    cum = np.cumsum(p)[:MONTHS]
    through = np.tri(MONTHS, 12, dtype=float)  # [j <= m]
    a = through * p[None, :] / cum[:, None] - p[None, :]
    return np.log(cum), a, a @ np.tri(12)


def covariance(steps: np.ndarray, level_sd: float, figure_sd: float) -> np.ndarray:
    """Covariance of the ln shares across years (module docstring)."""
    return level_sd**2 * steps @ steps.T + figure_sd**2 * np.eye(len(steps))


@dataclass(frozen=True)
class SeasonalModel:
    theta: np.ndarray
    level_sd: float
    figure_sd: float
    theta_cov: np.ndarray

    @property
    def flows(self) -> np.ndarray:
        return flows(self.theta)

    def moments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mu, Sigma, V): mean ln shares, their covariance across years, and the covariance of
        the estimate of mu."""
        mu, a, steps = design(self.flows)
        sigma = covariance(steps, self.level_sd, self.figure_sd)
        j = a[:, :MONTHS]
        return mu, sigma, j @ self.theta_cov @ j.T

    def full_year(self, months: np.ndarray, log_ytd: np.ndarray) -> tuple[float, float, np.ndarray]:
        """(ln full year, its variance, the weights) from ln cumulative figures at ``months``."""
        mu, sigma, v = self.moments()
        idx = np.asarray(months) - 1
        t = (sigma + v)[np.ix_(idx, idx)]
        c = linalg.cho_factor(t)
        tinv1 = linalg.cho_solve(c, np.ones(len(idx)))
        info = float(tinv1.sum())
        w = tinv1 / info
        return float(w @ (np.asarray(log_ytd) - mu[idx])), 1.0 / info, w


def _design_derivatives(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d A / d theta_k and d L / d theta_k, shapes (11, 12, 11) and (11, 12, 11)."""
    dp = p[:, None] * (np.eye(12)[:, :MONTHS] - p[None, :MONTHS])  # (j, k)
    cum = np.cumsum(p)[:MONTHS]
    dcum = np.cumsum(dp, axis=0)[:MONTHS]  # (m, k)
    through = np.tri(MONTHS, 12, dtype=float)[:, :, None]
    da = (
        through
        * (
            dp[None, :, :] / cum[:, None, None]
            - p[None, :, None] * dcum[:, None, :] / cum[:, None, None] ** 2
        )
        - dp[None, :, :]
    )
    return da, np.einsum("mjk,ji->mik", da, np.tri(12))


def neg_log_posterior(v: np.ndarray, rows: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, np.ndarray]:
    """Minus the log posterior of ``v = (theta, ln level_sd, ln figure_sd)`` and its gradient.

    Priors: ``theta_k ~ N(0, FLOW_PRIOR_SD^2)``; each standard deviation the boundary-avoiding
    gamma(2, 0) density (proportional to the sd; Chung, Rabe-Hesketh, Dorie, Gelman and Liu,
    Psychometrika 78, 2013), which keeps the estimate off zero when few years are complete and
    changes little when many are. For one year with residual ``r`` and covariance ``S`` on its
    observed months, ``d ln N = a' d mu + tr((a a' - S^-1) dS) / 2`` with ``a = S^-1 r``.
    """
    theta, sds = v[:MONTHS], np.exp(v[MONTHS:])
    p = flows(theta)
    mu, a, steps = design(p)
    sigma = covariance(steps, *sds)
    value = 0.5 * float(theta @ theta) / FLOW_PRIOR_SD**2 - float(np.log(sds).sum())
    g_mu = np.zeros(MONTHS)
    g_cov = np.zeros((MONTHS, MONTHS))
    for idx, x in rows:
        s = sigma[np.ix_(idx, idx)]
        c = linalg.cho_factor(s, lower=True)
        alpha = linalg.cho_solve(c, x - mu[idx])
        value += 0.5 * float((x - mu[idx]) @ alpha) + float(np.log(np.diag(c[0])).sum())
        value += 0.5 * len(idx) * np.log(2 * np.pi)
        g_mu[idx] += alpha
        g_cov[np.ix_(idx, idx)] += np.outer(alpha, alpha) - linalg.cho_solve(c, np.eye(len(idx)))
    _, dsteps = _design_derivatives(p)
    ll = steps @ steps.T
    dsigma = sds[0] ** 2 * (np.einsum("mik,ni->mnk", dsteps, steps) + np.einsum("mi,nik->mnk", steps, dsteps))
    grad = np.empty_like(v)
    grad[:MONTHS] = theta / FLOW_PRIOR_SD**2 - (
        a[:, :MONTHS].T @ g_mu + 0.5 * np.einsum("mn,mnk->k", g_cov, dsigma)
    )
    grad[MONTHS] = -float(np.sum(g_cov * ll)) * sds[0] ** 2 - 1.0
    grad[MONTHS + 1] = -float(np.trace(g_cov)) * sds[1] ** 2 - 1.0
    return value, grad


@functools.lru_cache(maxsize=16)
def fit_seasonal(points: tuple[ShareObservation, ...]) -> SeasonalModel:
    """Flows and covariance of the ln shares by maximum a posteriori (module docstring).

    Cached (a few entries): views of the data at successive dates often share their complete
    years, and the fit is the costly part of a nowcast.
    """
    years: dict[int, list[ShareObservation]] = {}
    for p in points:
        years.setdefault(p.fiscal_year, []).append(p)
    rows = [
        (
            np.array([p.months - 1 for p in ps]),
            np.log(np.array([p.ytd_musd / p.full_year_musd for p in ps])),
        )
        for ps in years.values()
    ]
    lo, hi = np.log(SD_BOUNDS)
    runs = [
        optimize.minimize(
            neg_log_posterior,
            np.concatenate([np.zeros(MONTHS), np.log(start)]),
            args=(rows,),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-8.0, 8.0)] * MONTHS + [(lo, hi)] * 2,
        )
        for start in ((0.05, 0.005), (0.01, 0.05))
    ]
    best = min(runs, key=lambda r: r.fun)  # the first on a tie, as before
    theta = best.x[:MONTHS]
    kappa, eta = (float(x) for x in np.exp(best.x[MONTHS:]))
    _, a, steps = design(flows(theta))
    sigma = covariance(steps, kappa, eta)
    j = a[:, :MONTHS]
    info = np.eye(MONTHS) / FLOW_PRIOR_SD**2
    for idx, _ in rows:
        ji = j[idx]
        info += ji.T @ np.linalg.solve(sigma[np.ix_(idx, idx)], ji)
    return SeasonalModel(theta=theta, level_sd=kappa, figure_sd=eta, theta_cov=np.linalg.inv(info))


# --------------------------------------------------------------------------- revisions


def revision_stats(pairs: Iterable[tuple[Observation, Observation]]) -> RevisionStats:
    """Mean and spread of ln(latest / first print)."""
    r = np.array([np.log(b.value_musd / a.value_musd) for a, b in pairs])
    if len(r) < 2:
        return RevisionStats(n_pairs=len(r), log_mean=0.0, log_sd=0.0)
    return RevisionStats(n_pairs=len(r), log_mean=float(r.mean()), log_sd=float(r.std(ddof=1)))


def revisions(data: Dataset) -> Revisions:
    pairs = revision_pairs(data.observations)
    return Revisions(
        year_to_date=revision_stats((a, b) for a, b in pairs if not a.is_full_year),
        full_year=revision_stats((a, b) for a, b in pairs if a.is_full_year),
    )


# --------------------------------------------------------------------------- the nowcast


@dataclass(frozen=True)
class NowcastFit:
    """What the fit records about the incomplete year: its parameters and notes."""

    seasonality: Seasonality | None
    revisions: Revisions
    nowcast: Nowcast | None
    notes: list[str]


def estimate_nowcast(data: Dataset, base_year: int) -> NowcastFit:
    """Seasonality, revisions and the nowcast of the year after ``base_year``."""
    rev = revisions(data)
    points, notes = share_observations(data, base_year)
    n_years = len({p.fiscal_year for p in points})
    year = base_year + 1
    current = {m: c for m, c in cumulative_figures(data.observations).get(year, {}).items() if m <= MONTHS}
    if n_years < MIN_YEARS:
        notes.append(
            f"Only {n_years} complete years have year-to-date figures (the seasonal model needs "
            f"{MIN_YEARS}): no seasonality is estimated"
            + (f" and FY{year}'s figures are not used." if current else ".")
        )
        return NowcastFit(None, rev, None, notes)
    model = fit_seasonal(tuple(points))
    revision = revision_term(rev)
    seasonality = _seasonality(model, points, revision)
    for kind, r in (("year-to-date or monthly figures", rev.year_to_date), ("full years", rev.full_year)):
        if r.n_pairs < 2:
            notes.append(
                f"Fewer than two {kind} have a revised print: the nowcast adds no revision of theirs."
            )
    if not current:
        notes.append(f"No year-to-date figures for FY{year}: its projection uses the model alone.")
        return NowcastFit(seasonality, rev, None, notes)
    nowcast = _nowcast(model, year, current, revision)
    last = current[nowcast.months]
    notes.append(
        f"FY{year} nowcast from {len(current)} year-to-date figures through "
        f"{period_label(year, nowcast.months)} (US$ {last.value_musd:,.0f}m): implied full year "
        f"US$ {np.exp(nowcast.log_mean):,.0f}m (x/÷ {np.exp(nowcast.log_sd):.3f}); the projection of "
        f"FY{year} is conditioned on it."
    )
    return NowcastFit(seasonality, rev, nowcast, notes)


def revision_term(rev: Revisions) -> tuple[float, float]:
    """(mean, variance) of ln(latest full year / the full year the incomplete year's figures imply).

    Two revisions, taken as independent: the year-to-date first prints' own (FY2020's July-December
    went from 653 to 684 before its full year was printed) and the full year's first print's
    (FY2019: 1,090 to 1,192).
    """
    ytd, full = rev.year_to_date, rev.full_year
    return ytd.log_mean + full.log_mean, ytd.log_sd**2 + full.log_sd**2


def _seasonality(
    model: SeasonalModel, points: list[ShareObservation], rev: tuple[float, float]
) -> Seasonality:
    mu, sigma, _ = model.moments()
    shares = []
    for m in range(1, MONTHS + 1):
        months = np.arange(1, m + 1)
        _, var, _ = model.full_year(months, mu[:m])
        shares.append(
            SeasonalShare(
                months=m,
                share_mean=float(np.exp(mu[m - 1])),
                share_sd=float(np.sqrt(sigma[m - 1, m - 1])),
                n_years=len({p.fiscal_year for p in points if p.months == m}),
                nowcast_log_sd=float(np.sqrt(var + rev[1])),
            )
        )
    return Seasonality(
        n_years=len({p.fiscal_year for p in points}),
        monthly_flows=[float(x) for x in model.flows],
        level_sd=model.level_sd,
        figure_sd=model.figure_sd,
        shares=shares,
        observations=points,
    )


def _nowcast(
    model: SeasonalModel, year: int, current: dict[int, Cumulative], rev: tuple[float, float]
) -> Nowcast:
    months = np.array(sorted(current))
    log_ytd = np.log([current[m].value_musd for m in months])
    mu, _, _ = model.moments()
    steps = []
    for k in range(1, len(months) + 1):
        mean, var, w = model.full_year(months[:k], log_ytd[:k])
        steps.append(
            NowcastStep(
                months=int(months[k - 1]),
                log_mean=mean + rev[0],
                log_sd=float(np.sqrt(var + rev[1])),
            )
        )
    last = int(months[-1])
    return Nowcast(
        fiscal_year=year,
        months=last,
        ytd_musd=current[last].value_musd,
        figures=[
            NowcastFigure(
                months=int(m), ytd_musd=current[m].value_musd, log_share=float(mu[m - 1]), weight=float(x)
            )
            for m, x in zip(months, w, strict=True)
        ],
        log_mean=steps[-1].log_mean,
        log_sd=steps[-1].log_sd,
        by_month=steps,
    )
