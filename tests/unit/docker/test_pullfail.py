"""A base image that cannot be pulled: two lines saying what to do, from BuildKit's recorded output."""

from __future__ import annotations

from pathlib import Path

from dynamo_container.docker.pullfail import PullFailure, pull_failure
from dynamo_container.execute.progress import BuildProgress
from dynamo_container.execute.runner import StepResult, failure_report
from dynamo_container.plan.model import Step
from tests.helpers import PROJECT

LOGS = PROJECT / "tests/fixtures/buildkit"
NVCR = "nvcr.io/nvidia/cuda-dl-base:25.06-cuda12.9-devel-ubuntu24.04"


def _lines(name: str) -> list[str]:
    return (LOGS / name).read_text().splitlines()


def test_the_recorded_failures_are_recognised() -> None:
    assert pull_failure(_lines("pull-no-such-host.log")) == PullFailure(NVCR, "unreachable")
    missing = pull_failure(_lines("pull-not-found.log"))
    assert missing == PullFailure("127.0.0.1:5000/dyntest-pf20-missing:none", "missing")
    assert missing.registry == "127.0.0.1:5000"
    assert pull_failure(_lines("failure.log")) is None  # a RUN that failed is not a pull failure


def test_refused_credentials_and_registries() -> None:
    line = (
        f"ERROR: failed to solve: {NVCR}: failed to resolve source metadata for {NVCR}: failed to "
        "authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized"
    )
    refused = pull_failure([line])
    assert refused == PullFailure(NVCR, "refused") and "docker login nvcr.io" in refused.hint()
    assert PullFailure("ubuntu:24.04", "missing").registry == "docker.io"
    assert PullFailure("localhost:5000/x:y", "missing").registry == "localhost:5000"


def test_the_step_failure_is_two_lines(tmp_path: Path) -> None:
    log = tmp_path / "base.log"
    log.write_text((LOGS / "pull-no-such-host.log").read_text())
    step = Step("base", "Dynamo base image", ("docker", "buildx", "build"))
    result = StepResult(step=step, index=1, returncode=1, seconds=0.4, progress=BuildProgress())
    report = failure_report(result, 2, log).splitlines()
    assert report == [
        f"step 1/2 (base) failed: cannot pull the base image {NVCR}: "
        "nvcr.io is out of reach from this machine",
        "  what to do: docker login nvcr.io (the engine logs in, not this tool); a mirror through "
        "--base-image/--runtime-image (and their -tag flags); or the stand-in profile (--env-file "
        "tests/fixtures/stand-in.env in the tool's repository); `invoke doctor` checks each registry",
    ]
