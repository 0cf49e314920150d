"""Honest step counts on the real engine: each instruction once, none cached under --no-cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.integration.conftest import STANDIN_ENV, Names, invoke


def _build(names: Names, logs: Path, *args: str) -> str:
    env = {**names.env(), "DYNAMO_LOG_DIR": str(logs)}
    r = invoke("build", "--env-file", STANDIN_ENV, "--target", "runtime", *args, env=env)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr
    return r.stdout


def _counts(logs: Path, name: str) -> list[tuple[str, int, int]]:
    receipt: dict[str, Any] = json.loads((logs / "receipts" / f"{name}.json").read_text())
    return [(s["name"], s["cached"], s["total"]) for s in receipt["steps"]]


def test_no_cache_counts_what_ran_and_a_matrix_counts_each_instruction_once(
    names: Names, tmp_path: Path
) -> None:
    alone, matrix = tmp_path / "alone", tmp_path / "matrix"
    out = _build(names, alone, "--framework", "sglang", "--no-cache")
    single = _counts(alone, "sglang-cuda12.9-runtime")
    assert [cached for _, cached, _ in single] == [0, 0], single
    assert all(total > 0 for _, _, total in single)
    for _, _, total in single:
        assert f"{total} run, --no-cache" in out
    # two combinations at once share instructions BuildKit reports twice: still counted once each
    _build(names, matrix, "--framework", "vllm,sglang", "--jobs", "2", "--no-cache")
    assert _counts(matrix, "sglang-cuda12.9-runtime") == single
    # a cached rebuild (docker runs every step: --force) counts every instruction cached
    _build(names, alone, "--framework", "sglang", "--force")
    cached = _counts(alone, "sglang-cuda12.9-runtime")
    assert all(c == t and t >= n for (_, c, t), (_, _, n) in zip(cached, single, strict=True)), cached
