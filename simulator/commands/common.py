"""Pieces shared by the commands: options, file lists, a progress bar, plain-text tables, CSV.

The options of the analysis commands (``goal-seek``, ``attribute``, ``sensitivity``): the goal
(:func:`add_goal_options`, :func:`goals_from`), the scenario (:func:`add_scenario_options`,
:func:`scenario_from`), the run settings (:func:`add_settings_options`, :func:`settings_from`)
and the CSV output (:func:`add_out_option`, :func:`write_csv`). The analysis modules are imported
where they are used, so that ``simulator run`` does not load them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tqdm import tqdm

if TYPE_CHECKING:
    from simulator.analysis.goals import Goal
    from simulator.engine import Engine

from simulator import output
from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME
from simulator.scenario import Scenario, baseline_scenario, validate_scenario
from simulator.scenario_files import (
    SUFFIXES,
    ScenarioFile,
    load_scenario_files,
    shipped_files,
    shipped_scenarios,
)
from simulator.settings import (
    MAX_DRAWS,
    MAX_HORIZON,
    MAX_SEED,
    MIN_DRAWS,
    Settings,
    check_horizon,
    load_settings,
)


def bounded_int(lo: int | None, hi: int | None, what: str) -> type[int]:
    """An argparse ``type`` for a whole number in ``[lo, hi]`` (a bad value is a usage error, exit 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number ({what})") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            span = f"{lo} to {hi}" if hi is not None else f"{lo} or more"
            raise argparse.ArgumentTypeError(f"{value} is out of range ({what}: {span})")
        return value

    parse.__name__ = what
    return parse  # type: ignore[return-value]


def add_settings_options(p: argparse.ArgumentParser, *, draws: bool = True, horizon: bool = True) -> None:
    """``--draws``, ``--seed`` and ``--horizon``: the run's defaults (a scenario file's own values
    win). ``draws`` or ``horizon`` false: a command that has no use for it leaves it out."""
    if draws:
        p.add_argument(
            "--draws",
            type=bounded_int(MIN_DRAWS, MAX_DRAWS, "draws"),
            metavar="N",
            help=f"Monte Carlo draws per scenario ({MIN_DRAWS}-{MAX_DRAWS}; default: SIMULATOR_DRAWS or "
            "10000); a scenario file's `draws:` wins",
        )
    p.add_argument(
        "--seed",
        type=bounded_int(0, MAX_SEED, "seed"),
        metavar="S",
        help="seed shared by every scenario of the run (common random numbers: differences between "
        "scenarios are policy, not luck); a scenario file's `seed:` wins",
    )
    if not horizon:
        return
    p.add_argument(
        "--horizon",
        type=bounded_int(2000, MAX_HORIZON, "horizon"),
        metavar="FY",
        help=f"last fiscal year projected (up to {MAX_HORIZON}; default: SIMULATOR_HORIZON or 2040); "
        "a scenario file's `horizon:` wins",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment with the command line's overrides (InputError if bad)."""
    return load_settings(
        draws=getattr(args, "draws", None),
        seed=getattr(args, "seed", None),
        horizon=getattr(args, "horizon", None),
    )


def engine_for(settings: Settings, args: argparse.Namespace) -> Engine:
    """The engine for ``settings``, after checking the run's horizon against its data: a horizon
    before the first projection year is blamed on ``--horizon`` or ``SIMULATOR_HORIZON``, not on
    each scenario file."""
    from simulator.engine import Engine

    engine = Engine.from_settings(settings)
    option = "--horizon" if getattr(args, "horizon", None) is not None else None
    check_horizon(settings, engine.first_projection_year, option=option)
    return engine


def expand_paths(items: Sequence[str]) -> list[str]:
    """Files as given; a folder stands for the scenario files in it (sorted by name); the name
    of a shipped scenario (``baseline``, ``blueprint-package``, ...) where no such file exists
    stands for its file in ``scenarios/``."""
    out: list[str] = []
    shipped: dict[str, str] | None = None
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(str(q) for q in p.iterdir() if q.suffix in SUFFIXES and q.is_file())
            out.extend(found or [item])  # an empty folder is reported by the loader
        elif not p.exists() and p.suffix not in SUFFIXES:
            if shipped is None:
                files = shipped_files().items()
                shipped = {name: f.source for name, f in files if isinstance(f, ScenarioFile)}
            out.append(shipped.get(item, item))  # an unknown name is reported by the loader
        else:
            out.append(item)
    return out


class Progress(tqdm):
    """tqdm's progress bar on stderr, drawn only when stderr is a terminal (and not ``--quiet``),
    with a count of the steps that failed.

    ``enabled=None`` leaves the choice to tqdm (a terminal or not); ``True`` or ``False`` forces it.
    """

    def __init__(
        self,
        total: int,
        label: str,
        *,
        unit: str = "it",
        enabled: bool | None = None,
        stream: TextIO | None = None,
    ):
        super().__init__(
            total=total,
            desc=label,
            unit=unit,
            file=stream if stream is not None else sys.stderr,
            disable=None if enabled is None else not enabled,
            mininterval=0.1,
            dynamic_ncols=True,
        )
        self.failed = 0

    def update(self, n: float | None = 1, ok: bool = True) -> bool | None:
        """``n`` more steps done; ``ok=False``: they failed (the count is shown beside the bar)."""
        if not ok:
            self.failed += int(n or 0)
            self.set_postfix_str(f"{self.failed} failed", refresh=False)
        return super().update(n)

    def fraction(self, done: float) -> None:
        """Move the bar to ``done`` (0-1) of the total, for work that reports a fraction done."""
        target = int(done * (self.total or 0))
        if not self.disable and target > self.n:
            self.update(target - self.n)


def text_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] | None = None
) -> str:
    """A plain-text table with aligned columns (``right[i]``: right-align column ``i``)."""
    right = right if right is not None else [i > 0 for i in range(len(header))]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        )

    return (
        "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]).rstrip() + "\n"
    )


