"""A scenario in a link, and back: short, exact, and in the scenario file's own words.

Pure functions, no Streamlit. A link names the shipped scenario it starts from
(``preset=blueprint-package``) and states only what differs from it, in the scenario file's
field paths (``levers.tech_zones=59``, ``assumptions.vc_funding.export_yield=0.2``,
``trend.growth_pct=12``); the description is never in a link. :func:`scenario_to_query` tries
the baseline and every preset as the starting point and keeps the shortest link that reads back
to the same scenario (:func:`scenario_from_query` is checked on every candidate), so a link is
always exact and a preset is named rather than copied.

A bare lever value means what moving that lever's slider means: on a preset's path it changes
the path's value and keeps its timing (``preset=blueprint-package&levers.tech_zones=59`` keeps
the zones' FY2027 start and five-year ramp); on a lever at current policy it is a constant from
the first projection year, or from ``start`` (over ``ramp`` years) when the link gives them.
Keys with a sub-field (``levers.tech_zones.start=2028``) replace that lever's setting whole.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from simulator.app.state import (
    DEFAULT_NAME,
    AssumptionControl,
    LeverControl,
    resolved,
    within_app_limits,
    without_current_policy,
)
from simulator.errors import InputError, InputErrors
from simulator.levers import ASSUMPTION_BY_NAME, LEVER_BY_NAME, LEVERS
from simulator.scenario import BASELINE, LeverPath, Scenario, validate_scenario

SCENARIO_PATH = "scenario"
"""The scenario page's address under the app's root (``/scenario``, as well as the root itself):
what every shared link names (:func:`scenario_address`), whichever address the visitor opened."""
PRESET = "preset"
BASE = "base"
START, RAMP = "start", "ramp"
SCENARIO_HEADS = frozenset({PRESET, START, RAMP, *Scenario.model_fields})
"""First parts of the query keys that belong to the scenario; any other key is not ours."""
FIELDS = ("name", "draws", "seed", "horizon")


@dataclass(frozen=True)
class LinkContext:
    """What reading and writing a link needs: the first projection year and the presets."""

    first_year: int
    presets: Mapping[str, Scenario]
    """Shipped scenarios by name, resolved (the baseline left out)."""


def scenario_address(url: str) -> str:
    """The scenario page's address for the app the address ``url`` belongs to (the root or any of
    its pages, query or not): ``http://host/app/model?x=1`` -> ``http://host/app/scenario``.

    A page's address is one path segment below the app's root (Streamlit allows no ``/`` in a
    page's ``url_path``), so the root is ``url`` less its last segment unless ``url`` ends in
    ``/``.
    """
    path = url.split("?", 1)[0].split("#", 1)[0]
    root = path.rsplit("/", 1)[0] if "/" in path.split("://", 1)[-1] else path
    return f"{root}/{SCENARIO_PATH}"


def is_scenario_key(key: str) -> bool:
    return key.split(".", 1)[0] in SCENARIO_HEADS


def near_miss(key: str, known: list[str]) -> str | None:
    """The known key an unknown one is probably a typo of (``lever.tech_zones`` -> ``levers...``)."""
    head, dot, rest = key.partition(".")
    hit = difflib.get_close_matches(head, [*SCENARIO_HEADS, *known], n=1, cutoff=0.8)
    return hit[0] + dot + rest if hit else None


def last_values(raw: Mapping[str, Sequence[str]]) -> tuple[dict[str, str], str | None]:
    """One value per key of a link (the last), and a note naming each key given more than once
    (``None`` when none is); every page reads its link this way."""
    repeated = {k: v for k, v in raw.items() if len(v) > 1}
    note = None
    if repeated:
        lines = "\n".join(f"- {k}: {', '.join(v)}; used {v[-1]}" for k, v in repeated.items())
        note = f"This link gives some settings more than once; the app used the last of each:\n\n{lines}"
    return {k: v[-1] for k, v in raw.items() if v}, note


def near_miss_note(unknown: Iterable[str], known: list[str]) -> str | None:
    """A note naming each key a page does not use that looks like a typo of one it does (such
    keys, like ``utm_source`` or ``fbclid``, are kept in the address bar and otherwise ignored)."""
    hints = [(k, hit) for k in dict.fromkeys(unknown) if (hit := near_miss(k, known)) and hit != k]
    if not hints:
        return None
    lines = "\n".join(f"- {k}: did you mean {hit}?" for k, hit in hints)
    return f"This link has keys the app does not use; they were left in the address bar:\n\n{lines}"


# --------------------------------------------------------------------------- reading


def scenario_from_query(
    params: Mapping[str, str], ctx: LinkContext, *, source: str = "link"
) -> tuple[Scenario, str | None]:
    """The scenario a link's scenario keys (:func:`is_scenario_key`) stand for, resolved, and
    the preset it names.

    Raises :class:`~simulator.errors.InputErrors` naming each bad key, its value and what is
    allowed; unknown fields get the usual "did you mean".
    """
    errors: list[InputError] = []
    preset = _preset(params, ctx, source, errors)
    base = ctx.presets[preset] if preset else None
    start, ramp = (_whole(params, k, source, errors) for k in (START, RAMP))
    if errors:
        raise InputErrors(errors)
    doc: dict[str, Any] = base.to_document() if base is not None else {"name": DEFAULT_NAME}
    doc.pop("base", None)
    doc.pop("description", None)
    groups: dict[str, dict[str, dict[str, str]]] = {"levers": {}, "assumptions": {}}
    for key, raw in params.items():
        head, _, rest = key.partition(".")
        if head in groups and rest:
            name, sub = _split_field(head, rest)
            groups[head].setdefault(name, {})[sub] = raw
        elif head not in (PRESET, BASE, START, RAMP) or rest:
            _set(doc, key.split("."), raw if head in ("name", "description") else _number(raw))
    for name, keys in groups["levers"].items():
        doc.setdefault("levers", {})[name] = _lever_value(name, keys, base, ctx.first_year, (start, ramp))
    for name, keys in groups["assumptions"].items():
        _put_assumption(doc.setdefault("assumptions", {}), name, keys, base)
    if base is not None and "description" not in params:
        doc["description"] = base.description
    scenario = validate_scenario(doc, first_year=ctx.first_year, source=source)
    return within_app_limits(resolved(without_current_policy(scenario)), source), preset


def _split_field(head: str, rest: str) -> tuple[str, str]:
    """(lever or assumption name, sub-field) of a key after ``levers.`` or ``assumptions.``;
    assumption names contain a dot, so they are matched whole."""
    if head == "assumptions":
        for name in ASSUMPTION_BY_NAME:
            if rest == name or rest.startswith(name + "."):
                return name, rest[len(name) + 1 :]
        return rest, ""
    name, _, sub = rest.partition(".")
    return name, sub


def _preset(params: Mapping[str, str], ctx: LinkContext, source: str, errors: list[InputError]) -> str | None:
    """The preset a link names (``preset=``, or ``base=`` for the same thing), checked."""
    given = [(k, params[k]) for k in (PRESET, BASE) if k in params]
    if len(given) == 2 and given[0][1] != given[1][1]:
        errors.append(
            InputError(
                "and preset name different starting points",
                file=source,
                field=BASE,
                value=given[1][1],
                allowed=f"one of them (preset={given[0][1]})",
            )
        )
        return None
    if not given or given[0][1] == BASELINE:
        return None
    key, name = given[0]
    if name not in ctx.presets:
        hint = difflib.get_close_matches(name, list(ctx.presets), n=1, cutoff=0.6)
        errors.append(
            InputError(
                "is not a shipped scenario" + (f"; did you mean '{hint[0]}'?" if hint else ""),
                file=source,
                field=key,
                value=name,
                allowed=", ".join([BASELINE, *ctx.presets]),
            )
        )
        return None
    return name


def _whole(params: Mapping[str, str], key: str, source: str, errors: list[InputError]) -> int | None:
    if key not in params:
        return None
    try:
        return int(params[key])
    except ValueError:
        errors.append(InputError("must be a whole number", file=source, field=key, value=params[key]))
        return None


def _lever_value(
    name: str,
    keys: Mapping[str, str],
    base: Scenario | None,
    first_year: int,
    timing: tuple[int | None, int | None],
) -> Any:
    """One lever's setting from its keys: a bare number moves the lever as its slider would;
    keys with sub-fields (``.value``, ``.start``, ``.ramp_years``, ``.values.YEAR``) replace it."""
    if set(keys) == {""}:
        value = _number(keys[""])
        if name not in LEVER_BY_NAME or not isinstance(value, int | float):
            return value  # validation says what is wrong with it
        return _bare_lever(name, float(value), base, first_year, timing)
    path: dict[str, Any] = {}
    for sub, raw in keys.items():
        _set(path, (sub or "value").split("."), _number(raw))
    return path


def _bare_lever(
    name: str, value: float, base: Scenario | None, first_year: int, timing: tuple[int | None, int | None]
) -> Any:
    """The setting (as a document) a slider at ``value`` gives, starting from ``base``'s path."""
    lv = LEVER_BY_NAME[name]
    old = base.lever_settings().get(name) if base is not None else None
    start, ramp = timing
    if old is None and start is None and ramp is None:
        return value
    if old is None:
        control = LeverControl(value, start if start is not None else first_year, ramp or 0)
    else:
        control = LeverControl.of(lv, old, first_year).with_value(value)
    s = control.setting(lv, first_year)
    if s is None:
        return value  # current policy: left out after validation
    return s.model_dump(exclude_none=True) if isinstance(s, LeverPath) else s


def _put_assumption(out: dict[str, Any], name: str, keys: Mapping[str, str], base: Scenario | None) -> None:
    """One assumption's keys into ``out``: a bare number moves the central value as the slider
    does (a loaded range or fixed value keeps its form); sub-fields replace the override."""
    if set(keys) != {""} or name not in ASSUMPTION_BY_NAME:
        doc: dict[str, Any] = {}
        for sub, raw in keys.items():
            doc[sub or "central"] = _number(raw)
        out[name] = doc if set(keys) != {""} else doc["central"]
        return
    value = _number(keys[""])
    if not isinstance(value, int | float):
        out[name] = value
        return
    old = base.assumption_overrides().get(name) if base is not None else None
    setting = AssumptionControl(float(value), old).setting(ASSUMPTION_BY_NAME[name])
    if setting is None:
        out.pop(name, None)
    else:
        out[name] = setting.model_dump(exclude_none=True)


def _set(doc: dict[str, Any], path: list[str], value: Any) -> None:
    node = doc
    for p in path[:-1]:
        nxt = node.get(p)
        if not isinstance(nxt, dict):
            nxt = {} if nxt is None else {"value": nxt}
            node[p] = nxt
        node = nxt
    last = path[-1]
    if isinstance(node.get(last), dict):
        node[last]["value"] = value
    else:
        node[last] = value


_WHOLE = re.compile(r"[+-]?[0-9]{1,40}")
"""A whole number as a link writes it, read exactly (a float keeps 53 bits: ``seed=2**53 + 1``
would otherwise become another seed); longer digit strings are left to validation."""


def _number(raw: str) -> Any:
    """A query value as a number when it reads as one (validation reports it otherwise)."""
    if _WHOLE.fullmatch(raw):
        return int(raw)
    try:
        f = float(raw)
    except ValueError:
        return raw
    if not math.isfinite(f):
        return raw
    return f


# --------------------------------------------------------------------------- writing


def scenario_to_query(scenario: Scenario, ctx: LinkContext) -> dict[str, str]:
    """The shortest query that reads back to ``scenario`` (resolved), its description aside."""
    want = _comparable(scenario)
    candidates = [
        q for base in [None, *ctx.presets.values()] if (q := _query_from(scenario, base, ctx.first_year))
    ]
    candidates.append({})  # the baseline with nothing changed
    for q in sorted(candidates, key=lambda q: len(urlencode(q))):  # the shortest that reads back
        try:
            back, _ = scenario_from_query(q, ctx)
        except InputErrors:
            continue
        if _comparable(back) == want:
            return q
    raise ValueError(f"scenario {scenario.name!r} has no exact link")  # the baseline form writes every field


def _comparable(scenario: Scenario) -> dict[str, Any]:
    doc = without_current_policy(scenario).to_document()
    doc.pop("description", None)
    doc.pop("base", None)
    return doc


def _query_from(scenario: Scenario, base: Scenario | None, first_year: int) -> dict[str, str] | None:
    """The query for ``scenario`` relative to ``base`` (``None``: the baseline), or ``None``
    when a link cannot express the difference (a field the base sets and the scenario does not)."""
    out: dict[str, str] = {}
    if base is not None:
        out[PRESET] = base.name
    default_name = base.name if base is not None else DEFAULT_NAME
    if scenario.name != default_name:
        out["name"] = scenario.name
    levers = _lever_keys(scenario, base, first_year)
    rest = _other_keys(scenario, base)
    if rest is None:
        return None
    out.update(levers)
    out.update(rest)
    return out


def _lever_keys(scenario: Scenario, base: Scenario | None, first_year: int) -> dict[str, str]:
    """The keys for the levers that differ from ``base``: bare values where the slider's meaning
    gives the setting back, the full path otherwise."""
    mine = scenario.lever_settings()
    theirs = base.lever_settings() if base is not None else {}
    changed = [lv for lv in LEVERS if mine.get(lv.name) != theirs.get(lv.name)]
    timing = _link_timing([mine.get(lv.name) for lv in changed if lv.name not in theirs], first_year)
    out: dict[str, str] = {}
    timed = False
    for lv in changed:
        want = mine.get(lv.name)
        shown = LeverControl.of(lv, want, first_year).value
        if want is None or _reads_back(_bare_lever(lv.name, shown, base, first_year, timing), want):
            out[f"levers.{lv.name}"] = _text(shown)
            timed = timed or (lv.name not in theirs and want is not None)
        else:
            _flatten(f"levers.{lv.name}", _lever_doc(want), out)
    if not timed or timing[0] is None:
        return out
    head = {START: str(timing[0]), **({RAMP: str(timing[1])} if timing[1] else {})}
    return {**head, **out}


def _link_timing(new: list[Any], first_year: int) -> tuple[int | None, int | None]:
    """The ``start`` and ``ramp`` most new lever paths share, so their keys can be bare values;
    none when a new lever is a constant (a bare value would then read as a path)."""
    if any(isinstance(s, int | float) for s in new):
        return None, None
    paths = Counter(
        (s.start if s.start is not None else first_year, s.ramp_years)
        for s in new
        if isinstance(s, LeverPath) and s.value is not None
    )
    if not paths:
        return None, None
    return min(paths, key=lambda t: (-paths[t], t))  # the most common; on a tie, the earliest


def _reads_back(doc: Any, setting: Any) -> bool:
    if isinstance(setting, LeverPath):
        return isinstance(doc, dict) and LeverPath(**doc) == setting
    return isinstance(doc, int | float) and float(doc) == float(setting)


def _lever_doc(setting: Any) -> Any:
    if isinstance(setting, LeverPath):
        return setting.model_dump(exclude_none=True, exclude_defaults=True)
    return setting


def _other_keys(scenario: Scenario, base: Scenario | None) -> dict[str, str] | None:
    out: dict[str, str] = {}
    mine, theirs = scenario.assumption_overrides(), base.assumption_overrides() if base is not None else {}
    for name in ASSUMPTION_BY_NAME:
        a, b = mine.get(name), theirs.get(name)
        if a == b:
            continue
        declared = ASSUMPTION_BY_NAME[name]
        if a is None:
            if AssumptionControl(declared.central, b).setting(declared) is not None:
                return None
            out[f"assumptions.{name}"] = _text(declared.central)
            continue
        central = AssumptionControl.of(declared, a).central
        if AssumptionControl(central, b).setting(declared) == a:
            out[f"assumptions.{name}"] = _text(central)
        else:
            _flatten(f"assumptions.{name}", a.model_dump(exclude_none=True), out)
    t_mine = scenario.trend.model_dump(exclude_none=True)
    t_base = base.trend.model_dump(exclude_none=True) if base is not None else {}
    if set(t_base) - set(t_mine):
        return None
    out.update({f"trend.{k}": _text(v) for k, v in t_mine.items() if t_base.get(k) != v})
    for k in ("draws", "seed", "horizon"):
        v, b = getattr(scenario, k), getattr(base, k) if base is not None else None
        if v is None and b is not None:
            return None
        if v is not None and v != b:
            out[k] = _text(v)
    return out


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out)
    else:
        out[prefix] = _text(value)


def _text(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)
