"""``python -m calibration fit [--until FY2022]``,
``python -m calibration backtest [--vintage latest|real-time] [--nowcast] [--json]`` and
``python -m calibration peers backtest|forecast|candidates``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from calibration import peers_backtest, peers_candidates, peers_forecast
from calibration.backtest import (
    MONTHS_AFTER,
    BacktestRow,
    backtest,
    nowcast_backtest,
    real_time_backtest,
    score,
    score_nowcasts,
)
from calibration.dependence import dependence
from calibration.fit import fit
from calibration.nowcast import MONTH_NAMES, Z80, period_label
from calibration.peer_data import load_peer_panel
from calibration.peers import MIN_INCREMENTS, Form, Shocks
from calibration.peers_fit import SEED
from simulator.backtests import (
    SCHEMA_VERSION as RESULTS_VERSION,
)
from simulator.backtests import (
    BacktestResults,
    PakistanRow,
    PakistanScore,
    PanelBacktest,
    PanelScore,
    PeerPath,
    dump_results,
    results_path,
)
from simulator.data import DEFAULT_DATA_DIR, load_dataset
from simulator.errors import InputError, InputErrors, OutputError
from simulator.levers import ASSUMPTIONS
from simulator.output import write_text_atomic
from simulator.params import DEFAULT_PARAMS_PATH, FittedParams, LaplacePosterior, dump_params
from simulator.settings import MAX_SEED, load_settings, unknown_variables


def _fiscal_year(text: str) -> int:
    t = text.strip().upper().removeprefix("FY")
    if not t.isdigit() or not 2000 <= int(t) <= 2100:
        raise argparse.ArgumentTypeError(f"expected a fiscal year such as FY2022, got {text!r}")
    return int(t)


def _seed(text: str) -> int:
    t = text.strip()
    if not t.isdigit() or int(t) > MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 0 to {MAX_SEED} (2^63-1), got {text!r}"
        )
    return int(t)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m calibration",
        description="Fit the growth model to the curated export figures, and backtest it.",
    )
    p.add_argument(
        "--data-dir", type=Path, default=None, help="folder with the curated data (default: calibration/data)"
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    f = sub.add_parser(
        "fit", help="fit the trend, seasonality and nowcast; write the parameter file; print a report"
    )
    f.add_argument(
        "--until", type=_fiscal_year, metavar="FY", help="use only data up to this fiscal year (e.g. FY2022)"
    )
    f.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the parameters (default: SIMULATOR_PARAMS_PATH or "
        "calibration/fitted_params.json; fitted_params_until_FYxxxx.json beside it with --until); "
        "the backtest results go beside it (NAME_backtest.json)",
    )
    f.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the parameter file is out of date"
    )
    b = sub.add_parser(
        "backtest", help="rolling-origin backtest against the actual figures and a naive forecast"
    )
    b.add_argument("--json", action="store_true", help="print the rows as JSON")
    b.add_argument(
        "--levers",
        choices=("actual", "origin"),
        default="actual",
        help="lever values in the forecast years: recorded (conditional forecast) or held at the origin's",
    )
    b.add_argument("--draws", type=int, default=10_000, help="Monte Carlo draws per origin (default 10000)")
    b.add_argument(
        "--vintage",
        choices=("latest", "real-time"),
        default="latest",
        help="latest: the latest figures up to each origin year (pseudo-real-time); real-time: only the "
        "figures published by each origin day, with the nowcast from the year-to-date figures known then",
    )
    b.add_argument(
        "--months-after",
        type=int,
        choices=range(0, 13),
        default=MONTHS_AFTER,
        metavar="N",
        help=f"real-time origin: the end of the N-th month after the origin year ends (0-12, default "
        f"{MONTHS_AFTER}: 30 September)",
    )
    b.add_argument(
        "--nowcast",
        action="store_true",
        help="instead, the nowcast's own real-time record: at every month's end, the nowcast of the "
        "year in progress from the figures published by then, against the year's latest figure",
    )
    peer = sub.add_parser(
        "peers", help="the peer panel: backtest the panel model, forecast a new series, compare shock forms"
    )
    psub = peer.add_subparsers(dest="peers_command", required=True, metavar="PEERS_COMMAND")
    pb = psub.add_parser(
        "backtest", help="rolling-origin, leave-one-country-out forecasts 1-5 years ahead across the panel"
    )
    pb.add_argument("--json", action="store_true", help="print one JSON object per forecast")
    pf = psub.add_parser("forecast", help="forecast a series not in the panel, with the panel as prior")
    pf.add_argument(
        "--series", type=Path, required=True, help="CSV file with columns country,year,value_musd"
    )
    pf.add_argument("--origin", type=int, required=True, help="last year of the series the forecast may use")
    pf.add_argument("--horizons", type=_horizons, default=(1, 2, 3, 4, 5), help="years ahead: 1-5 or 1,3,5")
    pf.add_argument("--json", action="store_true", help="print one JSON object per forecast year")
    pc = psub.add_parser(
        "candidates",
        help="the pre-registered comparison of the shock forms: the current form against persistent (P) "
        "and Student-t (T) shocks by leave-one-country-out elpd, and the decision (about 35 s)",
    )
    pc.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    pc.add_argument(
        "--seed", type=_seed, default=SEED, help=f"seed of every form's sampler (default {SEED}, the fit's)"
    )
    pc.add_argument(
        "--detail", action="store_true", help="also each candidate's per-country figures (text output)"
    )
    return p


def _horizons(text: str) -> tuple[int, ...]:
    try:
        return peers_forecast.parse_horizons(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for warning in unknown_variables():
        print(f"warning: {warning}", file=sys.stderr)
    try:
        data_dir = args.data_dir if args.data_dir is not None else load_settings().data_dir
        if args.command == "peers":
            return _peers(data_dir, args)
        data = load_dataset(data_dir)
        if args.command == "fit":
            return _fit(data, args)
        return _backtest(data, args)
    except InputErrors as exc:
        for e in exc.errors:
            print(f"error: {e}", file=sys.stderr)
        return 1
    except (InputError, OutputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted (Ctrl-C); nothing was written", file=sys.stderr)
        return 130


def _fit(data, args) -> int:
    out = _params_out(args, data.directory)
    try:
        params = fit(data, until=args.until)
    except ValidationError as exc:  # a NaN or an infinity where the parameter file needs a number
        where = ".".join(str(x) for x in exc.errors()[0]["loc"])
        raise InputError(
            f"the fit produced a value that is not a finite number ({where}); nothing was written. "
            "Check the data for a degenerate series (constant values, a single year)"
        ) from None
    results = backtest_results(data, params)
    files = {out: dump_params(params), results_path(out): dump_results(results)}
    if args.check:
        stale = [
            f for f, text in files.items() if (f.read_text(encoding="utf-8") if f.exists() else "") != text
        ]
        for f in stale:
            print(f"{f} is out of date: run `python -m calibration fit`", file=sys.stderr)
        if not stale:
            print(f"{out} and {results_path(out).name} are up to date")
        return 1 if stale else 0
    if out.is_dir():
        raise InputError("is a folder; give a file name", file=out, allowed="a .json file name")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError.from_os_error(exc, out) from None
    for f, text in files.items():  # each a temporary file renamed when complete
        write_text_atomic(f, text)
    print(report(params))
    print(f"\nwrote {out} and {results_path(out).name}")
    return 0


def _params_out(args, data_dir: Path) -> Path:
    """``--out``, else ``SIMULATOR_PARAMS_PATH`` (or the bundled file), with ``_until_FYxxxx`` for
    ``--until``. The bundled folder is refused when the data are not the bundled data."""
    if args.out is not None:
        out = args.out
    else:
        default = load_settings().params_path
        out = (
            default if args.until is None else default.with_name(f"{default.stem}_until_FY{args.until}.json")
        )
    bundled = DEFAULT_DATA_DIR.resolve()
    if Path(data_dir).resolve() != bundled and out.resolve().parent == DEFAULT_PARAMS_PATH.resolve().parent:
        raise InputError(
            "would put parameters fitted on other data beside the bundled ones; give --out or set "
            "SIMULATOR_PARAMS_PATH",
            file=out,
            field="--out",
        )
    return out


def backtest_results(data, params: FittedParams) -> BacktestResults:
    """Pakistan's rolling-origin backtest and, with a peer panel, the panel backtest."""
    rows = backtest(data if params.data_until is None else data.until(params.data_until))
    panel, paths = None, []
    if params.trend.panel is not None:
        peers = load_peer_panel(data.directory)
        paths = [PeerPath(country=s.country, iso3=s.iso3, points=list(s.points)) for s in peers.series]
        prows = peers_backtest.backtest(peers, form=params.trend.panel.form, shocks=params.trend.panel.shocks)
        panel = PanelBacktest(
            form=params.trend.panel.form,
            shocks=params.trend.panel.shocks,
            origins=sorted({r.origin for r in prows}),
            countries=len({r.country for r in prows}),
            forecasts=len(prows),
            scores=[PanelScore(**s.__dict__) for s in peers_backtest.score(prows)],
            pit=peers_backtest.pit_histograms(prows),
            by_origin=peers_backtest.by_origin(prows),
            shift_removed=peers_backtest.shift_removed(prows),
        )
    return BacktestResults(
        schema_version=RESULTS_VERSION,
        params_sha256=params.sha256(),
        pakistan=[PakistanRow.model_validate(r.as_dict()) for r in rows],
        pakistan_scores=[PakistanScore(**s.__dict__) for s in score(rows)],
        panel=panel,
        dependence=dependence(data, params) if params.data_until is None else [],
        peers=paths,
    )


