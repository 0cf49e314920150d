"""Reading BuildKit's plain progress, recorded from real builds: failures, cached steps."""

from __future__ import annotations

from dynamo_container.execute.progress import BuildProgress
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


def feed_as(name: str, *, no_cache: bool) -> BuildProgress:
    progress = BuildProgress(no_cache=no_cache)
    for line in (FIXTURES / name).read_text().splitlines():
        progress.feed(line)
    return progress


def test_no_cache_build_counts_the_steps_it_ran_and_none_cached() -> None:
    # BuildKit reports the two WORKDIRs CACHED even under --no-cache: they had nothing to do
    p = feed_as("no-cache-base.log", no_cache=True)
    assert len(p.vertices) == 26
    assert (p.cached, p.total, p.ran) == (0, 24, 24)
    assert p.counts() == "24 run, --no-cache"


def test_an_instruction_reported_under_two_numbers_counts_once() -> None:
    # a parallel matrix build: seven shared instructions come twice, DONE then CACHED
    p = feed_as("matrix-no-cache-base.log", no_cache=True)
    numbered = {
        line.split()[0]
        for line in (FIXTURES / "matrix-no-cache-base.log").read_text().splitlines()
        if line.startswith("#")
        and "] " in line
        and "[context" not in line
        and "[internal]" not in line
        and " FROM " not in line
    }
    assert len(numbered) > 26  # what the vertex numbers alone would count
    assert (len(p.vertices), p.ran, p.total, p.cached) == (26, 24, 24, 0)


def test_a_step_that_ran_is_not_cached_when_its_twin_reports_cached() -> None:
    p = BuildProgress()
    for line in (
        "#14 [base 1/2] COPY a /a",
        "#14 DONE 0.1s",
        "#19 [base 1/2] COPY a /a",
        "#19 CACHED",
        "#20 [base 2/2] RUN true",
        "#20 CACHED",
    ):
        p.feed(line)
    assert (p.cached, p.total, p.ran) == (1, 2, 1)
    assert p.counts() == "1/2 cached"


def test_cached_matrix_step_with_a_repeated_vertex() -> None:
    p = feed_as("matrix-base.log", no_cache=False)
    assert (p.cached, p.total, p.ran) == (16, 26, 10)


def test_current_instruction_is_the_newest_vertex() -> None:
    p = BuildProgress()
    p.feed("#4 [internal] load .dockerignore")
    assert p.current == ""
    p.feed("#12 [runtime  3/5] RUN make")
    assert p.current == "[runtime 3/5] RUN make"
    assert p.current_vertex is not None and p.current_vertex.stage == "runtime"
