"""Where a sweep's results go while it runs, and how they become the result files.

Scored chunks are written as they arrive to a partial-results folder beside the output folder
(``OUT.partial``), one ``.npy`` file per chunk, each written under a temporary name and renamed
when complete, with ``plan.json`` saying what they are results of. A run interrupted at any
point (Ctrl-C, SIGTERM, a crash, a full disk) leaves the chunks it finished; the next run of the
same sweep into the same ``--out`` scores only the missing chunks. The points of a chunk are a
pure function of the plan, so the result is identical to an uninterrupted run's. When every
chunk is there, the table is written into the output folder as one set (Parquet, CSV on
request, the manifest) with :class:`simulator.output.ResultFolder`, and the partial folder goes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulator import output
from simulator.errors import InputError, OutputError

PARQUET_FILE = "sweep.parquet"
CSV_FILE = "sweep.csv"
PLAN_FILE = "plan.json"
PARTIAL_SUFFIX = ".partial"


def partial_dir(out: str | Path) -> Path:
    """The partial-results folder of output folder ``out``: ``OUT.partial`` beside it."""
    p = Path(os.path.abspath(out))
    return p.parent / (p.name + PARTIAL_SUFFIX)


class PartialStore:
    """The finished chunks of one sweep (see the module docstring)."""

    def __init__(self, out: str | Path, *, key: str, size: int, chunk: int, restart: bool = False):
        self.folder = partial_dir(out)
        self.key, self.size = key, size
        self.chunk = chunk
        meta = self.folder / PLAN_FILE
        try:
            if restart and self.folder.exists():
                shutil.rmtree(self.folder)
            if meta.exists():
                found = json.loads(meta.read_text())
                if found.get("key") != key or found.get("size") != size:
                    raise InputError(
                        "holds the unfinished results of a different sweep (another spec, base, "
                        "targets, draws or seed)",
                        file=str(self.folder),
                        allowed="the same sweep and settings to resume it, or --restart to discard them",
                    )
                self.chunk = int(found["chunk"])
            else:
                self.folder.mkdir(parents=True, exist_ok=True)
                doc = {"key": key, "size": size, "chunk": chunk}
                output.write_text_atomic(meta, json.dumps(doc) + "\n")
        except OSError as exc:
            raise OutputError.from_os_error(exc, self.folder) from None

    def _path(self, index: int) -> Path:
        return self.folder / f"chunk-{index:07d}.npy"

    def bounds(self) -> list[tuple[int, int]]:
        """Every chunk's (first point, end), in order."""
        return [(i, min(self.size, i + self.chunk)) for i in range(0, self.size, self.chunk)]

    def done(self) -> set[int]:
        """Indexes of the chunks already written."""
        return {i for i in range(len(self.bounds())) if self._path(i).exists()}

    def write(self, index: int, rows: np.ndarray) -> None:
        """Write chunk ``index`` atomically."""
        path = self._path(index)
        tmp = path.with_name(path.name + ".tmp")
        try:
            with open(tmp, "wb") as fh:
                np.save(fh, rows, allow_pickle=False)
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputError.from_os_error(exc, path) from None

    def rows(self) -> np.ndarray:
        """Every chunk's rows, in point order."""
        parts = [np.load(self._path(i), allow_pickle=False) for i in range(len(self.bounds()))]
        return np.concatenate(parts) if parts else np.empty((0, 0))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def table(rows: np.ndarray, columns: Sequence[str]) -> pa.Table:
    """The tidy result table: ``point`` as a whole number, every other column float64."""
    arrays = [pa.array(rows[:, 0].astype(np.int64))]
    arrays += [pa.array(rows[:, j]) for j in range(1, len(columns))]
    return pa.Table.from_arrays(arrays, names=list(columns))


def csv_decimals(columns: Sequence[str]) -> dict[str, int]:
    """Odds with four decimals and exports (US$ m) with one, as in ``simulator run``'s files."""
    out: dict[str, int] = {}
    for c in columns:
        if c.startswith("p_"):
            out[c] = 4
        elif c.startswith("exports_"):
            out[c] = 1
    return out


def csv_text(tab: pa.Table) -> str:
    """The table as CSV, in the format of the other result files."""
    columns = tab.column_names
    data = {c: tab.column(c).to_pylist() for c in columns}
    rows = ({c: data[c][i] for c in columns} for i in range(tab.num_rows))
    return output.format_csv(rows, columns, csv_decimals(columns))


def write_parquet(out: output.ResultFolder, tab: pa.Table) -> str:
    """Write the table into the result set being staged; return its SHA-256."""
    assert out.staging is not None
    path = out.staging / PARQUET_FILE
    try:
        pq.write_table(tab, path, compression="zstd")
        digest = output.sha256_file(path)
    except OSError as exc:
        raise OutputError.from_os_error(exc, out.shown / PARQUET_FILE) from None
    out.sha256[PARQUET_FILE] = digest
    return digest
