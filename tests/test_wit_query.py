"""The "What it takes" link: each value checked strictly, each bad one named, the others kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.app.wit_query import (
    CURRENT,
    PROBABILITIES,
    URL_KEYS,
    WIDGET,
    QueryContext,
    ViewQuery,
)
from simulator.levers import LEVER_BY_NAME

CONTEXT = QueryContext(
    targets={"t15b_fy2030_govt": "$15B by FY2030: government", "own": "An amount of my own"},
    starts=[CURRENT, "blueprint-package"],
    first_year=2026,
    horizon=2040,
)


def test_a_full_link_sets_every_widget():
    q, notes = ViewQuery.read(
        {
            "target": "own",
            "amount": "12.5",
            "deadline": "2031",
            "p": "0.66",
            "from": "blueprint-package",
            "start": "2027",
            "levers": "tech_zones,vc_funding",
        },
        CONTEXT,
    )
    assert notes == []
    assert q.widget_values(CONTEXT) == {
        WIDGET["target"]: "An amount of my own",
        WIDGET["amount"]: 12.5,
        WIDGET["deadline"]: 2031,
        WIDGET["p"]: 0.66,
        WIDGET["from"]: "blueprint-package",
        WIDGET["start"]: 2027,
        WIDGET["levers"]: ["tech_zones", "vc_funding"],
    }


@pytest.mark.parametrize(
    ("key", "text", "allowed"),
    [
        ("target", "t99", "an open dated target id, or own"),
        ("amount", "0.4", "0.5 to 200"),
        ("amount", "nan", "0.5 to 200"),
        ("amount", "ten", "0.5 to 200"),
        ("deadline", "2030.0", "2026 to 2040"),
        ("deadline", "2041", "2026 to 2040"),
        ("p", "0.7", "0.1, 0.25, 0.5, 0.66, 0.8, 0.9"),
        ("from", "nowhere", f"{CURRENT}, blueprint-package"),
        ("start", "x", "fiscal years 2026 to 2040"),
        ("levers", "", ", ".join(LEVER_BY_NAME)),
        ("levers", "tech_zones,zones", ", ".join(LEVER_BY_NAME)),
    ],
)
def test_a_bad_value_is_named_with_what_is_allowed_and_the_rest_applies(key, text, allowed):
    q, notes = ViewQuery.read({key: text, "p": "0.8"} if key != "p" else {key: text}, CONTEXT)
    assert notes == [f"{key}={text!r} (allowed: {allowed})"]
    values = q.widget_values(CONTEXT)
    assert WIDGET[key] not in values
    if key != "p":
        assert values[WIDGET["p"]] == 0.8


def test_several_bad_values_are_named_in_the_order_of_the_keys():
    _, notes = ViewQuery.read({"levers": "zones", "p": "2", "target": "x"}, CONTEXT)
    assert [n.split("=")[0] for n in notes] == ["target", "p", "levers"]


def test_the_context_is_required():
    with pytest.raises(TypeError, match="QueryContext"):
        ViewQuery.model_validate({"target": "own"})


@given(st.dictionaries(st.sampled_from(URL_KEYS), st.text(max_size=12), max_size=len(URL_KEYS)))
def test_any_link_gives_widget_values_and_notes_never_an_error(params):
    q, notes = ViewQuery.read(params, CONTEXT)
    values = q.widget_values(CONTEXT)
    assert len(notes) + len(values) == len(params)  # each parameter either applies or is named
    if WIDGET["p"] in values:
        assert values[WIDGET["p"]] in PROBABILITIES
