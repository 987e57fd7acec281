"""Scenario fields at the schema level: no silent empty fields, a bounded seed, readable paths."""

from __future__ import annotations

import pytest

from simulator.errors import InputErrors
from simulator.levers import ASSUMPTIONS, LEVERS
from simulator.scenario import TrendOverride, validate_scenario
from simulator.scenario_files import load_scenario_text
from simulator.settings import MAX_SEED

FIRST = 2026
NULL_FIELDS = (
    [("levers", lv.name) for lv in LEVERS]
    + [("assumptions", a.name) for a in ASSUMPTIONS]
    + [("trend", name) for name in TrendOverride.model_fields]
)


def problems(doc: dict) -> list[str]:
    with pytest.raises(InputErrors) as exc:
        validate_scenario({"name": "s", **doc}, first_year=FIRST, source="s.yaml")
    return [str(e) for e in exc.value.errors]


@pytest.mark.parametrize(("section", "name"), NULL_FIELDS, ids=[f"{s}.{n}" for s, n in NULL_FIELDS])
def test_a_field_with_no_value_is_refused(section: str, name: str):
    """``tech_zones:`` with nothing after it used to mean current policy, silently."""
    assert problems({section: {name: None}}) == [
        f"s.yaml: {section}.{name}: has no value; give one, or remove the field to keep what the base "
        "scenario says"
    ]
    validate_scenario({"name": "s", section: {}}, first_year=FIRST)  # left out: fine


@pytest.mark.parametrize(
    "doc",
    [
        {"levers": {"tech_zones": {"value": None}}},
        {"levers": {"tech_zones": {"value": 40, "start": None}}},
        {"levers": {"tech_zones": {"values": {2030: None}}}},
        {"assumptions": {ASSUMPTIONS[0].name: {"central": None}}},
        {"seed": None},
        {"draws": None},
        {"horizon": None},
    ],
)
def test_a_nested_or_run_field_with_no_value_is_refused(doc: dict):
    [message] = problems(doc)
    assert "has no value" in message


def test_seed_is_bounded_to_a_signed_64_bit_integer():
    assert validate_scenario({"name": "s", "seed": MAX_SEED}, first_year=FIRST).seed == 2**63 - 1
    assert validate_scenario({"name": "s", "seed": 0}, first_year=FIRST).seed == 0
    for bad in (2**63, 2**64, -1):
        assert problems({"seed": bad}) == [
            f"s.yaml: seed: is out of range (got {bad}); allowed: a whole number from 0 to "
            "9223372036854775807 (2^63-1)"
        ]


@pytest.mark.parametrize("key", ["soon", 2030.5, "2030-31"])
def test_a_bad_year_key_names_the_mapping_not_a_key_placeholder(key):
    [message] = problems({"levers": {"tech_zones": {"values": {key: 40}}}})
    assert message == (
        "s.yaml: levers.tech_zones.values: has a key that is not a fiscal year (a whole number) "
        f"(got {key!r})"
    )
    assert "[key]" not in message


def test_a_count_is_whole_where_it_is_set_and_may_be_a_part_count_in_a_year_of_a_path():
    """40.5 zones as a level is a mistake; a year of a path is an average (a ramp from 23 to 60
    passes 37.8), so a year-by-year path such as goal seek writes may hold part-counts."""
    with pytest.raises(InputErrors, match="whole number"):
        validate_scenario(
            {"name": "s", "levers": {"tech_zones": {"value": 40.5}}}, first_year=2026, source="s.yaml"
        )
    doc = {"name": "s", "levers": {"tech_zones": {"values": {2026: 23, 2028: 37.8, 2031: 60}}}}
    s = validate_scenario(doc, first_year=2026, source="s.yaml")
    assert s.lever_settings()["tech_zones"].values == {2026: 23.0, 2028: 37.8, 2031: 60.0}


@pytest.mark.parametrize("text", ["2e4", "2.0e4", "20000.0", "20000", "2E4"])
def test_a_whole_number_may_be_written_as_any_number_that_is_whole(text):
    """YAML reads `2e4` as a float; a whole-number field takes it as 20000 (as `1e3` was taken)."""
    s = load_scenario_text(f"name: s\ndraws: {text}\nseed: 1e3\n", source="s.yaml", first_year=FIRST)
    assert s.draws == 20000 and isinstance(s.draws, int) and s.seed == 1000


@pytest.mark.parametrize(
    ("text", "field"),
    [("5: 3", "5"), ("levers:\n  5: 3", "levers.5"), ("assumptions:\n  3: 1", "assumptions.3")],
)
def test_a_number_used_as_a_key_is_named_in_words(text, field):
    with pytest.raises(InputErrors) as exc:
        load_scenario_text(f"name: s\n{text}\n", source="s.yaml", first_year=FIRST)
    message = str(exc.value.errors[0])
    assert f"{field}: is not a field name (a name is letters: a number cannot be one)" in message
    assert "Keys should be strings" not in message and "[key]" not in message


def test_a_huge_number_is_refused_in_words_not_with_python_advice():
    with pytest.raises(InputErrors) as exc:
        load_scenario_text("name: s\nseed: " + "9" * 5000 + "\n", source="s.yaml", first_year=FIRST)
    message = str(exc.value.errors[0])
    assert "is a number of 5000 digits" in message and "set_int_max_str_digits" not in message
