"""Scenario files: strict loading, messages with lines, bases, shipped scenarios, docs, round trips."""

from __future__ import annotations

import os
import re
from pathlib import Path

import hypothesis
import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from simulator import scenario_files as sf
from simulator import scenario_reference as ref
from simulator.errors import InputErrors
from simulator.levers import ASSUMPTIONS, LEVERS
from simulator.scenario import BASELINE, baseline_scenario
from simulator.scenario_writer import dump_scenario
from simulator.strict_yaml import MAX_FILE_BYTES

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken_scenarios"
BROKEN_FILES = sorted(BROKEN.glob("*.yaml"))
SHIPPED = sorted(sf.SCENARIO_DIR.glob("*.yaml"))
FIRST = 2026


def messages(text: str, source: str = "s.yaml", **kw) -> list[str]:
    with pytest.raises(InputErrors) as info:
        sf.load_scenario_text(text, source, first_year=FIRST, **kw)
    return [str(e) for e in info.value.errors]


# --------------------------------------------------------------------------- broken files


@pytest.fixture(scope="module")
def broken_loaded(engine) -> dict[str, sf.LoadedScenario]:
    """Every broken file, plus one good file, loaded in one call."""
    good = sf.SCENARIO_DIR / "tech-zones-60.yaml"
    items = sf.load_scenarios([*BROKEN_FILES, good], first_year=engine.first_projection_year)
    return {Path(i.source).name: i for i in items}


def test_the_broken_folder_pairs_every_file_with_its_words():
    assert len(BROKEN_FILES) >= 35
    for p in BROKEN_FILES:
        expect = p.with_suffix(".expect")
        assert expect.exists(), f"{p.name} has no .expect file"
        assert [w for w in expect.read_text("utf-8").splitlines() if w.strip()], f"{expect.name} is empty"


@pytest.mark.parametrize("path", BROKEN_FILES, ids=[p.stem for p in BROKEN_FILES])
def test_each_broken_file_gets_one_clear_message(path: Path, broken_loaded):
    item = broken_loaded[path.name]
    assert not item.ok and item.resolved is None
    assert len(item.errors) == 1, [str(e) for e in item.errors]  # each problem reported once
    message = str(item.errors[0])
    assert message.startswith(str(path)), message  # names the file first
    for words in path.with_suffix(".expect").read_text("utf-8").splitlines():
        if words.strip():
            assert words in message, f"{words!r} not in {message!r}"
    assert "Traceback" not in message
    for python_words in (".[key]", "[key]", "Keys should be strings", "set_int_max_str_digits", "sys."):
        assert python_words not in message, message


def test_a_bad_file_never_stops_the_good_one(broken_loaded):
    good = broken_loaded["tech-zones-60.yaml"]
    assert good.ok and good.chain == ("tech-zones-60", BASELINE)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path):
    big = tmp_path / "big.yaml"
    big.write_text("name: big\ndescription: " + "x" * MAX_FILE_BYTES + "\n")
    [item] = sf.load_scenarios([big], first_year=FIRST)
    [err] = item.errors
    assert "too large" in str(err) and f"{MAX_FILE_BYTES:,} bytes" in str(err)
    assert "too large" in messages("description: " + "x" * MAX_FILE_BYTES)[0]


def test_missing_files_and_folders_get_messages(tmp_path: Path):
    items = sf.load_scenarios([tmp_path / "nope.yaml", tmp_path], first_year=FIRST)
    assert "no such file" in str(items[0].errors[0])
    assert "is a folder" in str(items[1].errors[0])


def test_yaml_tags_never_build_python_objects(tmp_path: Path):
    marker = tmp_path / "pwned"
    text = f"name: x\ndescription: !!python/object/apply:pathlib.Path.touch [{str(marker)!r}]\n"
    assert "YAML tags are not allowed" in messages(text)[0]
    assert not marker.exists()


def test_alias_bombs_are_refused_quickly_without_building_them():
    laughs = "name: x\n" + "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}" if i else "'lol'"] * 10) + "]\n" for i in range(12)
    )
    assert "aliases are expanded" in messages(laughs)[0]


