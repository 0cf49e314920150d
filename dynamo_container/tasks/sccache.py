"""`invoke sccache-install` and `invoke sccache-stats`: sccache on the host running the builds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from invoke.context import Context

from dynamo_container.config import Config
from dynamo_container.errors import ConfigError
from dynamo_container.model.units import human_size
from dynamo_container.report import console
from dynamo_container.tasks.cli import ENV_FILE, JSON, Extra, SettingsTask, settings_task

if TYPE_CHECKING:
    from dynamo_container.tools.sccache_stats import Stats

ARCH = Extra(
    "arch",
    "Architecture of the binary: x86_64, aarch64, amd64 or arm64 (default: this machine's).",
)
DRY_RUN = Extra(
    "dry_run", "Print the URL, checksum and destination; download and write nothing.", bool, False
)
FILE = Extra(
    "file",
    "Read saved `sccache --show-stats --stats-format=json` output from FILE (- for stdin) instead of "
    "asking the running server.",
    short="f",
)


def run_install(cfg: Config, *, arch: str | None, dry_run: bool, json: bool = False) -> None:
    from dynamo_container.tools.sccache import install, plan_install

    s = cfg.s
    plan = plan_install(
        version=s.sccache_version,
        arch=arch or "",
        base_url=s.sccache_base_url,
        install_dir=str(cfg.path(s.sccache_install_dir)),
        sha256=s.sccache_sha256,
    )
    if dry_run:
        if json:
            console.print_json({**plan.to_json(), "installed": False})
            return
        console.print_summary(plan.rows(), sys.stdout, title=f"sccache {plan.version} ({plan.arch})")
        print()
        print("Dry run: nothing was downloaded or written.")
        return
    if not json:
        console.print_summary(plan.rows(), sys.stdout, title=f"sccache {plan.version} ({plan.arch})")
        sys.stdout.flush()
    result = install(plan)
    if json:
        done = {"installed": True, "size": result.size, "version_output": result.version_output}
        console.print_json({**plan.to_json(), **done})
        return
    reports = f" ({result.version_output})" if result.version_output else ""
    print(
        f"Downloaded {human_size(result.size)}, SHA-256 verified, installed {plan.destination}{reports}.",
        flush=True,
    )


def read_stats(cfg: Config, file: str | None, stdin: TextIO | None = None) -> tuple[Stats, str]:
    """The statistics and a label of where they came from."""
    from dynamo_container.tools.sccache_stats import (
        find_sccache,
        parse_stats,
        query_server,
        read_stats_file,
        read_stats_stream,
    )

    if file == "-":
        stream = stdin or getattr(sys.stdin, "buffer", sys.stdin)  # bytes: the encoding is checked here
        return parse_stats(read_stats_stream(stream, "stdin"), "stdin"), "stdin"
    if file:
        text = read_stats_file(file)
        return parse_stats(text, file), file
    binary = find_sccache(str(cfg.path(cfg.s.sccache_install_dir)))
    if binary is None:
        raise ConfigError(
            "sccache is not installed (not on PATH, not in --sccache-install-dir)",
            "install it with invoke sccache-install, or read saved statistics with --file FILE",
        )
    return parse_stats(query_server(binary), f"{binary} --show-stats"), f"{binary} (running server)"


def print_stats(stats: Stats, source: str, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    version = f", sccache {stats.version}" if stats.version else ""
    print(console.style(f"sccache statistics ({source}{version})", console.BOLD, stream), file=stream)
    rows = [(name, s.hits, s.misses, s.rate_text) for name, s in stats.languages.items()]
    width = max([len("category"), len("all"), *(len(r[0]) for r in rows)])
    print(f"  {'category'.ljust(width)}  {'hits':>8}  {'misses':>8}  {'hit rate':>9}", file=stream)
    for name, hits, misses, rate in rows:
        print(f"  {name.ljust(width)}  {hits:>8}  {misses:>8}  {rate:>8}%", file=stream)
    total = f"  {'all'.ljust(width)}  {stats.hits:>8}  {stats.misses:>8}  {stats.rate_text:>8}%"
    print(console.style(total, console.BOLD, stream), file=stream)
    if not rows:
        print("  (no compilations recorded)", file=stream)


def show_stats(cfg: Config, *, file: str | None, json: bool = False) -> None:
    stats, source = read_stats(cfg, file)
    if json:
        console.print_json({"source": source, **stats.to_json()})
        return
    print_stats(stats, source)


def tasks(root: Path | None) -> list[SettingsTask]:
    @settings_task(
        root,
        "sccache-install",
        ("sccache",),
        extras=(ENV_FILE, ARCH, DRY_RUN, JSON),
    )
    def sccache_install(
        c: Context, cfg: Config, arch: str | None = None, dry_run: bool = False, json: bool = False
    ) -> Any:
        """Install the pinned sccache release binary, checksum-verified, into --sccache-install-dir."""
        run_install(cfg, arch=arch, dry_run=dry_run, json=json)

    @settings_task(
        root,
        "sccache-stats",
        (),
        include=("sccache_install_dir",),
        extras=(ENV_FILE, FILE, JSON),
    )
    def sccache_stats(c: Context, cfg: Config, file: str | None = None, json: bool = False) -> Any:
        """sccache hits, misses and hit rate summed over every language: C/C++, Rust, CUDA, PTX, CUBIN."""
        show_stats(cfg, file=file, json=json)

    return [sccache_install, sccache_stats]
