"""The build context as BuildKit sends it: `.dockerignore` rules, total size, file count, heaviest folders.

The matcher follows what BuildKit does with a `.dockerignore` (no dependency, same rules):

- the file is read like moby's `ignorefile.ReadAll`: a line starting with `#` is a comment, blank
  lines are skipped, `!` marks an exception, each pattern is cleaned like Go's `filepath.Clean` and a
  leading `/` is dropped (patterns are relative to the context root);
- patterns are Go `filepath.Match` syntax plus `**` (any number of folders), compiled the way
  `moby/patternmatcher` compiles them (exact, prefix, suffix or regular-expression patterns);
- a path is excluded when the last pattern matching it, or one of its parent folders, is not an
  exception (`PatternMatcher.MatchesUsingParentResults`, as fsutil's walker calls it);
- an excluded folder is still walked when an exception could re-include something under it.

`measure` walks the context once (folders no exception can reach are not entered) and reports the
size, the file count and the largest folders; `size_warnings` are the warning lines before a build.
"""

from __future__ import annotations

import os
import re
import stat
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dynamo_container.errors import ConfigError
from dynamo_container.model.units import human_size

IGNORE_FILE = ".dockerignore"
DEFAULT_WARN_MB = 500
TOP_DIRS = 5
# A folder holding this share of its parent's bytes is the same weight as its parent: not listed.
_SAME_WEIGHT = 0.9
_UTF8_BOM = "\ufeff"
_REGEX_ESCAPE = frozenset(".+()|{}$")  # patternmatcher's shouldEscape set
_SYNTAX_HINT = "Go filepath.Match syntax: * ? [class] \\x, plus ** for any number of folders"

MatchType = Literal["exact", "prefix", "suffix", "regexp"]


# ---------------------------------------------------------------------------------------------------
# reading .dockerignore


def go_clean(path: str) -> str:
    """Go's `filepath.Clean` with `/` separators: no empty, `.` or resolvable `..` elements."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    for elem in path.split("/"):
        if elem in ("", "."):
            continue
        if elem == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(elem)
    text = "/".join(out)
    if rooted:
        return "/" + text
    return text or "."


def read_patterns(text: str) -> list[tuple[int, str]]:
    """The patterns of an ignore file with their line numbers, as moby's `ignorefile.ReadAll` reads them."""
    out: list[tuple[int, str]] = []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    for number, raw in enumerate(lines, 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if number == 1:
            line = line.removeprefix(_UTF8_BOM)
        if line.startswith("#"):  # before trimming: " # x" is a pattern, as in Docker
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        out.append((number, "!" + pattern if invert else pattern))
    return out


# ---------------------------------------------------------------------------------------------------
# patterns


def _esc(text: str) -> tuple[str, str]:
    """One possibly escaped character of a class (Go's getEsc); returns it and the rest."""
    if not text or text[0] in "-]":
        raise ValueError("bad character class")
    if text[0] == "\\":
        text = text[1:]
        if not text:
            raise ValueError("trailing backslash in a character class")
    rest = text[1:]
    if not rest:
        raise ValueError("unterminated character class")
    return text[0], rest


def check_syntax(pattern: str) -> None:
    """Raise ValueError when Go's `filepath.Match` would reject `pattern` (ErrBadPattern)."""
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise ValueError("trailing backslash")
            i += 2
        elif ch == "[":
            rest = pattern[i + 1 :]
            if rest.startswith("^"):
                rest = rest[1:]
            nrange = 0
            while True:
                if rest.startswith("]") and nrange > 0:
                    rest = rest[1:]
                    break
                _, rest = _esc(rest)
                if rest[0] == "-":
                    _, rest = _esc(rest[1:])
                nrange += 1
            i = n - len(rest)
        else:
            i += 1


@dataclass(frozen=True)
class Pattern:
    """One compiled pattern (moby/patternmatcher's Pattern)."""

    text: str  # cleaned, without the leading `!`
    exclusion: bool  # a `!` line: re-includes what it matches
    kind: MatchType
    regex: re.Pattern[str] | None = None
    line: int = 0

    def match(self, path: str) -> bool:
        if self.kind == "exact":
            return path == self.text
        if self.kind == "prefix":
            return path.startswith(self.text[:-2])
        if self.kind == "suffix":
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])
        assert self.regex is not None
        return self.regex.fullmatch(path) is not None

    def may_match_under(self, folder: str) -> bool:
        """Whether this pattern could match some path strictly inside `folder` (False only when sure)."""
        below = folder + "/"
        if self.kind == "exact":
            return self.text.startswith(below)
        if self.kind == "prefix":
            prefix = self.text[:-2]
            return below.startswith(prefix) or prefix.startswith(below)
        if self.kind == "suffix" or any(c in self.text for c in "[\\") or "**" in self.text:
            return True
        segments = self.text.split("/")
        parts = folder.split("/")
        if len(segments) <= len(parts):
            return False
        return all(_segment_regex(seg).fullmatch(part) for seg, part in zip(segments, parts, strict=False))