def test_harmless_aliases_are_allowed():
    s = sf.load_scenario_text(
        "name: x\nlevers:\n  vc_funding: &v {value: 100, start: 2027}\n  tech_zones: 30\n",
        "s",
        first_year=FIRST,
    )
    assert s.levers.vc_funding.value == 100


def test_several_problems_in_one_file_are_each_reported_once_with_their_lines():
    text = "name: x\nlevers:\n  tech_zones: 70\n  vc_funding:\n    values: {2027: 10, 2030: 5000}\ndraws: 5\n"
    msgs = messages(text)
    assert len(msgs) == 3
    assert any("line 3" in m and "levers.tech_zones" in m for m in msgs)
    assert any("line 5" in m and "levers.vc_funding.values.2030" in m for m in msgs)
    assert any("line 6" in m and "draws" in m for m in msgs)


def test_bytes_with_a_bom_and_windows_line_endings_load():
    s = sf.load_scenario_text(
        b"\xef\xbb\xbfname: x\r\nlevers:\r\n  tech_zones: 30\r\n", "s", first_year=FIRST
    )
    assert s.levers.tech_zones == 30


def test_numbers_mean_what_they_look_like():
    s = sf.load_scenario_text(
        "name: x\ndescription: 2025-02-30\n"
        "levers: {vc_funding: 1e2, connectivity_loss: 1.5E+0, tech_zones: 1_0}\n",
        "s",
        first_year=FIRST,
    )
    assert s.description == "2025-02-30"  # a date-like text stays text (and an impossible date is no crash)
    assert (s.levers.vc_funding, s.levers.connectivity_loss, s.levers.tech_zones) == (100, 1.5, 10)
    for text in ("012", "0x1F", "1:30", "0b11"):
        [m] = messages(f"name: x\nlevers:\n  tech_zones: {text}\n")
        assert "line 3" in m and "not a plain decimal number" in m and repr(text) in m


@pytest.mark.parametrize("text", ["20000", "2e4", "2E4", "2.0e4", "20000.0", "20_000", "+2e4", "0.2e5"])
def test_a_whole_number_reads_the_same_however_it_is_written(text):
    s = sf.load_scenario_text(f"name: x\ndraws: {text}\nhorizon: 2.035e3\n", "s", first_year=FIRST)
    assert s.draws == 20_000 and isinstance(s.draws, int) and s.horizon == 2035


def test_a_large_seed_in_exponent_form_is_exact():
    s = sf.load_scenario_text("name: x\nseed: 9.2e18\n", "s", first_year=FIRST)
    assert s.seed == 9_200_000_000_000_000_000  # not the nearest float, 9199999999999999488
    [m] = messages("name: x\nseed: 1e19\n")
    assert "seed" in m and "out of range" in m and "2^63-1" in m


def test_a_fraction_where_a_whole_number_belongs_is_still_refused():
    [m] = messages("name: x\ndraws: 1.0005e3\n")
    assert "draws" in m and "whole number" in m and "1000.5" in m


def test_lever_years_follow_the_model_range():
    assert (
        "fiscal years 2026 to 2050" in messages("name: x\nlevers: {vc_funding: {value: 1, start: 2025}}\n")[0]
    )
    later = sf.load_scenario_text(
        "name: x\nlevers: {vc_funding: {value: 1, start: 2025}}\n", "s", first_year=2024
    )
    assert later.levers.vc_funding.start == 2025


# --------------------------------------------------------------------------- bases


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(text, "utf-8")
    return p


def test_bases_chain_across_files_and_shipped_scenarios(tmp_path: Path, engine):
    a = write(tmp_path, "a", "name: a\nbase: tech-zones-60\nlevers:\n  vc_funding: 350\n")
    b = write(tmp_path, "b", "name: b\nbase: a\nlevers:\n  vc_funding: 100\ndraws: 500\n")
    items = sf.load_scenarios([b, a], first_year=engine.first_projection_year)
    assert all(i.ok for i in items)
    rb = items[0].resolved
    assert items[0].chain == ("b", "a", "tech-zones-60", BASELINE)
    assert rb.base is None and rb.name == "b" and rb.draws == 500
    assert rb.levers.vc_funding == 100  # the nearer scenario wins
    assert rb.levers.tech_zones.value == 60  # inherited from the shipped base


