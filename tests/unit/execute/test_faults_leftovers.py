"""What a run or a build leaves behind: the HF cache folder only when the run was not refused, and log
folders held without lock files (flock on the folder itself, released with the process)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError, ContainerExit, EngineError
from dynamo_container.execute.container import execute_run
from dynamo_container.execute.logfolders import LEGACY_LOCK, log_folders
from dynamo_container.plan.run import RunPlan

ENV = {"PATH": "/usr/bin:/bin"}


def fake_cli(tmp_path: Path, code: int, writes: str = "") -> str:
    """A docker CLI that records that it ran, optionally writes into the HF cache, and exits `code`."""
    cli = tmp_path / "docker"
    cli.write_text(f"#!/bin/sh\ntouch {tmp_path / 'ran'}\n{writes}\nexit {code}\n")
    cli.chmod(0o755)
    return str(cli)


def plan(cli: str, *create: Path) -> RunPlan:
    return RunPlan((cli, "run", "dyn:rt"), "dyn:rt", False, False, "", "", (), tuple(map(str, create)))


@pytest.mark.parametrize("depth", [("hf",), ("cache", "hf"), ("a", "b", "c", "hf")])
@pytest.mark.parametrize(("code", "kept"), [(125, False), (0, True), (1, True), (7, True), (126, True)])
def test_the_hf_cache_folder_stays_only_if_docker_did_not_refuse_the_run(
    depth: tuple[str, ...], code: int, kept: bool, tmp_path: Path
) -> None:
    hf = tmp_path.joinpath("home", *depth)
    (tmp_path / "home").mkdir()
    run = plan(fake_cli(tmp_path, code), hf)
    if code == 0:
        execute_run(run, ENV, {})
    else:
        with pytest.raises(ContainerExit):
            execute_run(run, ENV, {})
    assert (tmp_path / "ran").exists()
    assert hf.is_dir() is kept
    assert (tmp_path / "home").is_dir()  # what was there before stays
    if not kept:
        assert list((tmp_path / "home").iterdir()) == []


def test_a_refused_run_keeps_an_hf_cache_that_was_there_or_that_has_content(tmp_path: Path) -> None:
    there = tmp_path / "there"
    there.mkdir()
    with pytest.raises(ContainerExit):
        execute_run(plan(fake_cli(tmp_path, 125), there), ENV, {})
    assert there.is_dir()
    written = tmp_path / "new" / "hf"
    with pytest.raises(ContainerExit):
        execute_run(
            plan(fake_cli(tmp_path, 125, f"mkdir -p {written} && touch {written}/model"), written), ENV, {}
        )
    assert (written / "model").exists()


@pytest.mark.parametrize("make", ["file", "file-parent"])
def test_an_hf_cache_that_cannot_be_created_is_one_line_before_docker(make: str, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    hf = blocker if make == "file" else blocker / "hf"
    first = tmp_path / "first" / "hf"  # a folder made before the failing one is taken back
    with pytest.raises(ConfigError) as err:
        execute_run(plan(fake_cli(tmp_path, 0), first, hf), ENV, {})
    assert str(err.value).startswith(f"cannot create {hf}, which the run mounts as the HF cache (")
    assert "--hf-cache none" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "ran").exists() and not (tmp_path / "first").exists()


@pytest.mark.parametrize("argv0", ["/nonexistent/docker", "/etc/hostname"])
def test_a_docker_cli_that_cannot_start_takes_back_the_hf_cache(argv0: str, tmp_path: Path) -> None:
    hf = tmp_path / "new" / "hf"
    with pytest.raises(EngineError, match=f"cannot start {argv0} "):
        execute_run(plan(argv0, hf), ENV, {})
    assert not (tmp_path / "new").exists()


# ----- log folders ------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["new", "nested-new", "existing", "existing-with-logs"])
def test_holding_a_log_folder_leaves_no_file(layout: str, tmp_path: Path) -> None:
    folder = tmp_path / "logs" / ("a/b" if layout == "nested-new" else "vllm-cuda12.9")
    if layout.startswith("existing"):
        folder.mkdir(parents=True)
        if layout == "existing-with-logs":
            (folder / "framework.log").write_text("old\n")
    before = sorted(p.name for p in folder.iterdir()) if folder.exists() else None
    with log_folders([folder], "--log-dir"):
        assert sorted(p.name for p in folder.iterdir()) == (before or [])
        (folder / "step.log").write_text("logged\n")
    assert sorted(p.name for p in folder.iterdir()) == sorted([*(before or []), "step.log"])


def test_a_refused_build_takes_back_the_folders_it_made(tmp_path: Path) -> None:
    with log_folders([tmp_path / "logs" / "a" / "b"], "--log-dir"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_held_folder_refuses_a_second_holder_until_released(tmp_path: Path) -> None:
    folder = tmp_path / "logs" / "vllm-cuda12.9"
    with log_folders([folder], "--log-dir"):
        for _ in range(3):
            with (
                pytest.raises(ConfigError, match=f"another build is writing its logs to {folder}"),
                log_folders([folder], "--log-dir"),
            ):
                pass
        assert folder.is_dir()  # a refused second holder does not take back the first one's folder
    with log_folders([folder], "--log-dir"):  # released: taken at once
        pass


HOLDER = """
import sys, time
from pathlib import Path
from dynamo_container.execute.logfolders import log_folders
with log_folders([Path(sys.argv[1])], "--log-dir"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_holder_killed_outright_releases_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "logs" / "vllm-cuda12.9"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with (
            pytest.raises(ConfigError, match="another build is writing its logs"),
            log_folders([folder], "--log-dir"),
        ):
            pass
    finally:
        holder.kill()  # SIGKILL: no cleanup of its own runs
        holder.wait()
    with log_folders([folder], "--log-dir"):
        pass
    assert list(folder.iterdir()) == []


def test_a_lock_file_left_by_an_earlier_version_goes_and_one_still_held_refuses(tmp_path: Path) -> None:
    folder = tmp_path / "logs" / "vllm-cuda12.9"
    folder.mkdir(parents=True)
    (folder / LEGACY_LOCK).write_text("")
    with log_folders([folder], "--log-dir"):
        assert not (folder / LEGACY_LOCK).exists()  # a leftover: nobody held it
    with open(folder / LEGACY_LOCK, "a") as old:  # an earlier version's build, running
        fcntl.flock(old, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with (
            pytest.raises(ConfigError, match="another build is writing its logs"),
            log_folders([folder], "--log-dir"),
        ):
            pass
        assert (folder / LEGACY_LOCK).exists()


@pytest.mark.parametrize("kind", ["a-file", "under-a-file"])
def test_a_log_folder_that_cannot_be_written_is_one_line(kind: str, tmp_path: Path) -> None:
    blocker = tmp_path / "README"
    blocker.write_text("x")
    folder = blocker if kind == "a-file" else blocker / "logs"
    with pytest.raises(ConfigError) as err, log_folders([folder], "--log-dir"):
        pass
    assert str(err.value).startswith(f"--log-dir {folder}: cannot write build logs there (")


def test_a_read_only_log_folder_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True)
    if os.geteuid() != 0 or mounted.returncode != 0:
        pytest.skip("a read-only folder here is a read-only bind mount, which needs root")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        with (
            pytest.raises(ConfigError, match="cannot write build logs there"),
            log_folders([folder], "--log-dir"),
        ):
            pass
    finally:
        subprocess.run(["umount", str(folder)], check=False)
