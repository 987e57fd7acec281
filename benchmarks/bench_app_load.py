"""The app under load: server-side rerun time and server memory with 1, 10 and 30 sessions.

Each session is a light websocket client speaking Streamlit's own protocol (the browser's
messages, without a browser): it opens the scenario page, then moves the Special Technology
Zones slider ten times, each time waiting for the rerun to finish. The clients only send small
messages and read replies, so they leave the two cores to the server; the rerun times are
measured *on the server* (``BENCH_APP_TIMING_LOG``: each script run appends its duration).

With ``--think 0`` the moves come back to back: each session sends its next move the moment
its answer arrives, so the reruns in flight are as many as the sessions and, by Little's law, the
mean wait is sessions / throughput whatever a rerun costs alone (30 sessions at 22 reruns/s:
1.4 s). ``--think 2`` gives each visitor two seconds to look at an answer before the next move.

Prints ``name: value`` lines: p50/p95 of server rerun time per load and pace, the server's peak resident
memory (VmRSS), and its memory 60 s after every session closed against the same server just
after its first session (the engine and the baseline loaded: a freshly started, warmed server).
Goals (issue 10): p95 at 30 sessions <= 1 s; memory after close within 20% of the fresh server;
peak under 1 GB.

    python benchmarks/bench_app_load.py [--port 8599] [--moves 10] [--settle 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

REPO = Path(__file__).resolve().parent.parent
SLIDER_LABEL = "Special Technology Zones"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Peak(threading.Thread):
    """The server's peak VmRSS, sampled every 0.1 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.1)


def start_server(port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "BENCH_APP_TIMING_LOG": str(log)}
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "streamlit_app.py")]
    cmd += ["--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true"]
    cmd += ["--server.enableXsrfProtection", "false", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def rerun(page_hash: str, slider: tuple[str, float] | None) -> bytes:
    msg = BackMsg()
    cs = msg.rerun_script
    cs.query_string = ""
    cs.page_script_hash = page_hash
    if slider is not None:
        w = cs.widget_states.widgets.add()
        w.id = slider[0]
        w.double_array_value.data.append(slider[1])
    return msg.SerializeToString()


async def until_finished(ws) -> tuple[str, str | None]:
    """Read messages until the script run finishes: (page hash, the zones slider's widget id)."""
    page_hash, slider = "", None
    while True:
        fm = ForwardMsg()
        fm.ParseFromString(await ws.recv())
        kind = fm.WhichOneof("type")
        if kind == "new_session":
            page_hash = fm.new_session.page_script_hash
        elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
            el = fm.delta.new_element
            if el.WhichOneof("type") == "slider" and el.slider.label.startswith(SLIDER_LABEL):
                slider = el.slider.id
        elif kind == "script_finished":
            return page_hash, slider


async def session(port: int, moves: int, start: asyncio.Event, k: int, n: int, think: float) -> int:
    """Visitor ``k`` of ``n``: open the page, move the slider ``moves`` times, to values of its own
    (so that visitors rarely share a cached run), ``think`` seconds after each answer (visitors'
    first moves spread over one think time); the number of reruns done."""
    await start.wait()
    await asyncio.sleep(think * k / n)
    url = f"ws://127.0.0.1:{port}/_stcore/stream"
    async with websockets.connect(url, subprotocols=["streamlit"], max_size=None) as ws:
        await ws.send(rerun("", None))
        page_hash, slider = await until_finished(ws)
        if slider is None:
            raise SystemExit("no zones slider on the page: the page changed, update this script")
        for i in range(moves):
            await asyncio.sleep(think)
            await ws.send(rerun(page_hash, (slider, float(1 + (k * 11 + i * 5) % 60))))
            await until_finished(ws)
    return moves + 1


async def load(port: int, n: int, moves: int, think: float = 0.0) -> float:
    start = asyncio.Event()
    tasks = [asyncio.create_task(session(port, moves, start, k, n, think)) for k in range(n)]
    t0 = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    return time.perf_counter() - t0


def durations(log: Path, skip: int) -> list[float]:
    return [float(x) for x in log.read_text().split()[skip:]]


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1] if len(xs) > 1 else xs[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8599)
    ap.add_argument("--moves", type=int, default=10)
    ap.add_argument("--settle", type=float, default=60.0, help="seconds after the sessions close")
    ap.add_argument("--loads", default="1,10,30")
    ap.add_argument(
        "--think",
        default="0,2",
        help="seconds each visitor waits after an answer before the next move, one load per value "
        "(0: moves back to back, the server's throughput decides every wait; 2: a visitor's pace)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "runs.txt"
        log.touch()
        proc = start_server(args.port, log)
        peak = Peak(proc.pid)
        try:
            print(f"server_rss_started_mb: {rss_mb(proc.pid):.0f}")
            asyncio.run(load(args.port, 1, 0))  # warm-up: the engine and the baseline load
            time.sleep(5)
            fresh = rss_mb(proc.pid)
            print(f"server_rss_fresh_warm_mb: {fresh:.0f}")
            peak.start()
            for think in (float(x) for x in args.think.split(",")):
                for n in (int(x) for x in args.loads.split(",")):
                    before = len(durations(log, 0))
                    wall = asyncio.run(load(args.port, n, args.moves, think))
                    runs = durations(log, before)
                    p50, p95 = statistics.median(runs) * 1000, pct(runs, 95) * 1000
                    name = f"sessions_{n}" + (f"_think_{think:g}s" if think else "")
                    print(
                        f"{name}: reruns {len(runs)}, server rerun p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
                        f"max {max(runs) * 1000:.0f} ms; wall {wall:.1f} s ({len(runs) / wall:.1f} reruns/s)"
                    )
            time.sleep(args.settle)
            after = rss_mb(proc.pid)
            peak.running = False
            print(f"server_rss_peak_mb: {peak.peak:.0f}")
            print(
                f"server_rss_{args.settle:.0f}s_after_close_mb: {after:.0f} "
                f"({after / fresh:.2f}x the fresh server)"
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
