"""``python -m edition`` and the ``edition`` command (its console script calls :func:`main`)."""

from __future__ import annotations

import sys


def main() -> None:
    """``edition query EXPR PATH...`` without options goes the quick way (no click: see
    :mod:`edition.query_command`); every other command line through the click commands,
    a query's ending as the quick way's (no interpreter teardown)."""
    from .query_command import plain_arguments

    arguments = plain_arguments(sys.argv[1:])
    if arguments is not None:
        from .query_command import run_plain

        run_plain(arguments)
    from .cli import cli

    if sys.argv[1:2] == ["query"]:  # any other query command line: the same quick ending
        from .query_command import leave_after

        leave_after(cli)
    cli()


if __name__ == "__main__":
    main()
