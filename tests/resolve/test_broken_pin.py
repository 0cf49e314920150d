"""A row with a deliberately broken pin, resolved against PyPI: the failure names the conflict."""

from __future__ import annotations

import pytest

from dynamo_container.deps import resolution as resolve
from dynamo_container.deps import sets
from dynamo_container.deps.sets import InstallSet, Requirement
from dynamo_container.model import catalog

pytestmark = pytest.mark.resolve


def uv() -> str:
    found = resolve.find_uv()
    if found is None:
        pytest.fail(f"uv not found: pip install {resolve.UV_PACKAGE}")
    if reason := resolve.index_unreachable():
        pytest.fail(f"PyPI is out of reach: {reason}")
    return found


def vllm_row(ledger: dict[str, str] | None = None) -> InstallSet:
    variant = catalog.find_variant("vllm", "12.9")
    assert variant is not None
    return sets.install_set(variant, ledger)


def test_a_pydantic_pin_vllm_excludes_is_a_conflict_naming_both() -> None:
    # vLLM 0.14.1 requires pydantic>=2.12.0 (the reason for requirements.txt:43's floor).
    broken = sets.with_requirement(vllm_row(), Requirement("pydantic<2.12", "tests/resolve"))
    [outcome] = resolve.resolve_set(uv(), broken, "amd64")
    assert outcome.status == "conflict", outcome
    assert "vllm" in outcome.explanation and "pydantic>=2.12" in outcome.explanation
    assert "pydantic<2.12" in outcome.explanation


def test_a_ledger_pin_with_no_release_is_a_conflict_naming_it() -> None:
    ledger = dict(sets.ledger_values(), LMCACHE_REF="0.0.0")
    [outcome] = resolve.resolve_set(uv(), vllm_row(ledger), "amd64")
    assert outcome.status == "conflict", outcome
    assert "no version of lmcache" in outcome.explanation and "==0.0.0" in outcome.explanation
