r"""Sensitivity: which uncertain assumptions matter most for the odds of each target.

The output studied is, for each goal (amount and deadline),

.. math:: Y(\theta) = P(\text{reported exports reach the amount in some year up to the deadline} \mid \theta),

the share of a fixed set of ``shocks`` yearly shock paths (common random numbers: the same paths
for every :math:`\theta`) on which the scenario reaches the goal. :math:`\theta` holds the
uncertain inputs:

* every effect-size assumption of :data:`simulator.levers.ASSUMPTIONS`, distributed as the engine
  samples it: triangular on the scenario's (low, central, high);
* **trend growth**: the calibrated trend's posterior for its drift (Student-t for the random walk
  with drift, normal for the damped trend), over its central 99%;
* **shock size**: the posterior for the size of yearly shocks (scaled inverse chi-square for the
  random walk, log-normal for the damped trend), over its central 99%.

The two trend quantities are treated as independent, each with its marginal posterior (Sobol
indices need independent inputs; in the posterior the drift's spread grows with the shock size).
An assumption that the scenario fixes (low = high) is not uncertain and is left out. Each input is
sampled on the unit interval and mapped through its inverse distribution function, which gives
the same indices as sampling the distribution directly.

**Tornado** (:func:`tornado`): one input at a time at its low and its high value (the triangle's
ends; the posterior's 5th and 95th percentiles for the trend quantities), every other input at
its central value (the triangle's mode; the posterior median).

**Sobol indices** (:func:`sobol`): first-order (the share of the variance of :math:`Y` explained
by one input alone) and total (including its interactions), estimated with SALib: Saltelli's
sampling of a scrambled Sobol' sequence (``SALib.sample.sobol``, ``N (D + 2)`` runs for ``D``
inputs) and the Jansen / Saltelli (2010) estimators with bootstrap confidence intervals
(``SALib.analyze.sobol``). Saltelli, A. et al. (2010). Variance based sensitivity analysis of
model output. Computer Physics Communications 181, 259-270.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample
from scipy import stats

from simulator.analysis.goals import Goal
from simulator.engine import Engine, triangular_ppf
from simulator.errors import InputError
from simulator.levers import ASSUMPTIONS
from simulator.params import DriftPosterior, SamplePosterior
from simulator.scenario import Scenario, assumption_triples

DEFAULT_N = 1024
"""Base sample of the Sobol design (a power of two): ``N (D + 2)`` model runs."""
DEFAULT_SHOCKS = 2000
"""Shock paths each run's probability is averaged over."""
TAIL = 0.005
"""The trend quantities are sampled over their posterior's central ``1 - 2 TAIL``."""
TORNADO_QUANTILES = (0.05, 0.95)
MAX_BATCH_DRAWS = 250_000
"""Draw-paths projected at once (memory: about 100 bytes per draw-path and year)."""


@dataclass(frozen=True)
class Input:
    """An uncertain input: sampled as ``u`` on ``[u_low, u_high]`` and mapped to its value by ``ppf``."""

    name: str
    label: str
    unit: str
    ppf: Callable[[np.ndarray], np.ndarray]
    u_low: float = 0.0
    u_high: float = 1.0
    tornado_u: tuple[float, float, float] = (0.0, 0.5, 1.0)
    """(low, central, high) for the tornado, as ``u``."""
    central_value: float | None = None
    """The value held when other inputs move (default ``ppf(tornado_u[1])``)."""
    show: Callable[[float], str] | None = None
    """How to write a value for people (default: the number and the unit)."""

    def value(self, u: float) -> float:
        return float(self.ppf(np.array([u]))[0])

    def text(self, value: float) -> str:
        return self.show(value) if self.show is not None else f"{value:g} {self.unit}"

    @property
    def central(self) -> float:
        return self.central_value if self.central_value is not None else self.value(self.tornado_u[1])


def _triangle_input(name: str, label: str, unit: str, low: float, mode: float, high: float) -> Input:
    cut = (mode - low) / (high - low)
    return Input(
        name=name,
        label=label,
        unit=unit,
        ppf=lambda u: triangular_ppf(np.asarray(u, float), low, mode, high),
        tornado_u=(0.0, cut, 1.0),
        central_value=mode,
    )


def uncertain_inputs(engine: Engine, scenario: Scenario) -> tuple[list[Input], list[str]]:
    """The inputs of the analysis for ``scenario``, and the assumptions it fixes (left out)."""
    triples = assumption_triples(scenario)
    inputs: list[Input] = []
    fixed: list[str] = []
    for a in ASSUMPTIONS:
        low, mode, high = triples[a.name]
        if high <= low:
            fixed.append(a.name)
            continue
        inputs.append(_triangle_input(a.name, a.label, a.unit, low, mode, high))
    inputs.extend(_trend_inputs(engine))
    return inputs, fixed


