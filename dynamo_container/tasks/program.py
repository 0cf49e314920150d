"""The `dynamo-container` console script: invoke's `Program` over the same task collection.

`dynamo-container build ...` takes exactly the tasks and flags of `invoke build ...` in this
repository; it needs no tasks.py, so it runs from any folder (a Dynamo checkout, typically).
"""

from __future__ import annotations

import sys

from invoke.program import Program

from dynamo_container.buildcontext.locate import repository
from dynamo_container.model import pins
from dynamo_container.report import guard

NAME = "dynamo-container"


def tool_version() -> str:
    """The installed distribution's version ('unknown' when the package is imported uninstalled)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(NAME)
    except PackageNotFoundError:
        return "unknown"


def version_text() -> str:
    return f"{NAME} {tool_version()} (its Dockerfile family builds Dynamo at upstream {pins.SNAPSHOT[:9]})"


class DynamoProgram(Program):
    """invoke's Program with a version line that also names the upstream snapshot."""

    def print_version(self) -> None:
        print(version_text())


def program(argv: list[str] | None = None) -> DynamoProgram:
    from dynamo_container.tasks import collection

    # the tool's repository (its .env outside a Dynamo checkout) when run from a source checkout
    namespace = collection(repository(), sys.argv if argv is None else argv)
    return DynamoProgram(
        version=tool_version(), namespace=namespace, name=NAME, binary=NAME, binary_names=[NAME]
    )


def main() -> None:
    from dynamo_container.tasks.cli import last_resort

    sys.excepthook = last_resort  # nothing that escapes invoke itself reaches the user as a traceback
    guard.install()  # invoke's own output (--list, --help) masked too, and quiet into a closed pipe
    program().run()
