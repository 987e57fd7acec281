"""The "What it takes" page: goal seek, attribution and sensitivity for one target.

Everything shown comes from :mod:`simulator.analysis` (the same functions as ``simulator
goal-seek``, ``attribute`` and ``sensitivity``); this module only caches, lays out and draws.
The chart builders and table frames are pure functions of the analysis results, so the tests
check them without a browser.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from simulator import output
from simulator.analysis import plausibility
from simulator.analysis.attribution import (
    ATTRIBUTION_COLUMNS,
    ATTRIBUTION_DECIMALS,
    Attribution,
    attribute,
    attribution_rows,
    wedges,
)
from simulator.analysis.goal_seek import (
    GOAL_SEEK_COLUMNS,
    GOAL_SEEK_DECIMALS,
    GoalSeek,
    Package,
    ReachModel,
    goal_seek,
    goal_seek_rows,
)
from simulator.analysis.goals import Goal, dated_open_goals
from simulator.analysis.sensitivity import (
    SENSITIVITY_COLUMNS,
    SENSITIVITY_DECIMALS,
    OddsModel,
    SobolResult,
    Tornado,
    odds_sobol,
    sensitivity_rows,
    tornado,
    uncertain_inputs,
)
from simulator.app import compute
from simulator.app.charts import OKABE_ITO, _style
from simulator.engine import Engine, Projection
from simulator.errors import InputError, InputErrors
from simulator.levers import LEVER_BY_NAME, LEVERS
from simulator.scenario import Scenario, baseline_scenario
from simulator.scenario_files import shipped_scenarios

PROBABILITIES = (0.1, 0.25, 0.5, 0.66, 0.8, 0.9)
SOBOL_SAMPLES = (256, 512, 1024)
SHOCKS = 1000
"""Shock paths per run in the app (the command line's default is 2000; the text says which)."""
CURRENT = "Current policy (baseline)"
OWN = "An amount and deadline of my own"
RAISES, LOWERS = "raises exports", "lowers exports"
SIGN_COLOURS = {RAISES: OKABE_ITO["blue"], LOWERS: OKABE_ITO["vermillion"]}
TARGET_COLOUR = OKABE_ITO["purple"]
TITLE_ROOM = 130
"""Pixels a chart's title, subtitle and top legend take: the app sizes the whole chart to ``height``."""


# --------------------------------------------------------------------------- cached computations


@st.cache_resource(show_spinner=False)
def starting_points(first_year: int) -> dict[str, Scenario]:
    """Current policy and the shipped scenarios (resolved), by name."""
    out = {CURRENT: baseline_scenario()}
    # a broken shipped file is reported on the Scenario page; current policy still works
    with contextlib.suppress(InputErrors):
        out.update({k: v for k, v in shipped_scenarios(first_year=first_year).items() if k != "baseline"})
    return out


class Memo:
    """Results of slow, pure computations, shared by every session: an LRU of ``size`` entries.

    Not ``st.cache_resource`` on the computations themselves: they report progress to a bar the
    caller draws, and Streamlit cannot replay writes to an element created outside a cached
    function (a ``CacheReplayClosureError`` on the second visit to this page).
    """

    def __init__(self, size: int = 32):
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: tuple, work: Callable[[], object]) -> object:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = work()  # outside the lock: two sessions may compute the same thing once each
        with self._lock:
            self._data[key] = value
            while len(self._data) > self._size:
                self._data.popitem(last=False)
        return value


@st.cache_resource(show_spinner=False)
def memo(name: str) -> Memo:
    """The server's memo for one kind of computation (kept across reruns and sessions)."""
    return Memo()


def seek(
    amount: float,
    deadline: int,
    target_id: str | None,
    p: float,
    start_name: str,
    start_year: int,
    levers: tuple[str, ...],
    on_progress: Callable[[float], None] | None = None,
) -> tuple[GoalSeek, ReachModel]:
    """Goal seek for one goal (memoised by every input that matters)."""

    def work() -> tuple[GoalSeek, ReachModel]:
        engine = compute.engine()
        goal = _goal(engine, amount, deadline, target_id)
        base = starting_points(engine.first_projection_year)[start_name]
        model = ReachModel.build(engine, goal, compute.settings(), base=base, start_year=start_year)
        chosen = [LEVER_BY_NAME[n] for n in levers]
        return goal_seek(model, p, chosen, on_progress=on_progress), model

    key = (amount, deadline, target_id, p, start_name, start_year, levers)
    return memo("seek").get(key, work)


