"""Pieces shared by the commands: run options, file lists, a progress bar and plain-text tables."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from simulator.engine import Engine

from simulator.scenario_files import SUFFIXES, ScenarioFile, shipped_files
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


def add_settings_options(p: argparse.ArgumentParser) -> None:
    """``--draws``, ``--seed`` and ``--horizon``: the run's defaults (a scenario file's own values win)."""
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


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal (and not ``--quiet``)."""

    def __init__(self, total: int, label: str, *, enabled: bool | None = None, stream: TextIO | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.total, self.label, self.done, self.failed = total, label, 0, 0
        self.enabled = _isatty(self.stream) if enabled is None else enabled
        self._start = time.monotonic()
        self._last = 0.0

    def update(self, ok: bool = True) -> None:
        self.done += 1
        self.failed += not ok
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or self.done == self.total):
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        width = 30
        frac = self.done / self.total if self.total else 1.0
        bar = "#" * int(frac * width)
        elapsed = now - self._start
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        failed = f", {self.failed} failed" if self.failed else ""
        self.stream.write(
            f"\r{self.label} [{bar:<{width}}] {self.done}/{self.total}{failed} "
            f"{elapsed:5.1f}s elapsed, {eta:5.1f}s left "
        )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")
            self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


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
