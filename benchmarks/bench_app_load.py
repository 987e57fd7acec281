"""The app under load: many sessions moving sliders at once; the server's own time and memory.

Starts ``streamlit run streamlit_app.py`` on 127.0.0.1 on a free port with ``SIMULATOR_RUN_LOG``
set, so the app appends each page run's server-side wall-clock and CPU seconds to a file
(:mod:`simulator.app.page_run`; off by default). The sessions are not browsers: one Python
process speaks Streamlit's websocket protocol (the protobuf ``BackMsg``/``ForwardMsg`` messages
the browser sends and receives) for every session, so on this 2-core machine the clients take a
few per cent of a core and the server has the rest. Each session does what a visitor's tab does:
opens the scenario page (``/scenario``, the address the app's links use), waits until the page's
run has finished, then moves one lever slider ten times (its own lever and seeded random values,
so most moves are scenarios nobody has asked for yet), sending every widget value it has set, as
the browser does, and waiting for the run to finish plus a think time before the next move.

Phases, in order, each after the previous one's sessions have closed:

1. ``1``, ``10`` and ``30`` concurrent sessions, ten slider moves each;
2. ``links``: 10 sessions opening a link with ``draws=50000`` and each its own seed (new draws
   for every visitor: what used to cost about 72 MB per visitor, kept for the life of the server),
   each moving a slider three times.

Prints ``name: value`` lines: per phase the server's page-run time (median and 95th percentile of
the runs that finished, in ms, and CPU time), the client's round trip (for comparison), errors
(an exception element in a page, or a run that did not finish), peak resident memory (VmRSS of
the server PID, sampled every 0.1 s); the memory of the freshly started server (idle, then after
one visit) measured at the start of the same run; and the memory 60 s after the last session
closed, with its ratio to the fresh server's. Goals: p95 at 30 sessions <= 1000 ms; peak < 1 GB;
after close within 20% of the fresh server after one visit.

    .venv/bin/python benchmarks/bench_app_load.py [--think 1.0] [--settle 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from simulator.app import links
from simulator.app.serve import streamlit_server
from simulator.levers import LEVERS

MOVES = 10
LINK_MOVES = 3
PAGE = links.SCENARIO_PATH


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sampler:
    """VmRSS of a process every ``interval`` seconds in a thread; :meth:`peak` since a mark."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval = pid, interval
        self._peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._peak = max(self._peak, rss_mb(self.pid))

    def mark(self) -> None:
        self._peak = rss_mb(self.pid)

    def peak(self) -> float:
        return max(self._peak, rss_mb(self.pid))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Session:
    """One visitor's tab, speaking the websocket protocol."""

    base: str
    query: str
    ws: websockets.ClientConnection | None = None
    widgets: dict[str, float] = field(default_factory=dict)
    sliders: dict[str, object] = field(default_factory=dict)
    round_trips: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def open(self) -> None:
        url = self.base.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = await websockets.connect(
            url, subprotocols=["streamlit"], origin=self.base, max_size=2**26, open_timeout=60
        )
        await self.rerun()

    async def rerun(self) -> None:
        """Ask for a run with the widget values set so far; wait until it has finished."""
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_name = PAGE
        cs.context_info.url = f"{self.base}/{PAGE}"
        cs.context_info.timezone = "Asia/Karachi"
        cs.context_info.locale = "en-GB"
        for wid, value in self.widgets.items():
            w = cs.widget_states.widgets.add()
            w.id = wid
            w.double_array_value.data.append(value)
        t0 = time.perf_counter()
        assert self.ws is not None
        await self.ws.send(msg.SerializeToString())
        await self._until_finished()
        self.round_trips.append(time.perf_counter() - t0)

    async def _until_finished(self) -> None:
        assert self.ws is not None
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=120)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                what = el.WhichOneof("type")
                if what == "slider":
                    self.sliders[el.slider.label] = el.slider
                elif what == "exception":
                    trace = " | ".join(el.exception.stack_trace[-3:])
                    self.errors.append(f"{el.exception.type}: {el.exception.message[:200]} at {trace}")
            elif kind == "page_not_found":
                self.errors.append("page not found")
            elif kind == "script_finished":
                if fm.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    self.errors.append(f"run ended with {fm.script_finished}")
                return

    async def move(self, label: str, value: float) -> None:
        slider = next((v for k, v in self.sliders.items() if k.startswith(label)), None)
        if slider is None:
            self.errors.append(f"no slider {label!r}")
            return
        self.widgets[slider.id] = value  # type: ignore[attr-defined]
        await self.rerun()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def slider_values(lever, rng: random.Random, n: int) -> list[float]:
    steps = round((lever.max - lever.min) / lever.step)
    picks = rng.sample(range(steps + 1), min(n, steps + 1))
    return [round(lever.min + k * lever.step, 6) for k in picks]


