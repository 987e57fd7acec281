"""The fitted-parameter file: what ``python -m calibration fit`` writes and the engine reads.

The simulator never imports the fitting code; this schema is the whole contract between them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Final, Literal, TypeVar

import numpy as np
import numpy.random  # loaded before any run: see simulator/engine.py
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulator import resources
from simulator.errors import InputError

SCHEMA_VERSION: Final = 3
DEFAULT_PARAMS_PATH = resources.params_path()


class _Strict(BaseModel):
    """Unknown keys and non-finite numbers (``NaN``, ``Infinity``, ``1e400``) are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


_M = TypeVar("_M", bound=BaseModel)


class AnnualPoint(_Strict):
    fiscal_year: int
    value_musd: float


class Sample(_Strict):
    """The annual series the trend was fitted on (latest vintage of each full fiscal year)."""

    first_year: int
    base_year: int
    """The last full fiscal year: projections start the year after."""
    points: list[AnnualPoint]
    span: float
    """Years between the first and the last point."""


class DriftPosterior(_Strict):
    """Random walk with drift, Jeffreys prior: exact normal / scaled-inverse-chi-square posterior.

    ``sigma^2 ~ dof * scale2 / chi2(dof)``, ``alpha | sigma ~ N(alpha, sigma^2 / span)``
    (Gelman et al., Bayesian Data Analysis, 3rd ed., section 3.2).
    """

    kind: Literal["drift"] = "drift"
    alpha: float
    scale2: float
    dof: int
    span: float


class LaplacePosterior(_Strict):
    """Damped trend: normal approximation at the maximum likelihood for (alpha, beta, ln sigma)."""

    kind: Literal["laplace"] = "laplace"
    names: tuple[Literal["alpha"], Literal["beta"], Literal["log_sigma"]]
    mean: tuple[float, float, float]
    cov: tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]


class SamplePosterior(_Strict):
    """Draws from the posterior of (alpha, beta, ln sigma): Pakistan's trend given the peer panel
    and its own series (``calibration/peers.py``). ``alpha`` is the growth at the base year's size."""

    kind: Literal["samples"] = "samples"
    alpha: list[float]
    beta: list[float]
    log_sigma: list[float]
    """ln of the shock size at the base year's size."""
    shock_slope: list[float] | None = None
    """Scaled shocks: ``gamma``, the fall of ln shock size per log point of the core's size, so a
    year's shock has size ``exp(log_sigma - gamma (ln C_{t-1} - ln C_base))``; absent: constant."""

    @model_validator(mode="after")
    def _same_length(self) -> SamplePosterior:
        if not len(self.alpha) == len(self.beta) == len(self.log_sigma) >= 100:
            raise ValueError("alpha, beta and log_sigma need the same number of draws, at least 100")
        if self.shock_slope is not None and len(self.shock_slope) != len(self.alpha):
            raise ValueError("shock_slope needs as many draws as alpha")
        return self


Posterior = Annotated[DriftPosterior | LaplacePosterior | SamplePosterior, Field(discriminator="kind")]


