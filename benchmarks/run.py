"""Benchmarks of dynamo-container on the real Docker engine, with the stand-in image family.

    .venv/bin/python benchmarks/run.py            # the full run (about 2.5 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # fewer repetitions (~40 s): a smoke of this script
    .venv/bin/nox -s bench [-- --quick]

Measures (see benchmarks/README.md for what each figure means and how it is measured):

1. planning latency: `invoke build ... --dry-run` against a one-line invoke task and `python -c pass`;
2. warm rebuild overhead: `invoke build` with everything cached against the same docker commands run
   directly (argv and env of each step taken from `--dry-run --json`);
3. cold pipeline: the four frameworks' runtime images with `--no-cache`, one `invoke build` after the
   other against one matrix build;
4. incremental rebuild: steps rebuilt and time after a change to one wheel source file, against a
   full `--no-cache` rebuild;
5. build context size of the stand-in profile (the stand-in Dynamo checkout) with and without the
   ignore file beside the Dockerfile (our walk, and BuildKit's own figure);
6. library costs;
7. scale-out on two extra engines (benchmarks/scale_out.py): the 4-combination matrix through the
   tool's runner against one docker buildx bake, and a cold build on an empty engine without and with
   the registry cache another engine exported.

Prints a table and writes benchmarks/results.json (raw samples, medians, minima, ratios, machine).
Byte-compiles the package first (`python -m compileall -q dynamo_container`, as scripts/setup does),
so the figures are those of an installed tool. Images are named `benchrun-<random>` and removed at
the end, also when a measurement fails. Standard library and the project's own dependencies only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from dynamo_container.buildcontext.context import Matcher, measure, walk
from dynamo_container.execute.progress import BuildProgress
from dynamo_container.model import catalog
from dynamo_container.model.units import human_size

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
INVOKE = str(Path(PY).parent / "invoke")
STANDIN = "tests/fixtures/stand-in.env"
FRAMEWORKS = ("none", "vllm", "sglang", "trtllm")
# A source file of the ai-dynamo-runtime wheel in the stand-in checkout (the wheel_builder stage builds
# it; the framework images also copy lib/ to /workspace).
WHEEL_SOURCE = "tests/fixtures/stand-in/dynamo/lib/bindings/python/src/dynamo/runtime/__init__.py"
# The stand-in profile's build context (DYNAMO_CONTEXT) and the ignore file its builds filter it with
# (<Dockerfile>.dockerignore beside the Dockerfile, outside the context).
CHECKOUT = ROOT / "tests/fixtures/stand-in/dynamo"
IGNORE = ROOT / "tests/fixtures/container/Dockerfile.vllm.dockerignore"
TARGETS = {
    "dry_run_vs_one_line_task": 1.5,
    "no_change_rebuild_vs_raw_docker": 0.6,
    "forced_rebuild_vs_raw_docker": 1.15,
}
ONE_LINE_TASKS = 'from invoke import task\n\n\n@task\ndef hello(c):\n    print("hello")\n'

# Repetitions: (full run, --quick)
REPS = {
    "warmup": (3, 1),
    "planning": (31, 5),
    "importtime": (7, 2),
    "git": (15, 5),
    "warm": (15, 2),
    "cold": (5, 1),
    "incremental": (5, 1),
    "full": (5, 1),
    "libraries": (15, 3),
}

# The phase timer: a fresh interpreter runs the invoke CLI exactly as the `invoke` script does, with
# each of invoke's Program phases timed (perf_counter), and optionally some project functions too
# (their modules are then imported up front, timed as "pre-imports"). argv[1]: where the JSON goes;
# argv[2]: comma list of module:function to time ("" for none). Nested timed calls are not subtracted.
PHASE_DRIVER = r"""
import sys, time, json, importlib
t0 = time.perf_counter()
out = sys.argv.pop(1)
wrap = [x for x in sys.argv.pop(1).split(",") if x]
from invoke.main import program
from invoke.program import Program
t1 = time.perf_counter()
phases = {"import invoke": t1 - t0}
calls = {}
def timed(name, fn):
    def wrapper(*a, **kw):
        s = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - s
            calls[name] = calls.get(name, 0) + 1
    return wrapper
for name in ("create_config", "parse_core", "parse_collection", "parse_tasks", "parse_cleanup",
             "update_config", "execute"):
    setattr(Program, name, timed("invoke " + name, getattr(Program, name)))
if wrap:
    s = time.perf_counter()
    import docker
    phases["pre-import docker (docker-py)"] = time.perf_counter() - s
    s = time.perf_counter()
    for item in wrap:
        mod, _, path = item.partition(":")
        owner = importlib.import_module(mod)
        *outer, attr = path.split(".")  # "function" or "Class.method"
        for name in outer:
            owner = getattr(owner, name)
        setattr(owner, attr, timed(item, getattr(owner, attr)))
    phases["pre-import project modules"] = time.perf_counter() - s
sys.argv[0] = "invoke"
try:
    program.run()