def report(p: FittedParams) -> str:
    t = p.trend
    lines = [
        f"Fit on FY{p.sample.first_year}-FY{p.sample.base_year}"
        + (f" (data up to FY{p.data_until})" if p.data_until else ""),
        "",
        "Estimates (posterior mean and 90% interval)",
    ]
    if t.posterior.kind == "drift":
        post = t.posterior
        # sigma^2 ~ dof s^2 / chi2(dof); alpha | sigma ~ N(alpha, sigma^2 / span): marginal t
        from scipy import stats

        a_lo, a_hi = np.asarray(
            stats.t.ppf([0.05, 0.95], post.dof, loc=post.alpha, scale=np.sqrt(post.scale2 / post.span))
        )
        s_lo, s_hi = np.sqrt(post.dof * post.scale2 / stats.chi2.ppf([0.95, 0.05], post.dof))
        lines += [
            f"  trend growth of the core   {np.expm1(t.alpha) * 100:6.1f}% a year   "
            f"[{np.expm1(a_lo) * 100:.1f}%, {np.expm1(a_hi) * 100:.1f}%]  "
            f"(log points {t.alpha:.4f}, se {t.alpha_se:.4f})",
            f"  size of yearly shocks (sd) {t.sigma:6.3f} log points   [{s_lo:.3f}, {s_hi:.3f}]  "
            f"({post.dof} degrees of freedom)",
        ]
    elif t.panel is not None:
        lines += panel_report(t.panel)
    elif isinstance(t.posterior, LaplacePosterior):  # Pakistan's own damped trend
        cov = np.asarray(t.posterior.cov)
        lines += [
            f"  trend growth of the core   {np.expm1(t.alpha) * 100:6.1f}% a year   "
            f"(se {np.sqrt(cov[0, 0]):.4f} log points)",
            f"  slowdown beta              {t.beta:6.3f}            (se {np.sqrt(cov[1, 1]):.4f})",
            f"  size of yearly shocks (sd) {t.sigma:6.3f} log points",
        ]
    s = t.selection
    if s is not None:
        lines.append(
            f"  growth slowing with size?  beta_hat {s.beta_hat:.3f}, LR {s.lr_stat:.2f}, "
            f"p {s.p_value:.3f} -> {s.selected}"
        )
    lines += [
        "",
        "In-sample one-step errors (each year from the one before it)",
        "  year   actual  predicted  error",
    ]
    for r in p.in_sample:
        ahead = f"  ({r.years_ahead} years ahead)" if r.years_ahead > 1 else ""
        lines.append(f"  FY{r.fiscal_year} {r.actual:8,.0f} {r.predicted:9,.0f} {r.error_pct:+6.1f}%{ahead}")
    one = [r.error_pct for r in p.in_sample if r.years_ahead == 1]
    lines.append(f"  mean absolute one-year error {np.mean(np.abs(one)):.1f}%")
    lines += ["", *seasonality_report(p)]
    lines += [
        "",
        "Stated assumptions (not estimated; central values used in the fit):",
    ]
    lines += [f"  {a.name:40s} {a.central:g} {a.unit} (range {a.low:g}-{a.high:g})" for a in ASSUMPTIONS]
    lines += ["", "Notes"] + [f"  - {n}" for n in p.notes]
    return "\n".join(lines)


