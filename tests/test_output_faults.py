"""Result files under faults: all there or not there, whatever interrupts the writing.

Each case checks the same invariant: the output folder holds either the earlier complete set or
the new complete set, the manifest's hashes match the files beside it, no temporary file or
folder is left, and the user gets one line (no traceback) with a documented exit code.
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator import cli, output
from simulator import scenario_files as sf
from simulator.commands import runner
from simulator.errors import OutputError

SCEN = sf.SCENARIO_DIR
BASE, ZONES = (str(SCEN / f"{n}.yaml") for n in ("baseline", "tech-zones-60"))
FAST = ["--draws", "200", "--seed", "7", "--horizon", "2032", "--quiet"]


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def complete_set(folder: Path) -> dict:
    """The manifest of ``folder``, after checking that every hash in it matches its file."""
    manifest = json.loads((folder / output.MANIFEST_FILE).read_text("utf-8"))
    for name, digest in manifest["files"].items():
        assert output.sha256_file(folder / name) == digest, name
    return manifest


def temporaries(*folders: Path) -> list[str]:
    return [e.name for f in folders if f.is_dir() for e in os.scandir(f) if output.is_temporary(e.name)]


@pytest.fixture
def earlier(tmp_path: Path, capsys) -> Path:
    """An output folder holding a complete earlier run (baseline only) and a file of the user's."""
    out = tmp_path / "out"
    assert run_cli(["run", BASE, "--out", str(out), *FAST], capsys)[0] == 0
    (out / "notes.txt").write_text("mine\n")
    return out


def scenarios_in(folder: Path) -> list[str]:
    return [s["name"] for s in complete_set(folder)["scenarios"]]


# --------------------------------------------------------------------------- the result folder


def test_a_new_folder_appears_complete_and_readable(tmp_path: Path, capsys):
    out = tmp_path / "a" / "new"
    assert run_cli(["run", BASE, ZONES, "--out", str(out), *FAST], capsys)[0] == 0
    assert scenarios_in(out) == ["baseline", "tech-zones-60"]
    assert sorted(p.name for p in out.iterdir()) == sorted(output.OUTPUT_FILES)
    assert out.stat().st_mode & 0o777 == 0o777 & ~output._umask()  # not mkdtemp's private 0700
    assert temporaries(out, out.parent) == []


def test_overwrite_swaps_the_whole_set_and_keeps_other_files(earlier: Path, capsys):
    (earlier / "sub").mkdir()
    (earlier / "sub" / "kept.txt").write_text("also mine\n")
    code, _, _ = run_cli(["run", BASE, ZONES, "--out", str(earlier), "--overwrite", *FAST], capsys)
    assert code == 0
    assert scenarios_in(earlier) == ["baseline", "tech-zones-60"]
    assert (earlier / "notes.txt").read_text() == "mine\n"
    assert (earlier / "sub" / "kept.txt").read_text() == "also mine\n"
    assert temporaries(earlier, earlier.parent) == []


def test_an_error_while_writing_leaves_the_earlier_set(earlier: Path, capsys, monkeypatch):
    real = runner.Worker.run

    def fails_second(self, job):
        if job.index == 1:
            raise RuntimeError("boom")
        return real(self, job)

    monkeypatch.setattr(runner.Worker, "run", fails_second)
    with pytest.raises(RuntimeError):
        cli.main(["run", BASE, ZONES, "--out", str(earlier), "--overwrite", *FAST])
    assert scenarios_in(earlier) == ["baseline"]
    assert temporaries(earlier, earlier.parent) == []


# --------------------------------------------------------------------------- full disk


class _FullDisk:
    """A file that takes ``room`` bytes and then fails as a full disk does."""

    def __init__(self, fh, room: int):
        self._fh, self._room = fh, room

    def write(self, data: bytes) -> int:
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)


def _disk_with_room(monkeypatch, room: int, only: str | None = None) -> None:
    real = output._open_new

    def opener(path: Path, shown_as: Path):
        fh = real(path, shown_as)
        return _FullDisk(fh, room) if only is None or Path(shown_as).name == only else fh

    monkeypatch.setattr(output, "_open_new", opener)


@pytest.mark.parametrize("which", [output.PROJECTIONS_FILE, output.TARGETS_FILE, output.MANIFEST_FILE])
def test_a_full_disk_is_one_line_exit_1_and_nothing_partial(earlier: Path, capsys, monkeypatch, which):
    _disk_with_room(monkeypatch, 100, only=which)
    code, _, err = run_cli(["run", BASE, ZONES, "--out", str(earlier), "--overwrite", *FAST], capsys)
    assert code == 1
    assert err == (
        f"simulator run: error: cannot write {earlier / which}: No space left on device (errno 28); "
        "nothing was written and earlier results are unchanged\n"
    )
    assert scenarios_in(earlier) == ["baseline"]
    assert temporaries(earlier, earlier.parent) == []


def test_a_full_disk_for_a_new_folder_leaves_no_folder(tmp_path: Path, capsys, monkeypatch):
    _disk_with_room(monkeypatch, 0)
    out = tmp_path / "new"
    code, _, err = run_cli(["run", BASE, "--out", str(out), *FAST], capsys)
    assert code == 1 and "No space left on device" in err
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_in_compare_and_in_a_single_file(tmp_path: Path, capsys, monkeypatch):
    _disk_with_room(monkeypatch, 10)
    out = tmp_path / "cmp"
    code, _, err = run_cli(["compare", BASE, ZONES, "--out", str(out), *FAST[:-1]], capsys)
    assert code == 1 and err.startswith(
        f"simulator compare: error: cannot write {out / 'compare_years.csv'}: "
    )
    assert list(tmp_path.iterdir()) == []
    single = tmp_path / "one.csv"
    single.write_text("earlier\n")
    with pytest.raises(OutputError, match="No space left on device"):
        output.write_text_atomic(single, "x" * 100)
    assert single.read_text() == "earlier\n" and sorted(p.name for p in tmp_path.iterdir()) == ["one.csv"]


