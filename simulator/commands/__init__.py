"""Sub-commands of the ``simulator`` command line.

Each module here exposes two functions and is listed in :data:`simulator.cli.COMMANDS`:

``add_parser(subparsers) -> None``
    add one sub-command (``subparsers.add_parser(name, help=..., description=...)``) with its
    options; ``--help`` comes with it;
``run(args) -> int``
    do the work and return the exit code (0 ok, 1 some scenarios failed, 2 bad usage). Raise
    :class:`~simulator.errors.InputError` for a user mistake: ``main`` prints it without a
    traceback and exits with 2.

Helpers shared by several commands (common options, the scenario runner) live in
:mod:`simulator.commands.common` and :mod:`simulator.commands.runner`.
"""
