"""The executor: runs the steps of plans through the docker CLI (and host commands), one loop for all.

Output goes to a display (views.py: a live view, prefixed plain lines, or nothing), each
step writes its log, secrets are masked everywhere, a failure names the step, stage and
instruction, and Ctrl-C (or SIGTERM, see signals.py) stops the running processes. `run_chain` is the
one step loop: a single build runs one chain, a matrix build one chain per combination, in threads;
`run_or_skip` is where every build step's result is judged (up to date, or did it build an image).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dynamo_container.docker.engine import Engine
from dynamo_container.docker.pullfail import pull_failure
from dynamo_container.errors import ConfigError
from dynamo_container.execute.logfolders import CHECK_SECONDS, StepLog, unwritable
from dynamo_container.execute.progress import BuildProgress
from dynamo_container.execute.signals import CTRL_C, Stop, held_signals, stop_of
from dynamo_container.model.secrets import masker
from dynamo_container.plan.model import Step
from dynamo_container.report import console
from dynamo_container.report.views import Display

if TYPE_CHECKING:
    from dynamo_container.buildkeys.keys import BuildKeys

TAIL_LINES = 25


@dataclass
class StepResult:
    step: Step
    index: int
    seconds: float = 0.0
    returncode: int = 0
    progress: BuildProgress = field(default_factory=BuildProgress)
    sizes: dict[str, int] = field(default_factory=dict)
    key: str = ""  # the step's build key ("" when it cannot be keyed)
    up_to_date: bool = False  # skipped: the engine has what this key built under every tag
    stopped: str = ""  # set when a signal stopped the step: the stop's word ("interrupted", ...)
    problem: str = ""  # why a step failed that docker did not fail: its log, no image built (one line)
    reason: str = ""  # why it ran, or which image it kept (buildkeys.keys.Verdict.reason)

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _stop(proc: subprocess.Popen[str]) -> None:
    """Ask docker to cancel (SIGINT), then insist."""
    for sig, wait in ((signal.SIGINT, 15.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


def _stop_reading(proc: subprocess.Popen[str], sink: Callable[[str], None]) -> None:
    """Stop the process group while its output is read to the end into `sink`.

    A child blocked on a full pipe could not act on the signal; reading on lets it, and keeps what it
    says about being stopped (BuildKit's "canceled") before the line that says why.
    """
    stopper = threading.Thread(target=_stop, args=(proc,), daemon=True)
    stopper.start()
    assert proc.stdout is not None
    for raw in proc.stdout:
        sink(raw.rstrip("\n"))
    stopper.join()


class _LogWatch(threading.Thread):
    """Stops a step's process once its log cannot be written: at once after a failed write (woken),
    within CHECK_SECONDS when the log or its folder is removed, even while the step prints nothing."""

    def __init__(self, proc: subprocess.Popen[str], log: StepLog) -> None:
        super().__init__(daemon=True)
        self.proc, self.log = proc, log
        self.wake, self.done = threading.Event(), threading.Event()
        self.stopped = False
        self.start()

    def run(self) -> None:
        while not self.done.is_set():
            self.wake.wait(CHECK_SECONDS)
            if self.done.is_set():
                return
            if self.log.check() is not None:
                self.stopped = True
                _stop(self.proc)
                return

    def close(self) -> None:
        self.done.set()
        self.wake.set()
        self.join()


class StepRunner:
    """Runs single steps: environment with the secrets, masked output to a display and the step's log.

    Every process it starts is known, so `stop_all` (Ctrl-C, SIGTERM) can stop them from any thread.
    A step whose log cannot be written (a full disk, its folder removed) is stopped and fails with
    one line in `StepResult.problem`.
    """

    def __init__(self, secrets: Mapping[str, str], cwd: Path, log_dir: Path) -> None:
        self.secrets, self.cwd, self.log_dir = secrets, cwd, log_dir
        self.mask = masker(secrets.values())
        self.procs: set[subprocess.Popen[str]] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.stop: Stop = CTRL_C  # what stopped the runner, once `stopping` is set

    def env(self, step: Step) -> dict[str, str]:
        env = dict(os.environ)
        for key, value in self.secrets.items():
            env.setdefault(key, value)
        env.update(step.env)
        missing = sorted({s.env for s in step.secrets if not env.get(s.env)})
        if missing:
            raise ConfigError(
                f"step {step.name} needs {', '.join(missing)} for its BuildKit secrets",
                "set them in the environment or in an env file (never as build args)",
            )
        return env

    def log_path(self, step: Step) -> Path:
        return Path(step.log) if step.log else self.log_dir / f"{step.name}.log"

    def run(self, step: Step, index: int, display: Display) -> StepResult:
        result = StepResult(step, index, progress=BuildProgress(no_cache="--no-cache" in step.argv))
        if self.stopping.is_set():  # after a stop nothing starts, and no log is overwritten
            result.stopped, result.returncode = self.stop.word, self.stop.exit_code
            return result
        started = time.monotonic()
        try:
            result.returncode = self._stream(step, display, result)
        finally:
            result.seconds = time.monotonic() - started
        return result

    def _stream(self, step: Step, display: Display, result: StepResult) -> int:
        path = self.log_path(step)
        if step.metadata:  # a previous run's file must not pass for this run's result
            Path(step.metadata).unlink(missing_ok=True)
        try:
            log = StepLog(path)
        except OSError as exc:
            log_problem = unwritable(path, exc)
            result.problem = f"{log_problem.text}; the step did not start ({log_problem.hint})"
            return 1
        try:
            code = self._follow(step, display, result, log)
        finally:
            log.close()
        if log.problem is not None and not result.problem:  # its last lines failed at close
            result.problem = f"{log.problem.text}; the step counts as failed ({log.problem.hint})"
            return 1
        return code

    def _start(self, step: Step, result: StepResult) -> subprocess.Popen[str] | None:
        """The step's process, registered for `stop_all`; None when stopping or when it cannot start."""
        with self.lock:  # stop_all takes the same lock: no process starts after it looked
            if self.stopping.is_set():
                result.stopped = self.stop.word
                return None
            try:
                proc = subprocess.Popen(
                    list(step.argv),
                    env=self.env(step),
                    cwd=self.cwd,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    text=True,
                    errors="replace",
                    bufsize=1,
                    start_new_session=True,  # we forward Ctrl-C and SIGTERM ourselves, exactly once
                )
            except OSError as exc:
                result.problem = f"cannot start {step.argv[0]} ({exc.strerror or type(exc).__name__})"
                return None
            self.procs.add(proc)
        return proc

    def _follow(self, step: Step, display: Display, result: StepResult, log: StepLog) -> int:
        """Start the step and follow its output into the log and the display; its exit code."""
        log.write("$ " + " ".join(step.argv))
        if log.problem is not None:  # a full disk fails the first line already
            result.problem = f"{log.problem.text}; the step did not start ({log.problem.hint})"
            return 1
        proc: subprocess.Popen[str] | None = None
        watch: _LogWatch | None = None
        try:
            with held_signals():  # a signal while it starts comes once `proc` is known
                proc = self._start(step, result)
            if proc is None:
                return self.stop.exit_code if result.stopped else 1
            watch = _LogWatch(proc, log)
            assert proc.stdout is not None
            for raw in proc.stdout:  # read to the end even once the log fails: the watch stops it
                line = self.mask(raw.rstrip("\n"))
                log.write(line)
                if log.problem is not None:
                    watch.wake.set()
                result.progress.feed(line)
                display.line(line)
                if result.progress.current:  # the instruction, and the counts so far
                    display.status(f"{result.progress.counts()} so far · {result.progress.current}")
            code = proc.wait()
            code = 128 - code if code < 0 else code  # killed by a signal: the shell's 128 + N, never < 0
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM (signals.py), in the main thread
            self.stop = stop_of(exc)
            self.stopping.set()
            if proc is not None:
                _stop_reading(proc, lambda raw: log.write(self.mask(raw)))
            log.write(self.stop.log_line)
            result.stopped = self.stop.word
            raise
        finally:
            if watch is not None:
                watch.close()
            if proc is not None:
                with self.lock:
                    self.procs.discard(proc)
        return self._finished(code, result, log, watch.stopped)

    def _finished(self, code: int, result: StepResult, log: StepLog, watched: bool) -> int:
        """The exit code of a step whose process ended: stopped by `stop_all`, or its log lost meanwhile."""
        problem = log.check()
        if problem is not None:
            ended = "the step was stopped" if watched else "the step counts as failed"
            result.problem = f"{problem.text}; {ended} ({problem.hint})"
            return 1  # the tool failed the step, not docker
        if self.stopping.is_set() and code != 0:
            log.write(self.stop.log_line)
            result.stopped = self.stop.word
        return code

    def stop_all(self, stop: Stop = CTRL_C) -> None:
        """Stop every running process (from the main thread, on Ctrl-C or SIGTERM)."""
        with self.lock:
            self.stop = stop
            self.stopping.set()
            procs = list(self.procs)
        for proc in procs:
            _stop(proc)


RunOne = Callable[[Step, int], StepResult]


def run_chain(
    steps: Sequence[Step], run_one: RunOne, results: list[StepResult], first_index: int = 1
) -> bool:
    """The one step loop: run the steps in order into `results`, stop at the first that fails.

    `results` is the caller's, so it holds what ran when Ctrl-C interrupts the loop.
    """
    for index, step in enumerate(steps, first_index):
        result = run_one(step, index)
        results.append(result)
        if not result.ok:
            return False
    return True


def metadata_image_id(step: Step) -> str | None:
    """The image ID in BuildKit's --metadata-file of a step (None without a readable one).

    BuildKit's own result: a tag inspected afterwards may already point at another build's image.
    """
    if not step.metadata:
        return None
    try:
        return str(
            json.loads(Path(step.metadata).read_text(encoding="utf-8"))["containerimage.config.digest"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def image_of(step: Step, engine: Engine) -> str | None:
    """The image ID a finished step built: BuildKit's metadata file, else its first tag."""
    image = metadata_image_id(step)
    if image is None and step.tags:
        image = engine.image_ids(step.tags[:1]).get(step.tags[0])
    return image


def check_built(result: StepResult, engine: Engine) -> str | None:
    """The image a tagged build step that docker says succeeded made; the step fails if it made none.

    The one rule for every build step (single, matrix, efa): a CLI that exits 0 without building
    (`--docker-cli /bin/true`, a wrapper that swallows errors) must not be recorded as built. Made
    means BuildKit's metadata file names the image, or the engine has one under the first tag.
    """
    step = result.step
    if not (result.ok and step.kind == "build" and step.tags):
        return None
    try:
        image = image_of(step, engine)
    except Exception:  # the engine cannot be asked: docker's own verdict stands
        return None
    if image is None:
        metadata = f"no image ID in {step.metadata}, " if step.metadata else ""
        result.returncode = 1
        result.problem = (
            f"{step.argv[0]} exited 0 but built no image ({metadata}no image {step.tags[0]} on the engine; "
            f"check that --docker-cli {step.argv[0]} is a docker CLI)"
        )
    return image


def run_or_skip(
    step: Step, index: int, keys: BuildKeys | None, run: Callable[[], StepResult], engine: Engine
) -> StepResult:
    """Skip a step that is up to date; else run it, check it built its image, record what its key built."""
    verdict = keys.up_to_date(step) if keys is not None else None
    if verdict is not None and verdict.image:
        return StepResult(step, index, key=verdict.key, up_to_date=True, reason=verdict.reason)
    result = run()
    result.reason = verdict.reason if verdict is not None else ""
    image = check_built(result, engine)
    if verdict is not None and verdict.key:
        result.key = verdict.key
        if result.ok and keys is not None and image is not None:
            try:
                keys.record(step, verdict.key, image)
            except OSError as exc:  # a key only saves a rebuild; the image itself is fine
                console.warn(
                    f"build key of step {step.name} not recorded ({exc.strerror}): it rebuilds next time"
                )
    return result


def failure_report(result: StepResult, total: int, log_path: Path) -> str:
    """Why a step failed: its own line when the tool failed it, else docker's error and the log's tail."""
    step, prog = result.step, result.progress
    if result.problem:
        return f"step {result.index}/{total} ({step.name}: {step.title}) failed: {result.problem}"
    lines = [
        f"step {result.index}/{total} ({step.name}: {step.title}) failed after {result.seconds:.1f}s "
        f"with exit code {result.returncode}"
    ]
    failed = prog.failure
    if failed is not None:
        where = f" at {prog.dockerfile_line}" if prog.dockerfile_line else ""
        lines.append(f"  stage {failed.stage}, instruction {failed.instruction}{where}")
        lines.append(f"  {failed.error}")
    elif prog.last_error:
        lines.append(f"  {prog.last_error}")
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    try:
        with log_path.open(encoding="utf-8", errors="replace") as f:
            tail.extend(line.rstrip("\n") for line in f)
    except OSError:
        tail.append("(the log could not be read)")
    pull = pull_failure(tail)
    if pull is not None:  # docker's raw resolver error, twice, says nothing of what to do
        return f"step {result.index}/{total} ({step.name}) failed: {pull.message()}\n  {pull.hint()}"
    lines.append(f"  last lines of {log_path}:")
    lines += [f"    {line}" for line in tail]
    return "\n".join(lines)


def image_sizes(engine: Engine, tags: Sequence[str]) -> dict[str, int]:
    try:
        found = engine.inspect_images(tags)
    except Exception:  # sizes are informative; a failed inspect must not fail a finished build
        return {}
    return {t: int(attrs.get("Size", 0)) for t, attrs in found.items() if attrs}
