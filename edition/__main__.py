"""``python -m edition`` and the ``edition`` command (its console script calls :func:`main`)."""

from __future__ import annotations

import sys


def main() -> None:
    """``edition query EXPR PATH...``, ``edition validate [--tei-all …] PATH...`` and ``edition build
    [--out DIR] [-f NAME]… PATH...`` go the quick way (no click: see :mod:`edition.query_command`,
    :mod:`edition.validate_command`, :mod:`edition.build_command`);
    every other command line through the click commands, a query's and a validation's ending
    as the quick way's, and a build's too (no interpreter teardown: :func:`edition.exits.leave`)."""
    from .query_command import plain_arguments

    arguments = plain_arguments(sys.argv[1:])
    if arguments is not None:
        from .query_command import run_plain

        run_plain(arguments)
    if sys.argv[1:2] == ["validate"]:
        from . import validate_command

        validation = validate_command.plain_arguments(sys.argv[1:])
        if validation is not None:
            validate_command.run_plain(*validation)
    if sys.argv[1:2] == ["build"]:
        import gc

        from . import build, build_command  # noqa: F401  (the modules a build runs, imported before the freeze)

        # The process ends with its build, so what exists by now (modules, functions, tables) is
        # never garbage: frozen, the cycle collector does not walk it again, neither here after
        # rendering nor in the workers, which no longer write to those objects' pages and copy them.
        gc.freeze()
        plain = build_command.plain_arguments(sys.argv[1:])
        if plain is not None:
            build_command.run_plain(*plain)
    from .cli import cli

    if sys.argv[1:2] in (["query"], ["validate"], ["build"]):  # the quick ending (edition.exits.leave_after)
        from .exits import leave_after

        leave_after(cli)
    cli()


if __name__ == "__main__":
    main()
