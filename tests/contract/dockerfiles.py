"""Parsing Dockerfiles for the contract tests: dockerfile-parse, after blanking heredoc bodies.

dockerfile-parse does not know BuildKit heredocs (`RUN <<'EOF' ... EOF`): it would read every
line of a heredoc body as an instruction. The bodies are blanked first (line numbers kept).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser

_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
_FROM_AS = re.compile(r"^(?P<image>\S+)(?:\s+AS\s+(?P<name>\S+))?$", re.I)


def blank_heredocs(text: str) -> str:
    lines = text.splitlines()
    out: list[str] = []
    terminators: list[str] = []
    for line in lines:
        if terminators:
            if line.strip() == terminators[0]:
                terminators.pop(0)
            out.append("")
            continue
        out.append(line)
        if not line.lstrip().startswith("#"):
            terminators = [m.group(2) for m in _HEREDOC.finditer(line)]
    return "\n".join(out) + "\n"


@dataclass
class Stage:
    name: str
    base: str
    args: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Dockerfile:
    path: Path
    text: str
    instructions: list[dict[str, object]]
    global_args: dict[str, str | None]
    stages: list[Stage]

    @property
    def stage_names(self) -> list[str]:
        return [s.name for s in self.stages]

    @property
    def arg_names(self) -> set[str]:
        names = set(self.global_args)
        for s in self.stages:
            names |= set(s.args)
        return names

    def arg_defaults(self) -> dict[str, set[str]]:
        """Every default value each ARG is declared with, anywhere in the file."""
        out: dict[str, set[str]] = {}
        for args in [self.global_args, *(s.args for s in self.stages)]:
            for k, v in args.items():
                if v is not None:
                    out.setdefault(k, set()).add(v)
        return out


def _arg(value: str) -> tuple[str, str | None]:
    name, sep, default = value.strip().partition("=")
    return name, (default.strip().strip('"').strip("'") if sep else None)


def parse(path: Path) -> Dockerfile:
    text = path.read_text()
    parser = DockerfileParser(fileobj=io.BytesIO(blank_heredocs(text).encode()))
    instructions = parser.structure
    global_args: dict[str, str | None] = {}
    stages: list[Stage] = []
    for ins in instructions:
        kind, value = str(ins["instruction"]).upper(), str(ins["value"])
        if kind == "FROM":
            words = [w for w in value.split() if not w.startswith("--platform")]
            m = _FROM_AS.match(" ".join(words))
            assert m, f"{path}: cannot read FROM {value!r}"
            stages.append(Stage(m["name"] or f"stage-{len(stages)}", m["image"]))
        elif kind == "ARG":
            name, default = _arg(value)
            (stages[-1].args if stages else global_args)[name] = default
    return Dockerfile(path, text, instructions, global_args, stages)
