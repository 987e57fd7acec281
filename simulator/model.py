r"""The growth model of Pakistan's reported ICT-services exports: pure, vectorized, no I/O.

Arrays have the Monte Carlo draw on axis 0 and the fiscal year on axis 1. Nothing here reads a
file, draws a random number or touches global state: the engine passes in the draws.

Equations (``docs/model.md`` has the same with sources)
---------------------------------------------------------
For fiscal year :math:`t`:

.. math::

    R_t = Q_t \, U_t, \qquad
    U_t = C_t \, e^{E^{u}_t} + A_t, \qquad
    Q_t = e^{E^{q}_t}

* :math:`R_t` -- reported ICT-services exports (US$ m): what arrives through formal channels.
* :math:`U_t` -- underlying export earnings, measured at current-policy capture (US$ m).
* :math:`Q_t` -- capture relative to current policy (1 at current policy). Its log
  :math:`E^{q}_t` is the sum of the *capture* levers' effects: freelance earnings received through
  formal channels and the retention limit on export proceeds.
* :math:`C_t` -- the core: everything not explained by a lever. It follows a stochastic trend

  .. math:: \ln C_t = \ln C_{t-1} + \alpha - \beta(\ln C_{t-1} - \ln C_{b}) + \sigma z_t,
            \quad z_t \sim N(0, 1)

  with :math:`\alpha` the trend growth at the base-year size :math:`C_b`, :math:`\beta \ge 0`
  the slowdown as the sector grows (0 unless the data support it) and :math:`\sigma` the size
  of yearly shocks.
* :math:`E^{u}_t` -- the sum of the *underlying* log effects: talent pipeline, connectivity loss.
* :math:`A_t` -- the sum of the *additive* effects (US$ m): technology zones, startup funding.

Each lever's effect is its *exposure* (a deterministic series computed from the lever's path,
e.g. the startup-capital stock) times or through an uncertain effect size (an assumption drawn
per draw). Exposures are computed over the whole timeline, history included, so lags and stocks
carry over from the historical lever values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from simulator.levers import LEVER_BY_NAME

FloatArray = NDArray[np.float64]
Channel = Literal["capture", "underlying", "additive"]


# --------------------------------------------------------------------------- exposure kernels
# Each maps a lever's path over the timeline (1-D, one value per fiscal year) to the series
# its effect is proportional to. Deterministic and cheap: computed once per path.


def trailing_mean(x: FloatArray, window: int) -> FloatArray:
    """Mean of the last ``window`` values (the first value repeats before the start)."""
    padded = np.concatenate([np.full(window - 1, x[0]), x])
    c = np.cumsum(padded)
    c = np.concatenate([[0.0], c])
    return (c[window:] - c[:-window]) / window


def stock(inflow: FloatArray, depreciation: float) -> FloatArray:
    """Perpetual inventory: ``S_t = (1 - depreciation) S_{t-1} + inflow_t``, ``S`` zero before the start."""
    out = np.empty_like(inflow, dtype=float)
    s = 0.0
    keep = 1.0 - depreciation
    for i, v in enumerate(inflow):
        s = keep * s + v
        out[i] = s
    return out


def lagged(x: FloatArray, lag: int, fill: float = 0.0) -> FloatArray:
    """``x`` delayed by ``lag`` years, ``fill`` before the start."""
    if lag == 0:
        return x.astype(float, copy=True)
    return np.concatenate([np.full(lag, fill), x[:-lag]])


def exposure_tech_zones(zones: FloatArray) -> FloatArray:
    """Zones at full effect: each zone is phased in over ``phase_in_years`` (trailing mean)."""
    window = int(LEVER_BY_NAME["tech_zones"].constant("phase_in_years"))
    return trailing_mean(np.asarray(zones, float), window)


def exposure_vc_funding(funding: FloatArray) -> FloatArray:
    """Startup capital stock (US$ m), lagged by the lever's lag."""
    lever = LEVER_BY_NAME["vc_funding"]
    return lagged(stock(np.asarray(funding, float), lever.constant("depreciation")), lever.lag_years)


def exposure_talent_pipeline(entrants: FloatArray) -> FloatArray:
    """Extra entrants (relative to current policy) still in the workforce, in persons, lagged."""
    lever = LEVER_BY_NAME["talent_pipeline"]
    extra = (np.asarray(entrants, float) - lever.default) * 1000.0
    return lagged(stock(extra, lever.constant("attrition")), lever.lag_years)


def exposure_connectivity_loss(loss: FloatArray) -> FloatArray:
    """Points of working time lost beyond current policy."""
    return np.asarray(loss, float) - LEVER_BY_NAME["connectivity_loss"].default


