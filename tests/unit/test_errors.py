"""errors.py: what a user reads (the message and its hint) and the exit code each kind ends with."""

from __future__ import annotations

from dynamo_container.errors import (
    ConfigError,
    ContainerExit,
    DynamoError,
    EngineError,
    Interrupted,
    StepFailed,
)


def test_the_hint_follows_the_message_in_parentheses() -> None:
    assert (
        str(ConfigError("--jobs '0' is not a count", "use 1 or more"))
        == "--jobs '0' is not a count (use 1 or more)"
    )
    assert str(EngineError("the engine does not answer")) == "the engine does not answer"


def test_each_kind_ends_with_its_own_exit_code() -> None:
    assert (ConfigError("x").exit_code, EngineError("x").exit_code) == (1, 1)
    assert Interrupted("stopped").exit_code == 130
    assert StepFailed("step 2 failed", 17).exit_code == 17
    container = ContainerExit(3)
    assert (container.exit_code, container.message) == (3, "")  # the container said it all already
    assert all(isinstance(e, DynamoError) for e in (container, StepFailed("s", 2), Interrupted("i")))
