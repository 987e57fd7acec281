"""Scenario discovery on a sweep's result: which ranges of the levers reach a target.

A point of a sweep is "of interest" when its odds of reaching the target by its deadline are at
least the required probability. PRIM (the Patient Rule Induction Method; Friedman and Fisher,
"Bump hunting in high-dimensional data", Statistics and Computing 9, 1999) then finds boxes --
a range for some of the levers -- that hold many of those points (coverage: the share of all
points of interest inside the box) and few others (density: the share of the box's points that
are of interest), as EMA Workbench does for scenario discovery (Bryant and Lempert 2010).

The algorithm is Project Platypus's ``PRIM`` package (the PRIM of EMA Workbench, published on
its own by its authors; it needs only numpy, scipy, pandas and matplotlib). EMA Workbench
itself would add about twenty packages (statsmodels, scikit-learn, seaborn, Platypus, ...) to
the app's dependencies for this one function.

On the peeling trajectory of each box PRIM finds, the box reported is the one with the highest
coverage among those whose density is at least ``min_density`` (EMA Workbench's threshold);
where none reaches it, the densest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.errors import InputError


@dataclass(frozen=True)
class Box:
    """A box of lever ranges and how well it captures the points of interest."""

    coverage: float
    density: float
    mass: float
    """Share of all points inside the box."""
    limits: dict[str, tuple[float, float]]
    """Restricted levers only: (lowest, highest) value inside the box."""
    qp_values: dict[str, float]
    """Each restriction's quasi-p-value (how likely it arises by chance; EMA Workbench's qp)."""


def read_result(path: str | Path) -> pd.DataFrame:
    """A sweep's table: ``sweep.parquet`` in a result folder, or a Parquet or CSV file."""
    p = Path(path)
    if p.is_dir():
        p = p / "sweep.parquet"
    try:
        if p.suffix == ".csv":
            return pd.read_csv(p)
        return pd.read_parquet(p)
    except FileNotFoundError:
        raise InputError(
            "no such file", file=str(p), allowed="a sweep's output folder or its sweep.parquet"
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot be read as a sweep result: {exc}", file=str(p)) from None


def lever_columns(table: pd.DataFrame) -> list[str]:
    """The lever columns of a sweep table: between ``point`` and the first odds column."""
    from simulator.levers import LEVER_BY_NAME

    return [c for c in table.columns if c in LEVER_BY_NAME]


def discover(
    table: pd.DataFrame,
    *,
    target: str,
    probability: float,
    min_density: float = 0.8,
    boxes: int = 3,
    source: str | None = None,
) -> tuple[int, list[Box]]:
    """(points of interest, boxes found) for reaching ``target`` with ``probability`` or better."""
    column = f"p_{target}"
    if column not in table.columns:
        found = [c[2:] for c in table.columns if c.startswith("p_")]
        raise InputError(
            "is not a target of this sweep",
            file=source,
            field="--target",
            value=target,
            allowed=", ".join(found),
        )
    levers = lever_columns(table)
    if not levers:
        raise InputError("has no lever columns", file=source)
    interest = table[column].to_numpy() >= probability - 1e-12
    if not interest.any():
        return 0, []
    import prim

    logging.getLogger("prim").setLevel(logging.WARNING)
    finder = prim.Prim(table[levers].astype(float), interest, threshold=0.5, threshold_type=">")
    out: list[Box] = []
    while len(out) < boxes:
        box = finder.find_box()
        if box is None:
            break
        out.append(_chosen(box, min_density))
        if out[-1].coverage <= 0:
            out.pop()
            break
    return int(interest.sum()), out


def _chosen(box: Any, min_density: float) -> Box:
    """The trajectory point with the most coverage at ``min_density`` or more (else the densest)."""
    traj = box.peeling_trajectory
    dense = traj[traj["density"] >= min_density]
    i = int(dense["coverage"].idxmax()) if not dense.empty else int(traj["density"].idxmax())
    box.select(i)
    limits = box.limits
    return Box(
        coverage=float(box.coverage),
        density=float(box.density),
        mass=float(box.mass),
        limits={str(k): (float(r["min"]), float(r["max"])) for k, r in limits.iterrows()},
        qp_values={str(k): float(r["qp values"]) for k, r in limits.iterrows()},
    )


def box_rows(boxes: list[Box]) -> list[dict[str, object]]:
    """One row per box and restricted lever (a box that restricts nothing: one row, no lever)."""
    rows: list[dict[str, object]] = []
    for n, b in enumerate(boxes, start=1):
        common = {"box": n, "coverage": b.coverage, "density": b.density, "mass": b.mass}
        if not b.limits:
            rows.append({**common, "lever": None, "low": None, "high": None, "qp_value": None})
        for lever, (lo, hi) in b.limits.items():
            rows.append({**common, "lever": lever, "low": lo, "high": hi, "qp_value": b.qp_values[lever]})
    return rows