def exposure_retention_limit(retention: FloatArray) -> FloatArray:
    """Tens of percentage points of retention beyond current policy."""
    return (np.asarray(retention, float) - LEVER_BY_NAME["retention_limit"].default) / 10.0


def exposure_formal_channel_share(share: FloatArray) -> FloatArray:
    """Relative change in the formal share of freelance earnings, ``x / x0 - 1``."""
    return np.asarray(share, float) / LEVER_BY_NAME["formal_channel_share"].default - 1.0


# --------------------------------------------------------------------------- effect kernels
# Each maps (exposure at the needed years, effect-size draws) to a (draws x years) array.


def outer(per_draw: FloatArray, per_year: FloatArray) -> FloatArray:
    """``per_draw[:, None] * per_year[None, :]`` as a (draws x years) array stored year by year.

    Every (draws x years) array in the model is the transpose of a year-major array, so that
    sums over years and summaries over draws both read contiguous memory.
    """
    return np.multiply.outer(per_year, per_draw).T


def effect_tech_zones(h: FloatArray, a: Mapping[str, FloatArray]) -> FloatArray:
    """Additive, US$ m: exports per zone x zones at full effect."""
    return outer(a["tech_zones.exports_per_zone"], h)


def effect_vc_funding(h: FloatArray, a: Mapping[str, FloatArray]) -> FloatArray:
    """Additive, US$ m: export yield x lagged startup capital."""
    return outer(a["vc_funding.export_yield"], h)


def effect_talent_pipeline(h: FloatArray, a: Mapping[str, FloatArray]) -> FloatArray:
    """Underlying, log: elasticity x ln(1 + absorbed extra workers / workforce)."""
    workforce = LEVER_BY_NAME["talent_pipeline"].constant("workforce_thousand") * 1000.0
    share = outer(a["talent_pipeline.absorption"], h / workforce)
    return a["talent_pipeline.elasticity"][:, None] * np.log1p(np.maximum(share, -0.9))


def effect_connectivity_loss(h: FloatArray, a: Mapping[str, FloatArray]) -> FloatArray:
    """Underlying, log: minus elasticity x points of working time lost / 100."""
    return outer(-a["connectivity_loss.elasticity"], h / 100.0)


def effect_retention_limit(h: FloatArray, a: Mapping[str, FloatArray]) -> FloatArray:
    """Capture, log: percent gained per 10 points x tens of points / 100."""
    return outer(a["retention_limit.effect_per_10pp"] / 100.0, h)


def effect_formal_channel_share(h: FloatArray, a: Mapping[str, FloatArray]) -> FloatArray:
    """Capture, log: ln(1 + f (x / x0 - 1)), f the formal freelance share of reported exports."""
    return np.log1p(outer(a["formal_channel_share.freelance_share"] / 100.0, h))


@dataclass(frozen=True)
class Kernel:
    channel: Channel
    exposure: Callable[[FloatArray], FloatArray]
    effect: Callable[[FloatArray, Mapping[str, FloatArray]], FloatArray]


KERNELS: dict[str, Kernel] = {
    "tech_zones": Kernel("additive", exposure_tech_zones, effect_tech_zones),
    "formal_channel_share": Kernel("capture", exposure_formal_channel_share, effect_formal_channel_share),
    "retention_limit": Kernel("capture", exposure_retention_limit, effect_retention_limit),
    "connectivity_loss": Kernel("underlying", exposure_connectivity_loss, effect_connectivity_loss),
    "vc_funding": Kernel("additive", exposure_vc_funding, effect_vc_funding),
    "talent_pipeline": Kernel("underlying", exposure_talent_pipeline, effect_talent_pipeline),
}


# --------------------------------------------------------------------------- effects and levels


@dataclass(frozen=True)
class Effects:
    """Each lever's effect at the selected years, (draws x years), by channel."""

    by_lever: dict[str, FloatArray]

    def total(self, channel: Channel) -> FloatArray | float:
        """Sum of the channel's effects; a lever without effect (a row of zeros) adds nothing."""
        arrays = [v for k, v in self.by_lever.items() if KERNELS[k].channel == channel]
        kept = [v for v in arrays if not _no_effect(v)] or arrays[:1]
        return sum(kept[1:], kept[0]) if kept else 0.0


def _no_effect(v: FloatArray) -> bool:
    """The single row of zeros that :func:`effects` gives a lever with no exposure."""
    return v.shape[0] == 1 and not v.any()