async def visitor(base: str, i: int, query: str, moves: int, think: float, seed: int) -> Session:
    rng = random.Random(seed * 1000 + i)
    lever = LEVERS[i % len(LEVERS)]
    s = Session(base, query)
    await asyncio.sleep(rng.uniform(0, 1.0))  # visitors do not arrive in the same millisecond
    try:
        await s.open()
        for v in slider_values(lever, rng, moves):
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
            await s.move(lever.label, v)
    except (TimeoutError, websockets.ConnectionClosed) as exc:
        s.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        await s.close()
    return s


def read_log(path: Path, since: float) -> list[dict]:
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in rows if r["start"] >= since]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def report(
    name: str, sessions: list[Session], runs: list[dict], peak: float, cpu: float, wall: float
) -> None:
    done = [r for r in runs if r["outcome"] == "finished"]
    secs = [r["seconds"] * 1000 for r in done]
    thread_cpu = [r["cpu_seconds"] * 1000 for r in done]
    rt = [x * 1000 for s in sessions for x in s.round_trips]
    errors = [e for s in sessions for e in s.errors]
    print(f"{name}_sessions: {len(sessions)}")
    print(f"{name}_server_runs: {len(done)} (ended early: {len(runs) - len(done)})")
    if secs:
        print(f"{name}_server_run_median_ms: {statistics.median(secs):.0f}")
        print(f"{name}_server_run_p95_ms: {pct(secs, 0.95):.0f}")
        print(f"{name}_server_run_max_ms: {max(secs):.0f}")
        print(f"{name}_server_thread_cpu_median_ms: {statistics.median(thread_cpu):.0f}")
        print(f"{name}_server_thread_cpu_p95_ms: {pct(thread_cpu, 0.95):.0f}")
    if rt:
        print(f"{name}_client_round_trip_median_ms: {statistics.median(rt):.0f}")
        print(f"{name}_client_round_trip_p95_ms: {pct(rt, 0.95):.0f}")
    print(f"{name}_server_process_cpu_per_run_ms: {1000 * cpu / max(1, len(runs)):.0f} (all threads)")
    print(f"{name}_server_process_cpu_share: {cpu / wall:.2f} cores over {wall:.0f} s")
    print(f"{name}_errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    print(f"{name}_peak_rss_mb: {peak:.0f}")
    sys.stdout.flush()


async def phase(base: str, n: int, query: str, moves: int, think: float, seed: int) -> list[Session]:
    return list(await asyncio.gather(*(visitor(base, i, query, moves, think, seed) for i in range(n))))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--think", type=float, default=1.0, help="mean seconds between a visitor's moves")
    ap.add_argument("--settle", type=float, default=60.0, help="seconds to wait after the sessions close")
    ap.add_argument("--sessions", default="1,10,30", help="concurrent sessions per phase")
    ap.add_argument("--links", type=int, default=10, help="sessions opening a draws=50000 link")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "runs.jsonl"
        started: list[subprocess.Popen] = []
        env = {"SIMULATOR_RUN_LOG": str(log)}
        with streamlit_server(log=Path(tmp) / "server.log", env=env, started=started) as base:
            pid = started[0].pid
            time.sleep(2.0)
            fresh_idle = rss_mb(pid)
            print(f"fresh_server_idle_rss_mb: {fresh_idle:.0f}")
            warm = asyncio.run(phase(base, 1, "", 0, 0.0, args.seed))
            time.sleep(2.0)
            fresh_one = rss_mb(pid)
            print(f"fresh_server_after_one_visit_rss_mb: {fresh_one:.0f}")
            print(f"first_visit_errors: {sum(len(s.errors) for s in warm)}")
            sampler = Sampler(pid)
            overall = fresh_one
            plan = [(f"sessions_{n}", int(n), "", MOVES) for n in args.sessions.split(",")]
            if args.links:
                plan.append(("links_draws50000", args.links, "draws=50000&seed={i}", LINK_MOVES))
            for name, n, query, moves in plan:
                sampler.mark()
                since, cpu0 = time.time(), cpu_seconds(pid)
                if "{i}" in query:
                    sessions = asyncio.run(_link_phase(base, n, query, moves, args.think, args.seed))
                else:
                    sessions = asyncio.run(phase(base, n, query, moves, args.think, args.seed))
                time.sleep(1.0)
                peak = sampler.peak()
                overall = max(overall, peak)
                report(
                    name, sessions, read_log(log, since), peak, cpu_seconds(pid) - cpu0, time.time() - since
                )
            sampler.close()
            print(f"peak_rss_mb: {overall:.0f}")
            time.sleep(args.settle)
            after = rss_mb(pid)
            print(f"rss_{args.settle:g}s_after_close_mb: {after:.0f}")
            print(f"after_close_over_fresh_after_one_visit: {after / fresh_one:.2f}")
            print(f"after_close_over_fresh_idle: {after / fresh_idle:.2f}")
    return 0


async def _link_phase(base: str, n: int, query: str, moves: int, think: float, seed: int) -> list[Session]:
    tasks = [visitor(base, i, query.format(i=1000 + i), moves, think, seed) for i in range(n)]
    return list(await asyncio.gather(*tasks))


if __name__ == "__main__":
    sys.exit(main())