finally:
    phases["total in interpreter"] = time.perf_counter() - t0
    with open(out, "w") as f:
        json.dump({"ms": {k: round(v * 1000, 2) for k, v in phases.items()}, "calls": calls}, f)
"""
# What a real build does besides the docker commands (measurement 2's breakdown).
BUILD_WRAPS = (
    "dynamo_container.buildcontext.git:describe",
    "dynamo_container.docker.engine:engine_url",
    "dynamo_container.docker.engine:Engine.ping",
    "dynamo_container.buildkeys.keys:BuildKeys.up_to_date",
    "dynamo_container.execute.preflight:check_build",
    "dynamo_container.execute.runner:StepRunner.run",
    "dynamo_container.execute.runner:image_sizes",
    "dynamo_container.buildcontext.context:warn_if_large",
    "dynamo_container.buildcontext.sources:check_family",
    "dynamo_container.docker.engine:Engine.image_ids",
    "dynamo_container.execute.receipts:make_receipt",
    "dynamo_container.execute.receipts:write_receipt",
)


# ---------------------------------------------------------------------------------------------------
# small helpers


class Abort(Exception):
    """SIGTERM/SIGHUP: unwind through every `finally` (restore files, remove images)."""


def _on_signal(signum: int, frame: Any) -> None:
    raise Abort(f"signal {signum}")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def stats(samples: Sequence[float], digits: int = 4) -> dict[str, Any]:
    return {
        "samples": [round(s, digits) for s in samples],
        "median": round(statistics.median(samples), digits) if samples else None,
        "min": round(min(samples), digits) if samples else None,
        "n": len(samples),
    }


def ratio(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float | None]:
    """Ratios of medians and of minima."""

    def div(x: float | None, y: float | None) -> float | None:
        return round(x / y, 3) if x is not None and y else None

    return {"of_medians": div(a["median"], b["median"]), "of_minima": div(a["min"], b["min"])}


def run(
    argv: Sequence[str], env: dict[str, str], *, cwd: Path = ROOT, check: bool = True, quiet: bool = False
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a command to completion, output captured; (wall seconds, result)."""
    start = time.perf_counter()
    proc = subprocess.run(
        list(argv),
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL if quiet else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        check=False,
    )
    seconds = time.perf_counter() - start
    if check and proc.returncode != 0:
        tail = ((proc.stdout or "") + proc.stderr)[-3000:]
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{tail}")
    return seconds, proc


def text(argv: Sequence[str], cwd: Path = ROOT) -> str:
    out = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=False)
    return out.stdout.strip() if out.returncode == 0 else ""


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def git_head() -> str:
    return text(["git", "rev-parse", "HEAD"])


# ---------------------------------------------------------------------------------------------------
# machine and images


def machine() -> dict[str, Any]:
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    distro = ""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                distro = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    buildx = text(["docker", "buildx", "version"]).split()
    return {
        "cpu_model": cpu or platform.processor(),
        "cpu_count": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024**2, 1),
        "kernel": platform.release(),
        "os": distro,
        "docker_server": text(["docker", "version", "--format", "{{.Server.Version}}"]),
        "docker_client": text(["docker", "version", "--format", "{{.Client.Version}}"]),
        "buildx": buildx[1] if len(buildx) > 1 else "",
        "python": platform.python_version(),
        "python_executable": PY,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "loadavg_at_start": list(os.getloadavg()),
    }


def machine_line(m: dict[str, Any]) -> str:
    return (
        f"{m['cpu_model']}, {m['cpu_count']} CPUs, {m['memory_gib']} GiB, {m['os']}, Linux {m['kernel']}, "
        f"docker {m['docker_server']} (buildx {m['buildx']}), Python {m['python']}, {m['date'][:10]}"
    )


