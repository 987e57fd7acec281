"""The ``simulator`` command line: a thin ``main(argv) -> int`` around the engine.

Every command is a module in :mod:`simulator.commands` listed in :data:`COMMANDS`; each exposes
``add_parser(subparsers) -> None`` (adds one sub-command with its ``--help``) and
``run(args) -> int`` (does the work and returns the exit code). Adding a command is a one-line
change to :data:`COMMANDS`.

Exit codes
----------
0
    everything went well;
1
    some scenarios failed (each is listed at the end with its error; the others still ran);
2
    bad usage: an unknown option, a bad value for an option, an output folder that would be
    mixed with an earlier run, or a bad setting.

A user mistake is reported as a message, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

from simulator import __version__
from simulator.commands import attribute, compare, goal_seek, levers, sensitivity, validate
from simulator.commands import run as run_command
from simulator.errors import InputError, InputErrors

COMMANDS: list[ModuleType] = [run_command, validate, levers, compare, goal_seek, attribute, sensitivity]
"""Command modules, in the order ``--help`` lists them."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DESCRIPTION = (
    "Policy-scenario simulator for Pakistan's IT (ICT-services) exports: run scenario files, "
    "check them, list the policy levers and compare scenarios."
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per module in :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(prog="simulator", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        before = set(sub.choices)
        module.add_parser(sub)
        for name in set(sub.choices) - before:
            sub.choices[name].set_defaults(_command_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the command and return its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or a usage error: argparse has printed why
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return int(args._command_module.run(args))
    except (InputError, InputErrors) as exc:
        print(f"simulator {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"simulator {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        _silence_stdout()
        return EXIT_OK


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
    from simulator.runtime import tune_allocator

    tune_allocator()  # process-wide, so only here and not in main(): workers forked later inherit it
    sys.exit(main())
