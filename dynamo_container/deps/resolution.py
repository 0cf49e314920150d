"""The dependency-resolution tier: each image's Python install set, resolved by uv against PyPI.

`sets.py` says what each framework x CUDA row installs; this module turns a set into
`uv pip compile` invocations (pure: argv and stdin), runs them (one small runner) and reports per
row and architecture: ok (with notable versions), conflict (uv's explanation), or why it could not
run. `python -m dynamo_container.deps.resolution [ROW...] [--arch amd64,arm64] [--exclude-newer DATE]` is
what `nox -s resolve` runs; ROW is a framework (`vllm`) or a row (`vllm-13.0`).

One resolution per row and architecture holds every phase together: the final environment has to
satisfy all of them, even where the image's installs run one after the other. The `--no-deps`
reinstalls (SGLang's NVIDIA pins) get a second, `--no-deps` invocation that only checks that each
version has a wheel for the platform. Packages the image already holds at exact versions (TRT-LLM's
NGC PyTorch copies) become metadata-only stub wheels in a `--find-links` folder, pinned exactly.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from dynamo_container.deps.sets import InstallSet, Preinstalled, Requirement, install_sets
from dynamo_container.model import catalog

INDEX_URL = "https://pypi.org/simple/"
UV_PACKAGE = "uv==0.13.9"  # the pinned dev dependency (pyproject.toml)
OUT_DIR = Path("build-logs/resolve")
DEFAULT_ARCHES = ("amd64", "arm64")
# Shown in the report when a resolution has them.
NOTABLE = (
    "vllm",
    "sglang",
    "torch",
    "triton",
    "flashinfer-python",
    "transformers",
    "pydantic",
    "nixl",
    "nixl-cu12",
    "nixl-cu13",
    "lmcache",
    "cuda-python",
    "numpy",
)
# Text of uv's errors when an index does not answer (uv 0.13).
NETWORK_SIGNS = ("dns error", "error sending request", "client error (Connect)", "operation timed out")

Status = Literal["ok", "conflict", "unreachable", "error"]


@dataclass(frozen=True)
class Invocation:
    label: str  # "vllm-cuda12.9 x86_64", "... --no-deps check"
    argv: tuple[str, ...]
    stdin: str  # the requirements, one per line with their upstream source as a comment


@dataclass(frozen=True)
class Outcome:
    label: str
    status: Status
    seconds: float
    versions: dict[str, str] = field(default_factory=dict)  # normalized name -> resolved version
    explanation: str = ""  # uv's own text when not ok
    resolution: str = ""  # uv's output (the pinned set) when ok


# ----- pure: invocations ------------------------------------------------------------------------------


def platform(arch: str, glibc: str) -> str:
    """uv's --python-platform for a docker arch and the image's glibc: `x86_64-manylinux_2_39`."""
    return f"{catalog.ARCHES[arch]}-manylinux_{glibc}"


def requirements_text(requirements: Iterable[Requirement], preinstalled: Iterable[Preinstalled] = ()) -> str:
    lines = [f"{p.name}=={p.version}  # {p.source} (already in the image)" for p in preinstalled]
    lines += [f"{r.spec}  # {r.source}" for r in requirements]
    return "".join(line + "\n" for line in lines)


def compile_argv(
    uv: str,
    install: InstallSet,
    arch: str,
    *,
    find_links: str = "",
    exclude_newer: str = "",
    no_deps: bool = False,
) -> tuple[str, ...]:
    argv = [uv, "pip", "compile", "-", "--python-version", install.python]
    argv += ["--python-platform", platform(arch, install.glibc)]
    # No managed-Python download (GitHub is out of reach); no uv.toml or [tool.uv] of this checkout
    # (the set alone decides; UV_* variables such as a mirror index still apply); plain text.
    argv += ["--no-python-downloads", "--no-config", "--no-header", "--color", "never"]
    argv += ["--find-links", find_links] if find_links else []
    argv += ["--exclude-newer", exclude_newer] if exclude_newer else []
    argv += ["--no-deps"] if no_deps else []
    return tuple(argv)


def invocations(
    uv: str, install: InstallSet, arch: str, *, stubs: str = "", exclude_newer: str = ""
) -> list[Invocation]:
    """The uv runs of one row and architecture: the whole set, then the --no-deps existence check."""
    label = f"{install.key} {catalog.ARCHES[arch]}"
    find_links = stubs if install.preinstalled else ""
    out = [
        Invocation(
            label,
            compile_argv(uv, install, arch, find_links=find_links, exclude_newer=exclude_newer),
            requirements_text(install.resolved, install.preinstalled),
        )
    ]
    if install.checked:
        argv = compile_argv(uv, install, arch, exclude_newer=exclude_newer, no_deps=True)
        out.append(Invocation(f"{label} --no-deps check", argv, requirements_text(install.checked)))
    return out


def stub_wheel(name: str, version: str) -> tuple[str, dict[str, str]]:
    """File name and members of a wheel that holds only the metadata of `name==version`."""
    dist = re.sub(r"[-_.]+", "_", name)
    info = f"{dist}-{version}.dist-info"
    members = {
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: dynamo-container\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = "".join(
        f"{path},sha256={_digest(text)},{len(text.encode())}\n" for path, text in members.items()
    )
    members[f"{info}/RECORD"] = record + f"{info}/RECORD,,\n"
    return f"{dist}-{version}-py3-none-any.whl", members


def _digest(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


# ----- pure: reading uv's answers -----------------------------------------------------------------------

_PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)", re.MULTILINE)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def resolved_versions(output: str) -> dict[str, str]:
    return {normalize(m.group(1)): m.group(2) for m in _PINNED.finditer(output)}


def classify(returncode: int, stderr: str) -> Status:
    if returncode == 0:
        return "ok"
    if "No solution found" in stderr:
        return "conflict"
    if any(sign in stderr for sign in NETWORK_SIGNS):
        return "unreachable"
    return "error"


def explanation(stderr: str) -> str:
    """uv's error text without the warnings before it (e.g. builds using another Python)."""
    lines = stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(("error:", "  ×", "×"))), 0)
    return "\n".join(lines[start:]).strip()


