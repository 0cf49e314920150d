"""Dockerfiles as BuildKit reads them: stages, ARGs, RUN bodies and the paths they read.

Parsing is done by the `dockerfile` package, which wraps BuildKit's own Go parser, so line
continuations, heredocs and JSON forms are read exactly as a build reads them. This module adds the
little semantics the project needs on top: which stage an instruction belongs to, which shell a RUN
runs in (SHELL instructions, inherited through `FROM <stage>`), ARG defaults, and the paths read
from the build context and from named contexts (COPY/ADD sources, RUN bind mounts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from dynamo_container.errors import ConfigError

DEFAULT_SHELL: tuple[str, ...] = ("/bin/sh", "-c")
_HEREDOC_ONLY = re.compile(r"^<<-?['\"]?([A-Za-z0-9_]+)['\"]?$")


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: RUN, COPY, ...
    flags: tuple[str, ...]
    value: tuple[str, ...]
    line: int
    heredocs: tuple[str, ...] = ()  # heredoc bodies, in order
    json: bool = False

    def flag(self, name: str) -> str | None:
        """The value of `--name=value` (the last one), or None."""
        found = None
        for f in self.flags:
            key, sep, val = f.partition("=")
            if key == f"--{name}" and sep:
                found = val
        return found

    def flag_values(self, name: str) -> list[str]:
        return [f.partition("=")[2] for f in self.flags if f.partition("=")[0] == f"--{name}"]

    def mounts(self) -> list[dict[str, str]]:
        """The options of each `--mount=type=bind,from=x,source=y,...` of a RUN."""
        return [
            dict(part.partition("=")[::2] for part in spec.split(",")) for spec in self.flag_values("mount")
        ]


@dataclass(frozen=True)
class Stage:
    index: int
    name: str  # the AS alias, or the index as text
    base: str  # the FROM argument as written
    shell: tuple[str, ...]  # the shell RUNs start with (before this stage's own SHELL lines)
    instructions: tuple[Instruction, ...]


@dataclass(frozen=True)
class RunScript:
    """A RUN's shell program: a heredoc body, or the command line of the shell form."""

    stage: str
    line: int
    shell: tuple[str, ...]
    text: str

    @property
    def dialect(self) -> str:
        """bash or sh, from a shebang or the shell the RUN runs in."""
        first = self.text.lstrip().split("\n", 1)[0]
        program = first[2:].split()[-1] if first.startswith("#!") else self.shell[0]
        return "bash" if program.rsplit("/", 1)[-1] == "bash" else "sh"


@dataclass(frozen=True)
class Source:
    """A path a Dockerfile reads from a build context."""

    line: int
    path: str  # as written (relative to the context root)
    context: str  # "" for the main context, else the named context
    how: str  # COPY, ADD or RUN --mount


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    global_args: dict[str, str | None]  # ARGs before the first FROM: name -> default (None: none)
    stages: tuple[Stage, ...]
    arg_defaults: dict[str, tuple[str, ...]] = field(default_factory=dict)  # every default declared

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stages)

    def declared_args(self) -> set[str]:
        names = set(self.global_args)
        for stage in self.stages:
            for ins in stage.instructions:
                if ins.keyword == "ARG":
                    names.update(_arg_name(v) for v in ins.value)
        return names

    def run_scripts(self) -> list[RunScript]:
        return [script for stage in self.stages for script in _stage_scripts(stage)]

    def sources(self) -> list[Source]:
        """Paths read from the main context and from named contexts (not from stages or images)."""
        stage_names = set(self.stage_names)
        out: list[Source] = []
        for stage in self.stages:
            for ins in stage.instructions:
                out += _copy_sources(ins, stage_names) + _mount_sources(ins, stage_names)
        return out


def _arg_name(item: str) -> str:
    return item.partition("=")[0]


def _stage_scripts(stage: Stage) -> list[RunScript]:
    shell = stage.shell
    out: list[RunScript] = []
    for ins in stage.instructions:
        if ins.keyword == "SHELL" and ins.json:
            shell = ins.value
        elif ins.keyword == "RUN" and not ins.json:
            text = _run_text(ins)
            if text is not None:
                out.append(RunScript(stage.name, ins.line, shell, text))
    return out


