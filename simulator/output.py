"""Result files: the CSV layout, deterministic number formatting, atomic writes and the manifest.

Pure functions turn a :class:`~simulator.engine.Projection` into rows and rows into CSV text, so
the command line and the app's download produce byte-for-byte the same format:

>>> text = format_csv(projection_rows("baseline", projection), PROJECTION_COLUMNS)  # doctest: +SKIP

CSV conventions: UTF-8, a header row, the column order of :data:`PROJECTION_COLUMNS` and
:data:`TARGET_COLUMNS`, ``\\r\\n`` line endings (RFC 4180), numbers with a fixed number of decimals
(:data:`DECIMALS`; US$ m with one decimal, probabilities with four), an empty cell for "none"
(a target not reached by the horizon, a target without a deadline, odds not computed; the
``note`` column of ``targets.csv`` says which). A text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so that a
spreadsheet shows it instead of running it as a formula.

A single file is written under a temporary name beside it and renamed when complete
(:class:`AtomicFile`); a set of result files (``run``, ``compare``) is written into a temporary
folder beside the output folder and swapped in whole (:class:`ResultFolder`), so a reader sees
the old complete set or the new one, never a mix, and a manifest's hashes always match the files
beside it. An interrupted or failed write leaves nothing behind; a full disk or any other OSError
becomes an :class:`~simulator.errors.OutputError` naming the file.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import errno
import functools
import hashlib
import io
import json
import math
import os
import re
import secrets
import shutil
import signal
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from simulator import __version__
from simulator.engine import STAT_COLUMNS, Engine, Projection, TargetOdds
from simulator.errors import InputError, OutputError
from simulator.settings import Settings

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
    "note",
)
"""``targets.csv``: one row per scenario and open target. ``note`` says why ``p_by_deadline`` is
empty: no deadline stated, or odds not computed because the horizon ends before the deadline
(then ``p_never`` is empty too: the paths stop too early to tell)."""

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
            "note": o.not_computed,
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


# --------------------------------------------------------------------------- writing files

_TEMP_TAG = "simulator-tmp"
"""Every temporary name this module makes contains ``.simulator-tmp-<pid>-``: a later run
recognises them, ignores them in the "not empty" check and removes those whose process is gone."""
_TEMP_NAME = re.compile(rf"\.{_TEMP_TAG}-(\d+)-")
_HOLD = (signal.SIGINT, signal.SIGTERM)
"""Signals held back while a result set is swapped in, so that an interruption cannot split it
(SIGKILL cannot be held: with the exchange there is no moment to split, with two renames its
window is two system calls)."""


def _temp_prefix(name: str) -> str:
    return f".{name}.{_TEMP_TAG}-{os.getpid()}-"


def is_temporary(name: str) -> bool:
    """Whether ``name`` is a temporary file or folder of this module (of any process)."""
    return _TEMP_NAME.search(name) is not None


def _owner_alive(name: str) -> bool:
    m = _TEMP_NAME.search(name)
    if m is None:
        return True
    pid = int(m.group(1))
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def remove_stale_temporaries(folder: str | Path) -> list[str]:
    """Remove the temporary files and folders in ``folder`` left by runs that were killed
    (their process no longer exists); return their names."""
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for e in entries:
        if is_temporary(e.name) and not _owner_alive(e.name):
            try:
                if e.is_dir(follow_symlinks=False):
                    shutil.rmtree(e.path)
                else:
                    os.unlink(e.path)
                removed.append(e.name)
            except OSError:
                pass  # not ours to fight over; it is ignored by the checks anyway
    return removed


class _HashingWriter:
    """Write text as UTF-8 to an open binary file, hashing the bytes; OSError -> OutputError."""

    def __init__(self, fh: IO[bytes], shown_as: Path):
        self._fh, self.shown_as = fh, shown_as
        self._hash = hashlib.sha256()

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self._hash.update(data)
        try:
            self._fh.write(data)
        except OSError as exc:
            raise OutputError.from_os_error(exc, self.shown_as) from None

    def finish(self) -> str:
        """Flush to the disk and close; the SHA-256 of everything written."""
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        except OSError as exc:
            raise OutputError.from_os_error(exc, self.shown_as) from None
        return self._hash.hexdigest()

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self._fh.close()


def _open_new(path: Path, shown_as: Path) -> IO[bytes]:
    """Create ``path`` for writing, readable like any result file (``open`` honours the umask)."""
    try:
        return open(path, "xb")  # closed by _HashingWriter.finish or discard
    except OSError as exc:
        raise OutputError.from_os_error(exc, shown_as) from None


class AtomicFile:
    """A text file written under a temporary name and renamed into place when closed cleanly.

    Used as a context manager; on an exception (or ``Ctrl-C``) the temporary file is removed and
    the destination is left as it was. The SHA-256 of the bytes written is kept in ``sha256``.
    Any OSError (a full disk, no permission) becomes an :class:`~simulator.errors.OutputError`
    naming ``path``. Temporary files of killed runs beside ``path`` are removed first.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._writer: _HashingWriter | None = None
        self._tmp: Path | None = None
        self.sha256: str | None = None

    def __enter__(self) -> AtomicFile:
        remove_stale_temporaries(self.path.parent)
        self._tmp = self.path.parent / f"{_temp_prefix(self.path.name)}{secrets.token_hex(4)}.tmp"
        self._writer = _HashingWriter(_open_new(self._tmp, self.path), self.path)
        return self

    def write(self, text: str) -> None:
        assert self._writer is not None
        self._writer.write(text)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._writer is not None and self._tmp is not None
        try:
            if exc_type is None:
                digest = self._writer.finish()
                try:
                    os.replace(self._tmp, self.path)
                except OSError as err:
                    raise OutputError.from_os_error(err, self.path) from None
                self.sha256 = digest
            else:
                self._writer.discard()
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._tmp)


