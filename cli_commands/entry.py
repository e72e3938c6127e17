"""The ``ledger`` console script: the CLI, with a Ctrl-C while it loads ended as one during a command is.

The process ends without the interpreter's teardown of every module and object
(pydantic's schemas, SQLAlchemy's registries), a good part of a query command's
time: by then the command has closed the ledger and its files, and the exit
handlers are run here first.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys

# ExitCode.INTERRUPTED; nothing of the ledger is loaded yet.
INTERRUPTED = 130


def run() -> None:
    """Load the CLI and run it; Ctrl-C before it runs exits 130 with one line, as cli.LedgerGroup does after."""
    try:
        from cli import main
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        raise SystemExit(INTERRUPTED) from None
    try:
        main()
        status = 0
    except SystemExit as done:
        status = _status(done.code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away (ledger log | head) or a closed stream: nothing left to say to it.
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(status)


def _status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1