def _run_text(ins: Instruction) -> str | None:
    """The shell program of a RUN; None when a heredoc feeds another program (e.g. `python3 <<EOF`)."""
    command = " ".join(ins.value).strip()
    if ins.heredocs:
        return ins.heredocs[0] if _HEREDOC_ONLY.match(command) else None
    return command


def _copy_sources(ins: Instruction, stage_names: set[str]) -> list[Source]:
    if ins.keyword not in ("COPY", "ADD") or ins.json or ins.heredocs:
        return []
    origin = ins.flag("from") or ""
    if origin in stage_names or ":" in origin or "/" in origin:  # a stage or an image, not a context
        return []
    return [Source(ins.line, p, origin, ins.keyword) for p in ins.value[:-1]]


def _mount_sources(ins: Instruction, stage_names: set[str]) -> list[Source]:
    if ins.keyword != "RUN":
        return []
    out = []
    for opts in ins.mounts():
        if opts.get("type", "bind") != "bind":
            continue
        origin = opts.get("from", "")
        if origin in stage_names or ":" in origin or "/" in origin:
            continue
        out.append(Source(ins.line, opts.get("source", opts.get("src", ".")), origin, "RUN --mount"))
    return out


def _instruction(cmd: object) -> Instruction:
    c = cmd  # a dockerfile.Command
    return Instruction(
        keyword=c.cmd.upper(),  # type: ignore[attr-defined]
        flags=tuple(c.flags),  # type: ignore[attr-defined]
        value=tuple(c.value),  # type: ignore[attr-defined]
        line=c.start_line,  # type: ignore[attr-defined]
        heredocs=tuple(h.content for h in c.heredocs),  # type: ignore[attr-defined]
        json=bool(c.json),  # type: ignore[attr-defined]
    )


def _collect_defaults(ins: Instruction, into: dict[str, tuple[str, ...]]) -> None:
    for item in ins.value:
        name, sep, default = item.partition("=")
        if sep:
            into[name] = (*into.get(name, ()), _unquote(default))


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


@cache
def load(path: Path) -> Dockerfile:
    """Parse a Dockerfile (cached per path; the files do not change while a process runs)."""
    import dockerfile

    try:
        commands = dockerfile.parse_file(str(path))
    except (OSError, dockerfile.GoParseError) as exc:
        raise ConfigError(f"cannot parse {path}: {exc}") from None
    global_args: dict[str, str | None] = {}
    defaults: dict[str, tuple[str, ...]] = {}
    stages: list[Stage] = []
    current: list[Instruction] = []
    for cmd in commands:
        ins = _instruction(cmd)
        if ins.keyword == "ARG":
            _collect_defaults(ins, defaults)
        if ins.keyword == "FROM":
            if stages or current:
                _close(stages, current)
            current = [ins]
            continue
        if not current:  # before the first FROM: the global ARG block
            if ins.keyword == "ARG":
                for item in ins.value:
                    name, sep, default = item.partition("=")
                    global_args[name] = _unquote(default) if sep else None
            continue
        current.append(ins)
    if current:
        _close(stages, current)
    return Dockerfile(path, global_args, tuple(stages), defaults)


def _close(stages: list[Stage], instructions: list[Instruction]) -> None:
    """Turn a FROM and its instructions into a Stage, inheriting the shell of a stage it builds on."""
    head, body = instructions[0], instructions[1:]
    base = head.value[0] if head.value else ""
    lowered = [v.lower() for v in head.value]
    name = head.value[lowered.index("as") + 1] if "as" in lowered else str(len(stages))
    parent = next((s for s in stages if s.name == base), None)
    shell = _final_shell(parent) if parent is not None else DEFAULT_SHELL
    stages.append(Stage(len(stages), name, base, shell, tuple(body)))
    instructions.clear()


def _final_shell(stage: Stage) -> tuple[str, ...]:
    shell = stage.shell
    for ins in stage.instructions:
        if ins.keyword == "SHELL" and ins.json:
            shell = ins.value
    return shell