def _goal(engine: Engine, amount: float, deadline: int, target_id: str | None) -> Goal:
    target = next((t for t in engine.data.targets if t.id == target_id), None)
    return Goal(amount, deadline, target)


def sensitivity(
    amount: float,
    deadline: int,
    target_id: str | None,
    start_name: str,
    package: tuple[tuple[str, float], ...],
    start_year: int,
    n: int,
    model: ReachModel,
    on_progress: Callable[[float], None] | None = None,
) -> tuple[Tornado, SobolResult, int, list]:
    """Tornado and Sobol indices of P(goal) for the start scenario with ``package`` applied
    (memoised; ``model`` follows from the other arguments)."""

    def work() -> tuple[Tornado, SobolResult, int, list]:
        engine = compute.engine()
        goal = _goal(engine, amount, deadline, target_id)
        scenario = model.scenario(dict(package), name="package") if package else model.base
        inputs, _ = uncertain_inputs(engine, scenario)
        seed = compute.settings().seed
        odds = OddsModel(engine, scenario, [goal], inputs, shocks=SHOCKS, seed=seed)
        (t,) = tornado(odds)
        (s,) = odds_sobol(odds, n=n, seed=seed, on_progress=on_progress)
        return t, s, odds.shocks, inputs

    key = (amount, deadline, target_id, start_name, package, start_year, n)
    return memo("sensitivity").get(key, work)


# --------------------------------------------------------------------------- frames


def lever_answers_frame(result: GoalSeek) -> pd.DataFrame:
    """One row per lever: current setting, least setting alone (or not reachable), probabilities."""
    rows = []
    for a in result.levers:
        lv = a.lever
        if a.value is None:
            answer = "not reachable alone"
        else:
            answer = f"{'at least' if lv.direction > 0 else 'at most'} {a.value:g}"
        rows.append(
            {
                "Lever": lv.label,
                "Range": lv.range_text,
                "Now": a.current,
                "Least setting alone": answer,
                "P there": a.p_value,
                "P at the far end": a.p_best,
            }
        )
    return pd.DataFrame(rows)


def package_frame(pkg: Package) -> pd.DataFrame:
    """The levers the package moves: now, package value, and the move as a share of the range."""
    rows = []
    for name, v in pkg.moved().items():
        lv = LEVER_BY_NAME[name]
        rows.append(
            {
                "Lever": lv.label,
                "Now": pkg.current[name],
                "Package": v,
                "Unit": lv.unit,
                "Move (share of range)": abs(v - pkg.current[name]) / (lv.max - lv.min),
            }
        )
    return pd.DataFrame(rows)


