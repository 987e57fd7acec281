"""Batch-run benchmark: scenario files run as a user would, for speed and for memory.

Speed: ``--files`` scenario files (default 10,000) at 10,000 draws each, with ``--jobs 1`` and
``--jobs 2``. Memory: ``--memory-files`` files (default 40) at 200,000 draws to FY2050 with
``--jobs`` 1 and 2 (the cores of this machine). Each run is ``python -m simulator run`` in a
fresh process (start-up, loading, reading and validating the files count). Prints ``name:
value`` lines: the median wall time over the repeats for each ``--jobs`` and their ratio, the
CPU time of the process tree, the peak memory of the process tree (the parent and its workers;
proportional set size, sampled from /proc every 20 ms), whether the CSV files are
byte-identical across ``--jobs``, and the start-up time of the command line. Goals: 10,000
files in 30 s or less at ``--jobs 2``; under 1 GB at any ``--jobs`` up to the core count.

The files are a policy sweep: each sets one to three levers to values spread over their
ranges (every lever, constants and ramped paths); one file in ten also overrides an effect
assumption (one of five values), which forces fresh draws for it.

Usage: ``python benchmarks/bench_batch.py [--files 10000] [--draws 10000] [--repeats 1]
[--memory-files 40]``
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
            if lv.whole:  # a count (zones) is whole in a file
                value = round(value)
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


def timed_run(
    folder: Path, out: Path, draws: int, jobs: int, horizon: int = 2040
) -> tuple[float, float, float]:
    """(wall seconds, peak MB of the process tree, CPU seconds of the tree) of one ``simulator run``.

    CPU time (user + system of the run and its workers) is much less sensitive than wall time to
    other work on a shared machine; wall time over CPU time shows how well the workers overlap.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [sys.executable, "-m", "simulator", "run", str(folder), "--out", str(out)]
    cmd += ["--draws", str(draws), "--horizon", str(horizon), "--jobs", str(jobs), "--quiet"]
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
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--memory-files", type=int, default=40)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scenarios"
        folder.mkdir()
        write_files(folder, args.files)
        speed(folder, Path(tmp), args)
        small = Path(tmp) / "memory"
        small.mkdir()
        write_files(small, args.memory_files)
        memory(small, Path(tmp), args.memory_files)
    print(f"load_average_1min_at_end: {os.getloadavg()[0]:.2f}")
    print(f"cli_startup_s_median: {startup_seconds(5):.2f}")


def speed(folder: Path, tmp: Path, args: argparse.Namespace) -> None:
    times: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[float]] = {1: [], 2: []}
    peaks: dict[int, float] = {1: 0.0, 2: 0.0}
    digests = set()
    for r in range(args.repeats):
        for jobs in (1, 2):  # interleaved, so drift on a noisy machine hits both alike
            out = tmp / f"out-{jobs}-{r}"
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
    print(f"batch_jobs1_over_jobs2_ratio: {statistics.median(times[1]) / statistics.median(times[2]):.2f}")
    print(f"batch_runs_per_jobs: {args.repeats}")
    print(f"batch_csv_identical_across_jobs: {str(len(digests) == 1).lower()}")
    t2 = statistics.median(times[2]) * 10_000 / n
    met = str(t2 <= GOAL_SECONDS).lower()
    print(f"batch_10000_files_jobs2_s: {t2:.1f} (goal {GOAL_SECONDS:.0f}, met: {met})")
    free = statistics.median(cpu[2]) * 10_000 / n / 2
    print(f"batch_10000_files_jobs2_cpu_s_over_2_cores: {free:.1f} (wall time on 2 free cores, at best)")


def memory(folder: Path, tmp: Path, n_files: int) -> None:
    """Peak memory of the process tree at 200,000 draws to FY2050, for each --jobs up to the cores."""
    cores = os.cpu_count() or 1
    digests = set()
    worst = 0.0
    for jobs in sorted({1, 2, cores}):
        if jobs > cores:
            continue
        out = tmp / f"mem-{jobs}"
        seconds, mb, _ = timed_run(folder, out, 200_000, jobs, horizon=2050)
        digests.add(digest(out))
        worst = max(worst, mb)
        print(f"memory_{n_files}_files_200000_draws_FY2050_jobs{jobs}_peak_mb: {mb:.0f} ({seconds:.1f} s)")
    print(f"memory_csv_identical_across_jobs: {str(len(digests) == 1).lower()}")
    print(f"memory_goal_mb: {GOAL_MB:.0f} (met: {str(worst < GOAL_MB).lower()})")


if __name__ == "__main__":
    main()
