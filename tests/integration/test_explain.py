"""Why a step ran, on the real engine: a one-file change named by --explain, the step line, the receipt."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.integration.conftest import STANDIN_CHECKOUT, STANDIN_ENV, Names, invoke


def test_a_one_file_change_is_named_as_the_reason(names: Names, tmp_path: Path) -> None:
    checkout, logs = tmp_path / "dynamo", tmp_path / "logs"
    shutil.copytree(STANDIN_CHECKOUT, checkout, symlinks=True)
    env = {
        **names.env(),
        "DYNAMO_CONTEXT": str(checkout),
        "DYNAMO_LOG_DIR": str(logs),
        "DYNAMO_VERSION": "0.0.1",
    }
    argv = ("build", "--env-file", STANDIN_ENV, "--framework", "vllm", "--target", "runtime")

    def run(*more: str) -> str:
        r = invoke(*argv, *more, env=env)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr
        return r.stdout

    first = run("--progress", "quiet")
    assert first.count("; ran because first build of this step (no earlier build recorded)") == 2
    assert "#1 " not in first and "Configuration" not in first  # quiet: only results and the summary
    keys_before = sorted(p.relative_to(logs) for p in (logs / "keys").rglob("*"))
    explained = run("--explain")
    assert "step 1/2 base: up to date: kept sha256:" in explained
    assert "step 2/2 framework: up to date: kept sha256:" in explained
    assert sorted(p.relative_to(logs) for p in (logs / "keys").rglob("*")) == keys_before  # wrote nothing

    readme = checkout / "README.md"
    readme.write_text(readme.read_text() + "\none more line\n")
    explained = run("--explain")
    assert "step 1/2 base: would run: build context files: README.md changed" in explained
    assert "step 2/2 framework: would run: " in explained
    rebuilt = run("--progress", "quiet")
    assert "Step 1/2 base done in " in rebuilt
    assert "; ran because build context files: README.md changed" in rebuilt
    receipt = json.loads((logs / "receipts" / "vllm-cuda12.9-runtime.json").read_text())
    assert receipt["steps"][0]["reason"] == "build context files: README.md changed"
    assert "README.md changed" in receipt["steps"][1]["reason"]

    again = run("--progress", "quiet")
    assert again.count(" up to date: nothing changed since it built ") == 2 and "; kept sha256:" in again