def _trend_inputs(engine: Engine) -> list[Input]:
    post = engine.params.trend.posterior
    q = (TORNADO_QUANTILES[0], 0.5, TORNADO_QUANTILES[1])
    if isinstance(post, DriftPosterior):
        scale = np.sqrt(post.scale2 / post.span)
        alpha = lambda u: post.alpha + scale * stats.t.ppf(u, post.dof)  # noqa: E731
        sigma = lambda u: np.sqrt(post.dof * post.scale2 / stats.chi2.ppf(1.0 - np.asarray(u), post.dof))  # noqa: E731
    elif isinstance(post, SamplePosterior):  # the panel model's draws: their quantiles
        alpha = lambda u: np.quantile(post.alpha, u)  # noqa: E731
        sigma = lambda u: np.exp(np.quantile(post.log_sigma, u))  # noqa: E731
    else:
        mean, cov = np.asarray(post.mean), np.asarray(post.cov)
        alpha = lambda u: mean[0] + np.sqrt(cov[0, 0]) * stats.norm.ppf(u)  # noqa: E731
        sigma = lambda u: np.exp(mean[2] + np.sqrt(cov[2, 2]) * stats.norm.ppf(u))  # noqa: E731
    common: dict[str, Any] = {"u_low": TAIL, "u_high": 1.0 - TAIL, "tornado_u": q}
    return [
        Input(
            "trend.growth",
            "Trend growth of the core (posterior)",
            "log points a year",
            alpha,
            show=lambda v: f"{np.expm1(v) * 100:.1f}% a year",
            **common,
        ),
        Input(
            "trend.shock_size",
            "Size of yearly shocks (posterior)",
            "log points",
            sigma,
            show=lambda v: f"{v:.3f} (sd of log growth)",
            **common,
        ),
    ]


def trend_beta(engine: Engine) -> float:
    """The slowdown held fixed: 0 for the random walk, the posterior mean (at least 0) if damped."""
    post = engine.params.trend.posterior
    if isinstance(post, SamplePosterior):
        return max(float(np.mean(post.beta)), 0.0)
    return 0.0 if isinstance(post, DriftPosterior) else max(float(post.mean[1]), 0.0)


# --------------------------------------------------------------------------- the model runs