def test_a_file_of_the_run_shadows_a_shipped_scenario(tmp_path: Path):
    own = write(tmp_path, "mine", "name: tech-zones-60\nlevers:\n  tech_zones: 10\n")
    child = write(tmp_path, "child", "name: child\nbase: tech-zones-60\n")
    items = sf.load_scenarios([own, child], first_year=FIRST)
    assert items[1].resolved.levers.tech_zones == 10


def test_a_broken_file_of_the_run_still_shadows_the_shipped_scenario_of_its_name(tmp_path: Path):
    own = write(tmp_path, "mine", "name: tech-zones-60\nlevers:\n  tech_zones: 99\n")
    child = write(tmp_path, "child", "name: child\nbase: tech-zones-60\n")
    items = sf.load_scenarios([own, child], first_year=FIRST)
    assert not items[1].ok and "could not be loaded" in str(items[1].errors[0])


def test_an_unknown_base_message_stays_short_in_a_large_run(tmp_path: Path):
    files = [write(tmp_path, f"s{i}", f"name: s{i}\n") for i in range(40)]
    bad = write(tmp_path, "bad", "name: bad\nbase: s-7\n")
    [*_, item] = sf.load_scenarios([*files, bad], first_year=FIRST)
    message = str(item.errors[0])
    assert "did you mean 's7'?" in message and "more" in message and len(message) < 600


def test_two_files_of_a_run_may_not_share_a_name(tmp_path: Path):
    a = write(tmp_path, "a", "name: same\n")
    b = write(tmp_path, "b", "name: same\n")
    items = sf.load_scenarios([a, b], first_year=FIRST)
    assert items[0].ok
    assert "same name" in str(items[1].errors[0]) and "line 1" in str(items[1].errors[0])


def test_resolve_with_a_dict_of_known_scenarios():
    a = sf.load_scenario_text("name: a\nlevers: {tech_zones: 30}\n", "a", first_year=FIRST)
    b = sf.load_scenario_text("name: b\nbase: a\nlevers: {vc_funding: 99}\n", "b", first_year=FIRST)
    r = sf.resolve(b, {"a": a})
    assert (r.levers.tech_zones, r.levers.vc_funding, r.base) == (30, 99, None)
    assert sf.resolve(a, {}) == a.merged_onto(baseline_scenario())


def test_load_scenario_files_raises_every_problem_at_once(tmp_path: Path):
    good = write(tmp_path, "good", "name: good\n")
    bad1 = write(tmp_path, "bad1", "name: bad1\nlevers: {tech_zones: 99}\n")
    bad2 = write(tmp_path, "bad2", "name: bad2\nbase: nowhere\n")
    assert [s.name for s in sf.load_scenario_files([good], first_year=FIRST)] == ["good"]
    with pytest.raises(InputErrors) as info:
        sf.load_scenario_files([good, bad1, bad2], first_year=FIRST)
    assert len(info.value.errors) == 2


# --------------------------------------------------------------------------- shipped scenarios


def test_the_shipped_scenarios_are_all_there():
    names = {p.stem for p in SHIPPED}
    expected = {
        "baseline",
        "tech-zones-60",
        "payments-formal",
        "connectivity-no-drag",
        "vc-2021-level",
        "talent-plus-40k",
        "blueprint-package",
        "firewall-2024-repeat",
        "pessimistic",
    }
    assert expected <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_loads_runs_and_explains_itself(path: Path, engine, settings):
    [item] = sf.load_scenarios([path], first_year=engine.first_projection_year)
    assert item.ok, item.errors
    assert item.written.name == path.stem  # file name and scenario name agree
    description = item.written.description
    assert len(description) > 150
    if path.stem != BASELINE:
        assert "http" in description  # cites a source with its address
        assert item.written.levers.model_dump(exclude_none=True)  # changes something
    p = engine.project(item.resolved, engine.draws_for(item.resolved, settings))
    assert np.isfinite(p.exports).all() and (p.exports > 0).all()
    assert p.target_odds()