def write_text_atomic(path: str | Path, text: str) -> str:
    """Write ``text`` to ``path`` atomically; return the SHA-256 of its bytes."""
    with AtomicFile(path) as f:
        f.write(text)
    assert f.sha256 is not None
    return f.sha256


def write_manifest(path: str | Path, manifest: Mapping[str, Any]) -> str:
    """Write the manifest as indented JSON (keys in the order given) atomically; return its SHA-256."""
    return write_text_atomic(path, manifest_text(manifest))


def run_manifest(
    command: Sequence[str],
    settings: Settings,
    engine: Engine,
    *,
    jobs: int,
    files: Mapping[str, str | None],
    scenarios: Sequence[Mapping[str, object]],
) -> dict[str, Any]:
    """``manifest.json``: everything needed to reproduce a run and check its files (the command
    line's ``run`` writes it; the app puts the same into its downloads)."""
    return {
        "package_version": __version__,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": list(command),
        "python": sys.version.split()[0],
        "numpy": __import__("numpy").__version__,
        "data": {"directory": str(settings.data_dir), "sha256": engine.data.sha256},
        "fitted_params": {
            "path": str(settings.params_path),
            "sha256": engine.params.sha256(),
            "file_sha256": sha256_file(settings.params_path),
        },
        "defaults": {"draws": settings.draws, "seed": settings.seed, "horizon": settings.horizon},
        "jobs": jobs,
        "files": dict(files),
        "scenarios": list(scenarios),
    }


def manifest_text(manifest: Mapping[str, Any]) -> str:
    """The manifest as indented JSON, keys in the order given."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- result folders


def check_out_dir(path: str | Path, *, overwrite: bool = False, flag: str = "--overwrite") -> Path:
    """Check, before any work, that ``path`` may receive a result set (an InputError if not).

    A missing folder is fine (it is created when the results are complete); an existing one
    must be empty, ignoring temporary files of killed runs, unless ``overwrite`` is set, so that
    the files of two runs are never silently mixed.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError("exists and is not a folder", file=str(p), allowed="a new or empty folder")
    if p.is_dir() and not overwrite and any(not is_temporary(e) for e in os.listdir(p)):
        raise InputError(
            "the output folder is not empty; its files would be mixed with this run's",
            file=str(p),
            allowed=f"a new or empty folder, or {flag} to replace this run's files in it",
        )
    if p.is_dir() and not os.access(p, os.W_OK):
        raise InputError("the output folder is not writable", file=str(p))
    return p