def test_a_file_size_limit_in_a_real_process(tmp_path: Path):
    """A real OSError from the kernel (EFBIG under RLIMIT_FSIZE) rather than a simulated one."""
    import resource

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get the error instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (4000, 4000))

    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(SCEN), "--out", str(out), *FAST],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,
    )
    assert done.returncode == 1, done.stderr
    assert re.fullmatch(
        rf"simulator run: error: cannot write {re.escape(str(out))}/(projections|targets)\.csv: "
        r"File too large \(errno 27\); nothing was written and earlier results are unchanged\n",
        done.stderr,
    ), done.stderr
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- signals


def test_sigterm_while_running_is_handled_like_ctrl_c(earlier: Path, capsys, monkeypatch):
    real = runner.Worker.run

    def terminated_at_second(self, job):
        if job.index == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(self, job)

    monkeypatch.setattr(runner.Worker, "run", terminated_at_second)
    code, _, err = run_cli(["run", BASE, ZONES, "--out", str(earlier), "--overwrite", *FAST], capsys)
    assert code == 143 and err == "simulator run: interrupted (SIGTERM)\n"
    assert scenarios_in(earlier) == ["baseline"]
    assert temporaries(earlier, earlier.parent) == []
    assert signal.getsignal(signal.SIGTERM) is not None  # the handler was put back


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_swap_waits_for_it(earlier: Path, capsys, monkeypatch, exchange, signum):
    """The signal arrives between the renames: it is held until the new set is in place."""
    real_rename, real_exchange = os.rename, output._exchange
    sent = []

    def signal_then(fn):
        def wrapped(*a):
            if not sent:
                sent.append(os.kill(os.getpid(), signum))
            return fn(*a)

        return wrapped

    if exchange:
        monkeypatch.setattr(output, "_exchange", signal_then(real_exchange))
    else:
        monkeypatch.setattr(output, "_exchange", lambda a, b: False)
        monkeypatch.setattr(output.os, "rename", signal_then(real_rename))
    code, _, err = run_cli(["run", BASE, ZONES, "--out", str(earlier), "--overwrite", *FAST], capsys)
    assert sent and code == 128 + signum and err.startswith("simulator run: interrupted")
    assert scenarios_in(earlier) == ["baseline", "tech-zones-60"]  # the new set, whole
    assert (earlier / "notes.txt").exists()
    assert temporaries(earlier, earlier.parent) == []


def test_inside_mode_for_a_mount_point(earlier: Path, capsys, monkeypatch):
    """Where the folder cannot be swapped (a mount point), files are staged inside it."""
    monkeypatch.setattr(output.os.path, "ismount", lambda p: Path(p) == earlier)
    code, _, _ = run_cli(["run", BASE, ZONES, "--out", str(earlier), "--overwrite", *FAST], capsys)
    assert code == 0 and scenarios_in(earlier) == ["baseline", "tech-zones-60"]
    assert temporaries(earlier, earlier.parent) == []


def test_ctrl_c_during_start_up_is_one_line(capsys, monkeypatch):
    def interrupted(argv):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_parser_for", interrupted)
    code, _, err = run_cli(["run", BASE, "--out", "x"], capsys)
    assert code == 130 and err == "simulator: interrupted (Ctrl-C)\n"

    import simulator.runtime

    def tune():
        raise KeyboardInterrupt

    monkeypatch.setattr(simulator.runtime, "tune_allocator", tune)
    with pytest.raises(SystemExit) as exc:
        cli.run()
    assert exc.value.code == 130 and capsys.readouterr().err == "simulator: interrupted (Ctrl-C)\n"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_real_signal_to_a_real_run(tmp_path: Path, tmp_path_factory, signum):
    """A separate process, signalled once its temporary folder exists (it is writing).

    The run must outlast the signal: forty scenarios at 200,000 draws to FY2050 take seconds
    (the shipped folder at 50,000 draws took under half a second, and a run that finished before
    the signal arrived made this test fail at random)."""
    inputs = tmp_path_factory.mktemp("inputs")
    text = (SCEN / "blueprint-package.yaml").read_text(encoding="utf-8")
    for i in range(40):
        (inputs / f"copy-{i:02d}.yaml").write_text(
            text.replace("name: blueprint-package", f"name: copy-{i:02d}"), encoding="utf-8"
        )
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "run",
            str(inputs),
            "--out",
            str(out),
            "--draws",
            "200000",
            "--horizon",
            "2050",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not temporaries(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be signalled: make it longer"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    name = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
    assert proc.returncode == 128 + signum and err == f"simulator run: interrupted ({name})\n", err
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- leftovers of killed runs


def test_leftovers_of_a_killed_run_are_ignored_and_removed(tmp_path: Path, capsys):
    dead = _dead_pid()
    out = tmp_path / "out"
    out.mkdir()
    stale_inside = out / f".projections.csv.simulator-tmp-{dead}-ab12.tmp"
    stale_inside.write_text("half")
    stale_beside = tmp_path / f".out.simulator-tmp-{dead}-cd34"
    stale_beside.mkdir()
    (stale_beside / "projections.csv").write_text("half")
    live = tmp_path / f".out.simulator-tmp-{os.getppid()}-ef56"  # a running process's: left alone
    live.mkdir()
    code, _, err = run_cli(["run", BASE, "--out", str(out), *FAST], capsys)  # "empty" despite the leftover
    assert code == 0, err
    assert not stale_inside.exists() and not stale_beside.exists() and live.is_dir()
    complete_set(out)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
