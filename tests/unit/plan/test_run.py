"""`invoke run` as a plan: every option and the original run script's defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.plan.run import RunPlan, plan_run
from dynamo_container.resolve.build import Host
from dynamo_container.resolve.run import resolve_run
from tests.helpers import config

HOST = Host(1234, 5678)
ORIGINAL_DEFAULTS = [
    "--network",
    "host",
    "--runtime",
    "nvidia",
    "--shm-size=10G",
    "--ulimit",
    "memlock=-1",
    "--ulimit",
    "stack=67108864",
    "--ulimit",
    "nofile=65536:65536",
]


def run(
    root: Path,
    command: list[str] | None = None,
    environ: dict[str, str] | None = None,
    host: Host = HOST,
    **flags: Any,
) -> RunPlan:
    return plan_run(resolve_run(config(root, **flags), command or [], host, environ or {}))


def contains(argv: tuple[str, ...], seq: list[str]) -> bool:
    n = len(seq)
    return any(list(argv[i : i + n]) == seq for i in range(len(argv) - n + 1))


def test_original_defaults(tmp_path: Path) -> None:
    p = run(tmp_path)
    a = p.argv
    assert a[:4] == ("docker", "run", "--gpus", "all")
    assert "--rm" in a and contains(a, ORIGINAL_DEFAULTS)
    assert contains(a, ["-w", "/workspace", "--cap-add", "CAP_SYS_PTRACE"]) and contains(a, ["--ipc", "host"])
    assert a[-1] == "dynamo:latest-vllm" and p.image_is_default
    assert contains(a, ["-e", "CUDA_DEVICE_ORDER=PCI_BUS_ID"])
    assert contains(a, ["-e", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"])
    assert "--privileged" not in a and "-it" not in a


@pytest.mark.parametrize("none", ["none", "NONE", "None", " none "])
def test_gpus_none_drops_the_nvidia_runtime_too(tmp_path: Path, none: str) -> None:
    p = run(tmp_path, gpus=none)
    assert "--gpus" not in p.argv and "--runtime" not in p.argv
    assert not p.warnings  # the default runtime goes quietly; a --runtime nvidia given is said
    given = run(tmp_path, gpus=none, runtime="nvidia")
    assert "--runtime" not in given.argv and any("NVIDIA runtime is left out" in w for w in given.warnings)
    assert contains(run(tmp_path, gpus=none, runtime="runc").argv, ["--runtime", "runc"])
    assert "--runtime" not in run(tmp_path, runtime="none").argv


def test_default_image_from_framework_and_target(tmp_path: Path) -> None:
    assert run(tmp_path, framework="SGLang", target="runtime").image == "dynamo:latest-sglang-runtime"
    assert (
        run(tmp_path, framework="none", registry="reg.example/team").image
        == "reg.example/team/dynamo:latest-none"
    )
    with pytest.raises(ConfigError, match="--framework: unknown framework 'x'"):
        run(tmp_path, framework="x")


def test_default_image_is_what_a_build_with_the_same_settings_tags(tmp_path: Path) -> None:
    """The CUDA suffix a build adds for a non-default CUDA version is in run's default image too."""
    assert run(tmp_path, framework="vllm", cuda_version="13.0", target="runtime").image == (
        "dynamo:latest-vllm-cuda13.0-runtime"
    )
    env = {"DYNAMO_CUDA_VERSION": "13.0", "DYNAMO_FRAMEWORK": "vllm", "DYNAMO_TARGET": "runtime"}
    cfg = config(tmp_path, env)
    p = plan_run(resolve_run(cfg, [], HOST, {}))
    assert p.image == "dynamo:latest-vllm-cuda13.0-runtime"
    with pytest.raises(ConfigError, match=r"CUDA 12\.9 is not available for trtllm"):
        run(tmp_path, framework="trtllm", cuda_version="12.9")


def test_image_wins_over_target(tmp_path: Path) -> None:
    p = run(tmp_path, image="my/img:1", target="runtime")
    assert p.argv[-1] == "my/img:1" and not p.image_is_default
    assert any("--target only names the default image" in w for w in p.warnings)


def test_gpus_none_drops_gpu_flags_and_gpu_env(tmp_path: Path) -> None:
    a = run(tmp_path, gpus="none").argv
    assert "--gpus" not in a and not any(w.startswith("CUDA_DEVICE_ORDER") for w in a)


def test_command_after_dashes(tmp_path: Path) -> None:
    a = run(tmp_path, ["python3", "-c", "print('a b')"], image="i").argv
    assert a[-4:] == ("i", "python3", "-c", "print('a b')")


def test_volumes_envs_ports_and_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    a = run(
        tmp_path,
        volumes=("./data:/d:ro", "named-vol:/cache"),
        envs=("A=1", "B"),
        ports=("8000:8000",),
        gpus="none",
    ).argv
    assert contains(
        a,
        [
            "-e",
            "A=1",
            "-e",
            "B",
            "-v",
            f"{tmp_path / 'data'}:/d:ro",
            "-v",
            "named-vol:/cache",
            "-p",
            "8000:8000",
            "-w",
            "/workspace",
        ],
    )


