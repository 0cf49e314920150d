"""The invoke glue: one module per task family. Each parses flags into a Config, calls the library
and prints or executes; the library never imports this package."""

import sys
from pathlib import Path

from invoke.collection import Collection

# The programs whose command line is checked before invoke parses it: invoke's own, and the console
# script (tasks/program.py), which runs the same collection.
PROGRAMS = ("invoke", "inv", "dynamo-container")
MODULES = (
    "build",
    "clean",
    "config",
    "context",
    "doctor",
    "lint",
    "receipts",
    "run",
    "sccache",
    "smoke",
    "trtllm",
)


def collection(root: Path | None, argv: list[str] | None = None) -> Collection:
    """Every task; refuses a command line invoke's parser would misread.

    `root`: this tool's repository (tasks.py's folder), whose .env a command reads when it runs
    outside a Dynamo checkout; None for the installed console script.
    """
    import os
    from importlib import import_module

    from dynamo_container.tasks.argv import problem, runtime_config_problem

    ns = Collection()
    for name in MODULES:
        for task in import_module(f"{__name__}.{name}").tasks(root):
            ns.add_task(task)
    argv = sys.argv if argv is None else argv
    if argv and Path(argv[0]).name in PROGRAMS:  # the command line is the user's, not a test's
        message = runtime_config_problem(argv, os.environ) or problem(argv, ns.tasks)
        if message:
            print(f"error: {message}", file=sys.stderr)
            raise SystemExit(1)
    return ns
