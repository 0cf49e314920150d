"""Option injection: no value from a flag or an env file can reach git, docker or pip as an option.

Every string setting, and the trtllm-wheel task's own flags, is fed option-shaped values through the
command line and through an env file. Each value is either refused (one ConfigError) or reaches the
planned command lines only where a program reads it as a value: right after an option that takes
one, after `--`, or inside a NAME=VALUE word.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.buildcontext.git import describe
from dynamo_container.config import load_config
from dynamo_container.errors import ConfigError
from dynamo_container.model.frontend import Frontend
from dynamo_container.plan.build import plan_build
from dynamo_container.plan.run import plan_run
from dynamo_container.plan.wheel import plan_steps
from dynamo_container.resolve.build import resolve_build
from dynamo_container.resolve.checkout import read_checkout
from dynamo_container.resolve.run import resolve_run
from dynamo_container.resolve.trtllm import wheel_request
from dynamo_container.settings import specs
from tests.helpers import HOST, PROJECT, make_repo

HOSTILE = (
    "--upload-pack=touch /tmp/pwned; git-upload-pack",
    "--privileged",
    "-oProxyCommand=touch /tmp/pwned",
    "-x",
    "--output=type=local,dest=/",
    "ext::sh -c touch% /tmp/pwned",
)
# Options of docker, git and pip that take the next word as their value.
VALUE_OPTIONS = frozenset(
    [
        "--file",
        "--target",
        "--platform",
        "--tag",
        "--build-arg",
        "--secret",
        "--build-context",
        "--cache-from",
        "--cache-to",
        "--network",
        "--metadata-file",
        "--builder",
        "--output",
        "--progress",
        "-e",
        "-v",
        "-p",
        "--ulimit",
        "--name",
        "--entrypoint",
        "--user",
        "-w",
        "--runtime",
        "--gpus",
        "--env-file",
        "--cap-add",
        "--ipc",
        "--group-add",
        "-C",
        "--shm-size",
        "-maxdepth",
        "-name",
        "-exec",
    ]
)
# argv[0] names the program itself; these settings choose which program or folder, not its options.
NOT_OPTIONS = {"docker_cli"}


def option_like(argv: tuple[str, ...], value: str) -> list[int]:
    """Positions where `value` would be read as an option: not after `--`, not an option's value."""
    end = argv.index("--") if "--" in argv else len(argv)
    return [
        i
        for i, word in enumerate(argv[1:end], 1)
        if word.startswith(value) and argv[i - 1] not in VALUE_OPTIONS
    ]


def build_argvs(root: Path, **flags: Any) -> list[tuple[str, ...]]:
    flags.setdefault("container_dir", str(PROJECT / "container"))
    cfg = load_config(root, environ={}, flags=flags, cwd=root)
    version = describe(cfg.path(cfg.s.context), version=cfg.s.version, commit=cfg.s.commit_sha)
    return [
        s.argv for s in plan_build(resolve_build(cfg, read_checkout(cfg, version), Frontend(), HOST)).steps
    ]


def trtllm_build_argvs(root: Path, **flags: Any) -> list[tuple[str, ...]]:
    """A TRT-LLM build from git: the wheel's git and docker steps, then the image's (a flag given as
    None is left to the env file)."""
    defaults: dict[str, Any] = {
        "framework": "trtllm",
        "target": "runtime",
        "tensorrtllm_git_url": "https://g.example/t.git",
        "tensorrtllm_commit": "v1.3.0rc1",
        "tensorrtllm_pip_wheel_dir": str(root / "wheel"),
    }
    return build_argvs(root, **{k: v for k, v in (defaults | flags).items() if v is not None})


def layered_argvs(root: Path, **flags: Any) -> list[tuple[str, ...]]:
    """A build with every optional layer: local-dev, EFA and a push."""
    flags = {"target": "local-dev", "make_efa": True, "push": True, "registry": "r.example"} | flags
    return build_argvs(root, **flags)


def run_argvs(root: Path, **flags: Any) -> list[tuple[str, ...]]:
    cfg = load_config(root, environ={}, flags={"gpus": "all"} | flags, cwd=root)
    return [plan_run(resolve_run(cfg, ["echo"], HOST, {})).argv]


def wheel_argvs(root: Path, **extra: str) -> list[tuple[str, ...]]:
    cfg = load_config(root, environ={}, flags={}, cwd=root)
    req = wheel_request(cfg, commit=extra.get("commit", "v1"), git_url=extra.get("git_url", ""))
    return [s.argv for s in plan_steps(req, Frontend(), root / "logs")]


