"""``python -m calibration fit [--until FY2022]`` and
``python -m calibration backtest [--vintage latest|real-time] [--json]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from calibration.backtest import (
    MONTHS_AFTER,
    backtest,
    nowcast_backtest,
    real_time_backtest,
    score,
    score_nowcasts,
)
from calibration.fit import fit
from calibration.nowcast import MONTH_NAMES, Z80, period_label
from simulator.data import load_dataset
from simulator.errors import InputError, InputErrors, OutputError
from simulator.levers import ASSUMPTIONS
from simulator.output import write_text_atomic
from simulator.params import DEFAULT_PARAMS_PATH, FittedParams, dump_params
from simulator.settings import load_settings, unknown_variables


def _fiscal_year(text: str) -> int:
    t = text.strip().upper().removeprefix("FY")
    if not t.isdigit() or not 2000 <= int(t) <= 2100:
        raise argparse.ArgumentTypeError(f"expected a fiscal year such as FY2022, got {text!r}")
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
        help="where to write the parameters (default: calibration/fitted_params.json, or "
        "calibration/fitted_params_until_FYxxxx.json with --until)",
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
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for warning in unknown_variables():
        print(f"warning: {warning}", file=sys.stderr)
    try:
        data_dir = args.data_dir if args.data_dir is not None else load_settings().data_dir
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
    try:
        params = fit(data, until=args.until)
    except ValidationError as exc:  # a NaN or an infinity where the parameter file needs a number
        where = ".".join(str(x) for x in exc.errors()[0]["loc"])
        raise InputError(
            f"the fit produced a value that is not a finite number ({where}); nothing was written. "
            "Check the data for a degenerate series (constant values, a single year)"
        ) from None
    out = args.out
    if out is None:
        out = (
            DEFAULT_PARAMS_PATH
            if args.until is None
            else DEFAULT_PARAMS_PATH.with_name(f"fitted_params_until_FY{args.until}.json")
        )
    text = dump_params(params)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is out of date: run `python -m calibration fit`", file=sys.stderr)
            return 1
        print(f"{out} is up to date")
        return 0
    if out.is_dir():
        raise InputError("is a folder; give a file name", file=out, allowed="a .json file name")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError.from_os_error(exc, out) from None
    write_text_atomic(out, text)  # a temporary file renamed when complete: a crash leaves the old file
    print(report(params))
    print(f"\nwrote {out}")
    return 0


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

        a_lo, a_hi = stats.t.ppf(
            [0.05, 0.95], post.dof, loc=post.alpha, scale=np.sqrt(post.scale2 / post.span)
        )
        s_lo, s_hi = np.sqrt(post.dof * post.scale2 / stats.chi2.ppf([0.95, 0.05], post.dof))
        lines += [
            f"  trend growth of the core   {np.expm1(t.alpha) * 100:6.1f}% a year   "
            f"[{np.expm1(a_lo) * 100:.1f}%, {np.expm1(a_hi) * 100:.1f}%]  "
            f"(log points {t.alpha:.4f}, se {t.alpha_se:.4f})",
            f"  size of yearly shocks (sd) {t.sigma:6.3f} log points   [{s_lo:.3f}, {s_hi:.3f}]  "
            f"({post.dof} degrees of freedom)",
        ]
    else:
        cov = np.asarray(t.posterior.cov)
        lines += [
            f"  trend growth of the core   {np.expm1(t.alpha) * 100:6.1f}% a year   "
            f"(se {np.sqrt(cov[0, 0]):.4f} log points)",
            f"  slowdown beta              {t.beta:6.3f}            (se {np.sqrt(cov[1, 1]):.4f})",
            f"  size of yearly shocks (sd) {t.sigma:6.3f} log points",
        ]
    s = t.selection
    lines += [
        f"  growth slowing with size?  beta_hat {s.beta_hat:.3f}, LR {s.lr_stat:.2f}, "
        f"p {s.p_value:.3f} -> {s.selected}",
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
        ytd = {f.months: f.ytd_musd for f in nc.figures}
        lines += [
            "",
            f"Nowcast of FY{nc.fiscal_year} as its months arrived (US$ m; median [80% interval])",
            "  through            figure    implied full year",
        ]
        lines += [
            f"  {period_label(nc.fiscal_year, st.months):16s} {ytd[st.months]:8,.0f}  "
            f"{band_text(st.log_mean, st.log_sd)}"
            for st in nc.by_month
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
    rows, skipped = latest, []
    if args.vintage == "real-time":
        rows, skipped = real_time_backtest(
            data, draws=args.draws, levers=args.levers, months_after=args.months_after
        )
    if args.json:
        for note in skipped:
            print(f"note: origin skipped: {note}", file=sys.stderr)
        print(json.dumps([r.as_dict() for r in rows], indent=2))
        return 0
    mode = (
        "conditional forecast: the levers take their recorded values in the forecast years"
        if args.levers == "actual"
        else "the levers stay at their values in the origin year"
    )
    if args.vintage == "latest":
        print(f"Rolling-origin backtest ({mode}); pseudo-real-time: latest vintages up to each origin.\n")
        print("origin  target  horizon    actual       p10       p50       p90     naive")
        for r in rows:
            print(
                f"FY{r.origin_fy}  FY{r.target_fy}  {r.horizon:5d}  {r.actual:9,.0f} {r.p10:9,.0f} "
                f"{r.p50:9,.0f} {r.p90:9,.0f} {r.naive:9,.0f}"
            )
        _print_scores(rows)
        return 0
    print(
        f"Rolling-origin backtest ({mode}); real time: at each origin day only the figures published by "
        "then, the fit on them and the nowcast from the year-to-date figures known then; scored against "
        "the latest figures.\n"
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
    print("\nhorizon   n   mean abs. % error: model   naive   80% interval held the actual")
    for s in score(rows):
        verdict = "beats" if s.mae_model_pct < s.mae_naive_pct else "does not beat"
        print(
            f"{s.horizon:7d} {s.n:3d}   {s.mae_model_pct:21.1f}%  {s.mae_naive_pct:5.1f}%   "
            f"{s.coverage_80 * 100:5.0f}% of {s.n}   (model {verdict} naive)"
        )


if __name__ == "__main__":
    sys.exit(main())
