"""Each caching step of each combination gets its own cache entry from one --cache-to/--cache-from base."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.plan.bake import to_bake
from dynamo_container.plan.cache import scope_name, step_cache
from dynamo_container.resolve.build import Cache
from tests.helpers import mplan, plan

REG = "127.0.0.1:5000/team/cache"


def _flag_values(argv: tuple[str, ...], flag: str) -> list[str]:
    return [argv[i + 1] for i, w in enumerate(argv) if w == flag]


def test_registry_ref_gets_a_tag_per_step_mode_max_kept(repo: Path) -> None:
    p = plan(
        repo,
        target="runtime",
        cache_from=(f"type=registry,ref={REG}",),
        cache_to=(f"type=registry,ref={REG},mode=max",),
    )
    base, fw = p.steps[0], p.steps[1]
    assert base.cache_to == (f"type=registry,ref={REG}:cache-vllm-cuda12.9-base,mode=max",)
    assert base.cache_from == (f"type=registry,ref={REG}:cache-vllm-cuda12.9-base",)
    assert fw.cache_to == (f"type=registry,ref={REG}:cache-vllm-cuda12.9-framework-runtime,mode=max",)
    assert fw.cache_from == (f"type=registry,ref={REG}:cache-vllm-cuda12.9-framework-runtime",)
    for step in (base, fw):  # the argv says exactly what the Step carries
        assert _flag_values(step.argv, "--cache-to") == list(step.cache_to)
        assert _flag_values(step.argv, "--cache-from") == list(step.cache_from)
        assert step.to_json()["cache_to"] == list(step.cache_to)


def test_every_step_of_every_combination_exports_somewhere_else(repo: Path) -> None:
    m = mplan(
        repo,
        framework="vllm,sglang,none",
        cuda_version="all",
        target="runtime",
        cache_to=(f"type=registry,ref={REG}",),
    )
    exports = [e for s in m.steps for e in s.cache_to]
    assert len(m.plans) >= 4 and len(exports) == len(set(exports))
    caching = [s for s in m.steps if s.kind == "build" and s.name in ("base", "framework", "image")]
    assert len(exports) == len(caching)
    assert f"type=registry,ref={REG}:cache-none-cuda12.8-image-runtime" in exports


def test_inline_cache_and_tagged_cache_from_stay_as_they_are(repo: Path) -> None:
    pushed = "reg.example/dynamo:latest-vllm-runtime"  # an image pushed with its inline cache
    p = plan(
        repo, target="runtime", cache_from=(pushed, f"type=registry,ref={pushed}"), cache_to=("type=inline",)
    )
    for step in p.steps[:2]:
        assert step.cache_to == ("type=inline",)
        assert step.cache_from == (pushed, f"type=registry,ref={pushed}")


def test_steps_without_cache_get_none(repo: Path) -> None:
    p = plan(repo, target="local-dev", make_efa=True, cache_to=(f"type=registry,ref={REG}",), no_cache=True)
    assert [s.name for s in p.steps] == ["base", "framework", "local-dev", "efa"]
    assert all(s.no_cache for s in p.steps[:2])
    for step in p.steps[2:]:
        assert step.cache_to == () and not step.no_cache
        assert "--cache-to" not in step.argv and "--no-cache" not in step.argv


@pytest.mark.parametrize("ref", [f"{REG}:buildcache", f"{REG}@sha256:{'a' * 64}"])
def test_a_tagged_cache_to_ref_is_refused_with_the_way_out(repo: Path, ref: str) -> None:
    with pytest.raises(ConfigError, match=f"ref={ref} names one tag") as err:
        plan(repo, target="runtime", cache_to=(f"type=registry,ref={ref},mode=max",))
    assert f"name the repository only (ref={REG})" in str(err.value.hint)


def test_a_tagged_cache_to_ref_from_the_env_file_names_its_line(repo: Path) -> None:
    (repo / ".env").write_text(f"DYNAMO_CACHE_TO=type=registry,ref={REG}:x\n")
    with pytest.raises(ConfigError, match=r"DYNAMO_CACHE_TO \(.env:1\)"):
        plan(repo, target="runtime")


@pytest.mark.parametrize(
    ("entry", "export", "expected"),
    [
        ("type=local,dest=/c", True, "type=local,dest=/c/cache-k"),
        ("type=local,src=/c/", False, "type=local,src=/c/cache-k"),
        ("type=gha,scope=team,mode=max", True, "type=gha,scope=team-k,mode=max"),
        ("type=gha", True, "type=gha,scope=buildkit-k"),
        ("type=s3,region=r,bucket=b", True, "type=s3,region=r,bucket=b,name=buildkit-k"),
        ("type=inline", True, "type=inline"),
        (REG, False, f"type=registry,ref={REG}:cache-k"),
    ],
)
def test_each_cache_type_names_its_own_entry(entry: str, export: bool, expected: str) -> None:
    cache = Cache(cache_to=(entry,)) if export else Cache(cache_from=(entry,))
    got = step_cache(cache, "k")
    assert (got.cache_to if export else got.cache_from) == (expected,)


def test_scope_names_are_tags() -> None:
    assert scope_name("vllm-cuda12.9", "base", "base") == "vllm-cuda12.9-base"
    assert scope_name("vllm-cuda12.9", "efa", "runtime-aws") == "vllm-cuda12.9-efa-runtime-aws"


def test_bake_targets_carry_the_step_cache(repo: Path) -> None:
    m = mplan(
        repo, framework="vllm,sglang", target="runtime", cache_to=(f"type=registry,ref={REG},mode=max",)
    )
    bake = to_bake(m)
    for plan_ in m.plans:
        for step in plan_.steps:
            target = bake["target"][f"{plan_.key.replace('.', '_')}-{step.name}"]
            assert target["cache-to"] == list(step.cache_to)


def test_each_architecture_has_its_own_cache(repo: Path) -> None:
    arm = plan(repo, target="runtime", platform="linux/arm64", cache_to=(f"type=registry,ref={REG}",))
    assert arm.steps[0].cache_to == (f"type=registry,ref={REG}:cache-vllm-cuda12.9-arm64-base",)
