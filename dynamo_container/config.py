"""Layered configuration: defaults < .env < .env.local < --env-file < environment < flags.

Env files are read with python-dotenv and never touch `os.environ`. Every value remembers where it
came from. Keys with the `DYNAMO_` prefix must name a setting; other keys (tokens, AWS credentials)
are allowed and only ever used as BuildKit secrets.
"""

from __future__ import annotations

import dataclasses
import difflib
import io
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynamo_container.buildcontext.locate import real_family
from dynamo_container.errors import ConfigError
from dynamo_container.model.grammar import CONTROL
from dynamo_container.model.secrets import (
    SECRET_ENV_VARS,
    credential_problem,
    credential_variables,
    is_secret_variable,
    looks_like_credential,
)
from dynamo_container.settings import PREFIX, Settings, SettingSpec, by_env_key, by_name, specs

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_AUTO = {"", "auto"}


@dataclass(frozen=True)
class Config:
    settings: Settings
    sources: Mapping[str, str]
    root: Path
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)  # BuildKit secret variables
    # every credential variable seen (the secrets, and others named like one): masked, never a value
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    env_files: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    env_file: str = ""  # the --env-file given, as typed
    cwd: Path = Path(".")  # the folder the command ran in (flags' relative paths start there)
    # the environment's values of the build args given by name (`--build-arg NAME`), as docker reads them
    build_arg_env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def s(self) -> Settings:
        return self.settings

    def source(self, name: str) -> str:
        return self.sources.get(name, "default")

    def is_set(self, name: str) -> bool:
        """True when a layer above the built-in defaults gave this setting."""
        return self.source(name) != "default"

    def path(self, rel: str) -> Path:
        p = Path(rel).expanduser()
        return p if p.is_absolute() else self.root / p

    def shown(self, value: str) -> str:
        """A path as messages name it: from the current folder when it lies below it, else absolute."""
        path = self.path(value)
        try:
            return str(path.relative_to(self.cwd)) if path.is_absolute() else value
        except ValueError:
            return str(path)

    def checkout(self) -> Path:
        """The Dynamo checkout to build (the build context), or a one-line error naming what to do."""
        if not self.s.context.strip():
            raise ConfigError(
                f"no Dynamo checkout to build: {self.cwd} is not inside one and no --context is given",
                "run it in a Dynamo checkout, or give --context PATH or set DYNAMO_CONTEXT",
            )
        return self.path(self.s.context)

    def with_overrides(self, **values: Any) -> Config:
        """A copy with some settings replaced (as if given on the command line)."""
        sources = dict(self.sources)
        for name in values:
            sources[name] = f"flag --{by_name()[name].flag}"
        return dataclasses.replace(
            self, settings=dataclasses.replace(self.settings, **values), sources=sources
        )


def nearest_key(key: str) -> str:
    match = difflib.get_close_matches(key, list(by_env_key()), n=1, cutoff=0.5)
    return match[0] if match else ""


def _unknown_key_message(key: str, where: str) -> str:
    near = nearest_key(key)
    hint = f"; did you mean {near}?" if near else f"; `invoke config` lists every {PREFIX}* setting"
    return f"{where}: unknown setting {key}{hint}"


def _label(spec: SettingSpec, where: str) -> str:
    """How an error names the value: the flag itself, or the source and key (`.env:3: DYNAMO_X`)."""
    return where if where.startswith("--") else f"{where}: {spec.env_key}"


def _parse_list(spec: SettingSpec, raw: Any, where: str) -> tuple[str, ...]:
    if isinstance(raw, (list, tuple)):
        return tuple(str(x) for x in raw)
    try:
        return tuple(shlex.split(str(raw)))
    except ValueError as exc:
        raise ConfigError(f"{_label(spec, where)} is not a valid list ({exc})") from None


def _parse_bool(spec: SettingSpec, raw: Any, where: str) -> bool | None:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if spec.kind == "optbool" and text in _AUTO:
        return None
    allowed = "true, false or auto" if spec.kind == "optbool" else "true or false"
    raise ConfigError(f"{_label(spec, where)} must be {allowed}, got {raw!r}")


MAX_INT = 2**31 - 1  # every whole-number setting counts things (jobs, megabytes): far below this


