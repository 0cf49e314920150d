"""Reading BuildKit's plain progress output: steps, cache hits and the instruction that failed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# "#12 [runtime 3/5] RUN pip install ..." ; "#4 [internal] load .dockerignore" ; "#7 [stage-1 2/2] COPY ..."
_VERTEX = re.compile(r"^#(?P<id>\d+) \[(?P<name>[^\]]+)\] (?P<text>.*)$")
_STAGE = re.compile(r"^(?:(?P<stage>.+?)\s+)?(?P<i>\d+)/(?P<n>\d+)$")  # "runtime 3/5" or "2/2"
_STATUS = re.compile(r"^#(?P<id>\d+) (?P<status>CACHED|DONE [0-9.]+s|ERROR: .*)$")
_DOCKERFILE_LINE = re.compile(r"^(?P<file>[^\s:]*Dockerfile[^\s:]*):(?P<line>\d+)$")


@dataclass
class Vertex:
    stage: str
    instruction: str
    cached: bool = False
    done: bool = False
    error: str = ""


@dataclass
class BuildProgress:
    """Accumulates what a build printed, line by line."""

    vertices: dict[str, Vertex] = field(default_factory=dict)
    current: str = ""
    failed: str = ""  # vertex id that reported ERROR
    dockerfile_line: str = ""  # "Dockerfile:12" from the error report
    last_error: str = ""  # the final "ERROR: ..." line

    def feed(self, line: str) -> None:
        line = line.rstrip("\n")
        m = _VERTEX.match(line)
        if m:
            stage = _STAGE.match(m["name"])
            # only Dockerfile instructions that do work count: not [internal] loads, not FROM resolution
            if stage and not m["text"].startswith("FROM "):
                vid = m["id"]
                if vid not in self.vertices:
                    self.vertices[vid] = Vertex(stage["stage"] or "(unnamed)", m["text"])
                self.current = f"[{m['name']}] {m['text']}"
            return
        m = _STATUS.match(line)
        if m:
            v = self.vertices.get(m["id"])
            status = m["status"]
            if v is None:
                return
            if status == "CACHED":
                v.cached = True
            elif status.startswith("DONE"):
                v.done = True
            else:
                v.error = status.removeprefix("ERROR: ")
                self.failed = m["id"]
            return
        m = _DOCKERFILE_LINE.match(line.strip())
        if m and not self.dockerfile_line:
            self.dockerfile_line = f"{m['file']}:{m['line']}"
            return
        if line.startswith("ERROR:"):
            self.last_error = line

    @property
    def total(self) -> int:
        return len(self.vertices)

    @property
    def cached(self) -> int:
        return sum(1 for v in self.vertices.values() if v.cached)

    @property
    def failure(self) -> Vertex | None:
        return self.vertices.get(self.failed)