def as_percent_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy for display: shares in ``columns`` as percentages with one decimal, a dash where
    there is no value (a lever that cannot reach the target alone has no probability "there")."""
    out = frame.copy()
    for c in columns:
        out[c] = [("—" if v is None or pd.isna(v) else f"{v:.1%}") for v in frame[c]]
    return out


def waterfall_frame(a: Attribution) -> pd.DataFrame:
    """Bars of the waterfall at the deadline (US$ billions): baseline, each lever, the scenario."""
    rows = [
        {
            "step": f"Baseline FY{a.year}",
            "start": 0.0,
            "end": a.baseline_mean / 1000,
            "kind": "level",
            "lo": np.nan,
            "hi": np.nan,
        }
    ]
    level = a.baseline_mean
    for p in sorted(a.parts, key=lambda p: -p.mean_musd):
        if p.mean_musd == 0 and p.p10_musd == 0 and p.p90_musd == 0:
            continue
        rows.append(
            {
                "step": LEVER_BY_NAME[p.lever].label,
                "start": level / 1000,
                "end": (level + p.mean_musd) / 1000,
                "kind": RAISES if p.mean_musd >= 0 else LOWERS,
                "lo": (level + p.p10_musd) / 1000,
                "hi": (level + p.p90_musd) / 1000,
            }
        )
        level += p.mean_musd
    rows.append(
        {
            "step": "With the levers",
            "start": 0.0,
            "end": a.scenario_mean / 1000,
            "kind": "level",
            "lo": np.nan,
            "hi": np.nan,
        }
    )
    return pd.DataFrame(rows)


def wedge_frame(projection: Projection) -> pd.DataFrame:
    """Each lever's mean contribution stacked on the baseline mean, per year (US$ billions).

    Levers keep one stacking order in every year (largest at the last year nearest the baseline);
    gains stack above the baseline, losses below it.
    """
    rows = pd.DataFrame(wedges(projection))
    last = rows[rows["fiscal_year"] == rows["fiscal_year"].max()]
    order = list(last.sort_values("mean_musd", key=abs, ascending=False)["lever"])
    out = []
    for year, grp in rows.groupby("fiscal_year"):
        base = float(grp["baseline_mean_musd"].iloc[0])
        up, down = base, base
        by = grp.set_index("lever")
        for name in order:
            v = float(by.loc[name, "mean_musd"])
            if v == 0:
                continue
            if v > 0:
                lo, hi, up = up, up + v, up + v
            else:
                lo, hi, down = down + v, down, down + v
            out.append(
                {"fiscal_year": int(year), "lever": by.loc[name, "label"], "y0": lo / 1000, "y1": hi / 1000}
            )
        out.append({"fiscal_year": int(year), "lever": "baseline", "y0": base / 1000, "y1": base / 1000})
    return pd.DataFrame(out)


def tornado_frame(t: Tornado, inputs: list) -> pd.DataFrame:
    by = {i.name: i for i in inputs}
    rows = []
    for rank, b in enumerate(t.bars):
        for end, value, y in (("low", b.low_value, b.y_low), ("high", b.high_value, b.y_high)):
            rows.append(
                {
                    "input": b.label,
                    "rank": rank,
                    "end": f"input at its {end} value",
                    "value": by[b.input].text(value),
                    "p": y,
                    "central": t.y_central,
                }
            )
    return pd.DataFrame(rows)


def sobol_frame(s: SobolResult) -> pd.DataFrame:
    rows = []
    for rank, i in enumerate(s.ranked()):
        for kind, v, c in (("first-order", s.s1[i], s.s1_conf[i]), ("total", s.st[i], s.st_conf[i])):
            rows.append(
                {"input": s.labels[i], "rank": rank, "index": kind, "value": v, "lo": v - c, "hi": v + c}
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- charts


def waterfall_chart(df: pd.DataFrame, goal: Goal) -> alt.LayerChart:
    """Baseline, each lever's mean contribution (bar) with its 10th-90th percentile range, the result."""
    order = list(df["step"])
    y = alt.Y("step:N", sort=order, title=None, axis=alt.Axis(labelLimit=360))
    colour = alt.Color(
        "kind:N",
        title=None,
        scale=alt.Scale(
            domain=["level", RAISES, LOWERS],
            range=["#6E6E6E", SIGN_COLOURS[RAISES], SIGN_COLOURS[LOWERS]],
        ),
        legend=alt.Legend(orient="top", labelExpr="datum.label == 'level' ? 'mean exports' : datum.label"),
    )
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("start:Q", title=f"Reported exports in FY{goal.deadline_fy}, US$ billions (mean)"),
            x2="end:Q",
            color=colour,
            tooltip=[
                alt.Tooltip("step:N", title="Step"),
                alt.Tooltip("start:Q", format=".2f", title="From $B"),
                alt.Tooltip("end:Q", format=".2f", title="To $B"),
                alt.Tooltip("lo:Q", format=".2f", title="p10 $B"),
                alt.Tooltip("hi:Q", format=".2f", title="p90 $B"),
            ],
        )
    )
    ranges = (
        alt.Chart(df.dropna(subset=["lo"]))
        .mark_rule(strokeWidth=2, color="#222")
        .encode(y=y, x="lo:Q", x2="hi:Q")
    )
    target = pd.DataFrame({"amount": [goal.amount_musd / 1000], "label": [f"target: {goal.label}"]})
    rule = (
        alt.Chart(target)
        .mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=2.5)
        .encode(x="amount:Q")
    )
    text = (
        alt.Chart(target)
        .mark_text(align="right", dx=-6, baseline="top", color=TARGET_COLOUR, fontSize=14)
        .encode(x="amount:Q", text="label:N", y=alt.value(2))
    )
    return _style(
        alt.layer(bars, ranges, rule, text).properties(
            height=44 * len(order) + TITLE_ROOM,
            width="container",
            title=alt.Title(
                "What closes the gap at the deadline",
                subtitle="Bars: mean contribution of each lever; black lines: its 10th-90th percentile range",
            ),
        )
    )