def test_shipped_scenarios_move_exports_the_way_their_levers_point(engine, settings):
    scenarios = sf.shipped_scenarios(first_year=engine.first_projection_year)
    base = engine.project(scenarios[BASELINE], engine.draws_for(scenarios[BASELINE], settings))
    higher = ["tech-zones-60", "payments-formal", "retention-100", "connectivity-no-drag", "vc-2021-level"]
    for name in [*higher, "talent-plus-40k", "blueprint-package"]:
        p = engine.project(scenarios[name], base.draws)
        assert (p.stats["p50"] >= base.stats["p50"] - 1e-9).all(), name
        assert p.stats["p50"][-1] > base.stats["p50"][-1], name
    pess = engine.project(scenarios["pessimistic"], base.draws)
    assert pess.stats["p50"][-1] < base.stats["p50"][-1]
    blue = engine.project(scenarios["blueprint-package"], base.draws)
    for name in higher:
        assert blue.stats["p50"][-1] > engine.project(scenarios[name], base.draws).stats["p50"][-1]
    fire = engine.project(scenarios["firewall-2024-repeat"], base.draws)
    j = list(base.years).index(2027)
    assert fire.stats["p50"][j] < base.stats["p50"][j]


def test_shipped_scenarios_are_listed_in_the_readme():
    readme = ref.README_PATH.read_text("utf-8")
    for p in SHIPPED:
        assert f"`{p.name}`" in readme, f"{p.name} is missing from scenarios/README.md"


def test_the_readme_reference_is_generated_from_the_declarations(engine):
    fresh = ref.reference_markdown(engine.first_projection_year)
    assert ref.readme_section() == fresh, (
        "scenarios/README.md is stale: run `python -m simulator levers --update-readme`"
    )
    for lv in LEVERS:
        assert f"`{lv.name}`" in fresh and lv.unit in fresh and f"{lv.min:g} to {lv.max:g}" in fresh
    for a in ASSUMPTIONS:
        assert f"`{a.name}`" in fresh and f"{a.bounds[0]:g} to {a.bounds[1]:g}" in fresh


def test_the_readme_examples_are_valid_scenario_files():
    fresh = ref.reference_markdown(FIRST)
    inline = re.findall(
        r"\| `((?:levers|assumptions|trend|draws|seed|horizon|name|base)[^`]*|[a-z_]+[.:][^`]*)` \|$",
        fresh,
        re.M,
    )
    assert len(inline) >= len(LEVERS) + len(ASSUMPTIONS)
    for example in inline:
        key, _, value = example.partition(": ")
        section = next((k for k, names in _SECTIONS.items() if key in names), None)
        doc = f"{key}: {value}\n" if section is None else f"{section}:\n  {key}: {value}\n"
        if key != "name":
            doc = "name: example\n" + doc
        sf.load_scenario_text(
            doc.replace("connectivity-no-drag", "baseline"), "README example", first_year=FIRST
        )
    blocks = [b.split("```", 1)[0] for b in fresh.split("```yaml\n")[1:]]
    assert len(blocks) == 2
    for block in blocks:
        sf.load_scenario_text("name: example\n" + block, "README example", first_year=FIRST)
    readme = ref.README_PATH.read_text("utf-8")
    full = readme.split("```yaml\n")[1].split("```", 1)[0].replace("base: tech-zones-60", "base: baseline")
    sf.load_scenario_text(full, "README full example", first_year=FIRST)


_SECTIONS = {
    "levers": {lv.name for lv in LEVERS},
    "assumptions": {a.name for a in ASSUMPTIONS},
    "trend": {"growth_pct", "slowdown_per_doubling", "shock_scale"},
}


def test_update_readme_rewrites_only_the_generated_section(tmp_path: Path):
    p = tmp_path / "README.md"
    p.write_text(f"intro\n{ref.README_BEGIN}\nold\n{ref.README_END}\noutro\n", "utf-8")
    ref.update_readme(p, first_year=FIRST)
    text = p.read_text("utf-8")
    assert text.startswith("intro\n") and text.endswith(f"{ref.README_END}\noutro\n") and "old" not in text
    assert ref.readme_section(p) == ref.reference_markdown(FIRST)


# --------------------------------------------------------------------------- dump and load


