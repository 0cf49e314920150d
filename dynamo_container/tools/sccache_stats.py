"""sccache statistics: `sccache --show-stats --stats-format=json` summed over every language category.

The JSON has a count per category (C/C++, Rust, CUDA, CUDA device code, PTX, CUBIN, ...) for cache
hits and misses; the sums and the rounding are those `container/use-sccache.sh show-stats` prints
inside builds, so its SCCACHE_SUMMARY line and `invoke sccache-stats` agree.

Whatever the text holds (nested thousands deep, numbers of thousands of digits, escape sequences in
a category name, megabytes of it), it is one clear line or statistics safe to print: names are
printed with control characters escaped, and the cache location with a URL's password masked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dynamo_container.errors import ConfigError, DynamoError
from dynamo_container.tools.sccache import mask_url_password

MAX_STATS_BYTES = 16 << 20  # sccache's statistics are a few kB
MAX_COUNT = 2**64 - 1  # sccache counts in u64
HINT = "save them with: sccache --show-stats --stats-format=json > stats.json"


def printable(text: str) -> str:
    """`text` safe for a terminal: control characters (escape sequences) and lone surrogates escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _shown(value: Any, width: int = 40) -> str:
    text = printable(repr(value))
    return text if len(text) <= width else text[: width - 3] + "..."


@dataclass(frozen=True)
class LanguageStats:
    hits: int
    misses: int

    @property
    def hit_rate(self) -> float:
        return hit_rate_hundredths(self.hits, self.misses) / 100

    @property
    def rate_text(self) -> str:
        return format_rate(self.hits, self.misses)


@dataclass(frozen=True)
class Stats:
    """Cache hits and misses per language category, and their sums over every category."""

    languages: Mapping[str, LanguageStats]
    version: str = ""
    cache_location: str = ""
    compile_requests: int | None = None

    @property
    def hits(self) -> int:
        return sum(s.hits for s in self.languages.values())

    @property
    def misses(self) -> int:
        return sum(s.misses for s in self.languages.values())

    @property
    def hit_rate(self) -> float:
        return hit_rate_hundredths(self.hits, self.misses) / 100

    @property
    def rate_text(self) -> str:
        return format_rate(self.hits, self.misses)

    def summary_line(self, step: str) -> str:
        """The SCCACHE_SUMMARY line of `use-sccache.sh show-stats` for the same statistics."""
        return (
            f"SCCACHE_SUMMARY step={step.replace(' ', '_')} hits={self.hits} misses={self.misses} "
            f"hit_rate={self.rate_text}%"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": self.hit_rate,
            "languages": {
                name: {"hits": s.hits, "misses": s.misses, "hit_rate": s.hit_rate}
                for name, s in self.languages.items()
            },
            "compile_requests": self.compile_requests,
            "version": self.version,
            "cache_location": self.cache_location,
        }


def hit_rate_hundredths(hits: int, misses: int) -> int:
    """Hit rate in hundredths of a percent, rounded half up with integers (0 without requests).

    use-sccache.sh computes the same expression in Python and in jq, so all three agree digit
    for digit (floats would round 3.125 % to 3.12 in one and 3.13 in another).
    """
    total = hits + misses
    return (20000 * hits + total) // (2 * total) if total else 0


def format_rate(hits: int, misses: int) -> str:
    whole, frac = divmod(hit_rate_hundredths(hits, misses), 100)
    return f"{whole}.{frac:02d}"


def _counts(stats: Mapping[str, Any], key: str, where: str) -> dict[str, int]:
    value = stats.get(key) or {}
    counts = value.get("counts") if isinstance(value, Mapping) else None
    if counts is None:
        counts = {}
    if not isinstance(counts, Mapping):
        raise ConfigError(f"{where}: stats.{key}.counts is not an object", HINT)
    out: dict[str, int] = {}
    for lang, n in counts.items():
        if not _is_count(n):
            field = f"stats.{key}.counts[{_shown(lang)}]"
            raise ConfigError(f"{where}: {field} is not a count: {_shown(n)}", HINT)
        name = printable(str(lang))
        out[name] = out.get(name, 0) + n
    return out


def _load(text: str, where: str) -> Any:
    if len(text) > MAX_STATS_BYTES:
        raise ConfigError(f"{where} is over {MAX_STATS_BYTES >> 20} MB: not sccache statistics", HINT)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        first = text.strip().splitlines()[0][:60] if text.strip() else ""
        what = f"(starts {mask_url_password(printable(repr(first)))})" if first else "(empty)"
        raise ConfigError(f"{where} is not JSON {what}: {exc.msg}", HINT) from None
    except RecursionError:
        raise ConfigError(f"{where} is nested too deeply to be sccache statistics", HINT) from None
    except ValueError:  # json's only other refusal: an integer of thousands of digits
        raise ConfigError(f"{where} holds a number too long to be a count", HINT) from None


def parse_stats(text: str, where: str = "sccache statistics") -> Stats:
    """Parse `sccache --show-stats --stats-format=json` output; ConfigError (one line) for anything else."""
    data = _load(text, where)
    if not isinstance(data, Mapping) or not isinstance(data.get("stats"), Mapping):
        raise ConfigError(f"{where} has no 'stats' object; is it sccache JSON statistics?", HINT)
    stats = data["stats"]
    hits = _counts(stats, "cache_hits", where)
    misses = _counts(stats, "cache_misses", where)
    languages = {
        lang: LanguageStats(hits.get(lang, 0), misses.get(lang, 0)) for lang in sorted({*hits, *misses})
    }
    requests = stats.get("compile_requests")
    version, location = data.get("version"), data.get("cache_location")
    return Stats(
        languages=languages,
        version=printable(version) if isinstance(version, str) else "",
        cache_location=mask_url_password(printable(location)) if isinstance(location, str) else "",
        compile_requests=requests if _is_count(requests) else None,
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def read_stats_file(file: str) -> str:
    """The text of the statistics file `--file FILE`, at most MAX_STATS_BYTES (never all of /dev/zero)."""
    try:
        with open(Path(file).expanduser(), "rb") as f:
            return read_stats_stream(f, f"--file {file}")
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror or exc}") from None


def read_stats_stream(stream: Any, where: str) -> str:
    """The text read from a binary (or text) stream, at most MAX_STATS_BYTES of it."""
    data = stream.read(MAX_STATS_BYTES + 1)
    if len(data) > MAX_STATS_BYTES:
        raise ConfigError(f"{where} is over {MAX_STATS_BYTES >> 20} MB: not sccache statistics", HINT)
    if isinstance(data, str):
        return data
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not text", HINT) from None


def find_sccache(install_dir: str) -> str | None:
    """sccache on PATH, else in the install folder."""
    found = shutil.which("sccache")
    if found:
        return found
    candidate = Path(install_dir).expanduser() / "sccache"
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


def query_server(binary: str, timeout: float = 60) -> str:
    """The running server's statistics as JSON text (sccache starts a server if none runs)."""
    try:
        run = subprocess.run(
            [binary, "--show-stats", "--stats-format=json"],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DynamoError(f"cannot run {binary} --show-stats: {exc}") from None
    if run.returncode != 0:
        lines = (run.stderr or run.stdout).strip().splitlines()
        last = lines[-1] if lines else f"exit code {run.returncode}"
        raise DynamoError(
            f"{binary} --show-stats failed: {mask_url_password(printable(last))}",
            "is SCCACHE_SERVER_PORT the port of the server you mean? Or read saved stats with --file",
        )
    return run.stdout
