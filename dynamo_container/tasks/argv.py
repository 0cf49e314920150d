"""Command lines invoke's parser would misread, refused with a message that names the flag.

invoke reports a single-value flag given twice as "No idea what 'trtllm' is!" (it takes the second
value for a task name), and accepts a repeatable flag with no value at the end of the line. The task
collection is loaded before invoke parses the line, so `check(argv, tasks)` looks first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from invoke.tasks import Task


def _spelling(name: str) -> str:
    return f"--{name}" if len(name) > 1 else f"-{name}"


@dataclass
class _TaskFlags:
    """The flags of one task: which take a value, which take exactly one."""

    canonical: dict[str, str] = field(default_factory=dict)  # any spelling -> --flag
    takes_value: set[str] = field(default_factory=set)
    single: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, task: Task) -> _TaskFlags:  # type: ignore[type-arg]
        flags = cls()
        for arg in task.get_arguments():
            canonical = _spelling(arg.names[0])
            for name in arg.names:
                flags.canonical[_spelling(name)] = canonical
            if arg.takes_value:
                flags.takes_value.add(canonical)
                if arg.kind is not list:
                    flags.single.add(canonical)
        return flags


def _nearest(spelled: str, flags: _TaskFlags) -> str:
    """The task's flag a mistyped one most likely meant ('' for none close, or one of invoke's own)."""
    import difflib

    from invoke.program import Program

    core = {_spelling(name) for arg in Program().core_args() for name in arg.names}
    close = difflib.get_close_matches(spelled, list(flags.canonical), n=1, cutoff=0.8)
    return close[0] if close and spelled not in core else ""


def problem(argv: Sequence[str], tasks: Mapping[str, Task]) -> str:  # type: ignore[type-arg]
    """What is wrong with the command line, or ''."""
    words = list(argv[1:])
    words = words[: words.index("--")] if "--" in words else words
    flags: _TaskFlags | None = None
    values: dict[str, str] = {}  # single-value flag -> the value given
    awaiting = ""  # a flag whose value is the next word
    for word in words:
        if awaiting:
            if awaiting in values:
                return f"{awaiting} is given twice ({values[awaiting]}, then {word}); give it once"
            if flags is not None and awaiting in flags.single:
                values[awaiting] = word
            awaiting = ""
            continue
        if word in tasks:
            flags, values = _TaskFlags.of(tasks[word]), {}
            continue
        spelled, equals, value = word.partition("=")
        if flags is None:
            continue
        if spelled not in flags.canonical:
            typo = _nearest(spelled, flags) if spelled.startswith("--") else ""
            if typo:
                return f"{spelled}: no such flag (did you mean {typo}?)"
            continue
        canonical = flags.canonical[spelled]
        if canonical not in flags.takes_value:
            continue
        if not equals:
            awaiting = canonical
        elif canonical in values:
            return f"{canonical} is given twice ({values[canonical]}, then {value}); give it once"
        elif canonical in flags.single:
            values[canonical] = value
    return f"{awaiting} needs a value" if awaiting else ""