def band_text(log_mean: float, log_sd: float) -> str:
    """The 80% interval of a log-normal as dollars and as percentages of its median."""
    lo, mid, hi = np.exp(log_mean + np.array([-Z80, 0.0, Z80]) * log_sd)
    return (
        f"{mid:9,.0f}  [{lo:,.0f}, {hi:,.0f}]  ({(lo / mid - 1) * 100:+.1f}% / {(hi / mid - 1) * 100:+.1f}%)"
    )


def seasonality_report(p: FittedParams) -> list[str]:
    """Seasonal shares, revisions and the nowcast by month, for the fit report."""
    r = p.revisions
    ytd, full = r.year_to_date, r.full_year
    lines = [
        f"Revisions, latest over first print: year-to-date and monthly figures {ytd.n_pairs} pairs, "
        f"mean {ytd.log_mean * 100:+.2f}%, sd {ytd.log_sd * 100:.2f}%; full years {full.n_pairs} pairs, "
        f"mean {full.log_mean * 100:+.2f}%, sd {full.log_sd * 100:.2f}% (the nowcast adds both)",
    ]
    s = p.seasonality
    if s is None:
        return lines
    lines += [
        "",
        f"Seasonality: share of the full year reported by the end of each fiscal month, all months jointly "
        f"({s.n_years} complete years; each year-to-date figure over the full year of its own vintage)",
        f"  level of monthly exports: random-walk steps of sd {s.level_sd:.3f}; figure noise sd "
        f"{s.figure_sd:.4f} (ln points)",
        "  month         share   sd     years   nowcast band (80%) once every month through it is known",
    ]
    for x in s.shares:
        lo, hi = (np.exp(np.array([-Z80, Z80]) * x.nowcast_log_sd) - 1) * 100
        lines.append(
            f"  {MONTH_NAMES[x.months - 1]} (month {x.months:2d})  {x.share_mean * 100:5.1f}%  "
            f"{x.share_sd:.3f}  {x.n_years:3d}     {lo:+.1f}% / {hi:+.1f}%"
        )
    nc = p.nowcast
    if nc is not None:
        printed = {f.months: f.ytd_musd for f in nc.figures}
        lines += [
            "",
            f"Nowcast of FY{nc.fiscal_year} as its months arrived (US$ m; median [80% interval])",
            "  through            figure    implied full year",
        ]
        lines += [
            f"  {period_label(nc.fiscal_year, st.months):16s} {printed[st.months]:8,.0f}  "
            f"{band_text(st.log_mean, st.log_sd)}"
            for st in nc.by_month
        ]
    return lines