def wedge_chart(df: pd.DataFrame, goal: Goal) -> alt.LayerChart:
    """Each lever's mean contribution stacked on the baseline mean, year by year, and the target."""
    levers = [lv.label for lv in LEVERS if lv.label in set(df["lever"])]
    palette = [OKABE_ITO[c] for c in ("blue", "orange", "green", "sky_blue", "vermillion", "purple")]
    colour = alt.Color(
        "lever:N",
        title=None,
        scale=alt.Scale(domain=levers, range=palette[: len(levers)]),
        legend=alt.Legend(orient="top", columns=2, labelLimit=0),
    )
    x = alt.X(
        "fiscal_year:Q",
        title="Fiscal year",
        axis=alt.Axis(format="d", tickMinStep=1, labelExpr="'FY' + datum.value"),
    )
    areas = (
        alt.Chart(df[df["lever"] != "baseline"])
        .mark_area(opacity=0.8, interpolate="monotone")
        .encode(
            x=x,
            y=alt.Y("y0:Q", title="Reported exports, US$ billions (mean)"),
            y2="y1:Q",
            color=colour,
            detail="lever:N",
        )
    )
    base = (
        alt.Chart(df[df["lever"] == "baseline"])
        .mark_line(color="#222", strokeDash=[8, 4], strokeWidth=2.5, interpolate="monotone")
        .encode(x=x, y="y0:Q")
    )
    target = pd.DataFrame({"fiscal_year": [goal.deadline_fy], "amount": [goal.amount_musd / 1000]})
    point = (
        alt.Chart(target)
        .mark_point(shape="diamond", size=260, filled=True, color=TARGET_COLOUR)
        .encode(x="fiscal_year:Q", y="amount:Q")
    )
    return _style(
        alt.layer(areas, base, point).properties(
            height=380 + TITLE_ROOM,
            width="container",
            title=alt.Title(
                "Where the gain comes from, year by year",
                subtitle="Dashed line: baseline mean; wedges: each lever's mean contribution; "
                "diamond: the target",
            ),
        )
    )


