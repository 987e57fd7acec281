"""Batch-run benchmark: 1,000 scenario files at 10,000 draws each, with ``--jobs 1`` and ``--jobs 2``.

Writes the files to a temporary folder, runs ``python -m simulator run`` on them as a user would
(a fresh process each time, so start-up and loading count), and prints ``name: value`` lines:
the median wall time over the repeats for each ``--jobs``, their ratio, the peak memory of the
whole process tree (the parent and its workers; proportional set size, sampled from /proc every
20 ms), whether the CSV files are byte-identical across ``--jobs``, and the start-up time of the
command line (part of every run). Goals: under 30 s and under 1 GB.

The files are a policy sweep: each sets one to three levers to values spread over their
ranges (every lever, constants and ramped paths); one file in ten also overrides an effect
assumption (one of five values), which forces fresh draws for it.

Usage: ``python benchmarks/bench_batch.py [--files 1000] [--draws 10000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.levers import ASSUMPTIONS, LEVERS  # noqa: E402

GOAL_SECONDS = 30.0
GOAL_MB = 1024.0


def write_files(folder: Path, n: int) -> list[Path]:
    """``n`` scenario files: a deterministic sweep over the levers."""
    paths = []
    for i in range(n):
        lines = [f"name: sweep-{i:04d}", f"description: benchmark sweep file {i}", "levers:"]
        for k in range(1 + i % 3):
            lv = LEVERS[(i + 2 * k) % len(LEVERS)]
            frac = ((i * 37 + k * 11) % 101) / 100
            value = round(lv.min + frac * (lv.max - lv.min), 3)
            if (i + k) % 2:
                lines.append(f"  {lv.name}: {{value: {value}, start: {2027 + i % 4}, ramp_years: {i % 5}}}")
            else:
                lines.append(f"  {lv.name}: {value}")
        if i % 10 == 9:
            a = ASSUMPTIONS[i % len(ASSUMPTIONS)]
            central = a.low + (a.high - a.low) * ((i // 10) % 5) / 4
            lines += ["assumptions:", f"  {a.name}: {{central: {central:.6g}}}"]
        p = folder / f"sweep-{i:04d}.yaml"
        p.write_text("\n".join(lines) + "\n", "utf-8")
        paths.append(p)
    return paths


def tree_rss_mb(root_pid: int) -> float:
    """Memory of ``root_pid`` and all its descendants, MB (Linux /proc; PSS, so pages that forked
    workers share with the parent are counted once, not once per process)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        total += _memory_kb(pid)
    return total / 1024


def _memory_kb(pid: int) -> int:
    """Proportional set size (shared pages split between the processes sharing them), else RSS."""
    for path, key in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(path) as fh:
                for line in fh:
                    if line.startswith(key):
                        return int(line.split()[1])
        except OSError:
            continue
    return 0


def timed_run(folder: Path, out: Path, draws: int, jobs: int) -> tuple[float, float, float]:
    """(wall seconds, peak MB of the process tree, CPU seconds of the tree) of one ``simulator run``.

    CPU time (user + system of the run and its workers) is much less sensitive than wall time to
    other work on a shared machine; wall time over CPU time shows how well the workers overlap.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [sys.executable, "-m", "simulator", "run", str(folder), "--out", str(out)]
    cmd += ["--draws", str(draws), "--jobs", str(jobs), "--quiet"]
    peak = 0.0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_mb(proc.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"simulator run failed ({proc.returncode}):\n{err.decode()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, peak, cpu


def startup_seconds(repeats: int) -> float:
    """Median wall time of ``simulator run --help``: interpreter start plus what a run imports."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "simulator", "run", "--help"], cwd=ROOT, check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def digest(out: Path) -> str:
    h = hashlib.sha256()
    for name in ("projections.csv", "targets.csv"):
        h.update((out / name).read_bytes())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scenarios"
        folder.mkdir()
        write_files(folder, args.files)
        times: dict[int, list[float]] = {1: [], 2: []}
        cpu: dict[int, list[float]] = {1: [], 2: []}
        peaks: dict[int, float] = {1: 0.0, 2: 0.0}
        digests = set()
        for r in range(args.repeats):
            for jobs in (1, 2):  # interleaved, so drift on a noisy machine hits both alike
                out = Path(tmp) / f"out-{jobs}-{r}"
                seconds, mb, cpu_s = timed_run(folder, out, args.draws, jobs)
                times[jobs].append(seconds)
                cpu[jobs].append(cpu_s)
                peaks[jobs] = max(peaks[jobs], mb)
                digests.add(digest(out))
        n, d = args.files, args.draws
        for jobs in (1, 2):
            med = statistics.median(times[jobs])
            print(f"batch_{n}_files_{d}_draws_jobs{jobs}_s_median: {med:.2f}")
            print(f"batch_{n}_files_{d}_draws_jobs{jobs}_ms_per_scenario: {med / n * 1000:.2f}")
            print(f"batch_{n}_files_{d}_draws_jobs{jobs}_cpu_s_median: {statistics.median(cpu[jobs]):.2f}")
            print(f"batch_{n}_files_{d}_draws_jobs{jobs}_peak_mb: {peaks[jobs]:.0f}")
        print(
            f"batch_jobs1_over_jobs2_ratio: {statistics.median(times[1]) / statistics.median(times[2]):.2f}"
        )
        print(f"batch_runs_per_jobs: {args.repeats}")
        print(f"load_average_1min_at_end: {os.getloadavg()[0]:.2f}")
        print(f"cli_startup_s_median: {startup_seconds(5):.2f}")
        print(f"batch_csv_identical_across_jobs: {str(len(digests) == 1).lower()}")
        best = min(statistics.median(times[1]), statistics.median(times[2]))
        print(f"batch_goal_s: {GOAL_SECONDS:.0f} (met: {str(best < GOAL_SECONDS).lower()})")
        print(f"batch_goal_mb: {GOAL_MB:.0f} (met: {str(max(peaks.values()) < GOAL_MB).lower()})")


if __name__ == "__main__":
    main()