def _parse_int(spec: SettingSpec, raw: Any, where: str) -> int | None:
    text = str(raw).strip()
    if text in _AUTO:
        return None
    # ASCII digits only: str.isdigit() also takes '²' and '١٠', which int() then refuses or misreads
    if not re.fullmatch(r"[0-9]+", text) or not 1 <= int(text) <= MAX_INT:
        raise ConfigError(f"{_label(spec, where)} must be a whole number from 1 to {MAX_INT}, got {raw!r}")
    return int(text)


def _parse_choice(spec: SettingSpec, raw: Any, where: str) -> str:
    text = str(raw).strip().lower()
    if text in spec.choices:
        return text
    close = difflib.get_close_matches(text, spec.choices, n=1)
    hint = f"did you mean {close[0]}?" if close else f"choose one of: {', '.join(spec.choices)}"
    raise ConfigError(f"{_label(spec, where)}: unknown value {raw!r}", hint)


def _check_text(spec: SettingSpec, text: str, where: str) -> None:
    """No value holds a control character (a NUL, a newline, an escape): none is ever meant."""
    bad = CONTROL.search(text)
    if bad:
        raise ConfigError(
            f"{_label(spec, where)} {text!r} holds the control character {bad.group()!r}",
            "a value is one line of printable text",
        )
    if not text.strip() and where.startswith("--"):
        raise ConfigError(f"{where}: empty value", f"leave out {where} for its default")


def parse_value(spec: SettingSpec, raw: Any, where: str) -> Any:
    """Turn a raw value (env-file text or a flag value) into the setting's type, or say what is wrong."""
    if spec.kind == "list":
        items = _parse_list(spec, raw, where)
        for item in items:
            _check_text(spec, item, where)
        return items
    if isinstance(raw, str):
        _check_text(spec, raw, where)
    if spec.kind in ("bool", "optbool"):
        return _parse_bool(spec, raw, where)
    if spec.kind == "int":
        return _parse_int(spec, raw, where)
    if spec.choices:
        return _parse_choice(spec, raw, where)
    text = str(raw)
    if not text.strip() and spec.default:  # "" means "unset" only where the default itself is ""
        raise ConfigError(
            f"{_label(spec, where)}: empty value", f"leave it out for the default, {spec.default}"
        )
    return text


@dataclass(frozen=True)
class EnvEntry:
    key: str
    value: str
    line: int


def _env_text(path: Path, label: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read env file {label}: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{label}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x})", "save the file as UTF-8"
        ) from None


def _check_binding(key: str, value: str | None, where: str) -> None:
    if key.upper().startswith(PREFIX) and not key.startswith(PREFIX):
        raise ConfigError(f"{where}: {key}: setting keys are upper case", f"write {key.upper()}")
    if value is None:
        raise ConfigError(f"{where}: {key} has no value", f"write {key}=VALUE ({key}= for an empty one)")


def read_env_file(path: Path, label: str) -> list[EnvEntry]:
    """Parse one env file; a malformed line is an error naming the file and line."""
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    text = _env_text(path, label)
    lines: dict[str, int] = {}
    for binding in parse_stream(io.StringIO(text)):
        raw = binding.original.string
        stripped = raw.lstrip()
        line = binding.original.line + raw[: len(raw) - len(stripped)].count("\n")
        if binding.error:
            first = stripped.splitlines()[0] if stripped else ""
            raise ConfigError(
                f"{label}:{line}: cannot parse {first!r}",
                "expected KEY=VALUE, a comment starting with #, or an empty line",
            )
        if binding.key is not None:
            _check_binding(binding.key, binding.value, f"{label}:{line}")
            lines[binding.key] = line
    values = dotenv_values(stream=io.StringIO(text), interpolate=True)
    return [EnvEntry(k, v if v is not None else "", lines.get(k, 0)) for k, v in values.items()]


