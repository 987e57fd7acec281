"""One error type for every user mistake: bad data rows, bad scenario files, bad settings.

The message names the file, the line where known, the field path, the bad value and what
is allowed, so that a user can fix the input without reading a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class InputError(Exception):
    """A problem with something the user supplied.

    Parameters
    ----------
    problem:
        What is wrong, in plain words ("must be at most 60").
    file:
        The file the input came from, if any.
    line:
        1-based line number in that file, where known.
    field:
        Dotted path of the field ("levers.tech_zones.value").
    value:
        The offending value, shown with ``repr`` (or ``None`` when not applicable).
    allowed:
        What would have been accepted ("0 to 60 zones").
    """

    problem: str
    file: str | Path | None = None
    line: int | None = None
    field: str | None = None
    value: object = None
    allowed: str | None = None
    show_value: bool = True

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def location(self) -> str:
        if self.file is None:
            return ""
        loc = str(self.file)
        if self.line is not None:
            loc += f", line {self.line}"
        return loc

    def __str__(self) -> str:
        parts = []
        loc = self.location()
        if loc:
            parts.append(f"{loc}:")
        if self.field:
            parts.append(f"{self.field}:")
        parts.append(self.problem)
        text = " ".join(parts)
        if self.show_value and self.value is not None:
            text += f" (got {self.value!r})"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text


class InputErrors(Exception):
    """Several independent problems found in one input, reported together."""

    def __init__(self, errors: list[InputError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class OutputError(Exception):
    """Writing a result failed (a full disk, no permission, ...); nothing partial was left behind.

    Not a usage mistake: the command line reports it in one line and exits with code 1.
    """

    def __init__(self, file: str | Path, reason: str):
        self.file, self.reason = str(file), reason
        super().__init__(str(self))

    @classmethod
    def from_os_error(cls, exc: OSError, file: str | Path) -> OutputError:
        reason = exc.strerror or str(exc) or type(exc).__name__
        if exc.errno is not None:
            reason += f" (errno {exc.errno})"
        return cls(file, reason)

    def __str__(self) -> str:
        return (
            f"cannot write {self.file}: {self.reason}; nothing was written and earlier results are unchanged"
        )
