"""The `dynamo-container` console script: the same tasks and flags as `invoke` in this repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dynamo_container.tasks import collection
from dynamo_container.tasks.program import program, version_text
from tests.helpers import PROJECT

SCRIPT = str(Path(sys.executable).parent / "dynamo-container")


def _flags(ns: object) -> dict[str, list[tuple[str, ...]]]:
    tasks = ns.tasks  # type: ignore[attr-defined]
    return {name: sorted(tuple(a.names) for a in task.get_arguments()) for name, task in tasks.items()}


def test_the_program_runs_the_invoke_collection_with_every_task_and_flag() -> None:
    ours = program(["dynamo-container"])
    assert ours.namespace is not None
    assert _flags(ours.namespace) == _flags(collection(PROJECT, []))
    assert {"build", "run", "config", "doctor", "context"} <= set(ours.namespace.tasks)


def test_version_names_the_tool_and_the_upstream_snapshot() -> None:
    out = subprocess.run([SCRIPT, "--version"], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout == version_text() + "\n"
    assert out.stdout.startswith("dynamo-container 0.1.0 ") and "upstream 3b9b3f31c" in out.stdout


def test_the_command_line_check_runs_for_the_console_script(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["/usr/bin/dynamo-container", "build", "--framework", "vllm", "--framework", "sglang"]
    with pytest.raises(SystemExit) as stopped:
        program(argv)
    assert stopped.value.code == 1
    assert capsys.readouterr().err == "error: --framework is given twice (vllm, then sglang); give it once\n"


def test_completion_script_and_completion_candidates() -> None:
    script = subprocess.run(
        [SCRIPT, "--print-completion-script", "bash"], capture_output=True, text=True, cwd="/"
    )
    assert script.returncode == 0 and "complete -F" in script.stdout and "dynamo-container" in script.stdout
    tasks = subprocess.run([SCRIPT, "--complete", "--", "dynamo-container"], capture_output=True, text=True)
    assert {"build", "run", "doctor"} <= set(tasks.stdout.split())
    flags = subprocess.run(
        [SCRIPT, "--complete", "--", "dynamo-container", "build", "--fr"], capture_output=True, text=True
    )
    assert "--framework" in flags.stdout.split()


def test_a_closed_pipe_ends_quietly() -> None:
    shown = subprocess.run(f"{SCRIPT} --help | head -1", shell=True, capture_output=True, text=True, cwd="/")
    assert shown.stdout.startswith("Usage: dynamo-container") and shown.stderr == ""


def test_a_crash_names_the_program_the_user_ran(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dynamo_container.tasks.cli import crash_report

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setattr(sys, "argv", ["/venv/bin/dynamo-container", "build"])
    line = crash_report("build", RuntimeError("boom"))
    assert line.startswith("error: internal error in dynamo-container build: RuntimeError: boom (")
    (saved,) = (tmp_path / "dynamo-container-crashes").glob("crash-*.txt")
    assert saved.read_text().startswith("dynamo-container build\n")
    monkeypatch.setattr(sys, "argv", ["/venv/bin/invoke", "build"])
    assert crash_report("build", RuntimeError("boom")).startswith("error: internal error in invoke build:")


def test_a_broken_invoke_configuration_file_is_one_line_naming_it(tmp_path: Path) -> None:
    """invoke reads ~/.invoke.yaml before any task runs; the console script still answers in one line."""
    (tmp_path / ".invoke.yaml").write_text("run:\n  echo: [\n")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([SCRIPT, "--list"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.splitlines() == [
        f"error: {tmp_path / '.invoke.yaml'}, line 3: expected the node content, but found '<stream end>' "
        "(fix or remove that invoke configuration file)"
    ]


def test_anything_else_escaping_invoke_is_a_crash_line_with_its_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from dynamo_container.tasks.cli import last_resort

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the crash report lands here
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        last_resort(RuntimeError, exc, exc.__traceback__)
    err = capsys.readouterr().err
    assert err.startswith("error: internal error in ") and "RuntimeError: boom" in err
    assert "please report it" in err and "Traceback" not in err
    (report,) = (tmp_path / "dynamo-container-crashes").glob("crash-*.txt")
    assert "RuntimeError: boom" in report.read_text()