def _segment_regex(segment: str) -> re.Pattern[str]:
    """A regex for one path element of a pattern without `**`, `[` or `\\`."""
    out = "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in segment)
    return re.compile(out)


def compile_pattern(raw: str, line: int = 0) -> Pattern:
    """One pattern as `patternmatcher.New` and `Pattern.compile` treat it."""
    p = go_clean(raw.strip())
    exclusion = p.startswith("!")
    if exclusion:
        if len(p) == 1:
            raise ValueError('illegal exclusion pattern: "!"')
        p = p[1:]
    check_syntax(p)
    regex = "^"
    kind: MatchType = "exact"
    i = 0
    n = len(p)
    first = True
    while i < n:
        ch = p[i]
        i += 1
        if ch == "*":
            if i < n and p[i] == "*":  # some flavour of **
                i += 1
                if i < n and p[i] == "/":  # treat **/ as **
                    i += 1
                if i >= n:  # ** at the end: everything below
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        regex += ".*"
                        kind = "regexp"
                else:
                    regex += "(.*/)?"
                    kind = "regexp"
                if first:
                    kind = "suffix"
            else:
                regex += "[^/]*"
                kind = "regexp"
        elif ch == "?":
            regex += "[^/]"
            kind = "regexp"
        elif ch in _REGEX_ESCAPE:
            regex += "\\" + ch
        elif ch == "\\":
            if i < n:
                regex += "\\" + p[i]
                i += 1
                kind = "regexp"
            else:
                regex += "\\\\"
        elif ch in "[]":
            regex += ch
            kind = "regexp"
        else:
            regex += ch
        first = False
    compiled = None
    if kind == "regexp":
        with warnings.catch_warnings():  # "possible nested set" for a literal [ inside a class
            warnings.simplefilter("ignore", FutureWarning)
            compiled = re.compile(regex + "$")  # the same text as Go's; matched with fullmatch
    return Pattern(p, exclusion, kind, compiled, line)