def test_dump_then_load_gives_the_same_scenario_for_every_shipped_file():
    for path in SHIPPED:
        s = sf.read_scenario_file(path, first_year=FIRST).scenario
        assert sf.load_scenario_text(dump_scenario(s), "again", first_year=FIRST) == s


def test_a_resolved_scenario_round_trips_to_the_same_projection_inputs():
    r = sf.shipped_scenarios(first_year=FIRST)["blueprint-package"]
    again = sf.load_scenario_text(dump_scenario(r), "again", first_year=FIRST)
    assert again.base == BASELINE and again.model_copy(update={"base": None}) == r


def _lever_setting(lv):
    value = (
        st.integers(int(lv.min), int(lv.max))  # a count (zones) must be whole in a file
        if lv.whole
        else st.floats(lv.min, lv.max, allow_nan=False).map(lambda x: round(x, 3))
    )
    year = st.integers(FIRST, 2050)
    path = st.fixed_dictionaries({"value": value}, optional={"start": year, "ramp_years": st.integers(0, 30)})
    values = st.fixed_dictionaries({"values": st.dictionaries(year, value, min_size=1, max_size=4)})
    return st.one_of(value, path, values)


def _assumption(a):
    x = st.floats(a.bounds[0], a.bounds[1], allow_nan=False)
    return st.one_of(x.map(lambda v: {"central": v}), x.map(lambda v: {"fixed": v}))


documents = st.fixed_dictionaries(
    {"name": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True)},
    optional={
        "description": st.text(max_size=200).filter(lambda t: "\x00" not in t),
        "levers": st.fixed_dictionaries({}, optional={lv.name: _lever_setting(lv) for lv in LEVERS}),
        "assumptions": st.fixed_dictionaries({}, optional={a.name: _assumption(a) for a in ASSUMPTIONS}),
        "draws": st.integers(100, 200_000),
        "seed": st.integers(0, 2**63 - 1),
        "horizon": st.integers(FIRST, 2050),
    },
).filter(lambda d: d["name"] != BASELINE)


@given(documents)
@hypothesis.example({"name": "s", "description": "0E0"})  # text the loader reads as a number must be quoted
@hypothesis.example({"name": "s", "description": "1e3"})
@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_dump_scenario_round_trips(doc):
    from simulator.scenario import validate_scenario

    s = validate_scenario(doc, first_year=FIRST)
    assert sf.load_scenario_text(dump_scenario(s), "round trip", first_year=FIRST) == s


yaml_ish = st.text(
    alphabet=st.sampled_from(list("name:levrs_zo{}[],-&*!<>|#'\"\n 0123456789.eE+tabcyq\t@%")), max_size=120
)


@given(st.one_of(yaml_ish, st.binary(max_size=120), st.text(max_size=120)))
@hsettings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "500")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_any_input_gives_a_scenario_or_input_errors_never_a_crash(text):
    try:
        sf.load_scenario_text(text, "fuzz.yaml", first_year=FIRST)
    except InputErrors as exc:
        assert exc.errors and all(str(e).startswith("fuzz.yaml") for e in exc.errors)


anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=3)
    ),
    max_leaves=8,
)
field_names = st.sampled_from(
    ["name", "description", "base", "levers", "assumptions", "trend", "draws", "seed", "horizon", "other"]
)
inner_names = st.sampled_from(
    [lv.name for lv in LEVERS]
    + [a.name for a in ASSUMPTIONS]
    + [
        "value",
        "start",
        "ramp_years",
        "values",
        "low",
        "central",
        "high",
        "fixed",
        "growth_pct",
        "shock_scale",
    ]
)
fuzzed_docs = st.dictionaries(
    field_names,
    anything | st.dictionaries(inner_names, anything | st.dictionaries(inner_names, anything)),
    max_size=6,
)


@given(fuzzed_docs)
@hsettings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_any_mapping_of_fields_gives_a_scenario_or_input_errors(doc):
    import yaml

    text = yaml.safe_dump(doc, allow_unicode=True)
    try:
        sf.load_scenario_text(text, "fuzz.yaml", first_year=FIRST)
    except InputErrors as exc:
        assert exc.errors and all(str(e).startswith("fuzz.yaml") for e in exc.errors)