class ResultFolder:
    """A command's result files, written as one set: the old complete set or the new, never a mix.

    The files are written into a temporary folder beside the target (same file system) and, by
    :meth:`commit`, swapped in with one ``renameat2(RENAME_EXCHANGE)`` (Linux), or two renames
    with ``Ctrl-C`` and SIGTERM held back between them where the exchange is not available. With
    ``overwrite``, the target's other files (those this run does not write) are carried over by
    hard links, so they survive the swap. Leaving the ``with`` block without :meth:`commit`
    (an error, ``Ctrl-C``) removes the temporary folder and leaves the target as it was.

    Where no folder can be made beside the target (it is a mount point, or its parent is not
    writable), the files are staged in a temporary folder inside it and renamed one by one, the
    manifest last, with the same signals held: an interruption cannot mix two runs' files; only
    a crash of the machine in the middle of the renames could.

    Usage::

        out = ResultFolder("out/", overwrite=False)   # checks now: InputError before the work
        with out:
            with out.open("projections.csv") as f:
                f.write(text)
            out.write_text("manifest.json", manifest_text(m))
            out.commit()
    """

    def __init__(self, target: str | Path, *, overwrite: bool = False, flag: str = "--overwrite"):
        self.shown = check_out_dir(target, overwrite=overwrite, flag=flag)
        self.target = Path(os.path.realpath(self.shown))  # a symlink to a folder: swap the folder
        self.overwrite = overwrite
        self.staging: Path | None = None
        self.inside = False
        self.sha256: dict[str, str] = {}
        self.committed = False

    # ---- staging

    def __enter__(self) -> ResultFolder:
        parent = self.target.parent
        remove_stale_temporaries(parent)
        if self.target.is_dir():
            remove_stale_temporaries(self.target)
        self.inside = self.target.is_dir() and os.path.ismount(self.target)
        if not self.inside:
            try:
                parent.mkdir(parents=True, exist_ok=True)
                self.staging = Path(tempfile.mkdtemp(prefix=_temp_prefix(self.target.name), dir=parent))
            except PermissionError as exc:
                if not self.target.is_dir():
                    raise OutputError.from_os_error(exc, self.shown) from None
                self.inside = True
            except OSError as exc:
                raise OutputError.from_os_error(exc, self.shown) from None
        if self.inside:
            try:
                self.staging = Path(tempfile.mkdtemp(prefix=_temp_prefix("out"), dir=self.target))
            except OSError as exc:
                raise OutputError.from_os_error(exc, self.shown) from None
        return self

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[_HashingWriter]:
        """A file of the set, written as text; its SHA-256 goes to ``sha256[name]`` when closed."""
        assert self.staging is not None, "use ResultFolder as a context manager"
        writer = _HashingWriter(_open_new(self.staging / name, self.shown / name), self.shown / name)
        try:
            yield writer
        except BaseException:
            writer.discard()
            raise
        self.sha256[name] = writer.finish()

    def write_text(self, name: str, text: str) -> str:
        """Write one whole file of the set; return its SHA-256."""
        with self.open(name) as f:
            f.write(text)
        return self.sha256[name]

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.staging is not None and not self.committed:
            shutil.rmtree(self.staging, ignore_errors=True)

    # ---- the swap

    def commit(self) -> None:
        """Swap the complete set in (see the class docstring); OSError -> OutputError."""
        assert self.staging is not None and not self.committed
        try:
            if self.inside:
                self._commit_inside()
            else:
                self._commit_beside()
        except OSError as exc:
            raise OutputError.from_os_error(exc, self.shown) from None
        self.committed = True

    def _commit_beside(self) -> None:
        staging, target = self.staging, self.target
        assert staging is not None
        if target.is_dir():
            # without --overwrite the folder was empty when checked: anything there now is
            # someone else's and is kept too
            _carry_over(target, staging, keep=set(self.sha256))
            os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
        else:
            os.chmod(staging, 0o777 & ~_umask())
        _fsync_dir(staging)
        old: Path | None = None
        try:
            with _signals_held():  # a held signal is raised when the block ends: see finally
                if not target.is_dir():
                    os.rename(staging, target)
                elif _exchange(staging, target):
                    old = staging  # the exchange left the old set under the temporary name
                else:
                    moved = target.parent / f"{_temp_prefix(target.name)}old-{secrets.token_hex(4)}"
                    os.rename(target, moved)
                    try:
                        os.rename(staging, target)
                    except OSError:
                        os.rename(moved, target)
                        raise
                    old = moved
                self.committed = True
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        _fsync_dir(target.parent)

    def _commit_inside(self) -> None:
        staging, target = self.staging, self.target
        assert staging is not None
        try:
            with _signals_held():
                for name in self.sha256:  # in the order written: the manifest last
                    os.replace(staging / name, target / name)
                self.committed = True
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _fsync_dir(target)


def _carry_over(old: Path, new: Path, keep: set[str]) -> None:
    """Hard-link (or copy) every entry of ``old`` that is not in ``keep`` into ``new``."""
    for e in os.scandir(old):
        if e.name in keep or is_temporary(e.name):
            continue
        dest = new / e.name
        if e.is_symlink():
            os.symlink(os.readlink(e.path), dest)
        elif e.is_dir():
            shutil.copytree(e.path, dest, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(e.path, dest)


def _link_or_copy(src: str, dst: str | Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back Ctrl-C and SIGTERM: they are recorded and handled, as they would have been,
    when the block ends.

    The Python-level handlers are swapped rather than the thread's signal mask, because a
    process-directed signal may be delivered to any thread (the process pool's manager thread,
    say) and Python then runs the handler in the main thread regardless of the main thread's mask.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be changed (and only run) in the main thread
        return
    pending: list[signal.Signals] = []

    def record(signum: int, frame: object) -> None:
        pending.append(signal.Signals(signum))

    previous = {s: signal.signal(s, record) for s in _HOLD}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for held in dict.fromkeys(pending):
            handler = previous[held]
            if callable(handler):
                handler(held, None)  # Ctrl-C's KeyboardInterrupt, the command line's SIGTERM, ...
            elif handler != signal.SIG_IGN:
                os.kill(os.getpid(), held)  # the default action, now that it is allowed


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@functools.cache
def _renameat2() -> Any:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where the system cannot."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # no such call, or a file system without exchange
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