class Matcher:
    """The patterns of one ignore file, evaluated as BuildKit's context walker evaluates them."""

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self.patterns = tuple(patterns)
        self._exceptions = tuple(p for p in self.patterns if p.exclusion)

    @classmethod
    def from_text(cls, text: str, label: str = IGNORE_FILE) -> Matcher:
        compiled = []
        for line, raw in read_patterns(text):
            try:
                compiled.append(compile_pattern(raw, line))
            except (ValueError, re.error) as exc:
                raise ConfigError(f"{label}:{line}: bad pattern {raw!r} ({exc})", _SYNTAX_HINT) from None
        return cls(compiled)

    @classmethod
    def for_context(cls, root: Path, ignore: Path | None = None) -> Matcher:
        """The patterns of `ignore`, by default the context's `.dockerignore` (none when absent)."""
        path = ignore or root / IGNORE_FILE
        try:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
        except FileNotFoundError:
            return cls(())
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        return cls.from_text(text, str(path) if ignore else IGNORE_FILE)

    def match(self, path: str, parent: tuple[bool, ...] = ()) -> tuple[bool, tuple[bool, ...]]:
        """Whether `path` is excluded, and the per-pattern results its children need.

        `parent` is what the call for the parent folder returned (empty for a top-level path):
        `PatternMatcher.MatchesUsingParentResults`, including its skipping of patterns that cannot
        change the outcome.
        """
        matched = False
        results = [False] * len(self.patterns)
        for i, pattern in enumerate(self.patterns):
            hit = bool(parent) and parent[i]
            if not hit:
                if pattern.exclusion != matched:
                    continue
                hit = pattern.match(path)
                if not hit and not parent and "/" in path:
                    parts = path.split("/")[:-1]
                    hit = any(pattern.match("/".join(parts[: k + 1])) for k in range(len(parts)))
            results[i] = hit
            if hit:
                matched = not pattern.exclusion
        return matched, tuple(results)

    def excluded(self, path: str) -> bool:
        """Whether `path` (relative to the context, `/`-separated) stays out of the context."""
        return self.match(path)[0]

    def may_include_under(self, folder: str) -> bool:
        """Whether an exception could re-include something inside an excluded `folder`."""
        return any(p.may_match_under(folder) for p in self._exceptions)


# ---------------------------------------------------------------------------------------------------
# walking and measuring


def kept_entries(
    root: Path, matcher: Matcher, unreadable: list[str] | None = None
) -> Iterator[tuple[str, os.DirEntry[str], bool]]:
    """(path relative to root, entry, is a folder) of everything the context keeps, folders included.

    Folders no exception can reach are not entered; one that cannot be listed is named in `unreadable`.
    """
    stack: list[tuple[str, str, tuple[bool, ...]]] = [(str(root), "", ())]
    while stack:
        folder, rel, info = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            if unreadable is not None:
                unreadable.append(rel or ".")
            continue
        for entry in entries:
            path = f"{rel}/{entry.name}" if rel else entry.name
            excluded, child_info = matcher.match(path, info)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir and (not excluded or matcher.may_include_under(path)):
                stack.append((entry.path, path, child_info))
            if not excluded:
                yield path, entry, is_dir


def walk(
    root: Path, matcher: Matcher, unreadable: list[str] | None = None
) -> Iterator[tuple[str, int, bool]]:
    """(path relative to root, size, is a regular file) of every non-folder entry the context keeps."""
    for path, entry, is_dir in kept_entries(root, matcher, unreadable):
        if is_dir:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            if unreadable is not None:
                unreadable.append(path)
            continue
        yield path, st.st_size, stat.S_ISREG(st.st_mode)


def kept_files(root: Path, ignore: Path | None = None) -> list[str]:
    """Sorted paths of the regular files BuildKit would send from the context at `root`."""
    return sorted(path for path, _, regular in walk(root, Matcher.for_context(root, ignore)) if regular)


def ignore_file(dockerfile: Path, context: Path) -> Path | None:
    """What BuildKit filters the main context with: `<Dockerfile>.dockerignore`, else the context's."""
    for candidate in (dockerfile.with_name(dockerfile.name + ".dockerignore"), context / IGNORE_FILE):
        if candidate.is_file():
            return candidate
    return None


def ignore_files(dockerfiles: Sequence[Path], context: Path) -> list[Path | None]:
    """The ignore file of each Dockerfile's step (the steps that send the context), each once."""
    return list(dict.fromkeys(ignore_file(d, context) for d in dockerfiles))


@dataclass(frozen=True)
class FolderSize:
    path: str  # relative to the context
    bytes: int
    files: int


