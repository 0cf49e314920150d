"""The doctor's checks: every pass / warn / fail from probe results, without an engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dynamo_container.buildcontext.git import VersionInfo, describe
from dynamo_container.checks import verdicts
from dynamo_container.checks.verdicts import (
    Check,
    check_api_version,
    check_builder,
    check_buildkit,
    check_cli,
    check_config,
    check_context,
    check_disk,
    check_engine,
    check_git,
    check_nvidia,
    check_ulimits,
    disk_needed_gb,
    is_standin,
)
from dynamo_container.errors import ConfigError, EngineError
from tests.helpers import GB, PROJECT, STANDIN_FAMILY, config, context_report, git, make_repo


def test_cli() -> None:
    ok = check_cli("docker", "/usr/bin/docker", "Docker version 28.2.2")
    assert ok.status == "pass" and ok.detail == "/usr/bin/docker (Docker version 28.2.2)"
    missing = check_cli("podman-docker", "")
    assert missing.status == "fail" and "'podman-docker' not found" in missing.detail
    assert "scripts/engine-up" in missing.fix


def test_engine() -> None:
    ok = check_engine("unix:///var/run/docker.sock", None, "26.1.5")
    assert ok.status == "pass" and "26.1.5" in ok.detail
    down = check_engine("tcp://127.0.0.1:9", ConnectionRefusedError("Connection refused"))
    assert down.status == "fail"
    assert down.detail == "cannot reach the Docker engine at tcp://127.0.0.1:9"
    assert "scripts/engine-up" in down.fix
    denied = check_engine("unix:///var/run/docker.sock", PermissionError(13, "Permission denied"))
    assert denied.status == "fail" and "permission denied" in denied.detail
    assert "usermod -aG docker" in denied.fix


@pytest.mark.parametrize(
    ("version", "status"),
    [("1.45", "pass"), ("1.41", "pass"), ("1.100", "pass"), ("1.40", "fail"), ("x", "warn")],
)
def test_api_version(version: str, status: str) -> None:
    check = check_api_version(version)
    assert check.status == status
    if status != "pass":
        assert check.fix


def test_api_version_not_checked_without_engine() -> None:
    check = check_api_version("", reachable=False)
    assert check.status == "warn" and check.detail.startswith("not checked") and check.fix


def test_buildkit() -> None:
    assert check_buildkit(True, "auto").status == "pass"
    assert check_buildkit(False, "build").status == "pass"
    fallback = check_buildkit(False, "auto")
    assert fallback.status == "warn" and "DOCKER_BUILDKIT=1 docker build" in fallback.detail
    assert "docker-buildx" in fallback.fix
    forced = check_buildkit(False, "buildx")
    assert forced.status == "fail" and "buildx" in forced.fix
    assert check_buildkit(False, "auto", cli_found=False).status == "warn"


def test_builder() -> None:
    plain = check_builder(builder="default", driver="docker")
    assert (
        plain.status == "pass" and "default (docker driver)" in plain.detail and "inline only" in plain.detail
    )
    assert check_builder(builder="default", driver="docker", cache_to=("type=inline",)).status == "pass"
    cannot = check_builder(
        builder="default", driver="docker", cache_to=("type=registry,ref=r/c", "type=inline")
    )
    assert cannot.status == "warn" and "cannot export cache type=registry" in cannot.detail
    assert "docker-container" in cannot.fix and "type=inline" in cannot.fix
    local = check_builder(builder="default", driver="docker", cache_to=("type=local,dest=/c",))
    assert local.status == "warn" and "type=local" in local.detail
    farm = check_builder(builder="farm", driver="kubernetes", cache_to=("type=registry,ref=r/c",))
    assert farm.status == "pass" and "any type" in farm.detail
    containerd = check_builder(
        builder="default", driver="docker", cache_to=("type=registry,ref=r/c",), containerd_store=True
    )
    assert containerd.status == "pass"
    missing = check_builder(
        builder="farm",
        driver="",
        error=EngineError("no buildx builder named farm", "docker buildx ls lists them"),
    )
    assert missing.status == "fail" and missing.detail == "no buildx builder named farm" and missing.fix
    assert check_builder(builder="", driver="", reachable=False).status == "warn"
    assert check_builder(builder="", driver="", cli_found=False).status == "warn"


def test_nvidia() -> None:
    assert check_nvidia(("runc", "nvidia")).status == "pass"
    # a hook on this machine's PATH is no runtime of the engine: `--runtime nvidia` would be refused
    assert check_nvidia(("runc",)).status == "warn"
    absent = check_nvidia(("io.containerd.runc.v2", "runc"))
    assert absent.status == "warn" and "--gpus none" in absent.detail
    assert "runtimes: io.containerd.runc.v2, runc" in absent.detail
    assert "NVIDIA Container Toolkit" in absent.fix
    assert check_nvidia(None).detail.startswith("not checked")


def test_disk_table() -> None:
    assert [disk_needed_gb(fw, False) for fw in ("none", "vllm", "sglang", "trtllm")] == [15, 40, 40, 60]
    assert disk_needed_gb("VLLM", False) == 40
    assert disk_needed_gb("trtllm", True) == 1
    assert (
        is_standin(str(STANDIN_FAMILY))
        and not is_standin(str(PROJECT / "container"))
        and not is_standin(f"{PROJECT}/./container/")
    )


@pytest.mark.parametrize(
    ("framework", "standin", "free_gb", "status"),
    [
        ("vllm", False, 80, "pass"),
        ("vllm", False, 40, "pass"),
        ("vllm", False, 39, "warn"),
        ("vllm", False, 9, "fail"),
        ("trtllm", False, 50, "warn"),
        ("none", False, 20, "pass"),
        ("trtllm", True, 2, "pass"),
        ("trtllm", True, 0.5, "warn"),
        ("trtllm", True, 0.1, "fail"),
    ],
)
def test_disk(framework: str, standin: bool, free_gb: float, status: str) -> None:
    check = check_disk(
        framework=framework,
        standin=standin,
        root_dir="/var/lib/docker",
        free_bytes=int(free_gb * GB),
        local=True,
    )
    assert check.status == status, check
    assert "/var/lib/docker" in check.detail
    assert bool(check.fix) == (status != "pass")


def test_disk_cannot_measure() -> None:
    remote = check_disk(
        framework="vllm",
        standin=False,
        root_dir="/var/lib/docker",
        free_bytes=None,
        local=False,
        url="tcp://h:2375",
    )
    assert (
        remote.status == "warn"
        and "tcp://h:2375 is not local" in remote.detail
        and "engine host" in remote.fix
    )
    hidden = check_disk(
        framework="vllm",
        standin=False,
        root_dir="/vm/docker",
        free_bytes=None,
        local=True,
        error="No such file",
    )
    assert hidden.status == "warn" and "No such file" in hidden.detail and "df -h /vm/docker" in hidden.fix
    assert check_disk(
        framework="vllm", standin=False, root_dir="", free_bytes=None, local=True, reachable=False
    ).detail.startswith("not checked")


def test_git_from_real_repositories(tmp_path: Path) -> None:
    tagged = make_repo(tmp_path / "tagged", commits_after=0)
    ok = check_git(describe(tagged))
    assert ok.status == "pass" and ok.detail.startswith("v0.6.1 (commit ")
    untagged = make_repo(tmp_path / "untagged", tag=None)
    warn = check_git(describe(untagged))
    assert warn.status == "warn" and "no version tag reachable" in warn.detail
    assert "git tag" in warn.fix and "DYNAMO_VERSION" in warn.fix
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{untagged}", str(shallow))
    warn = check_git(describe(shallow))
    assert warn.status == "warn" and "shallow clone" in warn.detail
    assert warn.fix == "git fetch --tags --unshallow"
    (tmp_path / "plain").mkdir()
    with pytest.raises(ConfigError) as exc:
        describe(tmp_path / "plain")
    fail = check_git(None, exc.value)
    assert (
        fail.status == "fail" and "cannot derive the image version" in fail.detail and "--version" in fail.fix
    )


def test_git_note_from_a_version_info() -> None:
    info = VersionInfo("v0.0.1.dev.abc", "0.0.1.dev+abc", "abc" * 10, "abc", False, "some note")
    assert check_git(info).status == "warn"


DEFAULTS = ["memlock=-1", "stack=67108864", "nofile=65536:65536"]


def test_ulimits() -> None:
    generous = {"memlock": -1, "nofile": 1048576, "stack": -1}
    ok = check_ulimits(DEFAULTS, generous, local=True)
    assert ok.status == "pass" and "memlock=-1 stack=67108864 nofile=65536:65536" in ok.detail
    tight = {"memlock": 8388608, "nofile": 20000, "stack": -1}
    warn = check_ulimits(DEFAULTS, tight, local=True)
    assert warn.status == "warn"
    assert "memlock=-1 (the engine's hard limit is 8388608)" in warn.detail
    assert "nofile=65536:65536 (the engine's hard limit is 20000)" in warn.detail
    assert 'DYNAMO_ULIMITS="memlock= nofile="' in warn.fix
    assert check_ulimits(["stack=67108864"], tight, local=True).status == "pass"
    assert check_ulimits(DEFAULTS, {}, local=False).detail.startswith("not checked: the engine is not local")
    assert "cannot read" in check_ulimits(DEFAULTS, {}, local=True).detail
    bad = check_ulimits(ConfigError("--ulimit 'x' is not TYPE=SOFT[:HARD]", "e.g. ..."), tight, local=True)
    assert bad.status == "fail" and "TYPE=SOFT" in bad.detail


def test_context() -> None:
    ok = check_context(context_report(185_000), 500)
    assert ok.status == "pass" and "185.0 kB in 42 files" in ok.detail and "4 ms" in ok.detail
    big = check_context(context_report(900_000_000), 500)
    assert big.status == "warn" and "over 500 MB" in big.detail and "data" in big.fix
    bad = check_context(
        None, 500, ConfigError(".dockerignore:3: bad pattern '['", "Go filepath.Match syntax")
    )
    assert bad.status == "fail" and bad.fix


def config_check(root: Path, environ: dict[str, str] | None = None, **flags: Any) -> Check:
    """The config check of the doctor's request for these settings."""
    from dynamo_container.resolve.doctor import resolve_doctor

    return check_config(resolve_doctor(config(root, environ, **flags)))