NOT_COMPUTED = "n/c"
"""Table cell of odds that are not computed (a horizon before the target's deadline)."""


def percent(p: float | None) -> str:
    """A probability as a short percentage: ``'-'`` for none, ``'<1%'`` and ``'>99%'`` at the ends."""
    if p is None:
        return "-"
    if 0 < p < 0.005:
        return "<1%"
    if 0.995 <= p < 1:
        return ">99%"
    return f"{p * 100:.0f}%"


def print_errors(title: str, failures: Sequence[tuple[str, str]], stream: TextIO | None = None) -> None:
    """``title``, then each failure's messages (one problem a line; each names its file)."""
    out = stream if stream is not None else sys.stderr
    print(title, file=out)
    for source, error in failures:
        for ln in str(error).splitlines() or [source]:
            print(f"  {ln if ln.startswith(source) else f'{source}: {ln}'}", file=out)


def warn_lines(warnings: Sequence[object]) -> str:
    """Warnings as indented lines marked ``!``."""
    return "".join(f"  ! {w}\n" for w in warnings)


# --------------------------------------------------------------------------- analysis commands' options


def probability(text: str) -> float:
    """An argparse ``type``: a share in (0, 1) such as ``0.8``, or a percentage such as ``80%``."""
    t = text.strip()
    try:
        value = float(t[:-1]) / 100.0 if t.endswith("%") else float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability (write 0.8 or 80%)") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range (a share between 0 and 1, e.g. 0.8 or 80%)"
        )
    return value


def amount(text: str) -> float:
    """An argparse ``type``: an amount with its unit (``10B``, ``$10B``, ``10000M``), in US$ millions
    (see :func:`simulator.analysis.goals.parse_amount`)."""
    from simulator.analysis.goals import parse_amount

    try:
        return parse_amount(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} {exc.problem}; allowed: {exc.allowed}") from None


def add_goal_options(p: argparse.ArgumentParser, *, many: bool) -> None:
    """``--target`` (once, or repeated when ``many``), ``--amount`` and ``--deadline``."""
    p.add_argument(
        "--target",
        action="append" if many else "store",
        metavar="ID",
        help="target id from calibration/data/targets.csv (--list-targets shows them)"
        + ("; repeat for several (default: every open target with a deadline)" if many else ""),
    )
    p.add_argument(
        "--amount",
        type=amount,
        metavar="AMOUNT",
        help="a goal of your own: 10B, $10B or 10000M (a bare number is US$ millions, at least 100)",
    )
    p.add_argument(
        "--deadline",
        type=bounded_int(2000, 2100, "deadline"),
        metavar="FY",
        help="deadline fiscal year for --amount, or for a target stated without one",
    )
    p.add_argument("--list-targets", action="store_true", help="list the target ids and stop")


def goals_from(args: argparse.Namespace, engine: Engine, horizon: int = MAX_HORIZON) -> list[Goal]:
    """The goals the options name (several ``--target``, or one amount, or every dated open target).

    A deadline must lie between the first projection year and ``horizon``.
    """
    ids = args.target if isinstance(args.target, list) else [args.target] if args.target else []
    return goals_for(engine, ids, amount=args.amount, deadline=args.deadline, horizon=horizon)


