"""The live view as a person sees it: a stand-in matrix build typed into a real terminal (tmux).

The test types the command with `send-keys` into a shell in a tmux pane (a private tmux server),
reads the screen with `capture-pane` while the build runs and after it ends, and asserts what the
screen shows: for a matrix build one line per combination that moves from queued through "step k of
n" to up to date, built or failed, and a summary that tells the three apart; for a single build a
live line per step (the instruction BuildKit runs, the counts so far) over its last output lines.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import PROJECT
from tests.integration.conftest import INVOKE, STANDIN_ENV, STANDIN_FAMILY, Names, invoke

COMBINATIONS = ("vllm-cuda12.9", "sglang-cuda12.9", "trtllm-cuda13.1")


def family(tmp_path: Path, token: str) -> Path:
    """The stand-in family with a slow sglang runtime (the board is seen mid-build) and a failing trtllm."""
    folder = tmp_path / "family"
    shutil.copytree(STANDIN_FAMILY, folder)
    for name, instruction in (
        ("Dockerfile.sglang", f"RUN echo slow-sglang-{token} && sleep 4"),  # never cached: a new token
        ("Dockerfile.trtllm", "RUN echo trtllm-breaks && exit 3"),
    ):
        path = folder / name
        head, sep, rest = path.read_text().partition(" AS runtime\n")
        assert sep, f"no runtime stage in {name}"
        path.write_text(head + sep + instruction + "\n" + rest)
    return folder


class Terminal:
    """A shell in a 200x50 tmux pane of a tmux server of its own."""

    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.socket = socket
        shell = ["env", "-u", "CI", "-u", "NO_COLOR", "TERM=xterm-256color"]
        shell += [f"{k}={v}" for k, v in env.items()] + ["bash", "--norc", "--noprofile"]
        self.tmux("new-session", "-d", "-x", "200", "-y", "50", "-c", str(PROJECT), shlex.join(shell))

    def tmux(self, *args: str) -> str:
        r = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def type(self, line: str) -> None:
        self.tmux("send-keys", "-t", "0", "-l", line)
        self.tmux("send-keys", "-t", "0", "Enter")

    def screen(self, history: bool = False) -> str:
        return self.tmux("capture-pane", "-p", "-t", "0", *(["-S", "-500"] if history else []))

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


def _tmux() -> None:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs tmux for the live-view test (scripts/setup installs it)", pytrace=False)
        pytest.skip("tmux is not installed (scripts/setup installs it)")


@pytest.fixture
def build_env(names: Names, tmp_path: Path) -> dict[str, str]:
    _tmux()
    family_dir = str(family(tmp_path, names.token))
    return {**names.env(), "DYNAMO_CONTAINER_DIR": family_dir, "DYNAMO_LOG_DIR": str(tmp_path / "logs")}


@pytest.fixture
def terminal(names: Names, build_env: dict[str, str]) -> Iterator[Terminal]:
    term = Terminal(names.token, build_env)
    try:
        yield term
    finally:
        term.close()


def run_to_the_end(terminal: Terminal, argv: list[str]) -> list[str]:
    """Type the command, then read the screen every 0.2 s until the shell says it ended."""
    terminal.type(shlex.join(argv) + '; echo "ex""it=$?"')  # typed "ex""it=": only the echo shows "exit="
    screens: list[str] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        screens.append(terminal.screen())
        if "exit=" in screens[-1]:
            return screens
        time.sleep(0.2)
    pytest.fail("the build did not end within 300 s:\n" + screens[-1])


def board_line(screen: str, key: str) -> str:
    """The board's line of one combination (the first line that starts with its name)."""
    return next((line.strip() for line in screen.splitlines() if line.strip().startswith(key + " ")), "")


def test_a_matrix_build_on_a_terminal_shows_one_line_per_combination(
    terminal: Terminal, build_env: dict[str, str]
) -> None:
    # vllm is built once beforehand, so that the matrix finds it up to date
    r = invoke(
        "build", "--env-file", STANDIN_ENV, "--framework", "vllm", "--target", "runtime", env=build_env
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    command = [INVOKE, "build", "--env-file", STANDIN_ENV, "--framework", "vllm,sglang,trtllm"]
    screens = run_to_the_end(terminal, [*command, "--target", "runtime", "--jobs", "1"])
    live = [s for s in screens if "combinations finished" in s and "exit=" not in s]
    assert live, "no screen showed the board while the build ran:\n" + screens[0]
    # while it runs: one line per combination, sglang at a step with BuildKit's instruction and counts
    running = [s for s in live if board_line(s, "sglang-cuda12.9").split()[1:3] == ["step", "2"]]
    assert running, "sglang was never seen at its second step:\n" + live[-1]
    assert all(board_line(running[-1], key) for key in COMBINATIONS), running[-1]
    assert any("cached so far · [runtime " in board_line(s, "sglang-cuda12.9") for s in running)
    assert not any(line.startswith("#") for line in running[-1].splitlines())  # no BuildKit log lines
    assert board_line(running[-1], "trtllm-cuda13.1").split()[1:] == ["queued", "-"]  # one job at a time
    assert board_line(running[-1], "vllm-cuda12.9").split()[1:4] == ["up", "to", "date"]
    # at the end: the board as it ended, then the summary
    final = terminal.screen(history=True)
    assert "exit=1" in final
    assert board_line(final, "vllm-cuda12.9").split()[1:4] == ["up", "to", "date"]
    assert board_line(final, "sglang-cuda12.9").split()[1] == "built"
    assert "2 built; base ran because first build of this step" in board_line(final, "sglang-cuda12.9")
    assert board_line(final, "trtllm-cuda13.1").split()[1:5] == ["failed", "at", "step", "framework"]
    assert "Matrix summary: 1 built, 1 up to date, 1 failed" in final
    assert "error: 1 of 3 combinations failed: trtllm-cuda13.1" in final
    # the board showed no log lines: the failure is explained after the summary, with its log's end
    assert "trtllm-cuda13.1: step 2/2 (framework: " in final and "instruction RUN echo trtllm-breaks" in final


def test_a_single_build_on_a_terminal_shows_a_live_line_per_step(terminal: Terminal) -> None:
    command = [INVOKE, "build", "--env-file", STANDIN_ENV, "--framework", "sglang", "--target", "runtime"]
    screens = run_to_the_end(terminal, command)
    live = [s for s in screens if "2/2 framework · " in s and "exit=" not in s]
    slow = [s for s in live if "[runtime 2/" in s and "RUN echo slow-sglang-" in s]
    assert slow, "the slow instruction was never seen:\n" + (live or screens)[-1]
    line = next(x for x in slow[-1].splitlines() if "2/2 framework · " in x)
    assert line.split()[1:4] == ["2/2", "framework", "·"] and " cached so far · [runtime 2/" in line
    assert any("slow-sglang-" in x and x.startswith("#") for x in slow[-1].splitlines()[1:])  # its last lines
    final = terminal.screen(history=True)
    assert "exit=0" in final
    assert "Step 1/2 base done in " in final and "Step 2/2 framework done in " in final
    assert "; ran because " in final and "Summary" in final
    assert "#1 [internal]" not in final  # the whole log never streams: only the live lines, then cleared