def tornado_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Probability with each input at its low and high value (others central), largest swing on top."""
    order = list(dict.fromkeys(df.sort_values("rank")["input"]))
    y = alt.Y("input:N", sort=order, title=None, axis=alt.Axis(labelLimit=360))
    colour = alt.Color(
        "end:N",
        title=None,
        scale=alt.Scale(
            domain=["input at its low value", "input at its high value"],
            range=[OKABE_ITO["orange"], OKABE_ITO["blue"]],
        ),
        legend=alt.Legend(orient="top"),
    )
    bars = (
        alt.Chart(df)
        .mark_bar(height=16, opacity=0.9)
        .encode(
            y=y,
            x=alt.X(
                "central:Q",
                title="Probability of reaching the target by the deadline",
                axis=alt.Axis(format="%"),
            ),
            x2="p:Q",
            color=colour,
            yOffset="end:N",
            tooltip=[
                alt.Tooltip("input:N", title="Input"),
                alt.Tooltip("value:N", title="Value"),
                alt.Tooltip("p:Q", format=".1%", title="Probability"),
            ],
        )
    )
    central = alt.Chart(df.head(1)).mark_rule(color="#222", strokeWidth=2).encode(x="central:Q")
    return _style(alt.layer(bars, central).properties(height=46 * len(order) + 30, width="container"))


def sobol_chart(df: pd.DataFrame, s: SobolResult) -> alt.LayerChart:
    """First-order and total indices per input with their bootstrap intervals."""
    order = list(dict.fromkeys(df.sort_values("rank")["input"]))
    y = alt.Y("input:N", sort=order, title=None, axis=alt.Axis(labelLimit=360))
    colour = alt.Color(
        "index:N",
        title=None,
        scale=alt.Scale(domain=["first-order", "total"], range=[OKABE_ITO["sky_blue"], OKABE_ITO["blue"]]),
        legend=alt.Legend(orient="top"),
    )
    x_title = f"Sobol index (share of the variance of the probability), {s.conf_level:.0%} intervals"
    bars = (
        alt.Chart(df)
        .mark_bar(height=16)
        .encode(
            y=y,
            x=alt.X("value:Q", title=x_title, scale=alt.Scale(domain=[0, 1], clamp=True)),
            color=colour,
            yOffset="index:N",
            tooltip=[
                alt.Tooltip("input:N", title="Input"),
                alt.Tooltip("index:N", title="Index"),
                alt.Tooltip("value:Q", format=".3f", title="Estimate"),
                alt.Tooltip("lo:Q", format=".3f", title="Interval from"),
                alt.Tooltip("hi:Q", format=".3f", title="Interval to"),
            ],
        )
    )
    whiskers = (
        alt.Chart(df)
        .mark_rule(color="#222", strokeWidth=1.5)
        .encode(y=y, yOffset="index:N", x="lo:Q", x2="hi:Q")
    )
    return _style(alt.layer(bars, whiskers).properties(height=46 * len(order) + 30, width="container"))


# --------------------------------------------------------------------------- page


URL_KEYS = ("target", "amount", "deadline", "p", "from", "start", "levers")
"""Query keys of this page: a link reproduces the question asked."""
WIDGET = {
    "target": "wit_target",
    "amount": "wit_amount",
    "deadline": "wit_deadline",
    "p": "wit_probability",
    "from": "wit_start",
    "start": "wit_start_year",
    "levers": "wit_levers",
}


def view_from_query(
    params: dict[str, str], options: dict[str, Goal | None], starts: list[str], first_year: int, horizon: int
) -> tuple[dict[str, object], list[str]]:
    """Widget values from a link's query parameters, and a note for each parameter not understood."""
    out: dict[str, object] = {}
    problems: list[str] = []

    def bad(key: str, allowed: str) -> None:
        problems.append(f"{key}={params[key]!r} (allowed: {allowed})")

    if "target" in params:
        by_key = {(g.key if g is not None else "own"): label for label, g in options.items()}
        if params["target"] in by_key:
            out[WIDGET["target"]] = by_key[params["target"]]
        else:
            bad("target", "an open dated target id, or own")
    for key, lo, hi, cast in (("amount", 0.5, 200.0, float), ("deadline", first_year, horizon, int)):
        if key in params:
            try:
                v = cast(params[key])
            except ValueError:
                v = None
            if v is None or not lo <= v <= hi:
                bad(key, f"{lo:g} to {hi:g}")
            else:
                out[WIDGET[key]] = v
    if "p" in params:
        try:
            p = float(params["p"])
        except ValueError:
            p = None
        match = next((x for x in PROBABILITIES if p is not None and abs(x - p) < 1e-9), None)
        if match is None:
            bad("p", ", ".join(f"{x:g}" for x in PROBABILITIES))
        else:
            out[WIDGET["p"]] = match
    if "from" in params:
        if params["from"] in starts:
            out[WIDGET["from"]] = params["from"]
        else:
            bad("from", ", ".join(starts))
    if "start" in params:
        try:
            y = int(params["start"])
        except ValueError:
            y = None
        if y is None or not first_year <= y <= horizon:
            bad("start", f"fiscal years {first_year} to {horizon}")
        else:
            out[WIDGET["start"]] = y
    if "levers" in params:
        names = [n for n in params["levers"].split(",") if n]
        if names and all(n in LEVER_BY_NAME for n in names):
            out[WIDGET["levers"]] = names
        else:
            bad("levers", ", ".join(LEVER_BY_NAME))
    return out, problems


def query_from_view(
    goal: Goal, p: float, start_name: str, start_year: int, levers: list[str]
) -> dict[str, str]:
    """The query parameters that reproduce this view (defaults left out)."""
    q: dict[str, str] = {"target": goal.key if goal.target is not None else "own"}
    if goal.target is None:
        q["amount"] = f"{goal.amount_musd / 1000:g}"
        q["deadline"] = str(goal.deadline_fy)
    q["p"] = f"{p:g}"
    if start_name != CURRENT:
        q["from"] = start_name
    q["start"] = str(start_year)
    if set(levers) != {lv.name for lv in LEVERS}:
        q["levers"] = ",".join(levers)
    return q


