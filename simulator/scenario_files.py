"""Scenario files: strict YAML in, validated scenarios resolved onto their bases out.

A scenario file is a small YAML mapping (the fields are documented in ``scenarios/README.md``,
generated from the declarations by :func:`reference_markdown`)::

    name: tech-zones-60
    description: Technology zones built out to 60 by FY2030 (STZA chairman, June 2022).
    base: baseline            # optional; another scenario's name
    levers:
      tech_zones: {value: 60, start: 2027, ramp_years: 4}

Loading is strict, and each problem is reported once, as an :class:`~simulator.errors.InputError`
naming the file, the line, the field path, the bad value and what is allowed:

* the file must be UTF-8 (a bad byte is reported with its line and byte offset), at most
  :data:`MAX_FILE_BYTES` long, hold exactly one YAML document and be a mapping;
* YAML syntax errors carry the line and column;
* safe loading only: any explicit tag (``!!python/object``, ``!!str``, ``!foo``) is refused, so
  no tag can ever build a Python object; merge keys (``<<``) are refused too;
* nesting deeper than :data:`MAX_DEPTH` levels, and alias expansion beyond :data:`MAX_NODES`
  nodes ("billion laughs"), are refused while the node tree is composed, before any Python
  object is built;
* duplicate keys are errors (YAML would silently keep the last one);
* the fields are checked by :func:`simulator.scenario.validate_scenario` (unknown keys with a
  "did you mean", types, ranges with the unit, years within the model's range), and each of its
  errors gets the line of the field it names.

Bases: ``base:`` names another scenario by its ``name``. It is looked up among the files of the
same run first and then among the shipped scenarios in ``scenarios/``; ``baseline`` (current
policy) is built in. :func:`resolve` merges the chain with :meth:`Scenario.merged_onto`; an
unknown base and bases that refer to each other in a circle are errors that name the chain.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from simulator.errors import InputError, InputErrors
from simulator.levers import ASSUMPTIONS, LEVERS
from simulator.scenario import (
    BASELINE,
    Scenario,
    TrendOverride,
    baseline_scenario,
    validate_scenario,
)
from simulator.settings import MAX_DRAWS, MAX_HORIZON, MIN_DRAWS

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
"""The shipped scenarios."""

README_PATH = SCENARIO_DIR / "README.md"
SUFFIXES = (".yaml", ".yml")

MAX_FILE_BYTES = 100_000
"""Largest scenario file accepted. Real ones are a few kilobytes; this stops a wrong file early."""
MAX_DEPTH = 12
"""Deepest nesting accepted. A scenario needs four levels (``levers.tech_zones.values.2030``)."""
MAX_NODES = 10_000
"""Most YAML nodes accepted, counting every alias expansion (a defence against "billion laughs")."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_NOT_DECIMAL = re.compile(r"^[-+]?0[0-7_]+$|^[-+]?0[xXoObB]|:")
"""Octal (``012``), hexadecimal, binary and base-60 (``1:30``) forms of YAML 1.1 numbers."""
_EXPONENT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario as written in one file, with what the loader learnt about the file."""

    scenario: Scenario
    source: str
    """The file name used in messages."""
    sha256: str
    """Hash of the file's bytes (recorded in the run manifest)."""
    lines: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    """Line of each dotted field path (``levers.tech_zones.value``), 1-based."""

    def line_of(self, field_path: str | None) -> int | None:
        return _line_for(field_path, self.lines)


