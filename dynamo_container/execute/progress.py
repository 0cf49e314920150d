"""Reading BuildKit's plain progress output: steps, honest cache counts and the instruction that failed.

BuildKit's plain printer numbers vertices (`#12`): one number per vertex digest it has seen. The
same Dockerfile instruction can still come twice under two numbers: when two builds running at
once (a matrix build) solve the same instruction, BuildKit merges them and reports the shared
vertex again in the other build (recorded in tests/fixtures/buildkit/matrix-base.log: `#14 ... DONE`
and later `#21 ... CACHED` for one COPY). A step of this build is therefore one instruction,
`[stage i/n] text`, counted once however many numbers it came under: it *ran* when any of its
vertices ran, it is *cached* when BuildKit answered every one of them from its cache.

With `--no-cache` BuildKit uses no cache, yet still reports `CACHED` for instructions it had
nothing to do for (a `WORKDIR` of a folder the image already has, recorded in
`no-cache-base.log`); those are not steps that ran, nor cache hits: such a build counts the steps
it ran, and none cached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# "#12 [runtime 3/5] RUN pip install ..." ; "#4 [internal] load .dockerignore" ; "#7 [stage-1 2/2] COPY ..."
_VERTEX = re.compile(r"^#(?P<id>\d+) \[(?P<name>[^\]]+)\] (?P<text>.*)$")
_STAGE = re.compile(r"^(?:(?P<stage>.+?)\s+)?(?P<i>\d+)/(?P<n>\d+)$")  # "runtime 3/5" or "2/2"
_STATUS = re.compile(r"^#(?P<id>\d+) (?P<status>CACHED|DONE [0-9.]+s|ERROR: .*)$")
_DOCKERFILE_LINE = re.compile(r"^(?P<file>[^\s:]*Dockerfile[^\s:]*):(?P<line>\d+)$")

Identity = tuple[str, int, int, str]  # stage, position, stage length, instruction text


@dataclass
class Vertex:
    """One instruction of the build, whatever number(s) BuildKit reported it under."""

    stage: str
    instruction: str
    position: int = 0  # i of "[stage i/n]"
    length: int = 0  # n of "[stage i/n]"
    cached: bool = False  # some vertex of it was answered from the cache
    ran: bool = False  # some vertex of it ran (DONE without CACHED)
    error: str = ""


@dataclass
class BuildProgress:
    """Accumulates what a build printed, line by line. `no_cache`: the build ran with --no-cache."""

    no_cache: bool = False
    vertices: dict[Identity, Vertex] = field(default_factory=dict)
    numbers: dict[str, Identity] = field(default_factory=dict)  # "#12" -> its instruction
    cached_numbers: set[str] = field(default_factory=set)
    current: str = ""  # "[stage i/n] instruction" of the newest vertex BuildKit started
    current_vertex: Vertex | None = None
    failed: Identity | None = None  # the instruction that reported ERROR
    dockerfile_line: str = ""  # "Dockerfile:12" from the error report
    last_error: str = ""  # the final "ERROR: ..." line

    def feed(self, line: str) -> None:
        line = line.rstrip("\n")
        m = _VERTEX.match(line)
        if m:
            self._vertex(m)
            return
        m = _STATUS.match(line)
        if m:
            self._status(m["id"], m["status"])
            return
        m = _DOCKERFILE_LINE.match(line.strip())
        if m and not self.dockerfile_line:
            self.dockerfile_line = f"{m['file']}:{m['line']}"
            return
        if line.startswith("ERROR:"):
            self.last_error = line

    def _vertex(self, m: re.Match[str]) -> None:
        stage = _STAGE.match(m["name"])
        # only Dockerfile instructions that do work count: not [internal] loads, not FROM resolution
        if not stage or m["text"].startswith("FROM "):
            return
        name = stage["stage"] or "(unnamed)"
        identity = (name, int(stage["i"]), int(stage["n"]), m["text"])
        vertex = self.vertices.setdefault(identity, Vertex(name, m["text"], identity[1], identity[2]))
        self.numbers.setdefault(m["id"], identity)
        self.current = f"[{name} {identity[1]}/{identity[2]}] {m['text']}"
        self.current_vertex = vertex

    def _status(self, number: str, status: str) -> None:
        identity = self.numbers.get(number)
        if identity is None:
            return
        vertex = self.vertices[identity]
        if status == "CACHED":
            vertex.cached = True
            self.cached_numbers.add(number)
        elif status.startswith("DONE"):
            if number not in self.cached_numbers:
                vertex.ran = True
        else:
            vertex.error = status.removeprefix("ERROR: ")
            self.failed = identity

    def _counted(self) -> list[Vertex]:
        """The steps of the count: under --no-cache only those that ran (or failed, or still run)."""
        steps = list(self.vertices.values())
        if self.no_cache:
            return [v for v in steps if v.ran or v.error or not v.cached]
        return steps

    @property
    def total(self) -> int:
        return len(self._counted())

    @property
    def cached(self) -> int:
        if self.no_cache:
            return 0
        return sum(1 for v in self.vertices.values() if v.cached and not v.ran and not v.error)

    @property
    def ran(self) -> int:
        return sum(1 for v in self.vertices.values() if v.ran)

    @property
    def failure(self) -> Vertex | None:
        return self.vertices.get(self.failed) if self.failed is not None else None

    def counts(self) -> str:
        """'14/26 cached', or '24 run, --no-cache': what a progress line and the summary say."""
        if self.no_cache:
            return f"{self.total} run, --no-cache"
        return f"{self.cached}/{self.total} cached"
