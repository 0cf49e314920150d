"""A full disk under a step log, a receipt and a log folder: one line, the step stopped, the last good
receipt kept. The disk is a real 64 KiB tmpfs (mounting one needs root; elsewhere these tests skip)."""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.errors import StepFailed
from dynamo_container.execute.build import execute_build
from dynamo_container.execute.logfolders import log_folders
from dynamo_container.execute.receipts import receipt_writer, receipts_dir, write_receipt
from dynamo_container.execute.runner import StepResult, StepRunner
from dynamo_container.plan.model import Step, TaskPlan

PAGE = 4096  # tmpfs hands out space in pages


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("a full disk here is a real 64 KiB tmpfs, and mounting one needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave_pages: int = 0) -> None:
    """Fill the disk, then give back `leave_pages` pages."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * PAGE) == PAGE:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    os.truncate(filler, max(0, filler.stat().st_size - leave_pages * PAGE))


def loud(tmp_path: Path, log: Path) -> Step:
    """A step that prints ~1.3 MB, then waits a minute and leaves a marker, unless it is stopped."""
    script = f"echo $$ > {tmp_path / 'pid'}; seq 1 200000; sleep 60; touch {tmp_path / 'finished'}"
    return Step("loud", "loud", ("sh", "-c", script), kind="host", log=str(log))


def gone(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
    except ProcessLookupError:
        return True
    return False


class Quiet:
    def line(self, text: str) -> None:
        pass

    def status(self, text: str) -> None:
        pass


HINT = "(free space there, or point --log-dir elsewhere)"


@pytest.mark.parametrize("free_pages", [0, 1, 2, 8])
def test_a_full_disk_under_the_step_log_stops_the_step_with_one_line(
    free_pages: int, small_disk: Path, tmp_path: Path
) -> None:
    log = small_disk / "logs" / "loud.log"
    log.parent.mkdir()
    fill(small_disk, free_pages)
    result = StepRunner({}, tmp_path, small_disk).run(loud(tmp_path, log), 1, Quiet())
    assert result.returncode == 1
    cause = f"the step log {log} could not be written (No space left on device)"
    if free_pages == 0:  # not even the command line fits: nothing starts
        assert result.problem == f"{cause}; the step did not start {HINT}"
        assert not (tmp_path / "pid").exists()
    else:
        assert result.problem == f"{cause}; the step was stopped {HINT}"
        assert gone(tmp_path / "pid") and not (tmp_path / "finished").exists()
        assert log.read_text().startswith("$ sh -c")  # what fitted is there
    assert "\n" not in result.problem


def test_a_plan_on_a_full_disk_fails_once_and_records_it(small_disk: Path, tmp_path: Path) -> None:
    log = small_disk / "logs" / "loud.log"
    statuses: list[str] = []
    with log_folders([log.parent], "--log-dir"):  # holding a folder needs no space
        fill(small_disk, 1)
        runner = StepRunner({}, tmp_path, small_disk)
        plan = TaskPlan((loud(tmp_path, log), Step("next", "next", ("true",), kind="host")), ())
        with pytest.raises(StepFailed) as err:
            execute_build(plan, None, runner, stream=io.StringIO(), on_finish=lambda r, s: statuses.append(s))  # type: ignore[arg-type]
    assert err.value.exit_code == 1 and str(err.value).count("\n") == 0
    assert str(err.value).startswith(f"step 1/2 (loud: loud) failed: the step log {log} could not be written")
    assert statuses == ["failed at step loud"]
    assert sorted(p.name for p in log.parent.iterdir()) == ["loud.log"]  # no lock file, no next step


BASE = {"framework": "vllm", "cuda_version": "12.9", "target": "runtime", "version": "v1", "started": "t"}


@pytest.mark.parametrize("size", [10, 5_000, 50_000, 500_000])
@pytest.mark.parametrize("status", ["built", "failed at step framework"])
def test_a_receipt_that_does_not_fit_leaves_the_last_good_one_and_no_torn_file(
    size: int, status: str, small_disk: Path
) -> None:
    good = write_receipt(small_disk, {**BASE, "status": "built", "seconds": 1, "note": "the good one"})
    before = good.read_bytes()
    fill(small_disk, 0)
    with pytest.raises(OSError):
        write_receipt(small_disk, {**BASE, "status": status, "seconds": 2, "note": "x" * size})
    assert good.read_bytes() == before
    assert sorted(p.name for p in receipts_dir(small_disk).iterdir()) == [good.name]


class Plan:
    framework, cuda, target = "vllm", "12.9", "runtime"
    version = type("V", (), {"version": "v1", "commit": "c"})()
    steps: tuple[Step, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"steps": []}


class NoImages:
    def image_ids(self, refs: list[str]) -> dict[str, str | None]:
        return {}


def test_the_receipt_writer_warns_in_one_line_on_a_full_disk(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_receipt(small_disk, {**BASE, "status": "built", "seconds": 1})
    before = good.read_bytes()
    fill(small_disk, 0)
    write = receipt_writer(Plan(), NoImages(), small_disk, {}, tmp_path)
    write([StepResult(Step("s", "s", ("true",), kind="host"), 1)], "built")
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"warning: no receipt of this build written under {receipts_dir(small_disk)} "
        "(No space left on device); the receipts there stay as they were"
    ]
    assert "receipt:" not in out and good.read_bytes() == before
    assert json.loads(before)["status"] == "built"
