"""Command lines invoke's parser would misread, refused with a message that names the flag.

invoke misreads four shapes of command line, and the task collection is loaded before it parses the
line, so `problem(argv, tasks)` looks first:

- a single-value flag given twice: "No idea what 'trtllm' is!" (the second value is taken for a task);
- a flag whose value is missing: at the end of the line, or because the next word is a flag
  (`run -v --dry-run` drops the volume and goes on);
- a value that starts with `-` written into its flag (`-p=--privileged`, `--port=--privileged`,
  `-p--privileged`): invoke splits the word and reads the value as a flag of its own, so the value
  switches that flag on. No value of this tool starts with `-`.
- invoke's own configuration file (`-f FILE`, `INVOKE_RUNTIME_CONFIG`) that is missing or does not
  parse, which invoke reports with a traceback (`runtime_config_problem`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from invoke.tasks import Task


def _spelling(name: str) -> str:
    return f"--{name}" if len(name) > 1 else f"-{name}"


@dataclass
class _TaskFlags:
    """The flags of one task: which take a value, which take exactly one."""

    canonical: dict[str, str] = field(default_factory=dict)  # any spelling -> --flag
    takes_value: set[str] = field(default_factory=set)
    single: set[str] = field(default_factory=set)
    words: frozenset[str] = frozenset()  # every word invoke reads as one of the task's flags

    @classmethod
    def of(cls, task: Task) -> _TaskFlags:  # type: ignore[type-arg]
        from invoke.parser.context import ParserContext

        context = ParserContext(args=task.get_arguments())
        flags = cls(words=frozenset([*context.flags, *context.inverse_flags]))
        for arg in task.get_arguments():
            canonical = _spelling(arg.names[0])
            for name in arg.names:
                flags.canonical[_spelling(name)] = canonical
            if arg.takes_value:
                flags.takes_value.add(canonical)
                if arg.kind is not list:
                    flags.single.add(canonical)
        return flags

    def split(self, word: str) -> tuple[str, str | None]:
        """(the flag as typed, its value written into the word, or None): `--a=b`, `-p=b`, `-pb`."""
        spelled, equals, value = word.partition("=")
        if equals:
            return spelled, value
        short = word[:2]
        glued = not word.startswith("--") and len(word) > 2 and short in self.canonical
        if glued and self.canonical[short] in self.takes_value:
            return short, word[2:]
        return word, None


def _nearest(spelled: str, flags: _TaskFlags) -> str:
    """The task's flag a mistyped one most likely meant ('' for none close, or one of invoke's own)."""
    import difflib

    from invoke.program import Program

    core = {_spelling(name) for arg in Program().core_args() for name in arg.names}
    close = difflib.get_close_matches(spelled, list(flags.canonical), n=1, cutoff=0.8)
    return close[0] if close and spelled not in core else ""


@dataclass
class _Reader:
    """The words of one task, read as invoke will read them, stopping at the first misreading."""

    flags: _TaskFlags
    values: dict[str, str] = field(default_factory=dict)  # single-value flag -> the value given
    awaiting: str = ""  # a flag whose value is the next word

    def read(self, word: str) -> str:
        if self.awaiting:
            flag, self.awaiting = self.awaiting, ""
            if word in self.flags.words:  # invoke takes it as that flag and leaves this one empty
                return f"{flag} needs a value (the next word, {word}, is a flag)"
            return self._value(flag, word)
        spelled, value = self.flags.split(word)
        if spelled not in self.flags.canonical:
            typo = _nearest(spelled, self.flags) if spelled.startswith("--") else ""
            return f"{spelled}: no such flag (did you mean {typo}?)" if typo else ""
        canonical = self.flags.canonical[spelled]
        if canonical not in self.flags.takes_value:
            return ""
        if value is None:
            self.awaiting = canonical
            return ""
        if value.startswith("-"):
            return (
                f"{word}: a value cannot start with - (invoke would read {value.split('=')[0]} as a flag);"
                f" write {canonical} VALUE"
            )
        return self._value(canonical, value)

    def _value(self, flag: str, value: str) -> str:
        if flag in self.values:
            return f"{flag} is given twice ({self.values[flag]}, then {value}); give it once"
        if flag in self.flags.single:
            self.values[flag] = value
        return ""


def problem(argv: Sequence[str], tasks: Mapping[str, Task]) -> str:  # type: ignore[type-arg]
    """What is wrong with the command line, or ''."""
    words = list(argv[1:])
    words = words[: words.index("--")] if "--" in words else words
    reader: _Reader | None = None
    for word in words:
        if word in tasks and not (reader and reader.awaiting):
            reader = _Reader(_TaskFlags.of(tasks[word]))
            continue
        found = reader.read(word) if reader else ""
        if found:
            return found
    return f"{reader.awaiting} needs a value" if reader and reader.awaiting else ""


def runtime_config_problem(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """What is wrong with invoke's runtime configuration file (`-f FILE`, INVOKE_RUNTIME_CONFIG), or ''."""
    path, where = _runtime_config(argv, environ)
    if not path:
        return ""
    if not Path(path).is_file():
        return f"{where} {path}: no such file"
    from invoke.config import Config

    try:
        Config(runtime_path=Path(path)).load_runtime()  # merging is where a non-mapping fails
    except Exception as exc:  # yaml, json or Python errors of invoke's own loaders, of any kind
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        return f"{where} {path}: invoke cannot read it ({detail})"
    return ""


def _runtime_config(argv: Sequence[str], environ: Mapping[str, str]) -> tuple[str, str]:
    """The runtime configuration file invoke will load, and where it was named."""
    from invoke.program import Program

    program = Program()
    core = [*program.core_args(), *program.task_args()]  # task_args: --search-root, --collection
    core_values = {_spelling(n) for arg in core if arg.takes_value and not arg.optional for n in arg.names}
    words = iter(argv[1:])
    for word in words:
        flag, equals, value = word.partition("=")
        if flag in ("-f", "--config"):
            return (value if equals else next(words, "")), flag
        if flag in core_values and not equals:
            next(words, "")  # that flag's value
        elif not word.startswith("-"):  # the first task name: invoke's own flags come before it
            break
    return environ.get("INVOKE_RUNTIME_CONFIG", ""), "INVOKE_RUNTIME_CONFIG"