def exposures(paths: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
    """Exposure series for every lever from its path over the whole timeline."""
    return {name: KERNELS[name].exposure(np.asarray(path, float)) for name, path in paths.items()}


def effects(
    exposure: Mapping[str, FloatArray], assumptions: Mapping[str, FloatArray], columns: NDArray[np.intp]
) -> Effects:
    """Lever effects at the timeline positions ``columns`` for every draw.

    A lever with no exposure at those years (at current policy, most of them) has no effect
    whatever its effect size: it gets a single row of zeros that broadcasts over the draws.
    """
    out = {}
    for name, h in exposure.items():
        hc = h[columns]
        out[name] = KERNELS[name].effect(hc, assumptions) if hc.any() else np.zeros((1, len(hc)))
    return Effects(out)


def channel_totals(
    exposure: Mapping[str, FloatArray],
    assumptions: Mapping[str, FloatArray],
    columns: NDArray[np.intp] | slice,
) -> dict[Channel, FloatArray | float]:
    """:meth:`Effects.total` of each channel for :func:`effects` of the same arguments.

    The same sums in the same order, made one lever at a time, so that only one lever's effect
    is held at once (the engine calls this for each block of draws and years).
    """
    totals: dict[Channel, FloatArray | float] = {"capture": 0.0, "underlying": 0.0, "additive": 0.0}
    for name, h in exposure.items():
        hc = h[columns]
        if not hc.any():
            continue
        kernel = KERNELS[name]
        e = kernel.effect(hc, assumptions)
        total = totals[kernel.channel]
        if isinstance(total, float):
            totals[kernel.channel] = e
        else:
            total += e
    return totals


def exports_from(log_core: FloatArray, fx: Effects) -> FloatArray:
    """Reported exports ``R = Q (C e^{E^u} + A)`` from the core's log and the lever effects."""
    return exports_of(log_core, fx.total("capture"), fx.total("underlying"), fx.total("additive"))


def exports_of(
    log_core: FloatArray,
    capture: FloatArray | float,
    underlying: FloatArray | float,
    additive: FloatArray | float,
    out: FloatArray | None = None,
) -> FloatArray:
    """:func:`exports_from` given the channels' totals; ``out``: an array to write the result into."""
    inner = np.add(log_core, underlying)  # then in place where the shapes allow: fewer temporaries
    np.exp(inner, out=inner)
    inner = _add_into(inner, additive)
    return np.multiply(np.exp(capture), inner, out=out)


def _add_into(x: FloatArray, y: FloatArray | float) -> FloatArray:
    """``x + y``, written into ``x`` when the sum has ``x``'s shape."""
    if np.broadcast_shapes(x.shape, np.shape(y)) == x.shape:
        return np.add(x, y, out=x)
    return x + y


def log_core_from(reported: FloatArray | float, fx: Effects) -> FloatArray:
    """Invert :func:`exports_from`: the core's log given reported exports and lever effects.

    Returns NaN where the additive effects alone exceed what was reported (the assumptions
    then explain more than the data; the engine reports that as an input error).
    """
    underlying = reported * np.exp(-fx.total("capture"))
    rest = underlying - fx.total("additive")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rest > 0, np.log(np.where(rest > 0, rest, 1.0)), np.nan) - fx.total("underlying")


# --------------------------------------------------------------------------- the core path


def core_path(
    log_core_base: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    sigma: FloatArray,
    z: FloatArray,
    *,
    shock_slope: FloatArray | None = None,
    overwrite: bool = False,
) -> FloatArray:
    """Log of the core for each projection year, (draws x years).

    ``ln C_t = ln C_{t-1} + alpha - beta (ln C_{t-1} - ln C_base) + sigma_t z_t`` with
    ``sigma_t = sigma exp(-gamma (ln C_{t-1} - ln C_base))``, ``gamma`` the ``shock_slope``
    (shocks shrink as the sector grows; constant when it is zero or ``None``). With every
    ``beta`` and ``gamma`` zero this is a random walk with drift and needs no loop. Computed
    year by year in year-major memory (see :func:`outer`); with ``overwrite`` in the memory of ``z``.
    """
    zt = z.T
    if shock_slope is not None and np.any(shock_slope):
        return _scaled_core_path(log_core_base, alpha, beta, sigma, zt, shock_slope, overwrite=overwrite)
    steps = np.multiply(zt, sigma, out=zt) if overwrite else np.multiply(zt, sigma, order="C")
    steps += alpha
    if not np.any(beta):
        for j in range(1, steps.shape[0]):  # np.cumsum(axis=0), one contiguous row at a time
            np.add(steps[j - 1], steps[j], out=steps[j])
        steps += log_core_base
        return steps.T
    level = log_core_base.copy()
    for j in range(zt.shape[0]):
        level = level + steps[j] - beta * (level - log_core_base)
        steps[j] = level
    return steps.T


