"""Text leaving the process (guard.py): masked line by line, a closed pipe a quiet sink, any encoding."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from dynamo_container.model.secrets import MASK, remember
from dynamo_container.report.guard import PIPE_STATUS, GuardedStream, guarded
from tests.helpers import PROJECT

SECRET = "guarded-secret-4242"


class ClosedPipe(io.StringIO):
    """A stream whose reader went away after `keep` writes."""

    def __init__(self, keep: int = 0) -> None:
        super().__init__()
        self.keep = keep

    def write(self, text: str) -> int:
        if self.keep <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.keep -= 1
        return super().write(text)

    def fileno(self) -> int:
        raise io.UnsupportedOperation("no descriptor")


class Ascii(io.StringIO):
    encoding = "ascii"


@pytest.fixture(autouse=True)
def _known() -> None:
    remember([SECRET])


@pytest.mark.parametrize("cut", range(1, len(SECRET)))
def test_a_credential_split_over_writes_is_masked(cut: int) -> None:
    inner = io.StringIO()
    stream = GuardedStream(inner)
    stream.write(f"token {SECRET[:cut]}")
    stream.write(f"{SECRET[cut:]} end\nnext ")
    stream.flush()
    assert inner.getvalue() == f"token {MASK} end\nnext "


def test_a_closed_pipe_turns_the_stream_into_a_sink() -> None:
    inner = ClosedPipe(keep=1)
    stream = GuardedStream(inner)
    stream.write("first\n")
    for _ in range(3):
        stream.write("more\n")  # never raises
        stream.flush()
    assert stream.broken and inner.getvalue() == "first\n"
    assert not stream.isatty()


def test_characters_the_stream_cannot_encode_become_question_marks() -> None:
    inner = Ascii()
    stream = GuardedStream(inner)
    stream.write("größe ✓ 10 GiB\n")
    assert inner.getvalue() == "gr??e ? 10 GiB\n"


def test_guarded_restores_the_streams_and_flushes_what_is_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    real = io.StringIO()
    monkeypatch.setattr(sys, "stdout", real)
    with guarded() as (out, _):
        assert sys.stdout is out
        print(f"partial {SECRET}", end="")
        assert real.getvalue() == ""  # no newline yet: held back, so a credential is never cut apart
    assert sys.stdout is real
    assert real.getvalue() == f"partial {MASK}"


def _into_closed_pipe(args: list[str]) -> subprocess.CompletedProcess[str]:
    """The tool with its stdout into a pipe whose reader is gone before it starts (as `| head -0`)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "invoke", *args],
            cwd=PROJECT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env={k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")}
            | {"DYNAMO_DOCKER_CLI": "/nonexistent/docker"},
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "args",
    [
        "config",
        "build --env-file tests/fixtures/stand-in.env --dry-run --framework vllm,sglang --cuda-version all",
        "plan --env-file tests/fixtures/stand-in.env --framework all --json",
        "--list",  # invoke's own output, printed before any task runs
        "build --help",
    ],
)
def test_output_into_a_closed_pipe_ends_quietly_with_the_pipe_status(args: str) -> None:
    r = _into_closed_pipe(args.split())
    assert r.returncode == PIPE_STATUS, r.stderr
    assert "Traceback" not in r.stderr and "error" not in r.stderr.lower(), r.stderr


def test_crash_reports_go_to_one_private_folder_and_only_the_newest_are_kept(
    tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile
    import time
    from pathlib import Path

    from dynamo_container.tasks import cli

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = Path(tmp_path) / "dynamo-container-crashes"
    clock = iter(range(1_700_000_000, 1_700_000_100))
    monkeypatch.setattr(time, "strftime", lambda *_: str(next(clock)))  # a new name for every report
    for i in range(cli.CRASH_FILES_KEPT + 5):
        line = cli.crash_report("build", RuntimeError(f"boom {i} {SECRET}"))
        assert SECRET not in line and line.count("\n") == 0
        newest = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns)[-1]
        os.utime(newest, ns=(i * 10**9, i * 10**9))  # mtimes apart, oldest first
    kept = sorted(folder.iterdir())
    assert len(kept) == cli.CRASH_FILES_KEPT
    assert all(SECRET not in p.read_text() for p in kept)
    assert f"boom {cli.CRASH_FILES_KEPT + 4}" in max(kept, key=lambda p: p.stat().st_mtime).read_text()
    assert folder.stat().st_mode & 0o777 == 0o700
