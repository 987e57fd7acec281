"""Result files: the CSV layout, deterministic number formatting, atomic writes and the manifest.

Pure functions turn a :class:`~simulator.engine.Projection` into rows and rows into CSV text, so
the command line and the app's download produce byte-for-byte the same format:

>>> text = format_csv(projection_rows("baseline", projection), PROJECTION_COLUMNS)  # doctest: +SKIP

CSV conventions: UTF-8, a header row, the column order of :data:`PROJECTION_COLUMNS` and
:data:`TARGET_COLUMNS`, ``\\r\\n`` line endings (RFC 4180), numbers with a fixed number of decimals
(:data:`DECIMALS`; US$ m with one decimal, probabilities with four), an empty cell for "none"
(a target not reached by the horizon, a target without a deadline). A text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so that a
spreadsheet shows it instead of running it as a formula.

Files are written under a temporary name in the destination folder and renamed when complete
(:class:`AtomicFile`), so an interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from simulator.engine import STAT_COLUMNS, Projection, TargetOdds
from simulator.errors import InputError

PROJECTIONS_FILE = "projections.csv"
TARGETS_FILE = "targets.csv"
MANIFEST_FILE = "manifest.json"
OUTPUT_FILES = (PROJECTIONS_FILE, TARGETS_FILE, MANIFEST_FILE)

PROJECTION_COLUMNS: tuple[str, ...] = ("scenario", "fiscal_year", "kind", *STAT_COLUMNS)
"""``projections.csv``: one row per scenario and fiscal year (history, then projection), US$ m."""

TARGET_COLUMNS: tuple[str, ...] = (
    "scenario",
    "target_id",
    "amount_musd",
    "deadline_fy",
    "source",
    "p_by_deadline",
    "year_p10",
    "year_p50",
    "year_p90",
    "p_never",
)
"""``targets.csv``: one row per scenario and open target."""

DECIMALS: dict[str, int] = {
    **dict.fromkeys(STAT_COLUMNS, 1),
    "amount_musd": 1,
    "p_by_deadline": 4,
    "p_never": 4,
}
"""Decimals of each float column; every other column is text or a whole number."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LINE_TERMINATOR = "\r\n"
"""RFC 4180 line ends; with them the csv module also quotes a text cell holding a lone ``\\r``."""


# --------------------------------------------------------------------------- rows


def projection_rows(scenario: str, projection: Projection) -> list[dict[str, object]]:
    """Rows of ``projections.csv`` for one scenario: reported history, then the projection."""
    return [{"scenario": scenario, **row} for row in projection.table()]


def target_rows(
    scenario: str, projection: Projection, odds: Sequence[TargetOdds] | None = None
) -> list[dict[str, object]]:
    """Rows of ``targets.csv`` for one scenario (default: the open targets)."""
    chosen = odds if odds is not None else projection.target_odds()
    return [
        {
            "scenario": scenario,
            "target_id": o.target.id,
            "amount_musd": o.target.amount_musd,
            "deadline_fy": o.target.deadline_fy,
            "source": target_source(o.target),
            "p_by_deadline": o.p_by_deadline,
            "year_p10": o.year_p10,
            "year_p50": o.year_p50,
            "year_p90": o.year_p90,
            "p_never": o.p_never,
        }
        for o in chosen
    ]


def target_source(target: Any) -> str:
    """Who set the target, when, and where it is reported."""
    said = f", {target.said_on}" if target.said_on is not None else ""
    return f"{target.who}{said}: {target.url}"


# --------------------------------------------------------------------------- formatting


