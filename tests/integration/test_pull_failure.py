"""A base image the registry cannot give: the build ends in two lines that say what to do."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Names, standin_build

pytestmark = pytest.mark.integration


def test_an_unpullable_base_image_says_what_to_do(names: Names, registry: str) -> None:
    missing = f"{registry}/{names.image}-missing"
    r = standin_build("vllm", "runtime", "--base-image", missing, "--base-image-tag", "none", env=names.env())
    assert r.returncode == 1
    errors = [line for line in r.stderr.splitlines() if line.startswith(("error:", "  what to do:"))]
    assert errors[0] == (
        f"error: step 1/2 (base) failed: cannot pull the base image {missing}:none: "
        f"{registry} has no such image"
    )
    assert errors[1].startswith("  what to do: a mirror through --base-image/--runtime-image")
    assert "no such host" not in r.stderr and "failed to solve" not in r.stderr