Planner = Callable[..., list[tuple[str, ...]]]
PLANNERS: dict[str, Planner] = {
    "build": build_argvs,
    "trtllm": trtllm_build_argvs,
    "layers": layered_argvs,
    "run": run_argvs,
}
STRING_SETTINGS = [
    s.name for s in specs() if s.kind in ("str", "list") and not s.choices and s.name not in NOT_OPTIONS
]


def check(planner: Planner, root: Path, name: str, value: Any) -> None:
    try:
        argvs = planner(root, **{name: value})
    except ConfigError as exc:  # refused where it entered: one line, never the value as an option
        assert "\n" not in str(exc)
        return
    for argv in argvs:
        for item in value if isinstance(value, tuple) else (value,):
            assert not option_like(argv, item), f"{name}={item!r} reads as an option in {argv}"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("repo"))


@pytest.mark.parametrize("name", STRING_SETTINGS)
@pytest.mark.parametrize("planner", list(PLANNERS))
def test_no_setting_reaches_a_program_as_an_option(root: Path, planner: str, name: str) -> None:
    kind = next(s.kind for s in specs() if s.name == name)
    for hostile in HOSTILE:
        check(PLANNERS[planner], root, name, (hostile,) if kind == "list" else hostile)


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("extra", ["commit", "git_url"])
def test_trtllm_wheel_flags_are_refused_or_values(root: Path, extra: str, hostile: str) -> None:
    try:
        argvs = wheel_argvs(root, **{extra: hostile})
    except ConfigError as exc:
        assert f"--{extra.replace('_', '-')} {hostile!r}" in str(exc)
        return
    assert all(not option_like(argv, hostile) for argv in argvs)


def test_the_reported_injection_is_refused_from_a_flag_and_from_an_env_file(root: Path) -> None:
    hostile = "--upload-pack=touch /tmp/x; git-upload-pack"
    with pytest.raises(ConfigError, match=r"--commit '--upload-pack=.*': cannot start with -"):
        wheel_argvs(root, commit=hostile)
    (root / ".env").write_text(f"DYNAMO_TENSORRTLLM_COMMIT='{hostile}'\n")
    try:
        with pytest.raises(ConfigError, match=r"DYNAMO_TENSORRTLLM_COMMIT \(\.env:1\) .* not a valid commit"):
            wheel_argvs(root, commit="")
        with pytest.raises(ConfigError, match=r"DYNAMO_TENSORRTLLM_COMMIT \(\.env:1\)"):
            trtllm_build_argvs(root, tensorrtllm_commit=None)
    finally:
        (root / ".env").unlink()


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% /tmp/pwned",
        "fd::17",
        "-uhost:repo",
        "host:-repo",
        "https://",
        "https://host/a b",
    ],
)
def test_git_urls_that_run_commands_or_read_as_options_are_refused(root: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="--git-url"):
        wheel_argvs(root, git_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/NVIDIA/TensorRT-LLM.git",
        "ssh://git@github.com/NVIDIA/TensorRT-LLM.git",
        "git@github.com:NVIDIA/TensorRT-LLM.git",
        "file:///srv/mirror/trt.git",
        "/srv/mirror/trt.git",
    ],
)
def test_ordinary_git_urls_are_taken(root: Path, url: str) -> None:
    argvs = wheel_argvs(root, git_url=url)
    assert any(argv[-1] == url and argv[-2] == "origin" for argv in argvs)


@pytest.mark.parametrize("commit", ["31116825", "v1.3.0rc1", "release/1.3", "a" * 40, "feature/x-y_z.1"])
def test_ordinary_commits_tags_and_branches_are_taken(root: Path, commit: str) -> None:
    argvs = wheel_argvs(root, commit=commit)
    assert any(argv[-1] == commit and argv[-3] == "--" for argv in argvs)


@pytest.mark.parametrize(
    "commit", ["a..b", "x y", "v1^", "ref:x", "x.lock", "-", "@", "a//b", "x~1", ".hidden"]
)
def test_commits_git_would_misread_are_refused(root: Path, commit: str) -> None:
    with pytest.raises(ConfigError, match="--commit"):
        wheel_argvs(root, commit=commit)


def test_pip_options_cannot_ride_in_the_trtllm_wheel_spec(root: Path) -> None:
    for spec in ("--index-url=http://evil tensorrt-llm==1.0", "tensorrt-llm==1.0 --pre", "-r x"):
        with pytest.raises(ConfigError, match="--tensorrtllm-pip-wheel"):
            build_argvs(root, framework="trtllm", target="runtime", tensorrtllm_pip_wheel=spec)