def posterior_draws(
    post: DriftPosterior | LaplacePosterior | SamplePosterior, rng: np.random.Generator, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``n`` draws of (alpha, beta, sigma, shock slope) from a trend posterior.

    Drift: the exact normal / scaled-inverse-chi-square posterior; Laplace: the normal
    approximation, beta at least 0; samples: the stored draws, picked uniformly with replacement.
    The shock slope (``gamma``, :attr:`SamplePosterior.shock_slope`) is zero unless stored.
    """
    if isinstance(post, DriftPosterior):
        sigma = np.sqrt(post.dof * post.scale2 / rng.chisquare(post.dof, n))
        alpha = post.alpha + sigma / np.sqrt(post.span) * rng.standard_normal(n)
        return alpha, np.zeros(n), sigma, np.zeros(n)
    if isinstance(post, SamplePosterior):
        idx = rng.integers(0, len(post.alpha), n)
        return (
            np.asarray(post.alpha)[idx],
            np.asarray(post.beta)[idx],
            np.exp(np.asarray(post.log_sigma)[idx]),
            np.zeros(n) if post.shock_slope is None else np.asarray(post.shock_slope)[idx],
        )
    chol = np.linalg.cholesky(np.asarray(post.cov))
    x = np.asarray(post.mean)[None, :] + rng.standard_normal((n, 3)) @ chol.T
    return x[:, 0], np.maximum(x[:, 1], 0.0), np.exp(x[:, 2]), np.zeros(n)


def mean_shock_slope(post: DriftPosterior | LaplacePosterior | SamplePosterior) -> float:
    """The posterior mean of the shock slope (0 for constant shocks)."""
    slope = getattr(post, "shock_slope", None)
    return 0.0 if slope is None else float(np.mean(slope))


class Selection(_Strict):
    """Does growth slow as the sector grows? Likelihood-ratio test of beta = 0."""

    loglik_drift: float
    loglik_damped: float
    beta_hat: float
    lr_stat: float
    p_value: float
    threshold: float
    selected: Literal["drift", "damped"]


class Quantity(_Strict):
    """A posterior summary: mean and 90% interval."""

    name: str
    label: str
    mean: float
    p05: float
    p95: float


class FormScore(_Strict):
    """A form of the panel model and its leave-one-country-out log predictive density."""

    form: Literal["drift", "damped"]
    shocks: Literal["constant", "scaled"] = "constant"
    """Shock size constant per country, or scaled by its size (``sigma_c exp(-gamma y)``)."""
    elpd_loco: float
    """Sum over countries of ln p(country's increments | the other countries)."""
    diff_se: float
    """Standard error of the difference from the chosen form (0 for the chosen)."""
    chosen: bool = False


class PanelCountry(_Strict):
    iso3: str
    country: str
    first_year: int
    last_year: int
    increments: int
    """One-year increments the fit used (steps across a gap are left out)."""


class PanelFit(_Strict):
    """The peer panel behind Pakistan's posterior: what was fitted, on what, and how well it mixed."""

    peers_sha256: str
    reference_musd: float
    """Size (US$ m) at which a country's growth ``a`` is measured; ``y = ln X - ln reference``."""
    panel_until: int | None
    """Last calendar year of peer data used (set when fitted with ``--until``)."""
    form: Literal["drift", "damped"]
    shocks: Literal["constant", "scaled"] = "constant"
    selection: list[FormScore]
    countries: list[PanelCountry]
    population: list[Quantity]
    """The population parameters: growth at the reference size, slowdown, their spreads, shocks."""
    pakistan: list[Quantity]
    """Pakistan's posterior: growth at its base-year size, slowdown, shock size."""
    pakistan_y_base: float
    """Pakistan's core in the base year on the panel's scale, ``ln C_b - ln reference``."""
    priors: list[str]
    sampler: dict[str, int]
    rhat_max: float
    """Largest split R-hat of the population parameters (1.01 or less: the chains agree)."""
    gap_ess: float
    """Effective sample size of the importance weights for Pakistan's FY2010-FY2016 gap."""


class Trend(_Strict):
    model: Literal["drift", "damped"]
    alpha: float
    alpha_se: float
    beta: float
    sigma: float
    posterior: Posterior
    selection: Selection | None
    """The likelihood-ratio test of the Pakistan-only fit; ``None`` for the panel model."""
    panel: PanelFit | None = None


class NowcastFigure(_Strict):
    """One year-to-date figure of the incomplete year, as the nowcast uses it."""

    months: int
    """Fiscal months it covers, from July (1 = July, 8 = July-February)."""
    ytd_musd: float
    log_share: float
    """Typical ln share of the full year reported by the end of these months."""
    weight: float
    """Its weight in the implied ln full year (the weights add up to one)."""


class NowcastStep(_Strict):
    """The nowcast from the figures through fiscal month ``months`` only: how the band narrowed."""

    months: int
    log_mean: float
    log_sd: float


class Nowcast(_Strict):
    """What the year-to-date figures of the incomplete year say about its total (log scale).

    ``log_mean = sum_m w_m (ln YTD_m - mu_m) + r``: every figure of the year, weighted by the
    covariance of the log cumulative shares across months (generalised least squares), plus the
    mean revision ``r`` of first prints to latest vintages (year-to-date and full year).
    ``log_sd`` adds the spread of those revisions to the estimate's variance.
    """

    fiscal_year: int
    months: int
    """The last fiscal month with a figure."""
    ytd_musd: float
    """The figure through that month."""
    figures: list[NowcastFigure]
    log_mean: float
    """ln of the implied full-year figure (latest vintage)."""
    log_sd: float
    by_month: list[NowcastStep]
    """The nowcast from the figures through each month with one; ``log_sd`` never increases."""


class SeasonalShare(_Strict):
    months: int
    share_mean: float
    """exp of the mean ln share of the full year reported by the end of fiscal month ``months``."""
    share_sd: float
    """Standard deviation of that ln share across years (the model's, not the sample's)."""
    n_years: int
    """Complete years with a figure through this month."""
    nowcast_log_sd: float
    """The nowcast's ``log_sd`` once every month through this one is known (first prints)."""


class ShareObservation(_Strict):
    """One complete year's year-to-date figure and the full year of the same vintage."""

    fiscal_year: int
    months: int
    ytd_musd: float
    full_year_musd: float
    full_year_published: str | None


class Seasonality(_Strict):
    """Log cumulative shares of the full year, all months jointly (``calibration/nowcast.py``).

    The ln share through month ``m`` is ``mu_m + e_m``, ``mu_m = ln(p_1 + ... + p_m)`` with
    ``p`` the typical monthly flows; ``e`` is normal with covariance
    ``level_sd^2 L L' + figure_sd^2 I``: the level of monthly exports wandering from the
    seasonal path as a random walk from July, and each figure's own noise.
    """

    n_years: int
    monthly_flows: list[float]
    """Typical share of each fiscal month, July to June (adds up to one)."""
    level_sd: float
    """Spread of a month's lasting step in the level of monthly exports, ln points."""
    figure_sd: float
    """Each figure's own noise (rounding, the source's compilation), ln points."""
    shares: list[SeasonalShare]
    observations: list[ShareObservation]


class RevisionStats(_Strict):
    n_pairs: int
    log_mean: float
    log_sd: float


class Revisions(_Strict):
    """Latest over first print (ln), over every period with two or more dated vintages."""

    year_to_date: RevisionStats
    """Year-to-date and monthly figures."""
    full_year: RevisionStats
    """Full fiscal years. The nowcast adds both (their means, and their variances)."""


class InSample(_Strict):
    fiscal_year: int
    actual: float
    predicted: float
    error_pct: float
    years_ahead: int


class FittedParams(_Strict):
    schema_version: Literal[3]
    package_version: str
    data_sha256: str
    data_until: int | None
    """Set when fitted with ``--until``: the engine then sees the data only up to that year."""
    sample: Sample
    central_assumptions: dict[str, float]
    trend: Trend
    nowcast: Nowcast | None
    seasonality: Seasonality | None
    revisions: Revisions
    in_sample: list[InSample]
    notes: list[str]

    def sha256(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def load_params(path: str | Path | None = None) -> FittedParams:
    """Read and validate the fitted-parameter file."""
    return read_fit_file(
        Path(path) if path is not None else DEFAULT_PARAMS_PATH, FittedParams, "fitted-parameter file"
    )


def read_fit_file(p: Path, model: type[_M], what: str) -> _M:
    """Read and validate a JSON file that ``python -m calibration fit`` writes (``what`` names it
    in the errors): every problem is an :class:`InputError` that says to re-run the fit."""
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} not found; run `python -m calibration fit` to create it", file=p) from None
    except IsADirectoryError:
        raise InputError(f"is a folder, not the {what} (a .json file)", file=p) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read the {what}: {reason}", file=p) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"is not valid JSON: {exc.msg}", file=p, line=exc.lineno) from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"])
        raise InputError(
            f"{err['msg']}; re-run `python -m calibration fit`", file=p, field=field, show_value=False
        ) from None


def dump_params(params: FittedParams) -> str:
    """The file's text: stable key order and formatting, so a re-fit on the same data is byte-identical.

    Strict JSON: a non-finite number raises ``ValueError`` instead of writing ``NaN``/``Infinity``.
    """
    return json.dumps(params.model_dump(mode="json"), indent=2, sort_keys=False, allow_nan=False) + "\n"