def _init_from_url(engine: Engine, options: dict[str, Goal | None], starts: list[str]) -> None:
    """Set the widgets from the link once per session; say which parameters were not understood.

    Every widget's default is set here, through the session state, so that no widget is given
    both a default and a session value.
    """
    horizon = compute.settings().horizon
    labels = list(options)
    defaults = {
        WIDGET["target"]: next((k for k in labels if "$10B by FY2029" in k), labels[0]),
        WIDGET["amount"]: 10.0,
        WIDGET["deadline"]: min(engine.first_projection_year + 4, horizon),
        WIDGET["p"]: 0.5,
        WIDGET["from"]: CURRENT,
        WIDGET["start"]: engine.first_projection_year,
        WIDGET["levers"]: [lv.name for lv in LEVERS],
    }
    for k, v in defaults.items():
        st.session_state.setdefault(k, v)
    if st.session_state.get("_wit_url_read"):
        return
    st.session_state["_wit_url_read"] = True
    params = {k: st.query_params[k] for k in URL_KEYS if k in st.query_params}
    values, problems = view_from_query(
        params, options, starts, engine.first_projection_year, compute.settings().horizon
    )
    st.session_state.update(values)
    if problems:
        st.session_state["_wit_url_problems"] = problems


def _goal_options(engine: Engine) -> dict[str, Goal | None]:
    opts: dict[str, Goal | None] = {}
    for g in dated_open_goals(engine):
        who = g.target.who if g.target is not None else ""
        opts[f"{g.label}: {who}"] = g
    opts[OWN] = None
    return opts


def _pick_goal(engine: Engine, opts: dict[str, Goal | None]) -> Goal:
    labels = list(opts)
    choice = st.selectbox(
        "Target",
        labels,
        key="wit_target",
        help="Open official targets that state a deadline (one per amount and deadline), or your own.",
    )
    goal = opts[choice]
    if goal is not None:
        return goal
    c1, c2 = st.columns(2)
    amount = c1.number_input(
        "Amount, US$ billions", min_value=0.5, max_value=200.0, step=0.5, key="wit_amount"
    )
    deadline = c2.number_input(
        "Deadline (fiscal year)",
        min_value=engine.first_projection_year,
        max_value=compute.settings().horizon,
        step=1,
        key="wit_deadline",
    )
    return Goal(float(amount) * 1000.0, int(deadline), None)


def csv_download(label: str, rows: list[dict], columns, decimals, file_name: str, key: str) -> None:
    """A download button for ``rows`` as CSV, formatted as the command line writes it."""
    st.download_button(
        label,
        data=output.format_csv(rows, columns, decimals),
        file_name=file_name,
        mime="text/csv",
        on_click="ignore",
        key=key,
    )


def engine_or_stop() -> Engine:
    """The app's engine, or an error message and the end of the page if the model cannot start."""
    try:
        return compute.engine()
    except InputError as exc:
        st.error(f"The model cannot start: {exc}")
        st.stop()
        raise  # st.stop() does not return


