"""A plain, one-draw-at-a-time implementation of the model, to check the vectorized one.

Nothing here is fast or clever: Python floats, explicit loops over draws and years, every
equation of ``docs/model.md`` written out again from the lever declarations. The tests compare
it with :mod:`simulator.model` and :mod:`simulator.engine`; ``benchmarks/`` times both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from simulator.levers import LEVER_BY_NAME


def _zones_effective(path: Sequence[float], t: int) -> float:
    w = int(LEVER_BY_NAME["tech_zones"].constant("phase_in_years"))
    vals = [path[max(t - k, 0)] for k in range(w)]
    return sum(vals) / w


def _stock(inflows: Sequence[float], t: int, keep: float) -> float:
    s = 0.0
    for i in range(t + 1):
        s = keep * s + inflows[i]
    return s


def lever_terms(
    paths: Mapping[str, Sequence[float]], t: int, a: Mapping[str, float]
) -> tuple[float, float, float]:
    """(capture log effect, underlying log effect, additive effect in US$ m) at timeline index ``t``."""
    zones = LEVER_BY_NAME["tech_zones"]
    vc = LEVER_BY_NAME["vc_funding"]
    talent = LEVER_BY_NAME["talent_pipeline"]
    conn = LEVER_BY_NAME["connectivity_loss"]
    ret = LEVER_BY_NAME["retention_limit"]
    formal = LEVER_BY_NAME["formal_channel_share"]

    additive = a["tech_zones.exports_per_zone"] * _zones_effective(paths[zones.name], t)
    tv = t - vc.lag_years
    capital = _stock(paths[vc.name], tv, 1 - vc.constant("depreciation")) if tv >= 0 else 0.0
    additive += a["vc_funding.export_yield"] * capital

    tt = t - talent.lag_years
    extra = [(g - talent.default) * 1000.0 for g in paths[talent.name]]
    workers = _stock(extra, tt, 1 - talent.constant("attrition")) if tt >= 0 else 0.0
    share = a["talent_pipeline.absorption"] * workers / (talent.constant("workforce_thousand") * 1000.0)
    underlying = a["talent_pipeline.elasticity"] * math.log1p(max(share, -0.9))
    underlying -= a["connectivity_loss.elasticity"] * (paths[conn.name][t] - conn.default) / 100.0

    capture = a["retention_limit.effect_per_10pp"] / 100.0 * (paths[ret.name][t] - ret.default) / 10.0
    capture += math.log1p(
        a["formal_channel_share.freelance_share"] / 100.0 * (paths[formal.name][t] / formal.default - 1.0)
    )
    return capture, underlying, additive


def reported(log_core: float, terms: tuple[float, float, float]) -> float:
    capture, underlying, additive = terms
    return math.exp(capture) * (math.exp(log_core + underlying) + additive)


def log_core_of(reported_value: float, terms: tuple[float, float, float]) -> float:
    capture, underlying, additive = terms
    return math.log(reported_value * math.exp(-capture) - additive) - underlying


def project_one(
    *,
    paths: Mapping[str, Sequence[float]],
    assumptions: Mapping[str, float],
    first_index: int,
    base_index: int,
    reported_first: float,
    reported_base: float,
    alpha_center: float,
    delta_center: float,
    alpha_noise: float,
    beta: float,
    sigma: float,
    z: Sequence[float],
    shock_slope: float = 0.0,
) -> list[float]:
    """Reported exports for the years after ``base_index`` for one draw.

    ``alpha_center`` is the trend at the central assumptions, for which the core changes by
    ``delta_center`` between the first and the base year; ``alpha_noise`` is this draw's
    posterior deviation. The trend moves with this draw's effect sizes so that they still
    reproduce the first and base years (``docs/model.md``, "Trend and effect sizes"). A year's
    shock has size ``sigma exp(-shock_slope (level - lc_base))``.
    """
    span = base_index - first_index
    lc_first = log_core_of(reported_first, lever_terms(paths, first_index, assumptions))
    lc_base = log_core_of(reported_base, lever_terms(paths, base_index, assumptions))
    alpha = alpha_center + alpha_noise + ((lc_base - lc_first) - delta_center) / span
    level = lc_base
    out = []
    for j, zj in enumerate(z):
        level = (
            level + alpha - beta * (level - lc_base) + sigma * math.exp(-shock_slope * (level - lc_base)) * zj
        )
        out.append(reported(level, lever_terms(paths, base_index + 1 + j, assumptions)))
    return out


def project_draws(engine, scenario, draws, indices: Sequence[int]) -> list[list[float]]:
    """:func:`project_one` for the draws ``indices`` of an engine's ``draws`` (a scenario
    already merged onto its base): the same inputs the vectorized projection gets."""
    paths = {k: list(v) for k, v in engine.full_paths(scenario, draws.years).items()}
    shocks = draws.z  # made again on each access: once here
    first_index = engine.sample_first_year - engine.first_year
    base_index = engine.base_year - engine.first_year
    return [
        project_one(
            paths=paths,
            assumptions={k: float(v[d]) for k, v in draws.assumptions.items()},
            first_index=first_index,
            base_index=base_index,
            reported_first=engine.reported_first,
            reported_base=engine.reported_base,
            alpha_center=draws.alpha_center,
            delta_center=draws.delta_center,
            alpha_noise=float(draws.alpha_noise[d]),
            beta=float(draws.beta[d]),
            sigma=float(draws.sigma[d]),
            z=[float(x) for x in shocks[d]],
            shock_slope=float(draws.shock_slope[d]),
        )
        for d in indices
    ]
