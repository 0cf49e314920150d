"""The framework x CUDA table (matrix.py): rows, targets and the one place for architecture names."""

from __future__ import annotations

from dynamo_container.model import catalog


def test_arch_names() -> None:
    assert [catalog.normalize_arch(a) for a in ("x86_64", "AMD64", "aarch64", "arm64")] == [
        "amd64",
        "amd64",
        "arm64",
        "arm64",
    ]
    assert catalog.normalize_arch("ppc64le") is None
    assert (
        catalog.arch_of_platform("linux/arm64/v8") == "arm64"
        and catalog.arch_of_platform("linux/s390x") is None
    )


def test_targets_follow_the_stages() -> None:
    assert "framework" not in catalog.framework("sglang").targets
    assert catalog.framework("vllm").targets[:3] == ("framework", "runtime", "dev")
    for fw in catalog.FRAMEWORKS:
        assert not set(catalog.framework(fw).targets) & set(catalog.HELPER_STAGES)


def test_every_framework_has_its_default_row() -> None:
    for fw in catalog.FRAMEWORKS:
        assert catalog.find_variant(fw, catalog.framework(fw).default_cuda) is not None
    assert catalog.describe_valid().startswith("none: 12.8; vllm: 12.9, 13.0")