@dataclass
class _Layers:
    """The values read so far, layer by layer (a later layer replaces an earlier one's value)."""

    values: dict[str, Any] = field(default_factory=dict)
    typed: dict[str, Any] = field(default_factory=dict)  # each value as given (a path not yet absolute)
    sources: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def set(self, spec: SettingSpec, raw: Any, where: str, source: str, base: Path) -> None:
        value = parse_value(spec, raw, where)
        self.typed[spec.name] = value
        self.values[spec.name] = absolute(spec, value, base) if spec.path else value
        self.sources[spec.name] = source

    def env_file(self, path: Path, label: str) -> None:
        for entry in read_env_file(path, label):
            where = f"{label}:{entry.line}"
            if entry.key.startswith(PREFIX):
                spec = by_env_key().get(entry.key)
                if spec is None:
                    raise ConfigError(_unknown_key_message(entry.key, where))
                self.set(spec, entry.value, where, where, path.parent)  # paths: from the file's folder
                continue
            if is_secret_variable(entry.key):
                self.secrets[entry.key] = entry.value
            self.credentials |= credential_variables({entry.key: entry.value})
            self._near_miss(entry.key, where)

    def environment(self, environ: Mapping[str, str], cwd: Path) -> None:
        self.secrets |= {k: v for k, v in environ.items() if is_secret_variable(k) and v}
        self.credentials |= credential_variables(environ)
        for key, raw in environ.items():
            if not key.startswith(PREFIX):
                self._near_miss(key, "environment")
                continue
            spec = by_env_key().get(key)
            if spec is None:
                self.warnings.append(_unknown_key_message(key, "environment") + " (ignored)")
                continue
            self.set(spec, raw, "environment", "environment", cwd)

    def _near_miss(self, key: str, where: str) -> None:
        """A key that was probably meant as a setting (DYANMO_TARGET) would otherwise do nothing."""
        head, sep, rest = key.upper().partition("_")
        if not sep or head == PREFIX[:-1] or not _similar(head, PREFIX[:-1]):
            return
        meant = PREFIX + rest
        if meant not in by_env_key():
            close = difflib.get_close_matches(key.upper(), list(by_env_key()), n=1, cutoff=0.85)
            meant = close[0] if close else ""
        if meant:
            self.warnings.append(f"{where}: {key} is not a setting and is ignored; did you mean {meant}?")

    def refuse_credentials(self) -> None:
        """No setting carries a credential: builds get them only as BuildKit secrets."""
        known = self.credentials | self.secrets
        for name, source in self.sources.items():
            spec = by_name()[name]
            if name in HOST_ONLY_URLS:  # used on this machine only; their user info is masked in output
                continue
            value = self.typed[name]  # as given: a URL made a path would hide its user info
            for item in value if isinstance(value, tuple) else (value,):
                problem = credential_problem(str(item), known) if isinstance(item, str) else ""
                if problem:
                    where = source.removeprefix("flag ")
                    raise ConfigError(
                        f"{_label(spec, where)} {problem}: "
                        "settings are printed, logged and passed on as they are",
                        "set credentials as variables in the environment or an env file: builds get "
                        "them as BuildKit secrets, containers by name with -e NAME",
                    )


# Settings whose value only this machine's git or downloader uses (never an image): a URL there may
# carry the user's credentials, which every output masks.
HOST_ONLY_URLS = ("sccache_base_url", "tensorrtllm_git_url")


def _similar(word: str, other: str) -> bool:
    return difflib.SequenceMatcher(None, word, other).ratio() >= 0.6


def absolute(spec: SettingSpec, value: Any, base: Path) -> Any:
    """A path setting's value with each relative path in it taken from `base` (see Settings)."""
    if isinstance(value, tuple):
        return tuple(_absolute_item(spec.name, item, base) for item in value)
    if not isinstance(value, str) or not value.strip():
        return value
    if spec.name == "hf_cache" and value.lower() == "none":  # no cache mounted: not a path
        return value
    path = Path(value).expanduser()
    return str(path) if path.is_absolute() else os.path.normpath(base / path)


def _absolute_item(name: str, item: str, base: Path) -> str:
    """A list item's path part: NAME=PATH of a build context (not a URL), SRC of a volume (./, ../)."""
    if name == "build_contexts":
        key, sep, value = item.partition("=")
        if not sep or "://" in value or not value or Path(value).expanduser().is_absolute():
            return item
        return f"{key}={os.path.normpath(base / value)}"
    src, sep, rest = item.partition(":")
    if src == "." or src.startswith(("./", "../")) or src == "..":  # a named docker volume otherwise
        return os.path.normpath(base / src) + sep + rest
    return item