class Images:
    """Every image this run made (by tag and by ID), removed at the end without -f."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.ids: set[str] = set()

    def ours(self) -> list[tuple[str, str]]:
        out = text(["docker", "images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"])
        pairs = [line.split() for line in out.splitlines() if line.strip()]
        return [(ref, iid) for ref, iid in pairs if ref.startswith(self.prefix)]

    def note(self) -> None:
        self.ids.update(iid for _, iid in self.ours())

    def remove(self) -> dict[str, int]:
        refs = self.ours()
        self.ids.update(iid for _, iid in refs)
        tags = [ref for ref, _ in refs if not ref.endswith(":<none>")]
        if tags:
            subprocess.run(["docker", "rmi", *tags], capture_output=True, check=False)
        gone = 0
        for iid in sorted(self.ids):  # left dangling by retagging; no -f: an image others tag stays
            if subprocess.run(["docker", "rmi", iid], capture_output=True, check=False).returncode == 0:
                gone += 1
        return {"tags_removed": len(tags), "dangling_ids_removed": gone, "left": len(self.ours())}


def progress_of(lines: Iterator[str] | Sequence[str]) -> BuildProgress:
    prog = BuildProgress()
    for line in lines:
        prog.feed(line)
    return prog


def progress_of_logs(paths: Sequence[str]) -> list[BuildProgress]:
    out = []
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as f:
            out.append(progress_of(list(f)))
    return out


def rebuilt(prog: BuildProgress) -> list[str]:
    return [f"[{v.stage}] {v.instruction[:70]}" for v in prog.vertices.values() if v.ran]


# ---------------------------------------------------------------------------------------------------
# the benchmark


class Bench:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.token = uuid.uuid4().hex[:8]
        self.name = f"benchrun-{self.token}"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{self.name}-"))
        self.images = Images(self.name)
        self.env = {
            **os.environ,
            "DYNAMO_IMAGE_NAME": self.name,
            "DYNAMO_BASE_IMAGE_NAME": f"{self.name}-base",
            "DYNAMO_LOG_DIR": str(self.tmp / "logs"),
        }
        self.env.pop("CI", None)

    def n(self, what: str) -> int:
        return REPS[what][1 if self.quick else 0]

    def invoke(self, *args: str) -> list[str]:
        return [INVOKE, *args]

    def build_args(self, framework: str, *more: str) -> list[str]:
        return ["build", "--env-file", STANDIN, "--framework", framework, "--target", "runtime", *more]

    def plan(self, args: Sequence[str], env: dict[str, str] | None = None) -> dict[str, Any]:
        _, proc = run(self.invoke(*args, "--dry-run", "--json"), env or self.env)
        data: dict[str, Any] = json.loads(proc.stdout)
        return data

    # 1 -------------------------------------------------------------------------------------------
    def planning_latency(self) -> dict[str, Any]:
        dry_args = [
            "build",
            "--env-file",
            STANDIN,
            "--framework",
            "sglang",
            "--target",
            "runtime",
            "--dry-run",
        ]
        one_line = self.tmp / "one-line-task"
        one_line.mkdir()
        (one_line / "tasks.py").write_text(ONE_LINE_TASKS)
        variants: dict[str, tuple[list[str], Path]] = {
            "dry_run": (self.invoke(*dry_args), ROOT),
            "one_line_task": (self.invoke("hello"), one_line),
            "bare_python": ([PY, "-c", "pass"], ROOT),
        }
        samples: dict[str, list[float]] = {k: [] for k in variants}
        names = list(variants)
        warm, n = self.n("warmup"), self.n("planning")
        for i in range(warm + n):
            k = i % len(names)
            for name in names[k:] + names[:k]:  # rotate the order: no variant always goes first
                argv, cwd = variants[name]
                seconds, _ = run(argv, self.env, cwd=cwd, quiet=True)
                if i >= warm:
                    samples[name].append(seconds)
        res = {k: stats(v) for k, v in samples.items()}
        out: dict[str, Any] = {
            "commands": {
                k: " ".join(v[0]) + ("  (cwd: empty temp folder)" if k == "one_line_task" else "")
                for k, v in variants.items()
            },
            **res,
            "ratios": {
                "dry_run/one_line_task": ratio(res["dry_run"], res["one_line_task"]),
                "dry_run/bare_python": ratio(res["dry_run"], res["bare_python"]),
            },
        }
        try:
            out["phases"] = self.phases(dry_args)
        except Exception as exc:  # optional figure
            out["phases"] = {"error": str(exc)}
        return out

    def driver_phases(self, args: Sequence[str], wraps: Sequence[str], env: dict[str, str]) -> dict[str, Any]:
        """Medians over runs of PHASE_DRIVER: ms per phase, and how often each timed function ran."""
        runs: list[dict[str, Any]] = []
        for i in range(self.n("importtime")):
            out = self.tmp / f"phases-{uuid.uuid4().hex[:6]}-{i}.json"
            run([PY, "-c", PHASE_DRIVER, str(out), ",".join(wraps), *args], env, quiet=True)
            runs.append(json.loads(out.read_text()))
        keys = list(runs[0]["ms"])
        return {
            "ms": {k: round(statistics.median(r["ms"].get(k, 0.0) for r in runs), 1) for k in keys},
            "calls": runs[0]["calls"],
        }

    def phases(self, dry_args: Sequence[str]) -> dict[str, Any]:
        """Where a dry run's time goes: invoke's phases, project imports, git."""
        from dynamo_container.buildcontext.git import describe

        phase_ms = self.driver_phases(dry_args, (), self.env)["ms"]
        imports: list[dict[str, float]] = []
        for _ in range(self.n("importtime")):
            _, proc = run([PY, "-X", "importtime", INVOKE, *dry_args], self.env)
            own = invoke_cum = 0
            for line in proc.stderr.splitlines():
                m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$", line)
                if not m:
                    continue
                self_us, cum_us, indent, name = int(m[1]), int(m[2]), len(m[3]), m[4]
                if name.split(".")[0] in ("dynamo_container", "tasks"):
                    own += self_us
                if indent == 1 and name.split(".")[0] == "invoke":  # top level (one space after |)
                    invoke_cum += cum_us
            imports.append(
                {"project_modules_self_ms": own / 1000, "invoke_package_cumulative_ms": invoke_cum / 1000}
            )
        git = []
        for _ in range(self.n("git")):
            start = time.perf_counter()
            describe(ROOT)
            git.append(time.perf_counter() - start)
        return {
            "how": "median over runs of a driver that runs invoke's CLI with each Program phase timed "
            "(perf_counter); project imports from -X importtime (self time of dynamo_container.* and "
            "tasks, inflated by importtime itself); git: version.describe() in-process",
            "phases_ms": phase_ms,
            "project_imports_ms_importtime": round(
                statistics.median(x["project_modules_self_ms"] for x in imports), 1
            ),
            "invoke_import_ms_importtime": round(
                statistics.median(x["invoke_package_cumulative_ms"] for x in imports), 1
            ),
            "git_describe_ms": round(statistics.median(git) * 1000, 1),
        }

    # 2 -------------------------------------------------------------------------------------------
    def raw_docker(self, plan: dict[str, Any]) -> tuple[float, list[BuildProgress]]:
        """The plan's steps run directly, as the executor would run them (argv, env, cwd)."""
        progs = []
        start = time.perf_counter()
        for step in plan["steps"]:
            argv = list(step["argv"])
            _, proc = run(argv, {**self.env, **step["env"]})
            progs.append(progress_of(proc.stdout.splitlines() + proc.stderr.splitlines()))
        return time.perf_counter() - start, progs

    def up_to_date(self, plan: dict[str, Any], env: dict[str, str] | None = None) -> bool:
        """Did the last invoke build skip every step (its receipt says so)?"""
        logs = Path((env or self.env)["DYNAMO_LOG_DIR"])
        name = f"{catalog.build_name(plan['framework'], plan['cuda_version'], plan['target'])}.json"
        steps = json.loads((logs / "receipts" / name).read_text())["steps"]
        return bool(steps) and all(s.get("up_to_date") for s in steps)

    def warm_rebuild(self) -> dict[str, Any]:
        """No change since the last build: invoke (up to date), invoke --force, the raw docker commands."""
        args = self.build_args("vllm")
        plan: dict[str, Any] = {}
        samples: dict[str, list[float]] = {"invoke": [], "force": [], "raw": []}
        discarded = replans = 0
        n = self.n("warm")
        attempts = 0
        while len(samples["raw"]) < n:
            attempts += 1
            if attempts > 3 * n + 3:
                raise RuntimeError(
                    f"only {len(samples['raw'])} fully cached rounds after {attempts - 1} attempts"
                )
            if not plan or plan["commit"] != git_head():  # someone committed: new build args, re-warm
                replans += bool(plan)
                plan = self.plan(args)
                run(self.invoke(*args, "--force"), self.env)
                self.raw_docker(plan)
                self.images.note()
            got: dict[str, float] = {}
            cached = True
            names = list(samples)
            for which in names[attempts % 3 :] + names[: attempts % 3]:  # rotate the order
                if which == "raw":
                    got["raw"], progs = self.raw_docker(plan)
                elif which == "force":
                    got["force"], _ = run(self.invoke(*args, "--force"), self.env)
                    progs = progress_of_logs([s["log"] for s in plan["steps"]])
                else:
                    got["invoke"], _ = run(self.invoke(*args), self.env)
                    progs = [] if self.up_to_date(plan) else [BuildProgress()]
                cached = cached and all(p.total and p.cached == p.total for p in progs)
            if cached:
                for which, seconds in got.items():
                    samples[which].append(seconds)
            else:
                discarded += 1
        a, f, b = stats(samples["invoke"]), stats(samples["force"]), stats(samples["raw"])
        return {
            "command": f"invoke {' '.join(args)}",
            "raw": "the argv and env of each step of `--dry-run --json`, run with subprocess from the "
            "repository root, one after another",
            "steps": [s["name"] for s in plan["steps"]],
            "invoke_build": a,
            "invoke_build_force": f,
            "raw_docker": b,
            "ratios": {"invoke/raw_docker": ratio(a, b), "invoke_force/raw_docker": ratio(f, b)},
            "overhead_force_s": round(f["median"] - b["median"], 4),
            "phases": self.warm_phases(args),
            "rounds_discarded_not_fully_cached": discarded,
            "replanned_after_a_new_commit": replans,
        }

    def warm_phases(self, args: Sequence[str]) -> dict[str, Any]:
        try:  # optional: where invoke's time goes in an up-to-date rebuild (same state)
            return {
                "how": "median over runs of a driver that runs invoke's CLI with invoke's Program phases "
                "and some project functions timed; docker-py and those modules imported up front",
                **self.driver_phases(args, BUILD_WRAPS, self.env),
            }
        except Exception as exc:
            return {"error": str(exc)}

    # 3 -------------------------------------------------------------------------------------------
    def cold_pipeline(self) -> dict[str, Any]:
        from dynamo_container.execute.matrix import default_jobs

        matrix_args = self.build_args(",".join(FRAMEWORKS), "--no-cache")
        mplan = self.plan(matrix_args)
        seq: list[float] = []
        seq_each: list[dict[str, float]] = []
        mat: list[float] = []
        for i in range(self.n("cold")):
            order = ("seq", "matrix") if i % 2 == 0 else ("matrix", "seq")
            for which in order:
                if which == "seq":
                    each = {}
                    for fw in FRAMEWORKS:
                        log(f"cold run {i + 1}: sequential {fw}")
                        each[fw], _ = run(self.invoke(*self.build_args(fw, "--no-cache")), self.env)
                        self.images.note()
                    seq.append(sum(each.values()))
                    seq_each.append({k: round(v, 3) for k, v in each.items()})
                else:
                    log(f"cold run {i + 1}: matrix")
                    seconds, _ = run(self.invoke(*matrix_args), self.env)
                    mat.append(seconds)
                    self.images.note()
        a, b = stats(seq), stats(mat)
        return {
            "sequential_commands": [
                f"invoke {' '.join(self.build_args(fw, '--no-cache'))}" for fw in FRAMEWORKS
            ],
            "matrix_command": f"invoke {' '.join(matrix_args)}",
            "matrix_jobs": default_jobs(),
            "docker_builds_per_pipeline": sum(len(c["steps"]) for c in mplan["combinations"]),
            # each framework builds its own step-1 base image (its build args differ)
            "base_builds": sum(1 for c in mplan["combinations"] for s in c["steps"] if s["name"] == "base"),
            "sequential": {**a, "per_framework_s": seq_each},
            "matrix": b,
            "ratios": {"sequential/matrix": ratio(a, b)},
        }

    # 7 -------------------------------------------------------------------------------------------
    def scale_out(self) -> dict[str, Any]:
        """Two extra engines: steps against bake, a cold engine with and without a registry cache."""
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import scale_out

        return scale_out.measure(self, run, stats, ratio)

    # 4 -------------------------------------------------------------------------------------------
    def incremental(self) -> dict[str, Any]:
        path = ROOT / WHEEL_SOURCE
        was_clean = subprocess.run(["git", "diff", "--quiet", "--", WHEEL_SOURCE], cwd=ROOT).returncode == 0
        original = path.read_bytes()
        head = git_head()
        # Pinned version and commit: a commit by someone else during the run must not change the build args.
        version = self.plan(self.build_args("vllm"))["version"]
        env = {**self.env, "DYNAMO_VERSION": version, "DYNAMO_COMMIT_SHA": head}
        args = self.build_args("vllm")
        plan = self.plan(args, env)
        logs = [s["log"] for s in plan["steps"]]

        def build(*more: str) -> dict[str, Any]:
            seconds, _ = run(self.invoke(*args, *more), env)
            self.images.note()
            progs = progress_of_logs(logs)
            return {
                "seconds": seconds,
                "steps_rebuilt": sum(len(rebuilt(p)) for p in progs),
                "steps_total": sum(p.total for p in progs),
                "per_step": {
                    s["name"]: {"rebuilt": len(rebuilt(p)), "total": p.total, "which": rebuilt(p)}
                    for s, p in zip(plan["steps"], progs, strict=True)
                },
            }

        build()  # warm
        warm = build("--force")  # BuildKit itself: every step cached
        if warm["steps_rebuilt"]:
            raise RuntimeError(f"a second identical build rebuilt {warm['steps_rebuilt']} steps: {warm}")
        incs, raws = [], []
        try:
            for i in range(self.n("incremental")):
                path.write_bytes(original + f"\n# benchmark edit {self.token}-{i}\n".encode())
                incs.append(build())
                path.write_bytes(original + f"\n# benchmark edit {self.token}-{i}-raw\n".encode())
                raws.append(self.raw_docker(plan)[0])
                self.images.note()
        finally:
            path.write_bytes(original)
        restored = path.read_bytes() == original
        clean_after = subprocess.run(["git", "diff", "--quiet", "--", WHEEL_SOURCE], cwd=ROOT).returncode == 0
        fulls = [build("--no-cache") for _ in range(self.n("full"))]
        a = stats([x["seconds"] for x in incs])
        b = stats([x["seconds"] for x in fulls])
        r = stats(raws)
        return {
            "command": f"invoke {' '.join(args)}",
            "pinned_env": {"DYNAMO_VERSION": version, "DYNAMO_COMMIT_SHA": head},
            "changed_file": WHEEL_SOURCE,
            "warm_build": {"seconds": round(warm["seconds"], 3), "steps_total": warm["steps_total"]},
            "incremental": {
                **a,
                "steps_rebuilt": incs[0]["steps_rebuilt"],
                "steps_total": incs[0]["steps_total"],
                "per_step": incs[0]["per_step"],
                "steps_rebuilt_each_run": [x["steps_rebuilt"] for x in incs],
            },
            "full_no_cache": {
                **b,
                "steps_rebuilt": fulls[0]["steps_rebuilt"],
                "steps_total": fulls[0]["steps_total"],
            },
            "raw_docker_one_file_change": r,
            "ratios": {"full/incremental": ratio(b, a), "incremental/raw_docker": ratio(a, r)},
            "file_restored": restored,
            "git_diff_quiet_before": was_clean,
            "git_diff_quiet_after": clean_after,
        }

    # 5 -------------------------------------------------------------------------------------------
    def context(self) -> dict[str, Any]:
        kept = measure(CHECKOUT, IGNORE)
        times = [measure(CHECKOUT, IGNORE).seconds for _ in range(5)]
        whole_bytes = whole_files = 0
        start = time.perf_counter()
        for _, size, _ in walk(CHECKOUT, Matcher(())):
            whole_bytes += size
            whole_files += 1
        whole_seconds = time.perf_counter() - start
        with_bk = self.buildkit_context("with", IGNORE.read_text())
        # An empty ignore file beside the Dockerfile: nothing excluded (and the checkout's own
        # .dockerignore, which BuildKit reads only when there is none beside the Dockerfile, is not).
        without_bk = self.buildkit_context("without", "")
        return {
            "with_dockerignore": {
                "files": kept.files,
                "bytes": kept.bytes,
                "human": human_size(kept.bytes),
                "measure_seconds": stats(times, 5),
                "buildkit_transferred": with_bk,
            },
            "without": {
                "files": whole_files,
                "bytes": whole_bytes,
                "human": human_size(whole_bytes),
                "walk_seconds": round(whole_seconds, 4),
                "buildkit_transferred": without_bk,
            },
            "ratios": {"bytes_without/with": round(whole_bytes / kept.bytes, 1) if kept.bytes else None},
            "context": str(CHECKOUT.relative_to(ROOT)),
            "ignore_file": str(IGNORE.relative_to(ROOT)),
            "how": "with: dynamo_container.buildcontext.context.measure(checkout, ignore file); "
            "without: the same walk "
            "with no patterns; BuildKit: a scratch `FROM dynamo-standin-base:bookworm` + "
            "`COPY . /ctx-<token>` build of the checkout (--progress=plain, --output type=cacheonly) with a "
            "copy of the ignore file (or an empty one) beside its Dockerfile, its 'transferring context' "
            "line; its cache records are pruned afterwards",
        }

    # 6 -------------------------------------------------------------------------------------------
    def library_costs(self) -> dict[str, Any]:
        """What the hand-written pieces save against the library beside them (see docs/architecture.md)."""
        from docker.utils.build import exclude_paths

        from dynamo_container.buildcontext.context import read_patterns

        imports: dict[str, list[float]] = {"docker_py": [], "engine_api": [], "bare_python": []}
        programs = {
            "docker_py": "import docker",
            "engine_api": "import dynamo_container.docker.api",
            "bare_python": "pass",
        }
        for i in range(self.n("libraries")):
            names = list(programs)[i % 3 :] + list(programs)[: i % 3]
            for name in names:
                seconds, _ = run([PY, "-c", programs[name]], self.env, quiet=True)
                imports[name].append(seconds)
        patterns = [p for _, p in read_patterns(IGNORE.read_text())]
        ours, theirs = [], []
        for _ in range(self.n("libraries")):
            ours.append(measure(CHECKOUT, IGNORE).seconds)
            start = time.perf_counter()
            exclude_paths(str(CHECKOUT), list(patterns))
            theirs.append(time.perf_counter() - start)
        res = {k: stats(v) for k, v in imports.items()}
        return {
            "import": res,
            "context_walk": {"ours": stats(ours, 5), "docker_py_exclude_paths": stats(theirs, 5)},
            "how": "import: a fresh `python -c` of each, wall time (rotated order); context walk: "
            "dynamo_container.buildcontext.context.measure vs docker.utils.build.exclude_paths "
            "on the stand-in checkout "
            "with its ignore file, in-process",
        }

    def buildkit_context(self, label: str, ignore: str) -> str:
        folder = self.tmp / f"ctx-{label}"
        folder.mkdir()
        marker = f"ctx-{self.token}-{label}"
        (folder / "Dockerfile").write_text(f"FROM dynamo-standin-base:bookworm\nCOPY . /{marker}\n")
        (folder / "Dockerfile.dockerignore").write_text(ignore)
        argv = [
            "docker",
            "buildx",
            "build",
            "--progress=plain",
            "--output",
            "type=cacheonly",
            "-f",
            str(folder / "Dockerfile"),
            str(CHECKOUT),
        ]
        try:
            _, proc = run(argv, self.env)
        finally:
            self.prune_cache(marker)
        vertex = ""
        figure = ""
        for line in proc.stderr.splitlines():
            m = re.match(r"#(\d+) \[internal\] load build context$", line)
            if m:
                vertex = m[1]
            m = re.match(r"#(\d+) transferring context: (\S+)", line)
            if m and m[1] == vertex:
                figure = m[2]
        return figure

    def prune_cache(self, marker: str) -> None:
        out = text(["docker", "buildx", "du", "--verbose"])
        for block in out.split("\n\n"):
            m = re.search(r"^ID:\s+(\S+)", block, re.M)
            if m and marker in block:
                subprocess.run(
                    ["docker", "buildx", "prune", "-f", "--filter", f"id={m[1]}"],
                    capture_output=True,
                    check=False,
                )


