"""``simulator app``: start the web app with the bundled (or configured) data.

The same app as ``make run``, from any installed copy (a wheel has no ``streamlit_app.py``): it
runs ``streamlit run`` on :mod:`simulator.app.entry` and returns its exit code. It listens on
127.0.0.1 (this machine only) unless ``--address`` says otherwise; the app has no login, so on
anything but a trusted network put it behind a reverse proxy with authentication and HTTPS.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from simulator import resources
from simulator.commands import common

HELP = "start the web app (sliders, fan chart, odds of each target) in a browser"
DESCRIPTION = (
    "Start the Streamlit app with the bundled data and fitted parameters (or those SIMULATOR_DATA_DIR "
    "and SIMULATOR_PARAMS_PATH name), on http://ADDRESS:PORT. Ctrl-C stops it."
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("app", help=HELP, description=DESCRIPTION)
    p.add_argument(
        "--address",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1: this machine only; 0.0.0.0: every interface)",
    )
    p.add_argument(
        "--port", type=common.bounded_int(1, 65535, "port"), default=8501, help="port (default 8501)"
    )


def command(address: str, port: int) -> list[str]:
    """The ``streamlit run`` command line that serves the app."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(resources.package_root() / "app" / "entry.py"),
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        # an installed copy does not change under the server; reloading would drop the package
        # from sys.modules under running visitors (KeyError: 'simulator' under load)
        "--server.fileWatcherType",
        "none",
        # no full garbage collection after every run (~80 ms holding the GIL per rerun); as in
        # the source tree's .streamlit/config.toml, which an installed copy does not have
        "--runner.postScriptGC",
        "false",
        "--browser.gatherUsageStats",
        "false",
    ]


def run(args: argparse.Namespace) -> int:
    print(f"simulator app: http://{args.address}:{args.port} (Ctrl-C stops it)", file=sys.stderr)
    server = subprocess.Popen(command(args.address, args.port))
    try:
        return server.wait()
    except KeyboardInterrupt:  # Ctrl-C reaches the server too; SIGTERM to this process may not
        from simulator.app.serve import stop

        stop(server)
        raise
