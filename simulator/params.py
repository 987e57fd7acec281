"""The fitted-parameter file: what ``python -m calibration fit`` writes and the engine reads.

The simulator never imports the fitting code; this schema is the whole contract between them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.errors import InputError

SCHEMA_VERSION = 1
DEFAULT_PARAMS_PATH = Path(__file__).resolve().parent.parent / "calibration" / "fitted_params.json"


class _Strict(BaseModel):
    """Unknown keys and non-finite numbers (``NaN``, ``Infinity``, ``1e400``) are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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


class Selection(_Strict):
    """Does growth slow as the sector grows? Likelihood-ratio test of beta = 0."""

    loglik_drift: float
    loglik_damped: float
    beta_hat: float
    lr_stat: float
    p_value: float
    threshold: float
    selected: Literal["drift", "damped"]


class Trend(_Strict):
    model: Literal["drift", "damped"]
    alpha: float
    alpha_se: float
    beta: float
    sigma: float
    posterior: Annotated[DriftPosterior | LaplacePosterior, Field(discriminator="kind")]
    selection: Selection


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
    schema_version: Literal[1]
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
    p = Path(path) if path is not None else DEFAULT_PARAMS_PATH
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            "fitted-parameter file not found; run `python -m calibration fit` to create it", file=p
        ) from None
    except IsADirectoryError:
        raise InputError("is a folder, not the fitted-parameter file (a .json file)", file=p) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read the fitted-parameter file: {reason}", file=p) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"is not valid JSON: {exc.msg}", file=p, line=exc.lineno) from None
    try:
        return FittedParams.model_validate(raw)
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
