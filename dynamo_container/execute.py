"""The executor: runs the steps of plans through the docker CLI (and host commands), one loop for all.

Output is streamed live (a status line on a terminal, prefixed plain lines in CI or a pipe), each
step writes its log, secrets are masked everywhere, a failure names the step, stage and
instruction, and Ctrl-C stops the running processes and exits 130. `run_chain` is the one step
loop: a single build runs one chain, a matrix build one chain per combination, in threads.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from .engine import Engine

if TYPE_CHECKING:
    from .buildkey import BuildKeys
from .errors import ConfigError
from .plan.model import Step
from .progress import BuildProgress
from .secrets import masker

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

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def is_ci() -> bool:
    return bool(os.environ.get("CI")) or not sys.stdout.isatty()


class Display(Protocol):
    def line(self, text: str) -> None: ...

    def status(self, text: str) -> None: ...


class PlainDisplay:
    """One prefixed line per output line: readable in CI logs and pipes (thread-safe)."""

    _lock = threading.Lock()

    def __init__(self, prefix: str, started: float, stream: TextIO) -> None:
        self.prefix, self.started, self.stream = prefix, started, stream

    def line(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        with self._lock:
            print(f"[{self.prefix} {elapsed:5.0f}s] {text}", file=self.stream, flush=True)

    def status(self, text: str) -> None:
        pass


class RichDisplay:
    """Output lines dimmed, under a live status line with the step name, elapsed time and instruction."""

    def __init__(self, live: Any, prefix: str, started: float) -> None:
        self.live, self.prefix, self.started = live, prefix, started
        self.current = ""

    def line(self, text: str) -> None:
        from rich.text import Text

        self.live.console.print(Text(text, style="dim"), highlight=False)
        self.status(self.current)

    def status(self, text: str) -> None:
        from rich.spinner import Spinner

        self.current = text
        elapsed = time.monotonic() - self.started
        self.live.update(Spinner("dots", text=f"{self.prefix} · {elapsed:.0f}s · {text[:100]}"))


@contextmanager
def live_display(prefix: str, started: float, stream: TextIO) -> Iterator[Display]:
    if is_ci():
        yield PlainDisplay(prefix, started, stream)
        return
    from rich.live import Live

    with Live(refresh_per_second=8, transient=True) as live:
        yield RichDisplay(live, prefix, started)


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


class StepRunner:
    """Runs single steps: environment with the secrets, masked output to a display and the step's log.

    Every process it starts is known, so `stop_all` (Ctrl-C) can stop them from any thread.
    """

    def __init__(self, secrets: Mapping[str, str], cwd: Path, log_dir: Path) -> None:
        self.secrets, self.cwd, self.log_dir = secrets, cwd, log_dir
        self.mask = masker(secrets.values())
        self.procs: set[subprocess.Popen[str]] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()

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
        result = StepResult(step, index)
        if self.stopping.is_set():
            result.returncode = 130
            return result
        started = time.monotonic()
        try:
            result.returncode = self._stream(step, display, result.progress)
        finally:
            result.seconds = time.monotonic() - started
        return result

    def _stream(self, step: Step, display: Display, progress: BuildProgress) -> int:
        log_path = self.log_path(step)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if step.metadata:  # a previous run's file must not pass for this run's result
            Path(step.metadata).unlink(missing_ok=True)
        with log_path.open("w", encoding="utf-8") as log:
            log.write("$ " + " ".join(step.argv) + "\n")
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
                start_new_session=True,  # we forward Ctrl-C ourselves, exactly once
            )
            with self.lock:
                self.procs.add(proc)
            try:
                assert proc.stdout is not None
                for raw in proc.stdout:
                    line = self.mask(raw.rstrip("\n"))
                    log.write(line + "\n")
                    progress.feed(line)
                    display.line(line)
                    if progress.current:
                        display.status(progress.current)
                return proc.wait()
            except KeyboardInterrupt:
                _stop(proc)
                log.write("interrupted by the user\n")
                raise

    def stop_all(self) -> None:
        """Stop every running process (from the main thread, on Ctrl-C)."""
        self.stopping.set()
        with self.lock:
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


def run_or_skip(step: Step, index: int, keys: BuildKeys | None, run: Callable[[], StepResult]) -> StepResult:
    """Skip a step that is up to date; else run it and record what its key built."""
    verdict = keys.up_to_date(step) if keys is not None else None
    if verdict is not None and verdict.image:
        return StepResult(step, index, key=verdict.key, up_to_date=True)
    result = run()
    if verdict is not None and verdict.key:
        result.key = verdict.key
        if result.ok and keys is not None:
            keys.record(step, verdict.key, image_of(step, keys.engine))
    return result


def failure_report(result: StepResult, total: int, log_path: Path) -> str:
    step, prog = result.step, result.progress
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
    lines.append(f"  last lines of {log_path}:")
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    try:
        with log_path.open(encoding="utf-8", errors="replace") as f:
            tail.extend(line.rstrip("\n") for line in f)
    except OSError:
        tail.append("(the log could not be read)")
    lines += [f"    {line}" for line in tail]
    return "\n".join(lines)


def image_sizes(engine: Engine, tags: Sequence[str]) -> dict[str, int]:
    try:
        found = engine.inspect_images(tags)
    except Exception:  # sizes are informative; a failed inspect must not fail a finished build
        return {}
    return {t: int(attrs.get("Size", 0)) for t, attrs in found.items() if attrs}


def _first_missing(folder: Path) -> Path | None:
    """The highest folder of `folder`'s ancestry (itself included) that does not exist yet."""
    missing = None
    for path in (folder, *folder.parents):
        if path.exists():
            break
        missing = path
    return missing


def _remove_if_unused(folder: Path, top: Path) -> None:
    """Take back folders a refused build created: only the lock file in them, nothing logged."""
    (folder / ".lock").unlink(missing_ok=True)
    for path in (folder, *folder.parents):
        try:
            path.rmdir()  # only empty folders go
        except OSError:
            return
        if path == top:
            return


@contextmanager
def log_folders(folders: Iterable[Path], where: str) -> Iterator[None]:
    """Hold each build's log folder for the length of the build: created, writable, and ours alone.

    Two builds of the same combination at once would overwrite each other's logs; the second is
    refused before its first step instead. Folders this made stay only if something was logged.
    """
    import fcntl

    handles, created = [], []
    try:
        for folder in sorted(set(folders)):
            top = _first_missing(folder)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                handle = (folder / ".lock").open("a")
            except OSError as exc:
                raise ConfigError(
                    f"{where} {folder}: cannot write build logs there ({exc.strerror})",
                    "point --log-dir at a writable folder",
                ) from None
            if top is not None:
                created.append((folder, top))
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                raise ConfigError(f"another build is writing its logs to {folder}", "wait for it") from None
            handles.append(handle)
        yield
    finally:
        for handle in handles:
            handle.close()
        for folder, top in created:
            _remove_if_unused(folder, top)
