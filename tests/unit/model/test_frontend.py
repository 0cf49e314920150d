"""model/frontend.py: the command words of a build for buildx (with or without a builder) and docker build."""

from __future__ import annotations

from dynamo_container.model.frontend import Frontend


def test_buildx_loads_or_pushes_on_the_named_builder() -> None:
    assert Frontend().build_prefix() == ("docker", "buildx", "build", "--load")
    assert Frontend(builder="ci").build_prefix("push") == (
        "docker",
        "buildx",
        "build",
        "--builder",
        "ci",
        "--push",
    )
    assert Frontend(docker="/usr/bin/docker").build_prefix(None) == ("/usr/bin/docker", "buildx", "build")


def test_the_classic_builder_has_no_output_flag_and_needs_buildkit_switched_on() -> None:
    classic = Frontend(buildx=False)
    assert classic.build_prefix("push") == ("docker", "build")
    assert classic.env == (("DOCKER_BUILDKIT", "1"),)
    assert Frontend().env == ()