def _path_defaults(values: dict[str, Any], root: Path, default_context: str | None) -> None:
    """Path settings no layer set: the real family, the default context, the rest from `root`."""
    if not values.get("container_dir"):
        values["container_dir"] = str(real_family())
    if not values.get("context", "").strip() and default_context is not None:
        values["context"] = os.path.normpath(root / default_context)
    for spec in specs():
        if spec.path and spec.name not in values and isinstance(spec.default, str) and spec.default:
            values[spec.name] = absolute(spec, spec.default, root)


def load_config(
    root: Path,
    *,
    env_file: str | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
    default_context: str | None = ".",
    project_env: bool = True,
) -> Config:
    """Build the configuration from every layer. `flags` maps setting names to given flag values.

    `root` is the project folder: its `.env` and `.env.local` are read (unless `project_env` is
    False) and the relative defaults start there. `default_context` is the checkout built when no
    layer names one, relative to `root`; None for none (Config.checkout() then says what to do).
    """
    environ = os.environ if environ is None else environ
    cwd = cwd or Path.cwd()
    layers: list[tuple[Path, str]] = []
    if project_env:
        layers += [(root / ".env", ".env"), (root / ".env.local", ".env.local")]
    if env_file:
        p = Path(env_file).expanduser()
        p = p if p.is_absolute() else cwd / p
        if not p.is_file():
            raise ConfigError(f"env file not found: {env_file}", f"looked at {p}")
        layers.append((p, env_file))
    read = _Layers()
    loaded = []
    for path, label in layers:
        if path.is_file():
            loaded.append(label)
            read.env_file(path, label)
    read.environment(environ, cwd)
    for name, raw in (flags or {}).items():
        spec = by_name()[name]
        read.set(spec, raw, f"--{spec.flag}", f"flag --{spec.flag}", cwd)
    read.refuse_credentials()
    _path_defaults(read.values, root, default_context)
    by_name_args = _build_arg_env(read.values.get("build_args", ()), environ, read.credentials | read.secrets)
    return Config(
        settings=Settings(**read.values),
        sources=read.sources,
        root=root,
        secrets=read.secrets,
        credentials=read.credentials | read.secrets,
        env_files=tuple(loaded),
        warnings=tuple(read.warnings),
        env_file=env_file or "",
        cwd=cwd,
        build_arg_env=by_name_args,
    )


def _build_arg_env(
    items: tuple[str, ...], environ: Mapping[str, str], known: Mapping[str, str]
) -> dict[str, str]:
    """The values docker would take from the environment for `--build-arg NAME` (no `=`)."""
    out: dict[str, str] = {}
    for name in (i for i in items if "=" not in i and i in environ):
        if looks_like_credential(name):  # refused by its name (resolve/values.build_args)
            continue
        problem = credential_problem(environ[name], known)
        if problem:
            raise ConfigError(
                f"--build-arg {name}: the environment's {name} {problem}; build args are stored in the "
                "image history",
                "pass credentials as BuildKit secrets, which never reach the image",
            )
        out[name] = environ[name]
    return out


def env_example() -> str:
    """The text of `.env.example`: every setting, commented, with its default."""
    out = [
        "# dynamo-container settings. Copy to .env (shared) or .env.local (yours, git-ignored).",
        "# Precedence: defaults < .env < .env.local < --env-file FILE < environment < flags.",
        "# Other keys are allowed only for credentials, which travel to builds as BuildKit secrets:",
        "#   " + ", ".join(sorted(set(SECRET_ENV_VARS.values()))),
        "",
    ]
    for spec in specs():
        out.append(f"# {spec.help}")
        if spec.choices:
            out.append(f"# One of: {', '.join(spec.choices)}.")
        out.append(f"# {spec.env_key}={format_value(spec.default)}")
        out.append("")
    return "\n".join(out)


def format_value(value: Any) -> str:
    if value is None:
        return "auto"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return " ".join(shlex.quote(v) for v in value)
    return str(value)