class OddsModel:
    """``Y(theta)`` for several goals at once: the share of fixed shock paths reaching each goal.

    ``evaluate(values)`` takes a (runs x inputs) matrix of input *values* (in each input's unit)
    and returns a (runs x goals) matrix of probabilities. The scenario's levers and trend
    overrides apply as in a projection; the shocks are drawn once from ``seed``.
    """

    def __init__(
        self,
        engine: Engine,
        scenario: Scenario,
        goals: Sequence[Goal],
        inputs: Sequence[Input],
        *,
        shocks: int = DEFAULT_SHOCKS,
        seed: int,
    ):
        if not goals:
            raise InputError("no goal to analyse: name a target with a deadline", field="target")
        self.engine = engine
        self.scenario = scenario
        self.goals = list(goals)
        self.inputs = list(inputs)
        self.horizon = max(g.deadline_fy for g in goals)
        self.years = engine.projection_years(self.horizon)
        self.shocks = shocks
        self.seed = seed
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed).spawn(3)[2]))
        self.z = rng.standard_normal((len(self.years), shocks)).T
        self.triples = assumption_triples(scenario)
        self.beta = trend_beta(engine)
        self.columns = [int(np.searchsorted(self.years, g.deadline_fy, side="right")) for g in goals]
        self.runs = 0

    def central(self) -> np.ndarray:
        return np.array([[i.central for i in self.inputs]])

    def evaluate(self, values: np.ndarray, on_progress: Callable[[float], None] | None = None) -> np.ndarray:
        values = np.atleast_2d(np.asarray(values, float))
        per_batch = max(1, MAX_BATCH_DRAWS // self.shocks)
        out = np.empty((len(values), len(self.goals)))
        for start in range(0, len(values), per_batch):
            out[start : start + per_batch] = self._batch(values[start : start + per_batch])
            if on_progress is not None:
                on_progress(min(1.0, (start + per_batch) / len(values)))
        self.runs += len(values)
        return out

    def _batch(self, values: np.ndarray) -> np.ndarray:
        runs, m = len(values), self.shocks
        col = {inp.name: values[:, i] for i, inp in enumerate(self.inputs)}
        assumptions = {
            a.name: np.repeat(col[a.name], m) if a.name in col else np.full(runs * m, self.triples[a.name][0])
            for a in ASSUMPTIONS
        }
        draws = self.engine.draws_given(
            seed=self.seed,
            horizon=self.horizon,
            assumptions=assumptions,
            alpha0=np.repeat(col["trend.growth"], m),
            beta=np.full(runs * m, self.beta),
            sigma=np.repeat(col["trend.shock_size"], m),
            z=np.tile(self.z, (runs, 1)),
            triples=self.triples,
            trend=self.scenario.trend,
        )
        exports = self.engine.project(self.scenario, draws).exports
        best: dict[int, np.ndarray] = {}  # best year up to each deadline column, shared by goals
        out = np.empty((runs, len(self.goals)))
        for k, (g, c) in enumerate(zip(self.goals, self.columns, strict=True)):
            if c not in best:
                best[c] = exports[:, :c].max(axis=1)
            out[:, k] = (best[c] >= g.amount_musd).reshape(runs, m).mean(axis=1)
        return out


# --------------------------------------------------------------------------- tornado


@dataclass(frozen=True)
class TornadoBar:
    input: str
    label: str
    low_value: float
    high_value: float
    y_low: float
    y_high: float

    @property
    def swing(self) -> float:
        return abs(self.y_high - self.y_low)


@dataclass(frozen=True)
class Tornado:
    goal: Goal
    y_central: float
    bars: list[TornadoBar]
    """Sorted by swing, largest first."""
    shocks: int


def tornado(model: OddsModel, on_progress: Callable[[float], None] | None = None) -> list[Tornado]:
    """One input at a time at its low and high value, the others central; one tornado per goal."""
    center = model.central()[0]
    rows = [center]
    lows: list[float] = []
    highs: list[float] = []
    for i, inp in enumerate(model.inputs):
        lo, _, hi = inp.tornado_u
        for u, store in ((lo, lows), (hi, highs)):
            r = center.copy()
            r[i] = inp.value(u)
            rows.append(r)
            store.append(float(r[i]))
    y = model.evaluate(np.array(rows), on_progress)
    out = []
    for k, g in enumerate(model.goals):
        bars = [
            TornadoBar(inp.name, inp.label, lows[i], highs[i], float(y[1 + 2 * i, k]), float(y[2 + 2 * i, k]))
            for i, inp in enumerate(model.inputs)
        ]
        out.append(Tornado(g, float(y[0, k]), sorted(bars, key=lambda b: -b.swing), model.shocks))
    return out


# --------------------------------------------------------------------------- Sobol indices


@dataclass(frozen=True)
class SobolResult:
    """First-order and total Sobol indices of one output, with bootstrap confidence intervals."""

    output: str
    names: list[str]
    labels: list[str]
    s1: np.ndarray
    s1_conf: np.ndarray
    st: np.ndarray
    st_conf: np.ndarray
    n: int
    """Base sample size ``N``."""
    runs: int
    """Model runs: ``N (D + 2)``."""
    conf_level: float
    mean: float
    variance: float
    note: str = ""
    """Why the indices are missing (an output that does not vary)."""

    @property
    def defined(self) -> bool:
        return not self.note

    def ranked(self) -> list[int]:
        """Input positions by total index, largest first."""
        return sorted(range(len(self.names)), key=lambda i: -(self.st[i] if self.defined else 0.0))


def sobol(
    func: Callable[[np.ndarray], np.ndarray],
    inputs: Sequence[Input],
    outputs: Sequence[str],
    *,
    n: int = DEFAULT_N,
    seed: int,
    conf_level: float = 0.95,
    resamples: int = 200,
) -> list[SobolResult]:
    """Sobol indices of each column of ``func`` (values matrix -> runs x outputs) with SALib.

    ``n`` must be a power of two (the Sobol' sequence's balance properties need it).
    """
    if n < 2 or n & (n - 1):
        raise InputError(
            "must be a power of two, at least 2", field="n", value=n, allowed="e.g. 256, 512, 1024"
        )
    problem = {
        "num_vars": len(inputs),
        "names": [i.name for i in inputs],
        "bounds": [[i.u_low, i.u_high] for i in inputs],
    }
    u = sobol_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    values = np.column_stack([inp.ppf(u[:, j]) for j, inp in enumerate(inputs)])
    y = np.asarray(func(values), float).reshape(len(u), -1)
    results = []
    for k, name in enumerate(outputs):
        yk = y[:, k]
        common: dict[str, Any] = {
            "output": name,
            "names": [i.name for i in inputs],
            "labels": [i.label for i in inputs],
            "n": n,
            "runs": len(u),
            "conf_level": conf_level,
            "mean": float(np.mean(yk)),
            "variance": float(np.var(yk)),
        }
        if np.ptp(yk) == 0:
            nan = np.full(len(inputs), np.nan)
            note = f"the output is {yk[0]:g} for every sampled value: there is no variance to attribute"
            results.append(SobolResult(s1=nan, s1_conf=nan, st=nan, st_conf=nan, note=note, **common))
            continue
        si = sobol_analyze.analyze(
            problem,
            yk,
            calc_second_order=False,
            num_resamples=resamples,
            conf_level=conf_level,
            seed=seed,
        )
        results.append(
            SobolResult(
                s1=np.asarray(si["S1"]),
                s1_conf=np.asarray(si["S1_conf"]),
                st=np.asarray(si["ST"]),
                st_conf=np.asarray(si["ST_conf"]),
                **common,
            )
        )
    return results


def odds_sobol(
    model: OddsModel,
    *,
    n: int = DEFAULT_N,
    seed: int,
    on_progress: Callable[[float], None] | None = None,
) -> list[SobolResult]:
    """Sobol indices of the odds of each of ``model``'s goals."""
    return sobol(
        lambda v: model.evaluate(v, on_progress),
        model.inputs,
        [g.key for g in model.goals],
        n=n,
        seed=seed,
    )


# --------------------------------------------------------------------------- tables


SENSITIVITY_COLUMNS = (
    "goal",
    "amount_musd",
    "deadline_fy",
    "input",
    "label",
    "unit",
    "method",
    "low_value",
    "high_value",
    "p_low",
    "p_high",
    "p_central",
    "s1",
    "s1_conf",
    "st",
    "st_conf",
    "n",
    "runs",
    "shocks",
    "conf_level",
    "note",
)
"""CSV columns of :func:`sensitivity_rows`.

``unit`` is the unit of ``low_value`` and ``high_value`` (trend growth: log points a year, i.e.
``ln(1 + growth)``; shock size: the standard deviation of yearly log growth).
``method`` is ``tornado`` (``low_value``/``high_value``: the input's values; ``p_low``/``p_high``:
the probability of the goal with the input there and everything else central; ``p_central``:
everything central) or ``sobol`` (``s1``/``st``: first-order and total index; ``*_conf``: half
width of the ``conf_level`` bootstrap interval; ``n``: base sample; ``runs``: model runs). Every
run averages ``shocks`` shock paths. ``note`` says why indices are empty.
"""

SENSITIVITY_DECIMALS = {
    "amount_musd": 1,
    "p_low": 4,
    "p_high": 4,
    "p_central": 4,
    "s1": 4,
    "s1_conf": 4,
    "st": 4,
    "st_conf": 4,
    "conf_level": 2,
}
"""Decimals written for the sensitivity CSV's number columns."""


def sensitivity_rows(
    tornadoes: Sequence[Tornado], sobols: Sequence[SobolResult], shocks: int, inputs: Sequence[Input]
) -> list[dict[str, object]]:
    """Long-form rows with :data:`SENSITIVITY_COLUMNS`."""
    blank = dict.fromkeys(SENSITIVITY_COLUMNS, "")
    units = {i.name: i.unit for i in inputs}
    rows = []
    for t in tornadoes:
        for b in t.bars:
            rows.append(
                {
                    **blank,
                    "goal": t.goal.key,
                    "amount_musd": t.goal.amount_musd,
                    "deadline_fy": t.goal.deadline_fy,
                    "input": b.input,
                    "label": b.label,
                    "unit": units.get(b.input, ""),
                    "method": "tornado",
                    "low_value": b.low_value,
                    "high_value": b.high_value,
                    "p_low": b.y_low,
                    "p_high": b.y_high,
                    "p_central": t.y_central,
                    "shocks": shocks,
                }
            )
    goals = {t.goal.key: t.goal for t in tornadoes}
    for s in sobols:
        g = goals.get(s.output)
        for i, name in enumerate(s.names):
            rows.append(
                {
                    **blank,
                    "goal": s.output,
                    "amount_musd": g.amount_musd if g else "",
                    "deadline_fy": g.deadline_fy if g else "",
                    "input": name,
                    "label": s.labels[i],
                    "unit": units.get(name, ""),
                    "method": "sobol",
                    "s1": "" if not s.defined else float(s.s1[i]),
                    "s1_conf": "" if not s.defined else float(s.s1_conf[i]),
                    "st": "" if not s.defined else float(s.st[i]),
                    "st_conf": "" if not s.defined else float(s.st_conf[i]),
                    "n": s.n,
                    "runs": s.runs,
                    "shocks": shocks,
                    "conf_level": s.conf_level,
                    "note": s.note,
                }
            )
    return rows