def panel_report(f) -> list[str]:
    """The panel fit: Pakistan's posterior, the population, the form chosen and the diagnostics."""
    doubling = 100 * np.log(2)
    q = {x.name: x for x in f.pakistan}
    a, b, s = q["alpha"], q["beta"], q["sigma"]
    lines = [
        f"  trend growth at base size  {np.expm1(a.mean) * 100:6.1f}% a year   "
        f"[{np.expm1(a.p05) * 100:.1f}%, {np.expm1(a.p95) * 100:.1f}%]",
        f"  slowdown per doubling      {b.mean * doubling:6.2f} points      "
        f"[{b.p05 * doubling:.2f}, {b.p95 * doubling:.2f}]  (beta {b.mean:.4f})",
        f"  size of yearly shocks (sd) {s.mean:6.3f} log points   [{s.p05:.3f}, {s.p95:.3f}]"
        + (" at base size" if f.shocks == "scaled" else ""),
        "",
        f"Peer panel: {len(f.countries)} countries (World Bank WDI ICT-services exports"
        + (f", up to {f.panel_until}" if f.panel_until else "")
        + f"), peers.csv {f.peers_sha256[:12]}",
        "  form, by leave-one-country-out predictive density: "
        + ", ".join(
            f"{x.form}/{x.shocks} shocks {x.elpd_loco:.1f}"
            + (f" (se of difference {x.diff_se:.1f})" if x.diff_se else "")
            for x in f.selection
        )
        + f" -> {f.form}, {f.shocks} shocks",
    ]
    lines += [f"  {x.label:55s} {x.mean:8.4f}  [{x.p05:.4f}, {x.p95:.4f}]" for x in f.population]
    lines.append(
        f"  sampler: {f.sampler['chains']} chains x {f.sampler['keep']} draws; "
        f"largest R-hat {f.rhat_max:.3f}; "
        f"FY2010-FY2016 gap weights: effective sample size {f.gap_ess:,.0f}"
    )
    return lines


