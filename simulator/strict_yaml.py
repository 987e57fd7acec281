"""Strict YAML: one document of plain values, with the line of every key.

:func:`parse_yaml` is the only way a scenario file's text becomes Python values. Each problem is
reported once, as an :class:`~simulator.errors.InputError` naming the file, the line, the field
path, the bad value and what is allowed:

* the text must be UTF-8 (a bad byte is reported with its line and byte offset), at most
  :data:`MAX_FILE_BYTES` long, hold exactly one YAML document and not be empty;
* YAML syntax errors carry the line and column;
* safe loading only: any explicit tag (``!!python/object``, ``!!str``, ``!foo``) is refused, so
  no tag can ever build a Python object; merge keys (``<<``) are refused too;
* nesting deeper than :data:`MAX_DEPTH` levels, and alias expansion beyond :data:`MAX_NODES`
  nodes ("billion laughs"), are refused while the node tree is composed, before any Python
  object is built;
* duplicate keys are errors (YAML would silently keep the last one);
* numbers in YAML 1.1's (or 1.2's) surprising forms (``012``, ``0x1F``, ``0o17``, ``1:30``) are
  errors (digits grouped with ``_``, ``1_000``, mean what they look like); a plain decimal is
  read exactly (:func:`plain_number`): ``2e4``, ``20000`` and ``20000.0`` are the same whole
  number, so a field of whole numbers takes any of them, and ``1e3`` is a number although YAML
  1.1 reads it as text; a number with more digits than any field could use is refused in words
  (not with Python's advice about integer conversion);
* a date stays text.

What the values mean is checked elsewhere (:mod:`simulator.scenario_files`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from simulator.errors import InputError, InputErrors

MAX_FILE_BYTES = 100_000
"""Largest scenario file accepted. Real ones are a few kilobytes; this stops a wrong file early."""
MAX_DEPTH = 12
"""Deepest nesting accepted. A scenario needs four levels (``levers.tech_zones.values.2030``)."""
MAX_NODES = 10_000
"""Most YAML nodes accepted, counting every alias expansion (a defence against "billion laughs")."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_NULL_TAG = "tag:yaml.org,2002:null"
_NOT_DECIMAL = re.compile(r"^[-+]?0[0-7_]+$|^[-+]?0[xXoObB]|:")
"""Octal (``012``, ``0o17``), hexadecimal, binary and base-60 (``1:30``) forms of YAML numbers:
YAML 1.1 and 1.2 read them differently, and neither the way most people would."""
_OCTAL_12 = re.compile(r"^[-+]?0[oO][0-7]+$")
"""YAML 1.2's octal form, which PyYAML (YAML 1.1) reads as text."""
_EXPONENT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")
_DECIMAL = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
MAX_DIGITS = 30
"""Most digits a number may have before its decimal point: far more than any field allows (a seed
has at most 19), few enough to print in a message."""
_NOT_DECIMAL_PROBLEM = (
    "is not a plain decimal number (YAML 1.1 reads 1:30 as 90, 012 as 10 and 0x1F as 31, "
    "YAML 1.2 reads 0o17 as 15)"
)


def plain_exponent(text: str) -> bool:
    """Whether an unquoted ``text`` is read as a number here though YAML 1.1 reads it as text (``1e3``)."""
    return _EXPONENT.match(text) is not None


class TooManyDigits(ValueError):
    """A number with more than :data:`MAX_DIGITS` digits before its decimal point."""


def plain_number(text: str) -> int | float | None:
    """A plain decimal's value (digits may be grouped with ``_``), exactly: a whole value is an
    ``int`` however it is written (``2e4``, ``20000.0``), any other a ``float``; ``None`` if
    ``text`` is not a plain decimal.

    Raises :class:`TooManyDigits` for a value with more than :data:`MAX_DIGITS` digits before the
    decimal point (``1e400``, a 5,000-digit integer).
    """
    text = text.replace("_", "")  # YAML 1.1 allows digits grouped with underscores
    if _DECIMAL.match(text) is None:
        return None
    d = Decimal(text)
    if d != 0 and d.adjusted() >= MAX_DIGITS:
        raise TooManyDigits(text)
    return int(d) if d == d.to_integral_value() else float(text)


def number_digits(text: str) -> int:
    """Digits before the decimal point of a plain decimal's value (``1e400``: 401)."""
    return Decimal(text.replace("_", "")).adjusted() + 1


def _abbreviated(text: str, keep: int = 24) -> str:
    return text if len(text) <= keep else f"{text[:keep]}... ({len(text)} characters)"


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

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
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
        number = node.style is None and (node.tag in (_INT_TAG, _FLOAT_TAG) or plain_exponent(node.value))
        if node.style is None and (
            (number and _NOT_DECIMAL.search(node.value)) or _OCTAL_12.match(node.value)
        ):
            self._problem(
                _NOT_DECIMAL_PROBLEM,
                line,
                where,
                value=node.value,
                allowed="decimal numbers such as 40, 3.4 or 1e3",
            )
            return None
        if number:  # 1e3 too: a number in YAML 1.2, text to PyYAML's YAML 1.1
            try:
                value = plain_number(node.value)
            except TooManyDigits:
                self._problem(
                    f"is a number of {number_digits(node.value)} digits",
                    line,
                    where,
                    value=_abbreviated(node.value),
                    allowed=f"numbers of at most {MAX_DIGITS} digits",
                )
                return None
            if value is not None:
                return value
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
            key = self._scalar(key_node, path)
            if key is None:  # the problem is recorded (a bad number, an empty key)
                if key_node.tag == _NULL_TAG:
                    self._problem("a key must be a name or a year, not empty", line, where)
                continue
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

    def _problem(
        self, problem: str, line: int, path: str | None, allowed: str | None = None, value: object = None
    ) -> None:
        self.problems.append(
            InputError(problem, file=self.source, line=line, field=path, value=value, allowed=allowed)
        )


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
        raise InputErrors([too_large(size, source)])
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


def too_large(size: int, source: str | None) -> InputError:
    """The error for a text of ``size`` bytes, over :data:`MAX_FILE_BYTES`."""
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


def line_for(field_path: str | None, lines: dict[str, int]) -> int | None:
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