@dataclass(frozen=True)
class ContextReport:
    root: Path
    ignore_file: str  # "" when the context has none
    patterns: int
    bytes: int
    files: int
    largest: tuple[FolderSize, ...]
    seconds: float
    unreadable: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "context": str(self.root),
            "ignore_file": self.ignore_file,
            "patterns": self.patterns,
            "bytes": self.bytes,
            "size": human_size(self.bytes),
            "files": self.files,
            "largest_dirs": [{"path": d.path, "bytes": d.bytes, "files": d.files} for d in self.largest],
            "seconds": round(self.seconds, 4),
            "unreadable": list(self.unreadable),
        }


def largest_folders(sizes: dict[str, tuple[int, int]], top: int = TOP_DIRS) -> tuple[FolderSize, ...]:
    """The `top` heaviest folders; a folder that is nearly all of its parent folder is left out."""
    listed = []
    for path, (nbytes, files) in sizes.items():
        parent = path.rpartition("/")[0]
        if parent and nbytes >= _SAME_WEIGHT * sizes[parent][0]:
            continue
        listed.append(FolderSize(path, nbytes, files))
    listed.sort(key=lambda d: (-d.bytes, d.path))
    return tuple(listed[:top])


def measure(root: Path, ignore: Path | None = None, *, top: int = TOP_DIRS) -> ContextReport:
    """Size, files and largest folders of the context at `root` after `ignore` (or its .dockerignore)."""
    start = time.perf_counter()
    if not root.is_dir():
        raise ConfigError(f"build context {root} is not a folder", "set DYNAMO_CONTEXT (or --context)")
    matcher = Matcher.for_context(root, ignore)
    total = files = 0
    sizes: dict[str, tuple[int, int]] = {}
    unreadable: list[str] = []
    for path, size, _ in walk(root, matcher, unreadable):
        total += size
        files += 1
        end = path.rfind("/")
        while end > 0:
            folder = path[:end]
            b, f = sizes.get(folder, (0, 0))
            sizes[folder] = (b + size, f + 1)
            end = path.rfind("/", 0, end)
    used = ignore or root / IGNORE_FILE
    return ContextReport(
        root=root,
        ignore_file=str(used) if used.is_file() else "",
        patterns=len(matcher.patterns),
        bytes=total,
        files=files,
        largest=largest_folders(sizes, top),
        seconds=time.perf_counter() - start,
        unreadable=tuple(sorted(unreadable)),
    )


def limit_mb(value: int | None) -> int:
    return value if value else DEFAULT_WARN_MB


def size_warning(report: ContextReport, limit: int) -> str:
    """The one-line warning when the context is above `limit` MB, else ''."""
    if report.bytes <= limit * 1_000_000:
        return ""
    heavy = report.largest[:3]
    where = ", ".join(f"{d.path} ({human_size(d.bytes)})" for d in heavy) or "files at the top level"
    entries = " ".join(d.path for d in heavy)
    ignore = report.ignore_file or str(report.root / IGNORE_FILE)
    advice = (
        f"if the build does not read them, append to {ignore}: {entries}"
        if entries
        else f"exclude what the build does not read in {ignore}"
    )
    return (
        f"build context {report.root} is {human_size(report.bytes)} in {report.files} files after "
        f"its ignore file (over DYNAMO_CONTEXT_WARN_MB={limit}); largest: {where}; {advice} "
        "(invoke context shows the report)"
    )


def size_warnings(context: Path, dockerfiles: Sequence[Path], warn_mb: int | None) -> list[str]:
    """Before a real build: a warning line for each ignore file of these Dockerfiles under which the
    context is over `warn_mb` (a matrix build has one Dockerfile per framework; each distinct ignore
    file is measured once), or that says why the context could not be measured."""
    lines = []
    for ignore in ignore_files(dockerfiles, context):
        try:
            report = measure(context, ignore)
        except (ConfigError, OSError) as exc:
            lines.append(f"cannot measure the build context: {exc}")
            continue
        text = size_warning(report, limit_mb(warn_mb))
        if text:
            lines.append(text)
    return lines
