"""The one error type users see: a sentence saying what was wrong and what to type instead."""

from __future__ import annotations


class DynamoError(Exception):
    """An error the user can fix; printed as one line on stderr, never as a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(DynamoError):
    """Bad settings: a flag, an env-file line, a combination of options."""


class EngineError(DynamoError):
    """The Docker engine or CLI is missing, unreachable or refuses us."""


class Interrupted(DynamoError):
    """Ctrl-C: the running docker process was stopped."""

    exit_code = 130


class StepFailed(DynamoError):
    """A docker command of a plan failed (or several builds ran and some failed); exits with docker's code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ContainerExit(DynamoError):
    """The container's own non-zero exit code, passed through without a message."""

    def __init__(self, code: int) -> None:
        super().__init__("")
        self.exit_code = code
