"""`invoke smoke` on real stand-in images: passes on a good build, fails (tier 0) when the plan disagrees."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conftest import STANDIN_ENV, Names, invoke


def test_smoke_passes_then_catches_a_label_that_differs_from_the_plan(
    names: Names, docker_client: Any
) -> None:
    args = ["--env-file", STANDIN_ENV, "--framework", "sglang", "--cuda-version", "13.0"]
    built = invoke("build", *args, "--target", "runtime", "--commit-sha", "a" * 40, env=names.env())
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr
    ok = invoke("smoke", *args, "--commit-sha", "a" * 40, "--json", env=names.env())
    assert ok.returncode == 0, ok.stdout + ok.stderr
    report = json.loads(ok.stdout)
    assert [t["status"] for t in report["tiers"]] == ["pass", "pass", "skip"]
    assert report["profile"].startswith("stand-in")
    assert "NVIDIA runtime" in report["tiers"][2]["details"][0]
    # the same image checked against a plan with another commit: its revision label and build args differ
    bad = invoke("smoke", *args, "--commit-sha", "b" * 40, env=names.env())
    assert bad.returncode == 1
    assert "tier 0 image, tags, labels, build args: FAIL" in bad.stdout
    assert (
        f"label org.opencontainers.image.revision is '{'a' * 40}', the plan says '{'b' * 40}'" in bad.stdout
    )
    assert "tier 1 imports, non-root user, entrypoint: SKIP" in bad.stdout
    assert bad.stderr.strip() == "error: smoke checks failed in tier 0"


def test_smoke_of_an_image_never_built(names: Names) -> None:
    r = invoke("smoke", "--env-file", STANDIN_ENV, "--framework", "none", env=names.env())
    assert r.returncode == 1 and "missing image" in r.stdout