def goals_for(
    engine: Engine,
    target_ids: Sequence[str] = (),
    *,
    amount: float | None = None,
    deadline: int | None = None,
    horizon: int = MAX_HORIZON,
) -> list[Goal]:
    """Goals from target ids, or from one amount and deadline, or (neither) every dated open target."""
    from simulator.analysis.goals import dated_open_goals, resolve_goal

    if amount is not None:
        if target_ids:
            raise InputError("give --target or --amount, not both", field="amount")
        return [resolve_goal(engine, amount_musd=amount, deadline_fy=deadline, horizon=horizon)]
    if target_ids:
        return [resolve_goal(engine, target_id=t, deadline_fy=deadline, horizon=horizon) for t in target_ids]
    goals = dated_open_goals(engine, horizon)
    if not goals:
        raise InputError("no open target with a deadline by the horizon", field="target")
    return goals


def target_list(engine: Engine) -> str:
    """The open targets as a plain-text table (for ``--list-targets``)."""
    rows = [
        [
            t.id,
            f"${t.amount_musd / 1000:g}B",
            f"FY{t.deadline_fy}" if t.deadline_fy else "none",
            f"{t.who}" + (f", {t.said_on}" if t.said_on else ""),
        ]
        for t in engine.open_targets()
    ]
    return "open targets (past ones: the app's track record page)\n" + text_table(
        ["id", "amount", "deadline", "stated by"], rows, right=[False, True, True, False]
    )


def add_scenario_options(p: argparse.ArgumentParser) -> None:
    """``--scenario`` (a file or a shipped scenario's name) and ``--set LEVER=VALUE``."""
    p.add_argument(
        "--scenario",
        metavar="FILE",
        help="scenario file (or the name of a shipped scenario, e.g. blueprint-package) whose "
        "levers, assumptions and trend apply (default: the baseline, current policy)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="LEVER=VALUE",
        help="hold a lever at a value from the first projection year, on top of --scenario "
        f"(repeatable; levers: {', '.join(LEVER_BY_NAME)})",
    )


def scenario_from(args: argparse.Namespace, engine: Engine) -> Scenario:
    """The scenario the options describe, resolved onto its bases (baseline by default)."""
    from simulator.analysis.goal_seek import check_levers

    base = scenario_by_reference(args.scenario, engine) if args.scenario else baseline_scenario()
    levers: dict[str, object] = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError("must be written LEVER=VALUE", field="--set", value=item)
        (lever,) = check_levers([name.strip()])
        try:
            levers[lever.name] = float(value)
        except ValueError:
            raise InputError("must be a number", field=f"--set {lever.name}", value=value) from None
    return with_levers(base, levers, engine, source="--set")


def scenario_by_reference(ref: str | Path, engine: Engine, *, what: str = "--scenario") -> Scenario:
    """A scenario file, or else a shipped scenario's name, resolved onto its bases."""
    first = engine.first_projection_year
    path = Path(ref)
    if path.exists():
        (scenario,) = load_scenario_files([path], first_year=first)
        return scenario
    shipped = shipped_scenarios(first_year=first)
    if str(ref) not in shipped:
        raise InputError(
            "is neither a file nor a shipped scenario",
            field=what,
            value=str(ref),
            allowed=", ".join(shipped),
        )
    return shipped[str(ref)]


def with_levers(
    base: Scenario, levers: Mapping[str, object], engine: Engine, *, source: str, name: str | None = None
) -> Scenario:
    """``base`` with each lever in ``levers`` set as a scenario file's ``levers:`` would set it (a
    number holds from the first projection year); named ``<base>-set`` unless ``name`` is given.
    Lever names are checked first, with a "did you mean"."""
    from simulator.analysis.goal_seek import check_levers

    if not levers:
        return base if name is None else base.model_copy(update={"name": name})
    checked = {lever.name: levers[given] for lever, given in zip(check_levers(levers), levers, strict=True)}
    doc = {"name": name if name is not None else f"{base.name}-set", "levers": checked}
    return validate_scenario(doc, first_year=engine.first_projection_year, source=source).merged_onto(base)


def add_out_option(p: argparse.ArgumentParser, columns_doc: str) -> None:
    p.add_argument("--out", metavar="FILE", help=f"write the results as CSV to FILE ({columns_doc})")


def write_csv(
    path: str, rows: Sequence[Mapping[str, object]], columns: Sequence[str], decimals: Mapping[str, int]
) -> None:
    """Write ``rows`` as CSV (formula cells neutralised) to ``path`` atomically.

    A path that cannot be a file is an InputError (usage); a failed write (a full disk, no
    permission) an OutputError, with the earlier file, if any, unchanged.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError("is a folder; give a file name", file=str(p), allowed="a .csv file name")
    if not p.parent.is_dir():
        raise InputError("the folder does not exist", file=str(p.parent))
    output.write_text_atomic(p, output.format_csv(rows, columns, decimals))
