"""Scenario files: validated scenarios read from files, resolved onto their bases.

A scenario file is a small YAML mapping (the fields are documented in ``scenarios/README.md``,
generated from the declarations by :mod:`simulator.scenario_reference`)::

    name: tech-zones-60
    description: Technology zones built out to 60 by FY2030 (STZA chairman, June 2022).
    base: baseline            # optional; another scenario's name
    levers:
      tech_zones: {value: 60, start: 2027, ramp_years: 4}

Loading is strict, and each problem is reported once, as an :class:`~simulator.errors.InputError`
naming the file, the line, the field path, the bad value and what is allowed:

* the text is parsed by :func:`simulator.strict_yaml.parse_yaml` (UTF-8, size and nesting
  limits, no tags, no duplicate keys, plain decimal numbers);
* numbers written as text or as true/false are errors, not quietly converted;
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

from simulator import resources
from simulator.errors import InputError, InputErrors
from simulator.scenario import (
    BASELINE,
    Scenario,
    baseline_scenario,
    validate_scenario,
)
from simulator.settings import MAX_HORIZON
from simulator.strict_yaml import MAX_FILE_BYTES, line_for, parse_yaml, too_large

SCENARIO_DIR = resources.scenario_dir()
"""The shipped scenarios."""

SUFFIXES = (".yaml", ".yml")


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
        return line_for(field_path, self.lines)


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
            raise InputErrors([too_large(size, source)])
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
            out.append(InputError(problem, file=source, line=line_for(path, lines), field=path, value=value))

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
    line = line_for(e.field, lines) if e.field else lines.get("")
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


def _read_or_errors(path: str | Path, first_year: int, last_year: int) -> ScenarioFile | InputErrors:
    try:
        return read_scenario_file(path, first_year=first_year, last_year=last_year)
    except InputErrors as exc:
        return exc


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
    if read is None:
        read = [_read_or_errors(p, fy, last_year) for p in paths]
    loaded: list[LoadedScenario] = []
    files: dict[str, ScenarioFile] = {}
    by_name: dict[str, str] = {}
    broken: dict[str, str] = {}
    for path, sf in zip(paths, read, strict=True):
        item = LoadedScenario(source=str(path))
        loaded.append(item)
        if isinstance(sf, InputErrors):
            item.errors.extend(sf.errors)
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


__all__ = [
    "SCENARIO_DIR",
    "SUFFIXES",
    "LoadedScenario",
    "ScenarioFile",
    "default_first_year",
    "load_scenario_files",
    "load_scenario_text",
    "load_scenarios",
    "read_scenario_file",
    "read_scenario_text",
    "resolve",
    "shipped_files",
    "shipped_scenarios",
]