def page() -> None:
    """The "What it takes" page."""
    engine = engine_or_stop()
    st.title("What it takes")
    st.markdown(
        "Pick a target and how sure you want to be. The page finds the least demanding setting of each "
        "policy lever on its own, and the smallest combined change of all of them, that reach the target "
        "by its deadline with that probability; then which lever closes how much of the gap, and which "
        "uncertain assumptions matter most for the odds. Every candidate is projected with the same "
        "Monte Carlo draws, so differences between settings are policy, not luck."
    )
    options = _goal_options(engine)
    starts = starting_points(engine.first_projection_year)
    _init_from_url(engine, options, list(starts))
    for note in st.session_state.pop("_wit_url_problems", []):
        st.warning(f"Ignored a link parameter: {note}.")
    c1, c2 = st.columns([3, 2])
    with c1:
        goal = _pick_goal(engine, options)
    with c2:
        p = st.select_slider(
            "Required probability",
            options=PROBABILITIES,
            format_func=lambda v: f"{v:.0%}",
            key="wit_probability",
        )
    c3, c4, c5 = st.columns([2, 1, 3])
    start_name = c3.selectbox(
        "Starting from",
        list(starts),
        key="wit_start",
        help="Its assumptions, trend and lever settings stay; the levers found here replace its settings.",
    )
    years = list(range(engine.first_projection_year, goal.deadline_fy + 1))
    if st.session_state.get(WIDGET["start"]) not in years:  # a later deadline was chosen before
        st.session_state[WIDGET["start"]] = years[0]
    start_year = c4.selectbox(
        "Levers change from", years, format_func=lambda y: f"FY{y}", key="wit_start_year"
    )
    chosen = c5.multiselect(
        "Levers allowed to move",
        [lv.name for lv in LEVERS],
        format_func=lambda n: LEVER_BY_NAME[n].label,
        key="wit_levers",
    )
    if not chosen:
        st.warning("Choose at least one lever.")
        return
    wanted = query_from_view(goal, float(p), start_name, int(start_year), list(chosen))
    if {k: st.query_params[k] for k in st.query_params} != wanted:
        st.query_params.from_dict(wanted)

    need = plausibility.check_goal(engine, goal)
    if need is not None:
        st.warning(str(need), icon=":material/warning:")

    bar = st.progress(0.0, text="Searching the lever settings...")
    try:
        result, model = seek(
            goal.amount_musd,
            goal.deadline_fy,
            goal.target.id if goal.target else None,
            float(p),
            start_name,
            int(start_year),
            tuple(chosen),
            on_progress=lambda f: bar.progress(min(1.0, f), text="Searching the lever settings..."),
        )
    except InputError as exc:
        bar.empty()
        st.error(str(exc))
        return
    bar.empty()
    _goal_seek_section(result, goal)
    scenario_settings = _attribution_section(result, model, goal)
    _sensitivity_section(result, model, goal, start_name, scenario_settings)


def _goal_seek_section(result: GoalSeek, goal: Goal) -> None:
    st.header("1. Lever settings that reach it", divider="gray")
    if result.reached_in_history is not None:
        st.success(f"Already reached in FY{result.reached_in_history}.")
        return
    m1, m2, m3 = st.columns(3)
    m1.metric("Probability as things stand", f"{result.p_current:.1%}")
    pkg = result.package
    m2.metric("With every allowed lever at its far end", f"{pkg.p_best:.1%}" if pkg else "-")
    m3.metric("Draws", f"{result.draws:,}", help=f"seed {result.seed}")
    st.subheader("One lever at a time")
    st.caption(
        "The other levers stay as in the starting scenario. 'Not reachable alone': even the far end "
        "of the lever's documented range falls short."
    )
    st.dataframe(
        as_percent_text(lever_answers_frame(result), ["P there", "P at the far end"]),
        hide_index=True,
        column_config={"Now": st.column_config.NumberColumn(format="%g")},
    )
    st.subheader("The least-change package")
    st.caption(
        "The combination nearest to the starting settings that reaches the target with the required "
        "probability, where nearness is the sum of squared moves, each as a share of its lever's range."
    )
    if pkg is None:
        return
    if not pkg.reachable:
        st.error(
            f"No setting within the levers' documented ranges reaches {goal.label} with probability "
            f"{result.p_required:.0%}: with every allowed lever at the far end of its range the "
            f"probability is {pkg.p_best:.1%}."
        )
    elif not pkg.moved():
        st.success(pkg.text())
    else:
        st.dataframe(as_percent_text(package_frame(pkg), ["Move (share of range)"]), hide_index=True)
        st.markdown(f"Probability with the package: **{pkg.p_value:.1%}** (distance {pkg.distance:.3f}).")
    csv_download(
        "Download goal seek (CSV)",
        goal_seek_rows(result),
        GOAL_SEEK_COLUMNS,
        GOAL_SEEK_DECIMALS,
        f"goal_seek_{goal.key}.csv",
        "wit_dl_goal_seek",
    )


