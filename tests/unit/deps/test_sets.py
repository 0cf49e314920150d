"""The dependency-resolution tier's input and invocations: built from the ledger, no network."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from dynamo_container.deps import facts, sets
from dynamo_container.deps import resolution as resolve
from dynamo_container.deps.sets import InstallSet, Requirement
from dynamo_container.model import catalog, pins

UV = "/opt/uv"


def row(framework: str, cuda: str, ledger: dict[str, str] | None = None) -> InstallSet:
    variant = catalog.find_variant(framework, cuda)
    assert variant is not None
    return sets.install_set(variant, ledger)


def specs(install: InstallSet) -> list[str]:
    return [r.spec for r in install.resolved]


def test_every_matrix_row_has_an_install_set() -> None:
    keys = [s.key for s in sets.install_sets()]
    assert keys == [v.key for v in catalog.VARIANTS]
    assert all(s.python == pins.value("PYTHON_VERSION") for s in sets.install_sets())


def test_versions_come_from_the_ledger() -> None:
    vllm = specs(row("vllm", "12.9"))
    assert f"vllm[flashinfer,runai]=={pins.value('VLLM_REF')}" in vllm
    assert f"flashinfer-cubin=={pins.value('FLASHINF_REF')}" in vllm
    assert f"lmcache=={pins.value('LMCACHE_REF')} ; platform_machine == 'x86_64'" in vllm
    assert f"nixl-cu12=={pins.value('NIXL_REF')}" in vllm
    assert f"nixl-cu13=={pins.value('NIXL_REF')}" in specs(row("vllm", "13.0"))
    trtllm = row("trtllm", "13.1")
    assert {p.name: p.version for p in trtllm.preinstalled}["torch"] == pins.value("TORCH_VER")
    assert f"flashinfer-python=={pins.value('FLASHINFER_PYTHON_VER')}" in specs(trtllm)
    assert {pins.value("cuda-python"), pins.value("triton"), pins.value("cupy-cuda13x")} <= set(specs(trtllm))


def test_sglang_version_is_the_runtime_tag_up_to_the_first_dash() -> None:
    variant = catalog.find_variant("sglang", "13.0")
    assert variant is not None and variant.runtime_tag.startswith("v0.5.8-")
    assert "sglang==v0.5.8" in specs(row("sglang", "13.0"))


def test_sglang_nvidia_pins_are_checked_not_resolved() -> None:
    cuda12, cuda13 = row("sglang", "12.9"), row("sglang", "13.0")
    assert [r.spec for r in cuda12.checked] == [
        pins.value(n) for n in ("nvidia-nccl-cu12", "nvidia-cudnn-cu12", "nvidia-cutlass-dsl (CUDA 12)")
    ]
    assert len(cuda13.checked) == 4 and all("cu12" not in r.spec for r in cuda13.checked)
    assert not set(r.spec for r in cuda12.checked) & set(specs(cuda12))


def test_optional_wheels_follow_the_switches() -> None:
    def has(install: InstallSet, path: str) -> bool:
        return any(r.source.startswith(path + ":") for r in install.resolved)

    for s in sets.install_sets():
        fw = catalog.framework(s.framework)
        assert has(s, facts.KVBM) == fw.kvbm, s.key
        assert has(s, facts.GMS) == fw.gpu_memory_service, s.key
        assert has(s, facts.REQUIREMENTS_TXT) == (s.framework != "none"), s.key


def test_every_requirement_names_its_upstream_line_and_is_not_a_url() -> None:
    for s in sets.install_sets():
        for r in (*s.resolved, *s.checked):
            assert re.fullmatch(r"[\w./-]+:\d+(-\d+)?(,\d+)?", r.source), (s.key, r)
            assert "://" not in r.spec and " @ " not in r.spec, (s.key, r)


def test_skipped_sources_are_named_with_reasons() -> None:
    for s in sets.install_sets():
        assert s.skipped and all(k.what and k.source and k.reason for k in s.skipped), s.key

    def skipped(install: InstallSet) -> str:
        return "\n".join(f"{k.what} {k.reason}" for k in install.skipped)

    assert "flashinfer-jit-cache==v0.5.3" in skipped(row("vllm", "12.9"))
    assert "flashinfer.ai/whl/cu129" in skipped(row("vllm", "12.9"))
    assert "vllm-0.14.1+cu130" in skipped(row("vllm", "13.0"))
    assert "git+https://github.com/ai-dynamo/aiperf" in skipped(row("sglang", "12.9"))
    trtllm = skipped(row("trtllm", "13.1"))
    assert "tensorrt-llm==1.3.0rc1" in trtllm and "nvcr.io/nvidia/tensorrt-llm/release:1.3.0rc1" in trtllm
    assert "download.pytorch.org/whl/cu130" in trtllm
    assert "lmsysorg/sglang:v0.5.8-runtime" in skipped(row("sglang", "12.9"))


def test_argv_shape() -> None:
    vllm = resolve.invocations(UV, row("vllm", "12.9"), "amd64")
    assert len(vllm) == 1
    argv = vllm[0].argv
    assert argv[:4] == (UV, "pip", "compile", "-")
    assert argv[argv.index("--python-version") + 1] == "3.12"
    assert argv[argv.index("--python-platform") + 1] == "x86_64-manylinux_2_39"
    assert "--no-deps" not in argv and "--find-links" not in argv
    assert "vllm[flashinfer,runai]==v0.14.1  # container/deps/vllm/install_vllm.sh:144\n" in vllm[0].stdin
    arm = resolve.invocations(UV, row("sglang", "13.0"), "arm64", exclude_newer="2026-02-03")
    assert [i.label for i in arm] == ["sglang-cuda13.0 aarch64", "sglang-cuda13.0 aarch64 --no-deps check"]
    assert "aarch64-manylinux_2_35" in arm[0].argv and "--no-deps" in arm[1].argv
    assert all(i.argv[i.argv.index("--exclude-newer") + 1] == "2026-02-03" for i in arm)


def test_preinstalled_packages_are_exact_pins_served_by_stub_wheels() -> None:
    [trtllm] = resolve.invocations(UV, row("trtllm", "13.1"), "amd64", stubs="/tmp/stubs")
    assert trtllm.argv[trtllm.argv.index("--find-links") + 1] == "/tmp/stubs"
    assert trtllm.stdin.startswith(f"torch=={pins.value('TORCH_VER')}  # container/Dockerfile.trtllm:532-554")
    assert not any(line.startswith("tensorrt-llm") for line in trtllm.stdin.splitlines())


def test_stub_wheel(tmp_path: Path) -> None:
    stub = sets.Preinstalled("torch-tensorrt", "2.10.0a0", "here", "TORCH_TENSORRT_VER")
    resolve.write_stubs([stub], tmp_path)
    [wheel] = tmp_path.iterdir()
    assert wheel.name == "torch_tensorrt-2.10.0a0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as z:
        metadata = z.read("torch_tensorrt-2.10.0a0.dist-info/METADATA").decode()
    assert "Name: torch-tensorrt\nVersion: 2.10.0a0\n" in metadata and "Requires-Dist" not in metadata


def test_a_ledger_change_changes_the_invocation() -> None:
    before = resolve.invocations(UV, row("vllm", "12.9"), "amd64")[0]
    changed = dict(sets.ledger_values(), VLLM_REF="v0.14.0", NIXL_REF="0.8.0")
    after = resolve.invocations(UV, row("vllm", "12.9", changed), "amd64")[0]
    assert after.argv == before.argv and after.stdin != before.stdin
    assert "vllm[flashinfer,runai]==v0.14.0" in after.stdin and "nixl-cu12==0.8.0" in after.stdin
    # CUDA 13's vLLM wheel has its version fixed in install_vllm.sh: VLLM_REF does not reach it.
    cuda13 = resolve.invocations(UV, row("vllm", "13.0", changed), "amd64")[0]
    assert "vllm[flashinfer,runai]==0.14.1" in cuda13.stdin
    torch = dict(sets.ledger_values(), TORCH_VER="2.11.0a0+nv26.03")
    trtllm = resolve.invocations(UV, row("trtllm", "13.1", torch), "amd64")[0]
    assert trtllm.stdin.startswith("torch==2.11.0a0+nv26.03  ")


def test_with_requirement_adds_one_phase() -> None:
    base = row("none", "12.8")
    broken = sets.with_requirement(base, Requirement("pydantic<2", "test"))
    assert broken.resolved == (*base.resolved, Requirement("pydantic<2", "test"))


UV_CONFLICT = (
    "warning: The requested Python version 3.12 is not available; 3.11.7 will be used to build ...\n"
    "error: No solution found when resolving dependencies\n"
    "  cause: Because vllm==0.14.1 depends on pydantic>=2.12.0 and you require vllm==0.14.1, ...\n"
)
UV_OFFLINE = "error: Failed to fetch: `https://pypi.org/simple/x/`\n  cause: dns error"


def test_reading_uv_answers() -> None:
    assert resolve.classify(0, "") == "ok"
    assert resolve.classify(1, UV_CONFLICT) == "conflict"
    assert resolve.classify(2, UV_OFFLINE) == "unreachable"
    assert resolve.classify(2, "error: Failed to build `filterpy==1.4.5`") == "error"
    assert resolve.explanation(UV_CONFLICT).startswith("error: No solution found")
    output = "torch==2.9.1\n    # via vllm\nboto3-stubs[s3]==1.42.9\nNixl_CU12==0.9.0\n"
    assert resolve.resolved_versions(output) == {
        "torch": "2.9.1",
        "boto3-stubs": "1.42.9",
        "nixl-cu12": "0.9.0",
    }


def test_select_rows() -> None:
    rows = sets.install_sets()
    assert [s.key for s in resolve.select(rows, ["vllm"])] == ["vllm-cuda12.9", "vllm-cuda13.0"]
    assert [s.key for s in resolve.select(rows, ["vllm-13.0", "trtllm-cuda13.1"])] == [
        "vllm-cuda13.0",
        "trtllm-cuda13.1",
    ]
    assert len(resolve.select(rows, [])) == len(catalog.VARIANTS)
    with pytest.raises(ValueError, match=r"unknown row vllm-12\.8"):
        resolve.select(rows, ["vllm-12.8"])


def test_missing_uv_and_unreachable_pypi_are_one_line_each(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(resolve, "find_uv", lambda: None)
    assert resolve.main(["none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "uv not found" in err and resolve.UV_PACKAGE in err
    monkeypatch.setattr(resolve, "find_uv", lambda: UV)
    monkeypatch.setattr(resolve, "index_unreachable", lambda url: "[Errno -2] Name or service not known")
    assert resolve.main(["none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PyPI is out of reach" in err
