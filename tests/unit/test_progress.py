"""Reading BuildKit's plain progress, recorded from real builds: failures, cached steps."""

from __future__ import annotations

from dynamo_container.progress import BuildProgress
from tests.helpers import PROJECT

FIXTURES = PROJECT / "tests/fixtures/buildkit"


def feed(name: str) -> BuildProgress:
    progress = BuildProgress()
    for line in (FIXTURES / name).read_text().splitlines():
        progress.feed(line)
    return progress


def test_failure_names_stage_instruction_and_dockerfile_line() -> None:
    p = feed("failure.log")
    failed = p.failure
    assert failed is not None
    assert (failed.stage, failed.instruction) == ("two", "RUN echo failing; exit 4")
    assert "exit code: 4" in failed.error
    assert p.dockerfile_line == "Dockerfile.fail:5"
    assert p.last_error.startswith("ERROR: failed to solve")
    # FROM resolution and [internal] loads are not build steps
    assert (p.cached, p.total) == (1, 3)


def test_cached_rebuild() -> None:
    p = feed("cached.log")
    assert p.total > 0 and p.cached == p.total and p.failure is None