def _attribution_section(result: GoalSeek, model: ReachModel, goal: Goal) -> dict[str, float]:
    """Attribution for the package, or every allowed lever at its far end if none reaches."""
    st.header("2. Which lever closes how much of the gap", divider="gray")
    pkg = result.package
    if pkg is None or result.reached_in_history is not None:
        return {}
    if pkg.reachable and pkg.moved():
        settings, what = pkg.moved(), "the least-change package"
    else:
        settings = {a.lever.name: _far(a.lever.name) for a in result.levers}
        what = "every allowed lever at the far end of its range"
        if pkg.reachable:
            st.info(
                "The target is reached without moving a lever; below, every allowed lever at its far end."
            )
    projection = model.engine.project(model.scenario(settings, name="package"), model.draws)
    a = attribute(projection, goal)
    st.markdown(
        f"For {what}, at FY{a.year}: the gap between the baseline's mean (${a.baseline_mean / 1000:.2f}B) "
        f"and {goal.label} is **${a.gap_mean / 1000:.2f}B**. Means over draws, because means add up "
        "exactly; each lever's 10th-90th percentile range shows its uncertainty."
    )
    st.altair_chart(waterfall_chart(waterfall_frame(a), goal), width="stretch")
    st.altair_chart(wedge_chart(wedge_frame(projection), goal), width="stretch")
    warnings = plausibility.check(projection)
    for w in warnings:
        st.warning(str(w), icon=":material/warning:")
    csv_download(
        "Download attribution (CSV)",
        attribution_rows(projection, [a]),
        ATTRIBUTION_COLUMNS,
        ATTRIBUTION_DECIMALS,
        f"attribution_{goal.key}.csv",
        "wit_dl_attribution",
    )
    return dict(settings)


def _far(name: str) -> float:
    lv = LEVER_BY_NAME[name]
    return float(lv.max if lv.direction > 0 else lv.min)


def _sensitivity_section(
    result: GoalSeek, model: ReachModel, goal: Goal, start_name: str, settings: dict[str, float]
) -> None:
    st.header("3. Which assumptions matter most for the odds", divider="gray")
    if result.reached_in_history is not None:
        return
    c1, c2 = st.columns([2, 1])
    which = c1.radio(
        "Scenario",
        ["with the levers above", "the starting scenario as it is"]
        if settings
        else ["the starting scenario as it is"],
        horizontal=True,
        key="wit_sens_scenario",
    )
    n = c2.select_slider("Sobol base sample N", options=SOBOL_SAMPLES, value=1024, key="wit_sobol_n")
    package = tuple(sorted(settings.items())) if which == "with the levers above" else ()
    bar = st.progress(0.0, text="Computing Sobol indices...")
    t, s, shocks, inputs = sensitivity(
        goal.amount_musd,
        goal.deadline_fy,
        goal.target.id if goal.target else None,
        start_name,
        package,
        model.start_year,
        int(n),
        model,
        on_progress=lambda f: bar.progress(min(1.0, f), text="Computing Sobol indices..."),
    )
    bar.empty()
    st.markdown(
        f"The output is the probability of reaching {goal.label}, as a function of the {len(inputs)} "
        f"uncertain inputs: every effect-size assumption (triangular, as the model samples it), the "
        f"trend's growth and the size of yearly shocks (their posteriors). Each run averages the same "
        f"{shocks:,} shock paths."
    )
    st.subheader("Tornado: one input at a time")
    st.caption(
        f"Each input at its low and high value (the triangle's ends; the posterior's 5th and 95th "
        f"percentiles for the trend), every other input central. Black line: everything central "
        f"({t.y_central:.1%})."
    )
    st.altair_chart(tornado_chart(tornado_frame(t, inputs)), width="stretch")
    st.subheader("Sobol indices: the share of the variance each input explains")
    if not s.defined:
        st.info(f"No indices: {s.note}.")
    else:
        st.caption(
            f"Computed with SALib: N = {s.n} base samples, {s.runs:,} model runs of {shocks:,} shock paths "
            f"each; bars are estimates, black lines their {s.conf_level:.0%} bootstrap confidence intervals. "
            "First-order: the input alone; total: with its interactions."
        )
        st.altair_chart(sobol_chart(sobol_frame(s), s), width="stretch")
    csv_download(
        "Download sensitivity (CSV)",
        sensitivity_rows([t], [s], shocks, inputs),
        SENSITIVITY_COLUMNS,
        SENSITIVITY_DECIMALS,
        f"sensitivity_{goal.key}.csv",
        "wit_dl_sensitivity",
    )