def _peers(data_dir: Path, args) -> int:
    panel = load_peer_panel(data_dir)
    if args.peers_command == "backtest":
        return _peers_backtest(panel, args)
    if args.peers_command == "candidates":
        return _peers_candidates(panel, args)
    series = peers_forecast.read_series(args.series)
    form, shocks = _panel_form(panel)
    for name, rows in series.items():
        match = peers_forecast.panel_match(panel, name)
        if match is not None:
            print(
                f"note: {name} is in the panel; it is left out of the prior for this forecast",
                file=sys.stderr,
            )
        out = peers_forecast.forecast(
            panel,
            rows,
            origin=args.origin,
            horizons=args.horizons,
            path=args.series,
            form=form,
            shocks=shocks,
        )
        for f in out:
            if args.json:
                print(json.dumps(f.as_dict()))
            else:
                print(
                    f"{f.country}  {f.origin} -> {f.year} (+{f.horizon})  "
                    f"p10 {f.p10:10,.1f}  p50 {f.p50:10,.1f}  p90 {f.p90:10,.1f}"
                )
    return 0


def _panel_form(panel) -> tuple[Form, Shocks]:
    """The form and shocks the bundled fit chose when it was fitted on this panel, else chosen now."""
    from simulator.params import load_params

    try:
        t = load_params(load_settings().params_path).trend
        if t.panel is not None and t.panel.peers_sha256 == panel.sha256 and t.panel.panel_until is None:
            return t.panel.form, t.panel.shocks
    except InputError:
        pass
    from calibration.peers_fit import chosen, panel_entries, select_form

    selection, _ = select_form([e.stats for e in panel_entries(panel)])
    return chosen(selection)