def test_config(repo: Path) -> None:
    (repo / ".env").write_text("DYNAMO_FRAMEWORK=sglang\n")
    ok = config_check(repo)
    assert ok.status == "pass"
    assert ok.detail == (
        f"framework sglang, CUDA 12.9, platform linux/amd64, Dockerfiles {PROJECT / 'container'}; "
        "env files read: .env"
    )
    standin = config_check(repo, container_dir=str(STANDIN_FAMILY))
    assert "(stand-in)" in standin.detail
    assert config_check(repo, framework="tensorflow").status == "fail"
    cuda = config_check(repo, framework="trtllm", cuda_version="12.9")
    assert cuda.status == "fail" and "valid combinations" in cuda.fix
    assert config_check(repo, platform="linux/s390x").status == "fail"
    typo = config_check(repo, {"DYNAMO_FRAMEWROK": "vllm"})
    assert config_check(repo, platform="linux/amd64,linux/arm64").status == "pass"
    assert config_check(repo, platform="linux/amd64,linux/s390x").status == "fail"
    assert config_check(repo, platform=" , ").status == "fail"
    assert typo.status == "warn" and "DYNAMO_FRAMEWORK" in typo.detail


def test_checkout_check_names_what_is_missing(repo: Path) -> None:
    from dynamo_container.buildcontext.sources import check_family

    problems = check_family(PROJECT / "container", repo)
    check = verdicts.check_checkout(problems, str(repo))
    assert check.status == "fail" and "lacks ATTRIBUTION*, Cargo.lock" in check.detail
    assert "Dynamo checkout (ai-dynamo/dynamo at 3b9b3f31c" in check.fix
    assert verdicts.check_checkout((), str(repo)).status == "pass"
    assert verdicts.check_checkout(None, str(repo)).status == "warn"


def test_check_records_are_plain_data() -> None:
    c = Check("x", "warn", "d", "f")
    assert c.to_json() == {"name": "x", "status": "warn", "detail": "d", "fix": "f"}
    assert verdicts.STATUSES == ("pass", "warn", "fail")