@dataclass
class LoadedScenario:
    """One file of a run: its resolved scenario, or the errors that stop it."""

    source: str
    sha256: str | None = None
    written: Scenario | None = None
    """The scenario as written (``None`` if the file did not validate)."""
    resolved: Scenario | None = None
    """The scenario merged onto its base chain (``None`` if anything went wrong)."""
    chain: tuple[str, ...] = ()
    """Names from this scenario to the root: ``("a", "b", "baseline")``."""
    errors: list[InputError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.resolved is not None and not self.errors

    @property
    def name(self) -> str:
        return self.written.name if self.written is not None else Path(self.source).stem


# --------------------------------------------------------------------------- YAML layer


class _Refused(Exception):
    """Raised inside the loader; becomes one InputError with the node's line."""

    def __init__(
        self, problem: str, mark: yaml.Mark | None, value: object = None, allowed: str | None = None
    ):
        super().__init__(problem)
        self.problem, self.mark, self.value, self.allowed = problem, mark, value, allowed


class StrictLoader(yaml.SafeLoader):
    """A :class:`yaml.SafeLoader` whose composer refuses tags and deep nesting.

    Only the node tree is composed with it; Python objects are built by :class:`_Builder`, which
    rejects duplicate keys, counts alias expansions and records the line of every key.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            return super().compose_node(parent, index)
        tag = getattr(event, "tag", None)
        if tag is not None:
            raise _Refused(
                "YAML tags are not allowed in scenario files",
                event.start_mark,
                value=tag,
                allowed="plain values: numbers, text, mappings and lists",
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"is nested deeper than {MAX_DEPTH} levels", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


@dataclass
class _Builder:
    """Builds plain Python values from a composed node tree."""

    loader: StrictLoader
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[InputError] = field(default_factory=list)
    source: str | None = None
    nodes: int = 0

    def build(self, node: Node, path: tuple[str, ...] = (), depth: int = 1) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Refused(f"has more than {MAX_NODES} values once aliases are expanded", node.start_mark)
        if depth > MAX_DEPTH:  # only reachable through aliases (a recursive anchor)
            raise _Refused(f"is nested deeper than {MAX_DEPTH} levels (through an alias)", node.start_mark)
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(child, (*path, str(i)), depth + 1) for i, child in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        return self._mapping(node, path, depth)

    def _scalar(self, node: ScalarNode, path: tuple[str, ...]) -> Any:
        """A plain value; YAML 1.1's surprising readings of numbers and dates are not used."""
        line, where = node.start_mark.line + 1, ".".join(path) or None
        if node.tag == _TIMESTAMP_TAG:
            return node.value  # a date stays text: no field of a scenario is a date
        if node.style is None and _EXPONENT.match(node.value):
            return float(node.value)  # 1e3: a number in YAML 1.2, text to PyYAML's YAML 1.1
        if node.tag in (_INT_TAG, _FLOAT_TAG) and _NOT_DECIMAL.search(node.value):
            self.problems.append(
                InputError(
                    "is not a plain decimal number (YAML 1.1 reads 1:30 as 90, 012 as 10 and 0x1F as 31)",
                    file=self.source,
                    line=line,
                    field=where,
                    value=node.value,
                    allowed="decimal numbers such as 40, 3.4 or 1e3",
                )
            )
            return None
        try:
            return self.loader.construct_object(node)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:
            self.problems.append(
                InputError(
                    f"cannot be read: {exc}", file=self.source, line=line, field=where, value=node.value
                )
            )
            return None

    def _mapping(self, node: MappingNode, path: tuple[str, ...], depth: int) -> dict:
        out: dict = {}
        first_line: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            where = ".".join(path) or None
            if key_node.tag == _MERGE_TAG:
                self._problem("merge keys (<<) are not supported; write the fields out", line, where)
                continue
            if not isinstance(key_node, ScalarNode):
                self._problem("a key must be a plain name or a year, not a list or a mapping", line, where)
                continue
            key = self.loader.construct_object(key_node)
            text = str(key)
            child = (*path, text)
            if text in first_line:
                first, col = first_line[text]
                self._problem(
                    f"duplicate key (first given on line {first}"
                    + (f", column {col})" if first == line else ")"),
                    line,
                    ".".join(child),
                    allowed="each key once",
                )
                continue
            first_line[text] = (line, key_node.start_mark.column + 1)
            self.lines[".".join(child)] = line
            out[key] = self.build(value_node, child, depth + 1)
        return out

    def _problem(self, problem: str, line: int, path: str | None, allowed: str | None = None) -> None:
        self.problems.append(InputError(problem, file=self.source, line=line, field=path, allowed=allowed))


def parse_yaml(text: str | bytes, source: str | None = None) -> tuple[Any, dict[str, int]]:
    """Parse one YAML document strictly; return the value and the line of each field path.

    Raises :class:`InputErrors` for a non-UTF-8 or oversized text, a character YAML forbids, a
    syntax error, a tag, deep nesting, too many nodes, duplicate or non-scalar keys, a number in
    a YAML 1.1 form, an empty document or several documents.
    """
    text = _decode(text, source)
    empty = InputErrors([InputError("the file is empty", file=source, allowed="a YAML mapping of fields")])
    if not text.strip() or _only_comments(text):
        raise empty
    loader: StrictLoader | None = None
    try:
        loader = StrictLoader(text)
        node = loader.get_single_node()
        if node is None:
            raise empty
        builder = _Builder(loader, source=source)
        value = builder.build(node)
    except _Refused as r:
        raise InputErrors([_refused_error(r, source)]) from None
    except yaml.reader.ReaderError as exc:
        raise InputErrors([_reader_error(exc, text, source)]) from None
    except yaml.MarkedYAMLError as exc:
        raise InputErrors([_syntax_error(exc, source)]) from None
    except yaml.YAMLError as exc:
        raise InputErrors([InputError(f"is not valid YAML: {exc}", file=source)]) from None
    except RecursionError:
        raise InputErrors([InputError(f"is nested deeper than {MAX_DEPTH} levels", file=source)]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if builder.problems:
        raise InputErrors(builder.problems)
    builder.lines[""] = node.start_mark.line + 1
    return value, builder.lines


def _reader_error(exc: yaml.reader.ReaderError, text: str, source: str | None) -> InputError:
    """A control character (or another character YAML does not allow), with its line."""
    line = text.count("\n", 0, exc.position) + 1
    return InputError(
        f"holds a character YAML does not allow (#x{exc.character:04x}) at character {exc.position}",
        file=source,
        line=line,
        allowed="printable text, tabs and line breaks",
    )


def _decode(text: str | bytes, source: str | None) -> str:
    size = len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else len(text)
    if size > MAX_FILE_BYTES:
        raise InputErrors([_too_large(size, source)])
    if isinstance(text, str):
        return text.removeprefix("\ufeff")
    try:
        return text.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = text.count(b"\n", 0, exc.start) + 1
        raise InputErrors(
            [
                InputError(
                    f"is not UTF-8 text: byte {text[exc.start]:#04x} at byte offset {exc.start} cannot be "
                    "decoded; save the file as UTF-8",
                    file=source,
                    line=line,
                )
            ]
        ) from None


def _too_large(size: int, source: str | None) -> InputError:
    return InputError(
        f"is too large for a scenario file ({size:,} bytes)",
        file=source,
        allowed=f"at most {MAX_FILE_BYTES:,} bytes",
    )


def _only_comments(text: str) -> bool:
    return all(
        not ln.strip() or ln.lstrip().startswith("#") or ln.strip() in ("---", "...")
        for ln in text.splitlines()
    )


def _refused_error(r: _Refused, source: str | None) -> InputError:
    line = r.mark.line + 1 if r.mark is not None else None
    return InputError(r.problem, file=source, line=line, value=r.value, allowed=r.allowed)


def _syntax_error(exc: yaml.MarkedYAMLError, source: str | None) -> InputError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        problem = f"{exc.context}, {exc.problem}"
    if "expected a single document" in problem:
        problem = "holds more than one YAML document; put each scenario in its own file"
    elif mark is not None:
        problem = f"YAML syntax error at column {mark.column + 1}: {problem}"
    else:
        problem = f"YAML syntax error: {problem}"
    return InputError(problem, file=source, line=mark.line + 1 if mark is not None else None)


def _line_for(field_path: str | None, lines: dict[str, int]) -> int | None:
    """The line of ``field_path`` or of its nearest parent that appears in the file."""
    if field_path is None:
        return None
    parts = field_path.split(".")
    while parts:
        line = lines.get(".".join(parts))
        if line is not None:
            return line
        parts.pop()
    return None


# --------------------------------------------------------------------------- one file


@lru_cache(maxsize=8)
def _first_year_from(params_path: str) -> int:
    from simulator.params import load_params

    return load_params(params_path).sample.base_year + 1


def default_first_year() -> int:
    """First projection year of the fitted parameters the settings point to."""
    from simulator.settings import load_settings

    return _first_year_from(str(load_settings().params_path))


def read_scenario_text(
    text: str | bytes, source: str, *, first_year: int | None = None, last_year: int = MAX_HORIZON
) -> ScenarioFile:
    """Parse and validate one scenario file's text; raise :class:`InputErrors` listing every problem."""
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    data, lines = parse_yaml(text, source)
    if first_year is None:
        first_year = default_first_year()
    typed = _number_type_errors(data, source, lines)
    try:
        scenario = validate_scenario(data, first_year=first_year, last_year=last_year, source=source)
    except InputErrors as exc:
        bad = {e.field for e in typed}
        rest = [_with_line(e, lines) for e in exc.errors if not _under(e.field, bad)]
        raise InputErrors(_in_file_order(typed + rest)) from None
    errors = typed + _reserved_name_errors(scenario, source, lines)
    if errors:
        raise InputErrors(_in_file_order(errors))
    return ScenarioFile(scenario, source, hashlib.sha256(raw).hexdigest(), lines)


def _in_file_order(errors: list[InputError]) -> list[InputError]:
    """Errors by line, as a reader goes through the file (those without a line last)."""
    return sorted(errors, key=lambda e: e.line if e.line is not None else float("inf"))


def load_scenario_text(
    text: str | bytes, source: str, *, first_year: int | None = None, last_year: int = MAX_HORIZON
) -> Scenario:
    """A scenario from a YAML text (an uploaded file, say), as written: its base is not resolved.

    ``first_year`` is the first projection year (default: from the fitted parameters); lever
    years must lie in ``[first_year, last_year]``. Raises :class:`InputErrors`.
    """
    return read_scenario_text(text, source, first_year=first_year, last_year=last_year).scenario


def read_scenario_file(
    path: str | Path, *, first_year: int | None = None, last_year: int = MAX_HORIZON
) -> ScenarioFile:
    """Read, parse and validate one scenario file; raise :class:`InputErrors`."""
    p = Path(path)
    source = str(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise InputErrors([InputError("is a folder, not a scenario file", file=source)])
        if size > MAX_FILE_BYTES:
            raise InputErrors([_too_large(size, source)])
        with p.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        if p.suffix in SUFFIXES:
            raise InputErrors([InputError("no such file", file=source)]) from None
        # the command line also takes a shipped scenario's name
        names = ", ".join(shipped_files())
        error = InputError(
            "no such file or shipped scenario", file=source, allowed=f"a file, or one of {names}"
        )
        raise InputErrors([error]) from None
    except PermissionError:
        raise InputErrors([InputError("cannot be read: permission denied", file=source)]) from None
    except OSError as exc:
        raise InputErrors([InputError(f"cannot be read: {exc.strerror or exc}", file=source)]) from None
    return read_scenario_text(data, source, first_year=first_year, last_year=last_year)


_NUMERIC_SECTIONS = ("levers", "assumptions", "trend", "draws", "seed", "horizon")
_WHOLE_NUMBERS = ("draws", "seed", "horizon")


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number_type_errors(data: object, source: str, lines: dict[str, int]) -> list[InputError]:
    """Numbers written as text or as true/false, which the schema would quietly convert.

    Every leaf under ``levers``, ``assumptions`` and ``trend``, and ``draws``, ``seed`` and
    ``horizon`` themselves, is a number: ``'40'`` and ``yes`` (YAML 1.1 reads yes/no/on/off as
    true/false) are mistakes, not 40 and 1.
    """
    if not isinstance(data, dict):
        return []
    out: list[InputError] = []

    def visit(value: object, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                visit(v, f"{path}.{k}")
        elif isinstance(value, bool | str):
            whole = path in _WHOLE_NUMBERS or path.endswith((".start", ".ramp_years"))
            kind = "a whole number" if whole else "a number"
            if isinstance(value, bool):
                problem = f"must be {kind}, not true/false (YAML reads yes, no, on and off as true/false)"
            elif _looks_numeric(value):
                problem = f"must be {kind}, written without quotes"
            else:
                problem = f"must be {kind}"
            out.append(InputError(problem, file=source, line=_line_for(path, lines), field=path, value=value))

    for key in _NUMERIC_SECTIONS:
        if key in data:
            visit(data[key], key)
    return out


def _under(field_path: str | None, prefixes: set[str | None]) -> bool:
    if field_path is None:
        return False
    return any(field_path == p or field_path.startswith(f"{p}.") for p in prefixes if p)


def _with_line(e: InputError, lines: dict[str, int]) -> InputError:
    if e.line is not None:
        return e
    line = _line_for(e.field, lines) if e.field else lines.get("")
    return replace(e, line=line) if line is not None else e


def _reserved_name_errors(s: Scenario, source: str, lines: dict[str, int]) -> list[InputError]:
    """``baseline`` means current policy; a file may use the name only if it changes nothing."""
    if s.name != BASELINE:
        return []
    changed = [k for k in ("levers", "assumptions", "trend") if getattr(s, k).model_dump(exclude_none=True)]
    if s.base not in (None, BASELINE):
        changed.append("base")
    return [
        InputError(
            "the name 'baseline' is reserved for current policy (every lever at its default); "
            "give a scenario that changes something another name",
            file=source,
            line=lines.get(k) or lines.get("name"),
            field=k,
        )
        for k in changed
    ]


# --------------------------------------------------------------------------- bases


def resolve(scenario: Scenario, known: dict[str, Scenario]) -> Scenario:
    """``scenario`` merged onto its chain of bases, looked up by name in ``known``.

    ``baseline`` is built in and ends every chain. Raises :class:`InputError` (field ``base``)
    for an unknown base or bases that refer to each other in a circle.
    """
    return _resolve_chain(scenario, known)[0]


def _resolve_chain(scenario: Scenario, known: dict[str, Scenario]) -> tuple[Scenario, tuple[str, ...]]:
    chain = [scenario]
    names = [scenario.name]
    current = scenario
    while current.base is not None and current.base != BASELINE and current.name != BASELINE:
        base = current.base
        if base in names:
            raise InputError(
                "bases refer to each other in a circle: " + " -> ".join([*names, base]),
                field="base",
                allowed="a chain of bases that ends at 'baseline'",
            )
        nxt = known.get(base)
        if nxt is None:
            raise _unknown_base(base, names, known)
        chain.append(nxt)
        names.append(nxt.name)
        current = nxt
    result = baseline_scenario()
    for s in reversed(chain):
        result = s.merged_onto(result)
    if names[-1] != BASELINE:
        names.append(BASELINE)
    return result, tuple(names)


def _unknown_base(base: str, names: list[str], known: Iterable[str]) -> InputError:
    choices = sorted({*known, BASELINE})
    problem = "is not a known scenario"
    hint = difflib.get_close_matches(base, choices, n=1, cutoff=0.6)
    if hint:
        problem += f"; did you mean '{hint[0]}'?"
    if len(names) > 1:
        problem += " (chain: " + " -> ".join([*names, base]) + ")"
    listed = ", ".join(choices[:_MAX_LISTED])
    if len(choices) > _MAX_LISTED:
        listed += f" and {len(choices) - _MAX_LISTED} more"
    return InputError(
        problem,
        field="base",
        value=base,
        allowed="'baseline', a shipped scenario or another file of this run: " + listed,
    )


_MAX_LISTED = 20


@lru_cache(maxsize=4)
def _shipped(directory: str, first_year: int, stamp: tuple) -> dict[str, ScenarioFile | InputErrors]:
    out: dict[str, ScenarioFile | InputErrors] = {}
    for p in _scenario_paths(Path(directory)):
        try:
            sf = read_scenario_file(p, first_year=first_year)
            out.setdefault(sf.scenario.name, sf)
        except InputErrors as exc:
            out.setdefault(p.stem, exc)
    return out


def _scenario_paths(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    paths = [p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file()]
    return sorted(paths, key=lambda p: (p.stem != BASELINE, p.name))


def _stamp(directory: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in _scenario_paths(directory))


def shipped_files(
    *, first_year: int | None = None, directory: Path = SCENARIO_DIR
) -> dict[str, ScenarioFile | InputErrors]:
    """The shipped scenario files by name (baseline first), each loaded or with its errors."""
    fy = first_year if first_year is not None else default_first_year()
    return dict(_shipped(str(directory), fy, _stamp(directory)))


def shipped_scenarios(
    *, resolved: bool = True, first_year: int | None = None, directory: Path = SCENARIO_DIR
) -> dict[str, Scenario]:
    """The shipped scenarios by name (baseline first, then by file name): the app's presets.

    With ``resolved=True`` each is merged onto its base chain. Raises :class:`InputErrors` if
    a shipped file is broken (the test suite makes sure none is).
    """
    files = shipped_files(first_year=first_year, directory=directory)
    broken = [e for v in files.values() if isinstance(v, InputErrors) for e in v.errors]
    if broken:
        raise InputErrors(broken)
    written = {k: v.scenario for k, v in files.items() if isinstance(v, ScenarioFile)}
    if not resolved:
        return written
    return {k: resolve(s, written) for k, s in written.items()}


def load_scenarios(
    paths: Sequence[str | Path],
    *,
    first_year: int | None = None,
    last_year: int = MAX_HORIZON,
    shipped_dir: Path = SCENARIO_DIR,
    read: Sequence[ScenarioFile | InputErrors] | None = None,
) -> list[LoadedScenario]:
    """Load every file, then resolve each onto its bases; one bad file never stops the others.

    Bases are looked up among ``paths`` first, then among the shipped scenarios. Two files of
    one run may not share a name (results are keyed by it). The result has one entry per path,
    in order, each either resolved or with its errors. ``read``: what
    :func:`read_scenario_file` gave for each path, when read already (by worker processes).
    """
    fy = first_year if first_year is not None else default_first_year()
    loaded: list[LoadedScenario] = []
    files: dict[str, ScenarioFile] = {}
    by_name: dict[str, str] = {}
    broken: dict[str, str] = {}
    for path in paths:
        item = LoadedScenario(source=str(path))
        loaded.append(item)
        try:
            sf = read[len(loaded) - 1] if read is not None else None
            if isinstance(sf, InputErrors):
                raise sf
            if sf is None:
                sf = read_scenario_file(path, first_year=fy, last_year=last_year)
        except InputErrors as exc:
            item.errors.extend(exc.errors)
            name = _name_in(path)
            if name:
                broken.setdefault(name, str(path))
            continue
        item.sha256, item.written = sf.sha256, sf.scenario
        name = sf.scenario.name
        if name in by_name:
            item.errors.append(
                InputError(
                    f"another file of this run has the same name ({by_name[name]})",
                    file=sf.source,
                    line=sf.lines.get("name"),
                    field="name",
                    value=name,
                    allowed="a name used by one file of the run only",
                )
            )
            continue
        by_name[name] = sf.source
        files[name] = sf
    known = {k: v.scenario for k, v in files.items()}
    shipped: dict[str, ScenarioFile | InputErrors] = {}
    if {sf.scenario.base for sf in files.values()} - {*known, BASELINE, None}:
        shipped = shipped_files(first_year=fy, directory=shipped_dir)
        for k, v in shipped.items():
            if isinstance(v, ScenarioFile) and k not in broken:
                known.setdefault(k, v.scenario)  # a file of the run shadows a shipped one, even a broken file
    for item in loaded:
        if item.errors or item.written is None:
            continue
        sf = files[item.written.name]
        try:
            item.resolved, item.chain = _resolve_chain(sf.scenario, known)
        except InputError as exc:
            item.errors.append(_base_error(exc, sf, broken, shipped))
    return loaded


def _base_error(
    exc: InputError, sf: ScenarioFile, broken: dict[str, str], shipped: dict[str, ScenarioFile | InputErrors]
) -> InputError:
    base = exc.value
    if isinstance(base, str) and base in broken:
        exc = InputError(
            f"the base scenario '{base}' could not be loaded ({broken[base]}: see its errors)",
            field="base",
            value=base,
        )
    elif isinstance(base, str) and isinstance(shipped.get(base), InputErrors):
        exc = InputError(
            f"the shipped base scenario '{base}' has errors: {shipped[base]}", field="base", value=base
        )
    return replace(exc, file=sf.source, line=sf.lines.get("base"))


def _name_in(path: str | Path) -> str | None:
    """The ``name:`` of a file that failed validation, if it can be read at all (for base messages)."""
    try:
        m = re.search(r"^name:\s*['\"]?([A-Za-z0-9][A-Za-z0-9_.-]*)", Path(path).read_text("utf-8"), re.M)
    except (OSError, UnicodeDecodeError):
        return None
    return m.group(1) if m else None


def load_scenario_files(
    paths: Sequence[str | Path], *, first_year: int | None = None, last_year: int = MAX_HORIZON
) -> list[Scenario]:
    """The scenarios of ``paths``, each resolved onto its bases; :class:`InputErrors` lists every problem."""
    loaded = load_scenarios(paths, first_year=first_year, last_year=last_year)
    errors = [e for item in loaded for e in item.errors]
    if errors:
        raise InputErrors(errors)
    return [item.resolved for item in loaded if item.resolved is not None]


# --------------------------------------------------------------------------- writing


class _Dumper(yaml.SafeDumper):
    """Block style; multi-line text as a ``|`` literal block so descriptions stay readable."""


_YAML_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
"""Characters YAML reads as line breaks: written plainly or in a block they come back as "\\n"."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # double quotes escape YAML's line-break characters, so the text reads back exactly
    breaks = any(c in data for c in _YAML_BREAKS)
    style = '"' if breaks else ("|" if "\n" in data else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as YAML text that :func:`load_scenario_text` reads back to an equal scenario.

    A resolved scenario (``base`` is ``None``) is written without ``base:`` and so reads back
    with ``base: baseline``, which resolves to the same thing.
    """
    return yaml.dump(scenario.to_document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


# --------------------------------------------------------------------------- reference docs

README_BEGIN = "<!-- BEGIN GENERATED REFERENCE: `python -m simulator levers --update-readme` -->"
README_END = "<!-- END GENERATED REFERENCE -->"


def reference_markdown(first_year: int | None = None) -> str:
    """The scenario-file field reference, generated from the declarations (for scenarios/README.md)."""
    fy = first_year if first_year is not None else default_first_year()
    out = ["## Fields\n"]
    out.append("| field | type | unit | allowed | default | example |")
    out.append("|---|---|---|---|---|---|")
    for row in _top_field_rows(fy):
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    out.append("## Levers (`levers:`)\n")
    out.append(
        "Each lever is a constant (`tech_zones: 40`: from the first projection year on) or a path: "
        "`{value: V, start: YEAR, ramp_years: N}` (current policy before `start`, then a straight line "
        "to `V` over `N` years; `ramp_years` 0 or 1 means at once) or `{values: {YEAR: V, ...}}` "
        "(straight lines between the years given, current policy before the first, the last value "
        f"after it). Years are fiscal years from {fy} to {MAX_HORIZON}.\n"
    )
    out.append(
        "| lever | what | unit | current policy | allowed | step | effect | source of the default | example |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|")
    for lv in LEVERS:
        refs = "; ".join(f"{label}: {v:g}" for label, v in lv.reference_points)
        what = lv.label + (f" (marked values: {refs})" if refs else "")
        out.append(
            "| "
            + " | ".join(
                _md(x)
                for x in (
                    f"`{lv.name}`",
                    what,
                    lv.unit,
                    f"{lv.default:g}",
                    f"{lv.min:g} to {lv.max:g}",
                    f"{lv.step:g}",
                    lv.effect,
                    lv.default_source,
                    f"`{lv.name}: {_lever_example_value(lv):g}`",
                )
            )
            + " |"
        )
    out.append("")
    out.append("Example:\n")
    out.append("```yaml\nlevers:\n" + _lever_examples() + "```\n")
    out.append("## Effect assumptions (`assumptions:`)\n")
    out.append(
        "Each effect size is uncertain and drawn from a triangular distribution (low, central, high). "
        "Override it with a number or `{central: C}` (moves the mode and scales the range with it), "
        "`{low: L, central: C, high: H}`, or `{fixed: X}` (no uncertainty). Every value must lie in "
        "the allowed range.\n"
    )
    out.append("| assumption | what | unit | low | central | high | allowed | source | example |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for a in ASSUMPTIONS:
        out.append(
            "| "
            + " | ".join(
                _md(x)
                for x in (
                    f"`{a.name}`",
                    a.label,
                    a.unit,
                    f"{a.low:g}",
                    f"{a.central:g}",
                    f"{a.high:g}",
                    f"{a.bounds[0]:g} to {a.bounds[1]:g}",
                    a.source,
                    f"`{a.name}: {{central: {a.high:g}}}`",
                )
            )
            + " |"
        )
    out.append("")
    a0 = ASSUMPTIONS[0]
    out.append("Example:\n")
    out.append(
        "```yaml\nassumptions:\n"
        f"  {a0.name}: {{low: {a0.low:g}, central: {a0.central:g}, high: {a0.high:g}}}\n"
        f"  {ASSUMPTIONS[1].name}: {{fixed: {ASSUMPTIONS[1].central:g}}}\n```\n"
    )
    out.append("## Trend overrides (`trend:`)\n")
    out.append("| field | meaning | allowed | example |")
    out.append("|---|---|---|---|")
    for name, f in TrendOverride.model_fields.items():
        lo, hi = _bounds(f)
        out.append(
            f"| `{name}` | {_md(f.description or '')} | {lo:g} to {hi:g} | `{name}: {_example(lo, hi)}` |"
        )
    out.append("")
    return "\n".join(out)


def _top_field_rows(first_year: int) -> list[tuple[str, ...]]:
    """(field, type, unit, allowed, default, example) of each top-level field."""
    from simulator.settings import Settings

    d_lo, d_hi = _bounds(Scenario.model_fields["draws"])
    run_default = {k: Settings.model_fields[k].default for k in ("draws", "seed", "horizon")}
    a0 = ASSUMPTIONS[0].name
    return [
        ("`name`", "text", "", "1-64 letters, digits, `-`, `_`, `.`; unique in a run", "(required)",
         "`name: tech-zones-60`"),
        ("`description`", "text", "", "what the scenario assumes and why, with sources", "empty",
         "`description: ...`"),
        ("`base`", "text", "", "`baseline`, a shipped scenario's name or another file's name",
         f"`{BASELINE}`", "`base: connectivity-no-drag`"),
        ("`levers`", "mapping", "per lever", "see [Levers](#levers-levers)", "current policy",
         "`levers: {tech_zones: 40}`"),
        ("`assumptions`", "mapping", "per assumption",
         "see [Effect assumptions](#effect-assumptions-assumptions)", "as declared",
         f"`assumptions: {{{a0}: 8}}`"),
        ("`trend`", "mapping", "per field", "see [Trend overrides](#trend-overrides-trend)",
         "as calibrated", "`trend: {shock_scale: 1.5}`"),
        ("`draws`", "whole number", "Monte Carlo draws", f"{d_lo:g} to {d_hi:g}",
         f"the run's (`--draws`, else {run_default['draws']})", "`draws: 20000`"),
        ("`seed`", "whole number", "", "0 or more", f"the run's (`--seed`, else {run_default['seed']})",
         "`seed: 7`"),
        ("`horizon`", "whole number", "last fiscal year projected", f"{first_year} to {MAX_HORIZON}",
         f"the run's ({run_default['horizon']})", "`horizon: 2035`"),
    ]  # fmt: skip


def _lever_example_value(lv: Any) -> float:
    """A named value of the lever (its first reference point), else the end it points to."""
    if lv.reference_points:
        return lv.reference_points[0][1]
    return lv.max if lv.direction > 0 else lv.min


def _lever_examples() -> str:
    lines = []
    for i, lv in enumerate(LEVERS):
        target = _lever_example_value(lv)
        if i % 3 == 0:
            lines.append(f"  {lv.name}: {target:g}")
        elif i % 3 == 1:
            lines.append(f"  {lv.name}: {{value: {target:g}, start: 2027, ramp_years: 3}}")
        else:
            lines.append(f"  {lv.name}: {{values: {{2027: {lv.default:g}, 2030: {target:g}}}}}")
    return "\n".join(lines) + "\n"


def _bounds(f: Any) -> tuple[float, float]:
    lo = next((m.ge for m in f.metadata if hasattr(m, "ge")), float(MIN_DRAWS))
    hi = next((m.le for m in f.metadata if hasattr(m, "le")), float(MAX_DRAWS))
    return float(lo), float(hi)


def _example(lo: float, hi: float) -> str:
    return f"{(lo + hi) / 2:g}" if lo < 0 else f"{lo + (hi - lo) / 4:g}"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def update_readme(path: Path = README_PATH, first_year: int | None = None) -> Path:
    """Rewrite the generated section of ``scenarios/README.md`` (between the markers)."""
    text = path.read_text("utf-8")
    start, end = text.index(README_BEGIN) + len(README_BEGIN), text.index(README_END)
    path.write_text(text[:start] + "\n\n" + reference_markdown(first_year) + "\n" + text[end:], "utf-8")
    return path


def readme_section(path: Path = README_PATH) -> str:
    """The generated section as it stands in the README (the test compares it with a fresh one)."""
    text = path.read_text("utf-8")
    return text[text.index(README_BEGIN) + len(README_BEGIN) : text.index(README_END)].strip("\n") + "\n"


__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "SCENARIO_DIR",
    "LoadedScenario",
    "ScenarioFile",
    "dump_scenario",
    "load_scenario_files",
    "load_scenario_text",
    "load_scenarios",
    "parse_yaml",
    "read_scenario_file",
    "read_scenario_text",
    "reference_markdown",
    "resolve",
    "shipped_scenarios",
    "update_readme",
]