def _scaled_core_path(log_core_base, alpha, beta, sigma, zt, shock_slope, *, overwrite: bool) -> FloatArray:
    """:func:`core_path` with shocks scaled by the level (year-major ``zt``; written over with
    ``overwrite``, else left unchanged). Each year's row is read before it is written; the
    temporaries are made once."""
    out = zt if overwrite else np.empty(zt.shape)
    gap = np.zeros_like(log_core_base)  # ln C_{t-1} - ln C_b
    step, scale = np.empty_like(gap), np.empty_like(gap)
    neg_slope = -shock_slope
    for j in range(zt.shape[0]):
        np.multiply(neg_slope, gap, out=scale)
        np.exp(scale, out=scale)
        scale *= sigma
        np.multiply(scale, zt[j], out=step)  # the year's shock
        step += alpha
        np.multiply(beta, gap, out=scale)
        step -= scale
        gap += step
        np.add(log_core_base, gap, out=out[j])
    return out.T


def drift_given_effects(log_core_first: FloatArray, log_core_last: FloatArray, span: float) -> FloatArray:
    """Drift of a random walk fitted to two core levels ``span`` years apart (the GLS estimate).

    For a random walk with drift observed at irregular years, the generalised-least-squares
    drift is the total change divided by the total span, whatever lies in between.
    """
    return (log_core_last - log_core_first) / span


# --------------------------------------------------------------------------- decomposition


def log_mean(x: FloatArray, y: FloatArray) -> FloatArray:
    """Logarithmic mean ``(x - y) / (ln x - ln y)``, equal to ``x`` where ``x == y``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        lm = (x - y) / (np.log(x) - np.log(y))
    return np.where(np.isclose(x, y, rtol=1e-12, atol=0.0), x, lm)


def _same(a: FloatArray | float, b: FloatArray | float) -> bool:
    """``a`` and ``b`` are the same numbers in the same shape."""
    return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))


def _times_exp(q: FloatArray | float, v: FloatArray) -> FloatArray:
    """``exp(q) * v``; ``v`` itself where ``q`` is all zeros (``exp(0) * v`` is ``v`` exactly)."""
    if np.broadcast_shapes(np.shape(q), v.shape) == v.shape and not np.any(q):
        return v
    return np.exp(q) * v


def decompose(log_core: FloatArray, scenario: Effects, baseline: Effects) -> dict[str, FloatArray]:
    """Split ``R_scenario - R_baseline`` into one exact additive part per lever (LMDI-I).

    Both runs share the core; the capture factor ``Q`` is multiplicative and the underlying
    earnings ``V = C e^{E^u} + A`` mix a multiplicative and an additive part. With ``L`` the
    logarithmic mean, a capture lever gets ``L(R_s, R_b) dE^q_k``; a part of ``V`` gets
    ``L(R_s, R_b) / L(V_s, V_b) c_k`` with ``c_k = L(K_s, K_b) dE^u_k`` (``K = C e^{E^u}``) or
    ``c_k = dA_k``. The parts add up to the difference exactly, whatever the order of levers.

    Ang, B. W. (2004). Decomposition analysis for policymaking in energy: which is the
    preferred method? Energy Policy 32, 1131-1139.
    """
    # A channel the scenario leaves as the baseline has it is not worked out twice, and a capture
    # factor of exp(0) = 1 is not applied: the same numbers, bit for bit (log_mean(x, x) is x),
    # with a third to a half of the work when a slider moves one lever.
    u_s, u_b = scenario.total("underlying"), baseline.total("underlying")
    k_s = np.exp(log_core + u_s)
    k_b = k_s if _same(u_s, u_b) else np.exp(log_core + u_b)
    v_s = k_s + scenario.total("additive")
    v_b = k_b + baseline.total("additive")
    r_s = _times_exp(scenario.total("capture"), v_s)
    r_b = _times_exp(baseline.total("capture"), v_b)
    l_v = log_mean(v_s, v_b)
    l_r = l_v if r_s is v_s and r_b is v_b else log_mean(r_s, r_b)
    ratio = l_r / l_v
    l_k = k_s if k_b is k_s else log_mean(k_s, k_b)
    out = {}
    for name, e_s in scenario.by_lever.items():
        d = e_s - baseline.by_lever[name]
        channel = KERNELS[name].channel
        if channel == "capture":
            out[name] = l_r * d
        elif channel == "underlying":
            out[name] = ratio * l_k * d
        else:
            out[name] = ratio * d
    return out
