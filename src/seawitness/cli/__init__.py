"""The ``seawitness`` command line: thin click commands over the library.

:mod:`seawitness.cli.main` holds the root group and registers every command; each
command lives in the module named for what it does (``data``: init, import, query,
stations, export; ``serve``: serve, demo; ``admin``: keys, stakeholders, submissions,
witness; ``trust``: publish, audit, prove, verify-proof; ``stats`` and its
subcommands in ``limits``, ``dose``, ``splits``, ``baseline``, ``alerts``), and
:mod:`seawitness.cli.common` holds what they share. Only this package imports click
and rich.
"""

from seawitness.cli.main import cli, main

__all__ = ["cli", "main"]