# ---------------------------------------------------------------------------------------------------
# report


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str, str, str]] = [("figure", "median", "min", "n", "ratio of medians / note")]
    m = results["measurements"]

    def add(label: str, s: dict[str, Any] | None, note: str = "") -> None:
        if s is None:
            rows.append((label, "", "", "", note))
        else:
            rows.append((label, fmt_s(s["median"]), fmt_s(s["min"]), str(s["n"]), note))

    def target(name: str, value: float | None) -> str:
        limit = TARGETS[name]
        verdict = "-" if value is None else ("met" if value <= limit else "MISSED")
        return f"{fmt_x(value)}  (target <= {limit}x: {verdict})"

    p = m.get("planning_latency", {})
    if "dry_run" in p:
        add("1. invoke build --dry-run (sglang runtime)", p["dry_run"])
        add("   one-line invoke task", p["one_line_task"])
        add("   python -c pass", p["bare_python"])
        add(
            "   dry run / one-line task",
            None,
            target("dry_run_vs_one_line_task", p["ratios"]["dry_run/one_line_task"]["of_medians"]),
        )
        add("   dry run / bare python", None, fmt_x(p["ratios"]["dry_run/bare_python"]["of_medians"]))
    w = m.get("warm_rebuild", {})
    if "invoke_build" in w:
        add("2. no change: invoke build (vllm runtime, up to date)", w["invoke_build"])
        add("   the same docker commands directly", w["raw_docker"])
        add(
            "   invoke / raw docker",
            None,
            target("no_change_rebuild_vs_raw_docker", w["ratios"]["invoke/raw_docker"]["of_medians"]),
        )
        add("   invoke build --force (docker runs, fully cached)", w["invoke_build_force"])
        add(
            "   invoke --force / raw docker",
            None,
            target("forced_rebuild_vs_raw_docker", w["ratios"]["invoke_force/raw_docker"]["of_medians"]),
        )
    c = m.get("cold_pipeline", {})
    if "sequential" in c:
        add("3. cold, 4 runtime images: 4 x invoke build", c["sequential"])
        add(f"   one matrix build (--jobs {c['matrix_jobs']})", c["matrix"])
        add("   sequential / matrix", None, fmt_x(c["ratios"]["sequential/matrix"]["of_medians"]))
    i = m.get("incremental_rebuild", {})
    if "incremental" in i:
        inc, full = i["incremental"], i["full_no_cache"]
        add(
            "4. one wheel source changed: invoke build",
            inc,
            f"{inc['steps_rebuilt']}/{inc['steps_total']} steps rebuilt",
        )
        add("   the same docker commands directly", i["raw_docker_one_file_change"])
        add("   invoke / raw docker", None, fmt_x(i["ratios"]["incremental/raw_docker"]["of_medians"]))
        add(
            "   full rebuild (--no-cache)",
            full,
            f"{full['steps_rebuilt']}/{full['steps_total']} steps rebuilt",
        )
        add("   full / incremental", None, fmt_x(i["ratios"]["full/incremental"]["of_medians"]))
    so = m.get("scale_out", {})
    if "matrix_steps" in so:
        add("7. cold 4-combination matrix on engine a: --executor steps", so["matrix_steps"])
        add("   the same: --executor bake (one solve)", so["matrix_bake"])
        add("   steps / bake", None, fmt_x(so["ratios"]["steps/bake"]["of_medians"]))
        add("   cold vllm runtime on an empty engine b", so["engine_b_cold"])
        add("   the same, reading engine a's registry cache", so["engine_b_with_a_cache"])
        add("   cold / with the cache", None, fmt_x(so["ratios"]["cold/with_cache"]["of_medians"]))
    for name, value in m.items():
        if "error" in value:
            rows.append((f"{name}: FAILED", "", "", "", value["error"].splitlines()[0][:60]))
    out = render_rows(rows)
    x = m.get("context_size", {})
    if "with_dockerignore" in x:
        wi, wo = x["with_dockerignore"], x["without"]
        ctx_rows = [
            ("5. build context", "files", "size (our walk)", "BuildKit sent", "note"),
            (
                "   with its ignore file",
                str(wi["files"]),
                wi["human"],
                wi["buildkit_transferred"] or "?",
                f"measured in {fmt_s(wi['measure_seconds']['median'])}",
            ),
            (
                "   without",
                str(wo["files"]),
                wo["human"],
                wo["buildkit_transferred"] or "?",
                f"{x['ratios']['bytes_without/with']}x the bytes",
            ),
        ]
        out += "\n\n" + render_rows(ctx_rows)
    lib = m.get("library_costs", {})
    if "import" in lib:
        imp, walk_s = lib["import"], lib["context_walk"]
        lib_rows = [
            ("6. beside a library", "median", "min", "n", "note"),
            (
                "   python -c 'import docker'",
                fmt_s(imp["docker_py"]["median"]),
                fmt_s(imp["docker_py"]["min"]),
                str(imp["docker_py"]["n"]),
                "docker-py",
            ),
            (
                "   python -c 'import ...engine_api'",
                fmt_s(imp["engine_api"]["median"]),
                fmt_s(imp["engine_api"]["min"]),
                str(imp["engine_api"]["n"]),
                "our light client",
            ),
            (
                "   python -c pass",
                fmt_s(imp["bare_python"]["median"]),
                fmt_s(imp["bare_python"]["min"]),
                str(imp["bare_python"]["n"]),
                "",
            ),
            (
                "   context walk: ours",
                fmt_s(walk_s["ours"]["median"]),
                fmt_s(walk_s["ours"]["min"]),
                str(walk_s["ours"]["n"]),
                "context.measure",
            ),
            (
                "   context walk: docker-py",
                fmt_s(walk_s["docker_py_exclude_paths"]["median"]),
                fmt_s(walk_s["docker_py_exclude_paths"]["min"]),
                str(walk_s["docker_py_exclude_paths"]["n"]),
                "exclude_paths",
            ),
        ]
        out += "\n\n" + render_rows(lib_rows)
    return out


