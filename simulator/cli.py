"""The ``simulator`` command line: a thin ``main(argv) -> int`` around the engine.

Every command is a module in :mod:`simulator.commands` named in :data:`COMMANDS`; each exposes
``add_parser(subparsers) -> None`` (adds one sub-command with its ``--help``) and
``run(args) -> int`` (does the work and returns the exit code). Adding a command is a one-line
change to :data:`COMMANDS`.

Command modules are imported only when needed: ``simulator run ...`` imports the ``run`` module
alone (the sub-command is named after its module, ``_`` written ``-``), so one command's heavy
dependencies (SALib and pandas for ``sensitivity``) do not slow down the others. ``--help``, an
unknown command or a command named differently from its module imports them all.

Exit codes
----------
0
    everything went well;
1
    some scenarios failed (each is listed at the end with its error; the others still ran), or
    the results could not be written (a full disk, no permission: one line naming the file;
    nothing partial is left and earlier results are unchanged);
2
    bad usage: an unknown option, a bad value for an option, an output folder that would be
    mixed with an earlier run, or a bad setting;
130, 143
    interrupted by Ctrl-C (SIGINT) or SIGTERM, at any point including start-up: one line, no
    traceback; the results being written are discarded.

A user mistake is reported as a message, never as a traceback. A ``SIMULATOR_*`` environment
variable that is not a setting gets a warning on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType, ModuleType

from simulator import __version__
from simulator.errors import InputError, InputErrors, OutputError

COMMANDS: list[str] = [
    "run",
    "validate",
    "levers",
    "compare",
    "goal_seek",
    "attribute",
    "sensitivity",
    "sweep",
    "discover",
    "app",
]
"""Modules of :mod:`simulator.commands`, in the order ``--help`` lists them."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_SIGNAL_BASE = 128
"""An interrupted command exits with 128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM."""
EXIT_CODES = (
    "exit codes: 0 all went well, 1 some scenarios failed (listed at the end) or the results could not "
    "be written, 2 bad usage, 130/143 interrupted (Ctrl-C/SIGTERM)."
)

DESCRIPTION = (
    "Policy-scenario simulator for Pakistan's IT (ICT-services) exports: run scenario files, "
    "check them, list the policy levers, compare scenarios, and find what it takes to reach a "
    "target (goal-seek, attribute, sensitivity)."
)


def command_module(name: str) -> ModuleType:
    """The module of :mod:`simulator.commands` called ``name``."""
    return importlib.import_module(f"simulator.commands.{name}")


def build_parser(modules: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser with one sub-command per module (default: all of :data:`COMMANDS`)."""
    parser = argparse.ArgumentParser(prog="simulator", description=DESCRIPTION, epilog=EXIT_CODES)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS if modules is None else modules:
        module = command_module(name)
        before = set(sub.choices)
        module.add_parser(sub)
        for command in set(sub.choices) - before:
            sub.choices[command].set_defaults(_command_module=module)
    return parser


def _parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """A parser with only the command ``argv`` names, when it follows the naming rule; else all."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None and "--version" in argv and not {"-h", "--help"} & set(argv):
        return build_parser([])
    by_command = {m.replace("_", "-"): m for m in COMMANDS}
    if first in by_command:
        parser = build_parser([by_command[first]])
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if first in sub.choices:
            return parser
    return build_parser()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main process so that it unwinds exactly like Ctrl-C."""

    signum = signal.SIGTERM


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Handle SIGTERM like Ctrl-C while the block runs (main thread only; restored after).

    A process forked inside the block (a worker of ``--jobs``) that receives SIGTERM dies of it
    as usual instead of unwinding: its lifecycle is the pool's business, not the command's.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    main_pid = os.getpid()

    def handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != main_pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted(command: str, exc: KeyboardInterrupt) -> int:
    """One line for Ctrl-C or SIGTERM; the exit code 128 + the signal's number."""
    signum = exc.signum if isinstance(exc, Terminated) else signal.SIGINT
    name = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
    print(f"{command}: interrupted ({name})", file=sys.stderr)
    return EXIT_SIGNAL_BASE + int(signum)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the command and return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = "simulator"
    with sigterm_as_interrupt():
        try:
            parser = _parser_for(argv)
            try:
                args = parser.parse_args(argv)
            except SystemExit as exc:  # --help, --version or a usage error: argparse has printed why
                return exc.code if isinstance(exc.code, int) else EXIT_USAGE
            args.argv = argv
            command = f"simulator {args.command}"
            _warn_unknown_settings(command)
            return int(args._command_module.run(args))
        except (InputError, InputErrors) as exc:
            print(f"{command}: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except OutputError as exc:
            print(f"{command}: error: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except KeyboardInterrupt as exc:
            return interrupted(command, exc)
        except BrokenPipeError:  # output piped into `head` and closed early: not an error
            _silence_stdout()
            return EXIT_OK


def _warn_unknown_settings(command: str) -> None:
    from simulator.settings import unknown_variables

    for warning in unknown_variables():
        print(f"{command}: warning: {warning}", file=sys.stderr)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not complain."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def run() -> None:
    """Console-script entry point (``simulator`` and ``python -m simulator``)."""
    try:
        from simulator.runtime import tune_allocator

        tune_allocator()  # process-wide, so only here and not in main(): workers forked later inherit it
    except KeyboardInterrupt as exc:  # Ctrl-C while starting up: one line, not a traceback
        sys.exit(interrupted("simulator", exc))
    sys.exit(main())