def test_credentials_only_by_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="would print a credential") as err:
        run(tmp_path, envs=("HF_TOKEN=hf_secret",))
    assert "hf_secret" not in str(err.value)
    p = run(tmp_path, envs=("HF_TOKEN",))
    assert p.env_by_name == ("HF_TOKEN",)
    with pytest.raises(ConfigError, match="is not a variable name"):
        run(tmp_path, envs=("1A=2",))


def test_mount_workspace(tmp_path: Path) -> None:
    p = run(tmp_path, mount_workspace=True)
    a = p.argv
    hf = tmp_path / "container" / ".cache" / "huggingface"  # run.sh's <checkout>/container/.cache
    assert contains(
        a,
        [
            "-v",
            f"{tmp_path}:/workspace",
            "-v",
            "/tmp:/tmp",
            "-v",
            "/mnt:/mnt",
            "-v",
            f"{hf}:/home/dynamo/.cache/huggingface",
        ],
    )
    assert contains(a, ["-e", "HF_TOKEN"]) and "HF_TOKEN" in p.env_by_name
    # as run.sh: neither privileged nor interactive unless asked
    assert not ({"-i", "-t", "-it", "--privileged"} & set(a)) and not p.interactive
    assert p.create_dirs == (str(hf),)
    asked = run(tmp_path, mount_workspace=True, privileged=True, interactive=True, tty=True)
    assert "--privileged" in asked.argv and "-it" in asked.argv and asked.interactive


def test_mount_workspace_mounts_the_configured_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "dynamo"
    (checkout / "container").mkdir(parents=True)
    tool = tmp_path / "tool"
    tool.mkdir()
    p = run(tool, mount_workspace=True, context=str(checkout))
    assert contains(p.argv, ["-v", f"{checkout}:/workspace"])
    assert f"{tool}:/workspace" not in p.argv
    assert p.create_dirs == (str(checkout / "container" / ".cache" / "huggingface"),)


def test_a_terminal_only_when_asked(tmp_path: Path) -> None:
    assert "-t" in run(tmp_path, tty=True).argv
    assert "-i" in run(tmp_path, interactive=True).argv
    assert "-it" in run(tmp_path, interactive=True, tty=True).argv


def test_hf_cache(tmp_path: Path) -> None:
    assert contains(
        run(tmp_path, hf_cache="/models/hf").argv, ["-v", "/models/hf:/home/dynamo/.cache/huggingface"]
    )
    assert contains(
        run(tmp_path, hf_cache="/models/hf", user="0:0").argv, ["-v", "/models/hf:/root/.cache/huggingface"]
    )
    assert contains(
        run(tmp_path, environ={"HF_HOME": "/hfhome"}).argv, ["-v", "/hfhome:/home/dynamo/.cache/huggingface"]
    )
    p = run(tmp_path, mount_workspace=True, hf_cache="none")
    assert not any("huggingface" in w for w in p.argv) and p.create_dirs == ()


def test_users(tmp_path: Path) -> None:
    # run.sh: a user other than root gets group 0 back (the images' group-writable files)
    assert contains(run(tmp_path, user="host").argv, ["--user", "1234:5678", "--group-add", "0"])
    assert contains(run(tmp_path, user="1000:0").argv, ["--user", "1000:0", "--group-add", "0"])
    assert contains(run(tmp_path, user="dynamo").argv, ["--user", "dynamo", "--group-add", "0"])
    for root in ("0", "root", "0:0", "root:1000"):
        assert "--group-add" not in run(tmp_path, user=root).argv
    for bad in ("1000:", "a b", ":0", "x:y:z"):
        with pytest.raises(ConfigError, match="is not a user"):
            run(tmp_path, user=bad)


def test_other_options(tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text("A=1\n")
    a = run(
        tmp_path,
        name="dyn",
        entrypoint="/bin/sh",
        rm=False,
        network="none",
        workdir="/w",
        shm_size="1g",
        runtime="nvidia",
        container_env_file="app.env",
        use_nixl_gds=True,
        privileged=True,
        interactive=True,
    ).argv
    assert "--rm" not in a and "-i" in a and "-it" not in a
    assert contains(a, ["--network", "none", "--runtime", "nvidia", "--shm-size=1g"])
    assert contains(a, ["--env-file", str(tmp_path / "app.env")])
    assert contains(a, ["-v", "/run/udev:/run/udev:ro", "-v", "/tmp:/tmp"])
    assert contains(
        a, ["-w", "/w", "--cap-add", "CAP_SYS_PTRACE", "--cap-add=IPC_LOCK", "--ipc", "host", "--privileged"]
    )
    assert contains(a, ["--name", "dyn", "--entrypoint", "/bin/sh"])
    with pytest.raises(ConfigError, match="no such file"):
        run(tmp_path, container_env_file="missing.env")