def render_rows(rows: Sequence[tuple[str, str, str, str, str]]) -> str:
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    lines = []
    for n, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])] + [r[k].rjust(widths[k]) for k in (1, 2, 3)] + [r[4].ljust(widths[4])]
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def compileall() -> None:
    subprocess.run([PY, "-m", "compileall", "-q", "dynamo_container"], cwd=ROOT, check=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions: a fast smoke of this script")
    parser.add_argument(
        "--output",
        help="results file (default benchmarks/results.json; with --quick, a file in the temp dir)",
    )
    parser.add_argument(
        "--only", default="1,2,3,4,5,6,7", help="comma list of the measurements to run (1-7; default: all)"
    )
    opts = parser.parse_args(argv)
    only = {x.strip() for x in opts.only.split(",")}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    log("byte-compiling the package: python -m compileall -q dynamo_container (as scripts/setup does)")
    compileall()
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        print(
            "error: no Docker engine answers (docker info failed); start one with scripts/engine-up",
            file=sys.stderr,
        )
        return 2

    bench = Bench(opts.quick)
    results: dict[str, Any] = {
        "machine": machine(),
        "run": {
            "quick": opts.quick,
            "bytecode": "ran `python -m compileall -q dynamo_container` first (PYTHONDONTWRITEBYTECODE="
            f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}; invoke does not write .pyc files while "
            "it runs tasks), and again before each measurement, so the package is imported from bytecode as "
            "after scripts/setup",
            "commit": git_head(),
            "dirty": bool(text(["git", "status", "--porcelain"])),
            "image_name": bench.name,
            "repetitions": {k: bench.n(k) for k in REPS},
        },
        "targets": TARGETS,
        "measurements": {},
    }
    steps: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
        ("1", "planning_latency", bench.planning_latency),
        ("2", "warm_rebuild", bench.warm_rebuild),
        ("3", "cold_pipeline", bench.cold_pipeline),
        ("4", "incremental_rebuild", bench.incremental),
        ("5", "context_size", bench.context),
        ("6", "library_costs", bench.library_costs),
        ("7", "scale_out", bench.scale_out),
    ]
    failed = False
    started = time.perf_counter()
    try:
        for key, name, fn in steps:
            if key not in only:
                continue
            log(f"{key}. {name}")
            compileall()  # others may have edited a module since: keep the bytecode current
            t0 = time.perf_counter()
            try:
                results["measurements"][name] = fn()
            except Abort:
                raise
            except Exception as exc:
                failed = True
                results["measurements"][name] = {"error": f"{type(exc).__name__}: {exc}"}
                log(f"{name} failed: {exc}")
            results["measurements"].get(name, {})["wall_seconds"] = round(time.perf_counter() - t0, 1)
    finally:
        log(f"removing the images named {bench.name}*")
        results["cleanup"] = bench.images.remove()
        shutil.rmtree(bench.tmp, ignore_errors=True)
    results["machine"]["loadavg_at_end"] = list(os.getloadavg())
    results["run"]["wall_seconds"] = round(time.perf_counter() - started, 1)
    out = (
        Path(opts.output)
        if opts.output
        else (
            Path(tempfile.gettempdir()) / "dynamo-container-bench-quick.json"
            if opts.quick
            else ROOT / "benchmarks" / "results.json"
        )
    )
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"machine: {machine_line(results['machine'])}")
    print(f"bytecode: {results['run']['bytecode']}")
    print(table(results))
    print(f"results: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
