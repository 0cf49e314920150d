"""`invoke run` on a signal: the stop is passed to the docker CLI (which passes it to the container).

A fake docker CLI, a shell script, stands in: it sets its traps, then signals its parent (this test
process) itself, so the signal lands while execute_run waits for it, with no timing involved.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.errors import ContainerExit
from dynamo_container.execute import container as run_module
from dynamo_container.execute.container import execute_run
from dynamo_container.execute.signals import CTRL_C, SIGTERM, Stop, Stopped, terminate_as_interrupt
from dynamo_container.plan.run import RunPlan

BOTH = [pytest.param("INT", CTRL_C, id="ctrl-c"), pytest.param("TERM", SIGTERM, id="sigterm")]


@pytest.fixture(autouse=True)
def default_sigterm() -> Iterator[None]:
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, "a handler was left installed"
    signal.signal(signal.SIGTERM, before)


def fake_cli(tmp_path: Path, body: str) -> str:
    """A docker CLI: `rm` records what it removed; `run` runs `body` (with $RECEIVED, a file, to write)."""
    cli = tmp_path / "docker"
    cli.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = rm ]; then echo "$@" >> {tmp_path / "removed"}; exit 0; fi\n'
        f"RECEIVED={tmp_path / 'received'}\n"
        f"{body}\n"
    )
    cli.chmod(0o755)
    return str(cli)


def plan(cli: str, name: str = "", create: tuple[str, ...] = ()) -> RunPlan:
    argv = (cli, "run", "--rm", "--init", "dyn:rt")
    return RunPlan(argv, "dyn:rt", False, False, "", name, (), create)


# A CLI that proxies what it receives, as docker's does: records the signal, exits as the container would.
PROXY = (
    "trap 'echo TERM >> $RECEIVED; exit 143' TERM\n"
    "trap 'echo INT >> $RECEIVED; exit 130' INT\n"
    "kill -{sig} $PPID\n"
    "sleep 60 & wait\n"
)


@pytest.mark.parametrize(("sig", "stop"), BOTH)
def test_the_stop_reaches_the_cli_as_the_signal_received(sig: str, stop: Stop, tmp_path: Path) -> None:
    cli = fake_cli(tmp_path, PROXY.format(sig=sig))
    with pytest.raises(Stopped) as err, terminate_as_interrupt():
        execute_run(plan(cli), {"PATH": "/usr/bin:/bin"}, {})
    assert (tmp_path / "received").read_text().split() == [sig]  # once: SIGTERM is not also SIGINT
    code = 128 + getattr(signal, f"SIG{sig}")
    assert str(err.value) == f"{stop.word}: the container exited with {code}"
    assert err.value.exit_code == stop.exit_code


@pytest.mark.parametrize(("sig", "stop"), BOTH)
@pytest.mark.parametrize("name", ["", "dyn-run-1"])
def test_a_cli_that_ignores_the_stop_is_killed_and_a_named_container_removed(
    sig: str, stop: Stop, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr(run_module, "STOP_GRACE_SECONDS", 0.2)
    # a trapped signal ends `wait` at once (a foreground sleep would hold the trap until it ends)
    child = tmp_path / "child"
    body = f"trap 'echo got >> $RECEIVED' TERM INT\nsleep 60 & echo $! > {child}\nkill -{sig} $PPID\n"
    cli = fake_cli(tmp_path, body + "while :; do wait; done")
    try:
        with pytest.raises(Stopped) as err, terminate_as_interrupt():
            execute_run(plan(cli, name=name), {"PATH": "/usr/bin:/bin"}, {})
    finally:
        os.kill(int(child.read_text()), signal.SIGKILL)  # the CLI's own child, orphaned by the kill
    assert err.value.exit_code == stop.exit_code
    assert str(err.value) == f"{stop.word}: the container exited with -9"  # the CLI had to be killed
    expected = 2 if stop is CTRL_C else 1  # Ctrl-C: SIGINT, then SIGTERM; SIGTERM: SIGTERM
    assert (tmp_path / "received").read_text().split() == ["got"] * expected
    warned = "the container did not stop; it may still run" in capsys.readouterr().err
    if name:
        assert (tmp_path / "removed").read_text().split() == ["rm", "-f", "--", name] and not warned
    else:
        assert not (tmp_path / "removed").exists() and warned


@pytest.mark.parametrize("code", [0, 1, 7, 125])
def test_without_a_signal_the_container_code_is_ours(code: int, tmp_path: Path) -> None:
    cli = fake_cli(tmp_path, f"exit {code}")
    if code == 0:
        execute_run(plan(cli), {"PATH": "/usr/bin:/bin"}, {})
        return
    with pytest.raises(ContainerExit) as err:
        execute_run(plan(cli), {"PATH": "/usr/bin:/bin"}, {})
    assert err.value.exit_code == code and str(err.value) == ""
