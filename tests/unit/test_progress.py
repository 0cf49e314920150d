"""Reading BuildKit's plain progress (recorded from real builds) and explaining engine errors."""

from __future__ import annotations

from dynamo_container.engine import explain_engine_error, ulimit_problems
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


def test_engine_errors_are_explained() -> None:
    denied = explain_engine_error("unix:///var/run/docker.sock", PermissionError(13, "Permission denied"))
    assert "permission denied" in str(denied) and "docker group" in str(denied)
    gone = explain_engine_error("tcp://127.0.0.1:9", ConnectionRefusedError(111, "Connection refused"))
    assert str(gone).startswith("cannot reach the Docker engine at tcp://127.0.0.1:9")


def test_ulimit_problems() -> None:
    limits = {"memlock": 8388608, "nofile": 20000, "stack": -1}
    assert ulimit_problems(["memlock=-1", "stack=67108864", "nofile=1024:4096"], limits) == [
        "memlock=-1 (the engine's hard limit is 8388608)"
    ]
    assert ulimit_problems(["nofile=65536:65536"], limits) == [
        "nofile=65536:65536 (the engine's hard limit is 20000)"
    ]
    assert ulimit_problems(["memlock=-1"], {}) == []  # a remote engine: nothing to compare with
