"""The lever declarations are complete and consistent: everything else is generated from them."""

from __future__ import annotations

import dataclasses
import math

import pytest

from simulator.levers import ASSUMPTIONS, LEVERS


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lv: lv.name)
def test_lever_declaration(lever):
    # (min <= default <= max is checked when the declaration is made: see the test below)
    # the default (current policy) is a slider position: reachable with the lever's step
    steps = (lever.default - lever.min) / lever.step
    assert math.isclose(steps, round(steps), abs_tol=1e-9), (lever.name, lever.default, lever.step)
    assert lever.direction in (1, -1)
    assert lever.label and lever.unit and lever.effect and lever.history
    assert lever.default_source.strip()
    assert lever.assumptions, "every lever's effect rests on at least one stated assumption"
    for _, value in lever.reference_points:
        assert lever.min <= value <= lever.max
    for c in lever.constants:
        assert c.source.strip() and c.unit


@pytest.mark.parametrize("a", ASSUMPTIONS, ids=lambda a: a.name)
def test_assumption_declaration(a):
    assert a.low < a.high, "an effect size the data cannot identify must carry its uncertainty"
    assert len(a.source) > 40, "say where the number comes from, or why it is assumed"
    lever = a.name.split(".")[0]
    assert lever in {lv.name for lv in LEVERS}


def test_a_declaration_out_of_its_own_range_fails_when_it_is_made():
    """The ordering checks run at import (``__post_init__``), so no declaration can break them."""
    lever = LEVERS[0]
    with pytest.raises(ValueError, match="default outside"):
        dataclasses.replace(lever, default=lever.max + lever.step)
    a = ASSUMPTIONS[0]
    with pytest.raises(ValueError, match="need bounds"):
        dataclasses.replace(a, low=a.central + 1, high=a.central + 2)


def test_names_are_unique():
    names = [lv.name for lv in LEVERS] + [a.name for a in ASSUMPTIONS]
    assert len(names) == len(set(names))