def _peers_backtest(panel, args) -> int:
    form, shocks = _panel_form(panel)
    rows = peers_backtest.backtest(panel, form=form, shocks=shocks)
    if args.json:
        for r in rows:
            print(json.dumps(r.as_dict()))
        return 0  # every line one forecast; the tables by origin are in the text and the results file
    print(
        f"Panel backtest: {len(rows)} forecasts, {len({r.country for r in rows})} countries, origins "
        f"{', '.join(str(o) for o in peers_backtest.ORIGINS)}; each country left out of the panel it is "
        "forecast with, every fit on figures up to the origin only.\n"
    )
    print("model                 horizon    n    MAPE   CRPS (log)   80% interval held")
    for s in peers_backtest.score(rows):
        print(
            f"{peers_backtest.MODEL_LABELS[s.model]:21s} {s.horizon:7d} {s.n:4d} {s.mape_pct:6.1f}%  "
            f"{s.crps:10.3f}   {s.coverage_80 * 100:5.1f}%"
        )
    print("\nPIT histogram (ten bins; flat = calibrated, U = too narrow, hump = too wide)")
    for m, counts in peers_backtest.pit_histograms(rows).items():
        print(f"  {peers_backtest.MODEL_LABELS[m]:21s} " + " ".join(f"{c:4d}" for c in counts))
    print("\n" + "\n".join(_period_report(rows)))
    return 0


def _peers_candidates(panel, args) -> int:
    from calibration.peers_fit import panel_entries

    entries = panel_entries(panel)
    if len(entries) < 3:
        raise InputError(
            f"has {len(entries)} panel series with at least {MIN_INCREMENTS} one-year increments; "
            "leave-one-country-out scores need at least 3",
            file=panel.path,
            field="use_in_panel",
            allowed="at least 3 series",
            show_value=False,
        )
    c = peers_candidates.compare(entries, seed=args.seed)
    if args.json:
        print(json.dumps(peers_candidates.as_dict(c)))
        return 0
    print(peers_candidates.report(c))
    if args.detail:
        print("\n" + peers_candidates.detail(c))
    return 0


def _period_report(rows) -> list[str]:
    """The panel model's errors per origin, and its coverage with each origin's common shift out."""
    lines = [
        "Panel model by origin: the forecasts of one origin share their years, so a boom or a slump",
        "after it moves every country's error alike. Log error = ln(actual / p50), > 0 when the",
        "actual came out above the median.",
        "origin  horizon    n   median log error   mean log error   80% interval held",
    ]
    lines += [
        f"{s.origin:6d} {s.horizon:8d} {s.n:4d}   {s.median_log_error:+16.3f} {s.mean_log_error:+16.3f}"
        f"   {s.coverage_80 * 100:17.1f}%"
        for s in peers_backtest.by_origin(rows)
    ]
    lines += [
        "",
        "With each origin's common shift taken out (a forecast's shift: the median log error of the",
        f"other countries' forecasts at its origin and horizon; fewer than {peers_backtest.MIN_OTHERS} "
        "others: skipped):",
        "                          80% interval held          actuals above the median",
        "horizon    n  skipped   as forecast   shift out      as forecast   shift out",
    ]
    lines += [
        f"{s.horizon:7d} {s.n:4d} {s.skipped:8d}   {s.coverage_80 * 100:10.1f}% "
        f"{s.coverage_80_shift_removed * 100:10.1f}%      {s.above_median * 100:10.1f}% "
        f"{s.above_median_shift_removed * 100:10.1f}%"
        for s in peers_backtest.shift_removed(rows)
    ]
    return lines


def _nowcast_backtest(data, args) -> int:
    rows = nowcast_backtest(data)
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], indent=2))
        return 0
    print(
        "The nowcast in real time: at the end of every month, the full year in progress from the "
        "figures published by then (fit on them too), against its latest figure.\n"
    )
    print("as of        year    months    figure    actual       p10       p50       p90")
    for r in rows:
        print(
            f"{r.as_of}  FY{r.fiscal_year}  {r.months:6d}  {r.ytd_musd:8,.0f}  {r.actual:8,.0f}  "
            f"{r.p10:8,.0f}  {r.p50:8,.0f}  {r.p90:8,.0f}"
        )
    print(
        "\nmonths known   n   mean abs. % error   80% interval held the actual   median width of the interval"
    )
    for s in score_nowcasts(rows):
        print(
            f"{s.months[0]:5d}-{s.months[1]:<5d} {s.n:4d}   {s.mae_pct:17.1f}%   "
            f"{s.coverage_80 * 100:16.0f}% of {s.n:<3d}         {s.median_band_pct:5.1f}%"
        )
    return 0


