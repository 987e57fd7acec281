"""Executors: in-process, a local process pool and a Dask cluster give the same bytes; lost
workers are replaced; workers never outlive the run that started them."""

from __future__ import annotations

import builtins
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator import cli
from simulator import scenario_files as sf
from simulator.errors import InputError
from simulator.executors import InProcess, ProcessPool, executor_for, forget_worker_state, worker_state

REPO = Path(__file__).resolve().parent.parent
SMALL = ["--draws", "300", "--seed", "7", "--horizon", "2035", "--quiet"]


def run_files(tmp_path: Path, name: str, extra: list[str]) -> bytes:
    out = tmp_path / name
    code = cli.main(["run", str(sf.SCENARIO_DIR), "--out", str(out), *SMALL, *extra])
    assert code == 0
    return (out / "projections.csv").read_bytes() + (out / "targets.csv").read_bytes()


# --------------------------------------------------------------------------- tasks (module level: picklable)


def square(offset: int, chunk: list[int]) -> list[int]:
    return [x * x + offset for x in chunk]


def die_once(marker: str, chunk: list[int]) -> list[int]:
    """Kill this worker the first time any worker runs chunk [3]."""
    if chunk == [3] and not os.path.exists(marker):
        Path(marker).write_text("died", encoding="utf-8")
        os._exit(9)
    return [x * 10 for x in chunk]


def always_die(_: None, chunk: list[int]) -> list[int]:
    os._exit(9)


def sleep_long(_: None, chunk: list[int]) -> list[int]:
    if chunk != [0]:
        time.sleep(60)
    return chunk


# --------------------------------------------------------------------------- worker state


def test_worker_state_is_made_once_per_key_and_keeps_the_last_two():
    forget_worker_state()
    made = []

    def make(k):
        return lambda: made.append(k) or f"state-{k}"

    assert worker_state("a", make("a")) == "state-a"
    assert worker_state("a", make("a")) == "state-a"
    assert made == ["a"]
    worker_state("b", make("b"))
    worker_state("c", make("c"))  # "a" is the least recently used: dropped
    worker_state("a", make("a"))
    assert made == ["a", "b", "c", "a"]
    forget_worker_state()


def test_an_in_process_run_uses_the_callers_engine(engine, settings):
    from simulator.commands import runner

    assert runner.worker_for(settings, engine).engine is engine
    job = runner.Job(0, sf.shipped_scenarios()["baseline"], "baseline")
    (out,) = runner.run_jobs([job], settings, engine=engine)
    assert out.ok and runner.worker_for(settings, engine).engine is engine


# --------------------------------------------------------------------------- results


def test_results_in_order_whatever_the_executor():
    chunks = [[i, i + 1] for i in range(0, 40, 2)]
    expected = [square(1, c) for c in chunks]
    assert list(InProcess().map(square, 1, chunks)) == expected
    with ProcessPool(2, window=3) as pool:
        assert list(pool.map(square, 1, chunks)) == expected
        assert list(pool.map(square, 1, iter(chunks))) == expected  # the pool is kept between maps


def test_a_lost_workers_chunk_is_run_again(tmp_path):
    marker = str(tmp_path / "died")
    with ProcessPool(2) as pool:
        got = list(pool.map(die_once, marker, [[i] for i in range(8)]))
    assert got == [[i * 10] for i in range(8)]
    assert Path(marker).exists()  # a worker really died


def test_a_worker_lost_between_two_maps_is_replaced():
    with ProcessPool(2) as pool:
        assert list(pool.map(square, 0, [[1], [2]])) == [[1], [4]]
        os.kill(next(iter(pool._pool._processes)), signal.SIGKILL)
        time.sleep(0.5)
        assert list(pool.map(square, 0, [[3], [4]])) == [[9], [16]]


def test_a_chunk_that_always_kills_its_worker_stops_the_run_with_a_message():
    from simulator.executors import WorkerLost

    with ProcessPool(2) as pool, pytest.raises(WorkerLost, match="died 3 times"):
        list(pool.map(always_die, None, [[1], [2]]))


