"""Faults under a running step: its log folder removed, a CLI that exits 0 without building, a CLI that
cannot start. Each is one line, the step's process stopped, and the plan stops there."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.errors import StepFailed
from dynamo_container.execute import runner
from dynamo_container.execute.build import execute_build
from dynamo_container.execute.logfolders import log_folders
from dynamo_container.execute.runner import (
    StepResult,
    StepRunner,
    check_built,
    failure_report,
    run_or_skip,
)
from dynamo_container.plan.model import Step, TaskPlan


class Lines:
    """A display that runs `on_ready` when it is shown `ready`."""

    def __init__(self, on_ready: Callable[[], None] = lambda: None) -> None:
        self.on_ready, self.lines = on_ready, []  # type: list[str]

    def line(self, text: str) -> None:
        self.lines.append(text)
        if text == "ready":
            self.on_ready()

    def status(self, text: str) -> None:
        pass


def gone(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
    except ProcessLookupError:
        return True
    return False


def waiting(name: str, tmp_path: Path, log: Path) -> Step:
    """A step that says `ready`, then stays silent for a minute and leaves a marker, unless stopped."""
    script = f"echo $$ > {tmp_path / 'pid'}; echo ready; sleep 60; touch {tmp_path / 'finished'}"
    return Step(name, name, ("sh", "-c", script), kind="host", log=str(log))


def _remove_folder(folder: Path, log: Path) -> None:
    shutil.rmtree(folder)


def _replace_folder(folder: Path, log: Path) -> None:
    shutil.rmtree(folder)
    folder.mkdir()  # same path, another folder: the lock went with the old one


def _remove_log(folder: Path, log: Path) -> None:
    log.unlink()


def _remove_parent(folder: Path, log: Path) -> None:
    shutil.rmtree(folder.parent)


REMOVALS = [
    pytest.param(_remove_folder, "the log folder {folder} was removed", id="folder-removed"),
    pytest.param(_replace_folder, "the log folder {folder} was removed", id="folder-replaced"),
    pytest.param(_remove_log, "the step log {log} was removed", id="log-removed"),
    pytest.param(_remove_parent, "the log folder {folder} was removed", id="log-dir-removed"),
]


@pytest.fixture
def quick_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "CHECK_SECONDS", 0.05)  # how soon a silent step notices


@pytest.mark.parametrize(("remove", "message"), REMOVALS)
@pytest.mark.parametrize("held", [True, False], ids=["held", "not-held"])
def test_a_log_removed_during_a_silent_step_stops_it_with_one_line(
    remove: Callable[[Path, Path], None], message: str, held: bool, tmp_path: Path, quick_checks: None
) -> None:
    folder = tmp_path / "logs" / "vllm-cuda12.9"
    log = folder / "slow.log"
    runner = StepRunner({}, tmp_path, tmp_path / "logs")
    step = waiting("slow", tmp_path, log)
    display = Lines(lambda: remove(folder, log))
    if held:
        with log_folders([folder], "--log-dir"):
            result = runner.run(step, 1, display)
    else:
        folder.mkdir(parents=True)
        result = runner.run(step, 1, display)
    assert result.returncode == 1 and not result.ok
    assert result.problem == (
        message.format(folder=folder, log=log) + " during the build; the step was stopped "
        "(leave the log folder alone while a build runs)"
    )
    assert gone(tmp_path / "pid") and not (tmp_path / "finished").exists()
    assert failure_report(result, 2, log) == f"step 1/2 (slow: slow) failed: {result.problem}"


def test_a_plan_whose_log_folder_goes_stops_there_with_one_line(tmp_path: Path, quick_checks: None) -> None:
    folder = tmp_path / "logs" / "none-cuda12.8"
    runner = StepRunner({}, tmp_path, tmp_path / "logs")
    steps = (
        waiting("first", tmp_path, folder / "first.log"),
        waiting("second", tmp_path, folder / "second.log"),
    )
    finished: list[str] = []
    display_lines: list[str] = []

    class Stream:
        def write(self, text: str) -> int:
            display_lines.append(text)
            if text.rstrip("\n").endswith("] ready"):
                shutil.rmtree(folder)
            return len(text)

        def flush(self) -> None:
            pass

        def isatty(self) -> bool:
            return False

    plan = TaskPlan(steps, ())
    with pytest.raises(StepFailed) as err, log_folders([folder], "--log-dir"):
        execute_build(plan, NoEngine(), runner, stream=Stream(), on_finish=lambda r, s: finished.append(s))  # type: ignore[arg-type]
    assert err.value.exit_code == 1
    assert str(err.value) == (
        f"step 1/2 (first: first) failed: the log folder {folder} was removed during the build; "
        "the step was stopped (leave the log folder alone while a build runs)"
    )
    assert finished == ["failed at step first"]
    assert not (folder / "second.log").exists()


class NoEngine:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the engine was used: {name}")


# ----- a build step that says it succeeded -------------------------------------------------------------


class Images:
    """An engine that has the given tags (tag -> image ID), or cannot be asked at all."""

    def __init__(self, tags: dict[str, str], broken: bool = False) -> None:
        self.tags, self.broken = tags, broken

    def image_ids(self, refs: list[str]) -> dict[str, str | None]:
        if self.broken:
            raise OSError("engine gone")
        return {r: self.tags.get(r) for r in refs}


ID = "sha256:" + "a" * 64


def metadata(tmp_path: Path, content: str | None) -> str:
    path = tmp_path / "image.metadata.json"
    if content is not None:
        path.write_text(content)
    return str(path)


BUILT_CASES: list[tuple[str, str | None, dict[str, str], bool, bool]] = [
    # (id, metadata file content (None: absent, "-": no metadata file planned), engine tags, broken, built)
    ("metadata-names-it", json.dumps({"containerimage.config.digest": ID}), {}, False, True),
    ("tag-on-engine", None, {"dyn:1": ID}, False, True),
    ("legacy-frontend-tag", "-", {"dyn:1": ID}, False, True),
    ("nothing-at-all", None, {}, False, False),
    ("legacy-nothing", "-", {}, False, False),
    ("torn-metadata", '{"containerimage.con', {}, False, False),
    ("metadata-without-image", json.dumps({"buildx.build.ref": "x"}), {}, False, False),
    ("metadata-not-object", "[1, 2]", {}, False, False),
    ("only-second-tag", None, {"dyn:latest": ID}, False, False),
    ("engine-unreachable", None, {}, True, True),  # cannot tell: docker's verdict stands
]


@pytest.mark.parametrize(
    ("case", "content", "tags", "broken", "built"), BUILT_CASES, ids=[c[0] for c in BUILT_CASES]
)
def test_a_build_step_that_exits_0_must_have_made_an_image(
    case: str, content: str | None, tags: dict[str, str], broken: bool, built: bool, tmp_path: Path
) -> None:
    meta = "" if content == "-" else metadata(tmp_path, content)
    step = Step(
        "image", "image", ("/bin/true", "buildx", "build"), tags=("dyn:1", "dyn:latest"), metadata=meta
    )
    result = StepResult(step, 1)
    check_built(result, Images(tags, broken))  # type: ignore[arg-type]
    assert result.ok is built
    if not built:
        where = f"no image ID in {meta}, " if meta else ""
        assert result.problem == (
            f"/bin/true exited 0 but built no image ({where}no image dyn:1 on the engine; "
            "check that --docker-cli /bin/true is a docker CLI)"
        )
        assert failure_report(result, 1, tmp_path / "x.log").count("\n") == 0


@pytest.mark.parametrize(
    "result",
    [
        StepResult(Step("push", "p", ("docker", "push", "dyn:1"), kind="push", tags=("dyn:1",)), 1),
        StepResult(Step("wheel", "w", ("docker", "buildx", "build", "--output", "x")), 1),
        StepResult(Step("host", "h", ("true",), kind="host"), 1),
        StepResult(Step("image", "i", ("docker",), tags=("dyn:1",)), 1, returncode=3),
    ],
    ids=["push", "untagged-output", "host", "already-failed"],
)
def test_steps_that_make_no_tagged_image_are_not_judged(result: StepResult) -> None:
    code = result.returncode
    assert check_built(result, Images({})) is None  # type: ignore[arg-type]
    assert result.returncode == code and result.problem == ""


def test_run_or_skip_fails_a_step_that_built_nothing_and_records_no_key(tmp_path: Path) -> None:
    recorded: list[Any] = []

    class Keys:
        engine = Images({})

        def up_to_date(self, step: Step) -> Any:
            return type("Verdict", (), {"key": "k" * 64, "image": None, "reason": ""})()

        def record(self, *args: Any) -> None:
            recorded.append(args)

    step = Step("image", "image", ("/bin/true",), tags=("dyn:1",), metadata=metadata(tmp_path, None))
    result = run_or_skip(step, 1, Keys(), lambda: StepResult(step, 1), Images({}))  # type: ignore[arg-type]
    assert not result.ok and "built no image" in result.problem and recorded == []


@pytest.mark.parametrize("argv0", ["/nonexistent/docker", "/etc/hostname", "/"])
def test_a_cli_that_cannot_start_is_one_line(argv0: str, tmp_path: Path) -> None:
    runner = StepRunner({}, tmp_path, tmp_path / "logs")
    result = runner.run(Step("image", "image", (argv0, "build")), 1, Lines())
    assert result.returncode == 1 and result.problem.startswith(f"cannot start {argv0} (")
    assert (tmp_path / "logs" / "image.log").read_text().startswith(f"$ {argv0} build")