def format_cell(value: object, column: str = "", decimals: Mapping[str, int] = DECIMALS) -> str:
    """One cell as text: fixed decimals for the float columns, ``''`` for ``None``, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and column not in decimals:
        return str(value)
    if isinstance(value, int | float):
        x = float(value)
        if not math.isfinite(x):
            return ""
        if column in decimals:
            text = f"{x:.{decimals[column]}f}"
            return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.0"
        return repr(x) if not x.is_integer() else str(int(x))
    return neutralise(str(value))


def neutralise(text: str) -> str:
    """Prefix a text cell that a spreadsheet would run as a formula with ``'``."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def format_rows(
    rows: Iterable[Mapping[str, object]], columns: Sequence[str], decimals: Mapping[str, int] = DECIMALS
) -> str:
    """CSV lines (no header) for ``rows``, in the order of ``columns``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=LINE_TERMINATOR)
    for row in rows:
        writer.writerow([format_cell(row.get(c), c, decimals) for c in columns])
    return buf.getvalue()


def header_line(columns: Sequence[str]) -> str:
    """The header row of a CSV with ``columns``."""
    return format_rows([{c: c for c in columns}], columns)


def format_csv(
    rows: Iterable[Mapping[str, object]], columns: Sequence[str], decimals: Mapping[str, int] = DECIMALS
) -> str:
    """A whole CSV document: the header, then ``rows``."""
    return header_line(columns) + format_rows(rows, columns, decimals)


def projections_csv(items: Iterable[tuple[str, Projection]]) -> str:
    """``projections.csv`` for ``(scenario name, projection)`` pairs, as text (the app's download)."""
    return format_csv((r for name, p in items for r in projection_rows(name, p)), PROJECTION_COLUMNS)


def targets_csv(items: Iterable[tuple[str, Projection]]) -> str:
    """``targets.csv`` for ``(scenario name, projection)`` pairs, as text (the app's download)."""
    return format_csv((r for name, p in items for r in target_rows(name, p)), TARGET_COLUMNS)


# --------------------------------------------------------------------------- atomic files


class AtomicFile:
    """A text file written under a temporary name and renamed into place when closed cleanly.

    Used as a context manager; on an exception (or ``Ctrl-C``) the temporary file is removed and
    the destination is left as it was. The SHA-256 of the bytes written is kept in ``sha256``.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._fh: IO[bytes] | None = None
        self._tmp: str | None = None
        self._hash = hashlib.sha256()
        self.sha256: str | None = None

    def __enter__(self) -> AtomicFile:
        fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes it private; a result file is not
        self._fh = os.fdopen(fd, "wb")
        return self

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self._hash.update(data)
        assert self._fh is not None
        self._fh.write(data)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._fh is not None and self._tmp is not None
        try:
            if exc_type is None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            self._fh.close()
            if exc_type is None:
                os.replace(self._tmp, self.path)
                self.sha256 = self._hash.hexdigest()
        finally:
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | Path, text: str) -> str:
    """Write ``text`` to ``path`` atomically; return the SHA-256 of its bytes."""
    with AtomicFile(path) as f:
        f.write(text)
    assert f.sha256 is not None
    return f.sha256


def write_projections_csv(path: str | Path, items: Iterable[tuple[str, Projection]]) -> str:
    """Write ``projections.csv`` atomically; return its SHA-256."""
    return write_text_atomic(path, projections_csv(items))


def write_targets_csv(path: str | Path, items: Iterable[tuple[str, Projection]]) -> str:
    """Write ``targets.csv`` atomically; return its SHA-256."""
    return write_text_atomic(path, targets_csv(items))


def write_manifest(path: str | Path, manifest: Mapping[str, Any]) -> str:
    """Write the manifest as indented JSON (keys in the order given) atomically; return its SHA-256."""
    return write_text_atomic(path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def prepare_out_dir(path: str | Path, *, overwrite: bool = False, flag: str = "--overwrite") -> Path:
    """Create the output folder, or check that an existing one may be written to.

    An existing folder that is not empty is refused unless ``overwrite`` is set, so that the
    files of two runs are never silently mixed; with it, this run's files replace the earlier
    ones (other files are left alone).
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError("exists and is not a folder", file=str(p), allowed="a new or empty folder")
    if p.is_dir() and any(p.iterdir()) and not overwrite:
        raise InputError(
            "the output folder is not empty; its files would be mixed with this run's",
            file=str(p),
            allowed=f"a new or empty folder, or {flag} to replace this run's files in it",
        )
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder: {exc.strerror or exc}", file=str(p)) from None
    if not os.access(p, os.W_OK):
        raise InputError("the output folder is not writable", file=str(p))
    return p


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