def test_stopping_the_consumer_stops_the_workers_at_once():
    """Ctrl-C (or any exception in the consumer) does not wait for the running chunks."""
    pool = ProcessPool(2)
    results = pool.map(sleep_long, None, [[0], [1], [2]])
    assert next(results) == [0]
    pids = list(pool._pool._processes)
    start = time.monotonic()
    results.close()  # what an exception in the consumer's loop does to the generator
    assert time.monotonic() - start < 5
    time.sleep(0.2)
    assert not any(alive(p) for p in pids)
    pool.close()


def test_an_exception_in_the_with_block_stops_the_workers_at_once():
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt), ProcessPool(2) as pool:
        results = pool.map(sleep_long, None, [[0], [1], [2]])
        next(results)
        pids = list(pool._pool._processes)
        raise KeyboardInterrupt
    assert time.monotonic() - start < 5
    time.sleep(0.2)
    assert not any(alive(p) for p in pids)


# --------------------------------------------------------------------------- worker lifecycle


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                out.append(int(entry))
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_exit_when_the_run_is_killed(tmp_path, sig):
    """`run --jobs 2` killed (SIGKILL or SIGTERM) leaves no worker process behind."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        (folder / f"s{i}.yaml").write_text(f"name: s{i}\nlevers:\n  tech_zones: {20 + i}\n", "utf-8")
    cmd = [sys.executable, "-m", "simulator", "run", str(folder), "--out", str(tmp_path / "out")]
    cmd += ["--jobs", "2", "--draws", "200000", "--horizon", "2050", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            workers = children(proc.pid)
        assert len(workers) == 2, "the workers did not start"
        proc.send_signal(sig)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if alive(w)], f"workers left alive after {sig.name}"
    finally:
        if proc.poll() is None:
            proc.kill()


# --------------------------------------------------------------------------- dask


def test_a_missing_dask_is_a_clear_message(monkeypatch):
    real = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(InputError, match=r"--scheduler: needs Dask.*pip install 'pk-it-exports\[dask\]'"):
        executor_for(2, "local")


def test_an_unreachable_scheduler_is_a_clear_message(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("simulator.executors.CONNECT_TIMEOUT", "1s")
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        executor_for(1, "tcp://127.0.0.1:9")


@pytest.mark.slow
def test_a_two_worker_local_cluster_gives_the_same_bytes_as_one_process(tmp_path):
    pytest.importorskip("distributed")
    one = run_files(tmp_path, "one", ["--jobs", "1"])
    pool = run_files(tmp_path, "pool", ["--jobs", "2"])
    dask = run_files(tmp_path, "dask", ["--jobs", "2", "--scheduler", "local"])
    assert one == pool == dask
    with executor_for(2, "local") as ex:
        assert len(ex.client.nthreads()) == 2  # two single-threaded worker processes


def test_files_read_by_the_workers_give_the_same_errors_and_results(tmp_path, capsys):
    """Broken files (every kind in tests/broken_scenarios) mixed with good ones: with --jobs 2 the
    files are read and validated by the workers; the messages (file, line, field) and the
    results are the same as with --jobs 1."""
    broken = sorted((Path(__file__).parent / "broken_scenarios").glob("*.yaml"))
    files = [str(p) for p in broken] + [str(p) for p in sorted(sf.SCENARIO_DIR.glob("*.yaml"))]
    seen = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        code = cli.main(["run", *files, "--out", str(out), *SMALL, "--jobs", jobs])
        _, err = capsys.readouterr()
        data = (out / "projections.csv").read_bytes() + (out / "targets.csv").read_bytes()
        seen.append((code, err, data))
    assert seen[0][0] == seen[1][0] == 1
    assert seen[0][1] == seen[1][1] and ", line " in seen[0][1]
    assert seen[0][2] == seen[1][2]


@pytest.mark.slow
def test_a_lost_dask_workers_chunk_is_run_again(tmp_path):
    pytest.importorskip("distributed")
    marker = str(tmp_path / "died")
    with executor_for(2, "local") as ex:
        got = list(ex.map(die_once, marker, [[i] for i in range(8)]))
    assert got == [[i * 10] for i in range(8)]
    assert Path(marker).exists()
