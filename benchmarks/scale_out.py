"""Benchmark 7 (benchmarks/run.py --only 7): scale-out on two extra engines of scripts/engine-b-up.

Engine a keeps its images in containerd (its docker driver exports registry caches) and has a
bridge network of its own (bake files have no network key); engine b is a plain engine. Both start
empty, get the stand-in base image from the main engine (docker save | docker load) and are stopped
and removed at the end, also when a measurement fails. Measured, alternating the order each run:

  7a. the 4-combination stand-in matrix, --no-cache, on engine a: the tool's own runner
      (--executor steps, --jobs as by default) against one docker buildx bake (--executor bake);
  7b. a cold vllm runtime build on engine b (its build cache pruned and the images removed before
      each run) without a cache against with the per-step registry cache engine a exported once.
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASE = "dynamo-standin-base:bookworm"


def _engine(name: str, *flags: str) -> str:
    out = subprocess.run(
        [str(ROOT / "scripts/engine-b-up"), "--name", name, *flags],
        capture_output=True,
        text=True,
        check=True,
    )
    host = out.stdout.strip().splitlines()[-1].removeprefix("DOCKER_HOST=")
    save = subprocess.Popen(
        ["docker", "-H", "unix:///var/run/docker.sock", "save", BASE], stdout=subprocess.PIPE
    )
    subprocess.run(["docker", "-H", host, "load", "-q"], stdin=save.stdout, capture_output=True, check=True)
    save.wait()
    return host


def _reset(host: str, keep: str) -> None:
    """Engine `host` as new: no build cache, no image but the base."""
    subprocess.run(["docker", "-H", host, "builder", "prune", "-af"], capture_output=True, check=True)
    listed = subprocess.run(
        ["docker", "-H", host, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    others = [ref for ref in listed.stdout.split() if ref != keep]
    if others:
        subprocess.run(["docker", "-H", host, "rmi", "-f", *others], capture_output=True, check=True)


def measure(
    bench: Any, run: Callable[..., Any], stats: Callable[..., Any], ratio: Callable[..., Any]
) -> dict[str, Any]:
    token = bench.token[:6]
    names = {"a": f"a{token}", "b": f"b{token}"}
    registry = f"127.0.0.1:5000/{bench.name}"
    cache = f"{registry}/cache"
    try:
        a = _engine(names["a"], "--containerd-store", "--bridge", f"10.231.{random.randrange(250)}.1/24")
        b = _engine(names["b"])
        matrix = bench.build_args("none,vllm,sglang,trtllm", "--no-cache", "--registry", registry)
        steps_s: list[float] = []
        bake_s: list[float] = []
        for i in range(bench.n("cold")):
            for which in ("steps", "bake") if i % 2 == 0 else ("bake", "steps"):
                _reset(a, BASE)
                seconds, _ = run(bench.invoke(*matrix, "--executor", which), {**bench.env, "DOCKER_HOST": a})
                (steps_s if which == "steps" else bake_s).append(seconds)
        one = bench.build_args("vllm", "--registry", registry)
        _reset(a, BASE)
        run(
            bench.invoke(*one, "--cache-to", f"type=registry,ref={cache},mode=max"),
            {**bench.env, "DOCKER_HOST": a},
        )
        cold_s: list[float] = []
        warm_s: list[float] = []
        for i in range(bench.n("cold")):
            for which in ("cold", "cached") if i % 2 == 0 else ("cached", "cold"):
                _reset(b, BASE)
                extra = ["--cache-from", f"type=registry,ref={cache}"] if which == "cached" else []
                seconds, _ = run(bench.invoke(*one, *extra), {**bench.env, "DOCKER_HOST": b})
                (warm_s if which == "cached" else cold_s).append(seconds)
    finally:
        for name in names.values():
            subprocess.run(
                [str(ROOT / "scripts/engine-b-down"), "--name", name], capture_output=True, check=False
            )
    st, bk, cold, warm = stats(steps_s), stats(bake_s), stats(cold_s), stats(warm_s)
    return {
        "matrix_command": f"invoke {' '.join(matrix)} --executor steps|bake",
        "matrix_steps": st,
        "matrix_bake": bk,
        "engine_b_command": f"invoke {' '.join(one)} [--cache-from type=registry,ref={cache}]",
        "engine_b_cold": cold,
        "engine_b_with_a_cache": warm,
        "ratios": {"steps/bake": ratio(st, bk), "cold/with_cache": ratio(cold, warm)},
    }