# ----- running ------------------------------------------------------------------------------------------


def find_uv() -> str | None:
    """uv installed beside this interpreter (the pinned dev dependency), else the one on PATH."""
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


def index_unreachable(url: str = INDEX_URL) -> str:
    """Why the package index does not answer ("" when it does)."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10)
    except urllib.error.HTTPError:
        return ""  # it answered
    except OSError as exc:
        return str(getattr(exc, "reason", exc))
    return ""


def run(invocation: Invocation) -> Outcome:
    start = time.monotonic()
    proc = subprocess.run(
        invocation.argv, input=invocation.stdin, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - start
    status = classify(proc.returncode, proc.stderr)
    if status == "ok":
        return Outcome(
            invocation.label, status, seconds, resolved_versions(proc.stdout), resolution=proc.stdout
        )
    return Outcome(invocation.label, status, seconds, explanation=explanation(proc.stderr))


def write_stubs(preinstalled: Iterable[Preinstalled], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for p in preinstalled:
        filename, members = stub_wheel(p.name, p.version)
        with zipfile.ZipFile(folder / filename, "w") as wheel:
            for path, text in members.items():
                wheel.writestr(path, text)
    return folder


def resolve_set(uv: str, install: InstallSet, arch: str, *, exclude_newer: str = "") -> list[Outcome]:
    with tempfile.TemporaryDirectory(prefix="resolve-stubs-") as tmp:
        stubs = str(write_stubs(install.preinstalled, Path(tmp)))
        return [run(i) for i in invocations(uv, install, arch, stubs=stubs, exclude_newer=exclude_newer)]


# ----- the report ---------------------------------------------------------------------------------------


def outcome_lines(outcome: Outcome) -> list[str]:
    count = f", {len(outcome.versions)} packages" if outcome.status == "ok" else ""
    lines = [f"  {outcome.label}: {outcome.status}{count} ({outcome.seconds:.1f} s)"]
    notable = [f"{n} {outcome.versions[n]}" for n in NOTABLE if n in outcome.versions]
    lines += [f"    {', '.join(notable)}"] if notable else []
    explained = outcome.explanation.splitlines()
    if outcome.status == "unreachable" and explained:
        # An index that stopped answering mid-run: uv's first and last lines say what and why.
        explained = [f"{explained[0]} ({explained[-1].strip().removeprefix('cause: ')})"]
    return lines + [f"    {line}" for line in explained]


def set_lines(install: InstallSet) -> list[str]:
    """What the resolution leaves out or replaces, and why."""
    lines = [f"  skipped: {s.what} ({s.source}): {s.reason}" for s in install.skipped]
    lines += [f"  stand-in: {s.what} -> {s.stand_in}: {s.why}" for s in install.stand_ins]
    lines += [f"  note: {c}" for c in install.caveats]
    return lines


def summary(install: InstallSet, outcomes: Sequence[Outcome]) -> dict[str, object]:
    return {
        "row": install.key,
        "python": install.python,
        "glibc": install.glibc,
        "outcomes": [{k: v for k, v in asdict(o).items() if k != "resolution"} for o in outcomes],
        "skipped": [asdict(s) for s in install.skipped],
        "stand_ins": [asdict(s) for s in install.stand_ins],
        "preinstalled": [asdict(p) for p in install.preinstalled],
        "caveats": list(install.caveats),
    }


def save(out_dir: Path, install: InstallSet, outcomes: Sequence[Outcome]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for o in outcomes:
        if o.resolution:
            (out_dir / (o.label.replace(" ", "-") + ".txt")).write_text(o.resolution)
    (out_dir / f"{install.key}.json").write_text(json.dumps(summary(install, outcomes), indent=2) + "\n")


# ----- command line -------------------------------------------------------------------------------------


def select(sets: Sequence[InstallSet], rows: Sequence[str]) -> list[InstallSet]:
    """Sets named by framework (`vllm`) or row (`vllm-13.0`, `vllm-cuda13.0`); all when none named."""
    if not rows:
        return list(sets)
    chosen = [s for s in sets if any(r in (s.framework, s.key, f"{s.framework}-{s.cuda}") for r in rows)]
    unknown = [r for r in rows if not any(r in (s.framework, s.key, f"{s.framework}-{s.cuda}") for s in sets)]
    if unknown:
        raise ValueError(f"unknown row {', '.join(unknown)} (valid: {catalog.describe_valid()})")
    return chosen


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="resolve", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("rows", nargs="*", help="framework (vllm) or row (vllm-13.0); default: all rows")
    parser.add_argument("--arch", default=",".join(DEFAULT_ARCHES), help="amd64, arm64 or both (comma list)")
    parser.add_argument("--exclude-newer", default="", help="resolve as of this date (uv --exclude-newer)")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where resolutions and summaries go")
    return parser.parse_args(argv)


def preflight(uv: str | None) -> str:
    """One line saying why the tier cannot run ("" when it can)."""
    if uv is None:
        return f"resolve: uv not found beside {sys.executable} or on PATH: pip install {UV_PACKAGE}"
    url = os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL") or INDEX_URL
    reason = index_unreachable(url)
    return f"resolve: PyPI is out of reach ({url}: {reason})" if reason else ""


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        chosen = select(install_sets(), args.rows)
    except ValueError as exc:
        print(f"resolve: {exc}", file=sys.stderr)
        return 2
    arches = [a for a in args.arch.split(",") if a]
    if bad := [a for a in arches if a not in catalog.ARCHES]:
        print(f"resolve: unknown arch {', '.join(bad)} (valid: {', '.join(catalog.ARCHES)})", file=sys.stderr)
        return 2
    uv = find_uv()
    if problem := preflight(uv):
        print(problem, file=sys.stderr)
        return 2
    assert uv is not None
    return report(uv, chosen, arches, args.exclude_newer, args.out)


def table(outcomes: Sequence[Outcome]) -> list[str]:
    width = max((len(o.label) for o in outcomes), default=0)
    return [f"  {o.label:<{width}}  {o.status:<11} {o.seconds:5.1f} s" for o in outcomes]


def report(
    uv: str, chosen: Sequence[InstallSet], arches: Sequence[str], exclude_newer: str, out: Path
) -> int:
    every: list[Outcome] = []
    for install in chosen:
        print(f"{install.key} (Python {install.python}, manylinux_{install.glibc})", flush=True)
        outcomes = [o for arch in arches for o in resolve_set(uv, install, arch, exclude_newer=exclude_newer)]
        for o in outcomes:
            print("\n".join(outcome_lines(o)), flush=True)
        print("\n".join(set_lines(install)), flush=True)
        save(out, install, outcomes)
        every += outcomes
    failed = [o.label for o in every if o.status != "ok"]
    print("\n".join(["resolve: summary", *table(every)]))
    print(f"resolve: {len(chosen)} rows, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