def _backtest(data, args) -> int:
    if args.nowcast:
        return _nowcast_backtest(data, args)
    latest = backtest(data, draws=args.draws, levers=args.levers)
    if args.vintage == "real-time":
        return _real_time_backtest(data, args, latest)
    if args.json:
        print(json.dumps([r.as_dict() for r in latest], indent=2))
        return 0
    print(
        f"Rolling-origin backtest ({_lever_mode(args)}); "
        "pseudo-real-time: latest vintages up to each origin.\n"
    )
    print("origin  target  horizon    actual       p10       p50       p90     naive")
    for r in latest:
        print(
            f"FY{r.origin_fy}  FY{r.target_fy}  {r.horizon:5d}  {r.actual:9,.0f} {r.p10:9,.0f} "
            f"{r.p50:9,.0f} {r.p90:9,.0f} {r.naive:9,.0f}"
        )
    _print_scores(latest)
    return 0


def _lever_mode(args) -> str:
    return (
        "conditional forecast: the levers take their recorded values in the forecast years"
        if args.levers == "actual"
        else "the levers stay at their values in the origin year"
    )


def _real_time_backtest(data, args, latest: list[BacktestRow]) -> int:
    rows, skipped = real_time_backtest(
        data, draws=args.draws, levers=args.levers, months_after=args.months_after
    )
    if args.json:
        for note in skipped:
            print(f"note: origin skipped: {note}", file=sys.stderr)
        print(json.dumps([r.as_dict() for r in rows], indent=2))
        return 0
    print(
        f"Rolling-origin backtest ({_lever_mode(args)}); real time: at each origin day only the figures "
        "published by then, the fit on them and the nowcast from the year-to-date figures known then; "
        "scored against the latest figures.\n"
    )
    for note in skipped:
        print(f"Skipped: {note}")
    print(
        "\norigin  as of       base    nowcast  target  horizon    actual       p10       p50"
        "       p90     naive"
    )
    for r in rows:
        nc = f"{r.nowcast_months:2d} months" if r.nowcast_months else "      none"
        print(
            f"FY{r.origin_fy}  {r.as_of}  FY{r.base_fy}  {nc}  FY{r.target_fy}  {r.horizon:5d}  "
            f"{r.actual:9,.0f} {r.p10:9,.0f} {r.p50:9,.0f} {r.p90:9,.0f} {r.naive:9,.0f}"
        )
    if not rows:
        print("No origin had enough figures published to fit.")
        return 0
    _print_scores(rows)
    same = {r.origin_fy for r in rows}
    print(f"\nThe same origins (FY{min(same)}-FY{max(same)}) with the latest vintages (pseudo-real-time):")
    _print_scores([r for r in latest if r.origin_fy in same])
    return 0


def _print_scores(rows) -> None:
    print("\nhorizon   n   abs. % error: model   naive   CRPS: model   naive   80% interval held the actual")
    for s in score(rows):
        verdict = "beats" if s.mae_model_pct < s.mae_naive_pct else "does not beat"
        print(
            f"{s.horizon:7d} {s.n:3d}   {s.mae_model_pct:16.1f}%  {s.mae_naive_pct:5.1f}%   "
            f"{s.crps_model:11.3f}  {s.crps_naive:6.3f}   "
            f"{s.coverage_80 * 100:5.0f}% of {s.n}   (median: model {verdict} naive)"
        )
    print("CRPS: continuous ranked probability score of log exports (lower is better); the naive")
    print("drift with the drift method's normal intervals (Hyndman and Athanasopoulos, 5.5)")


if __name__ == "__main__":
    sys.exit(main())
