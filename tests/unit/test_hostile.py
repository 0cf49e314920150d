"""Hostile input over every task and every configuration layer, run in-process.

Each case proves the same five things: a non-zero exit that is not the internal-error code, exactly
one `error:` line naming the problem, no traceback, no docker command reached (the docker CLI is a
script that records its calls, the engine socket has nothing behind it) and nothing written in the
project.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from invoke.program import Program

from dynamo_container.tasks import collection
from dynamo_container.tasks.cli import CRASH_EXIT
from tests.helpers import STANDIN_CHECKOUT, STANDIN_FAMILY, make_repo

# the stand-in family and checkout only (not the whole profile): every other setting keeps its default
STANDIN = {"DYNAMO_CONTAINER_DIR": str(STANDIN_FAMILY), "DYNAMO_CONTEXT": str(STANDIN_CHECKOUT)}
TOKEN = "hf_" + "Ab1" * 12  # the shape of a Hugging Face token, not a real one
ALL_TASKS = (
    "build",
    "base",
    "wheel",
    "framework",
    "runtime",
    "plan",
    "efa",
    "run",
    "smoke",
    "config",
    "context",
    "doctor",
    "receipts",
    "trtllm-wheel",
    "sccache-install",
    "sccache-stats",
    "lint",
)


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    message: str  # a fragment of the one error line
    files: dict[str, bytes] = field(default_factory=dict)  # project files written before the run
    env: dict[str, str] = field(default_factory=dict)

    def id(self) -> str:
        return " ".join(self.args)[:60]


def case(*args: str, message: str, files: dict[str, bytes] | None = None, **env: str) -> Case:
    return Case(tuple(args), message, files or {}, env)


# ----- configuration layers: env files and environment variables, for every task ------------------

ENV_FILE_CASES = [
    (b"DYNAMO_FRAMEWORK=\xff\xfe\n", ".env:1: not UTF-8 text (byte 0xff)"),
    (b"DYNAMO_TARGET\n", ".env:1: DYNAMO_TARGET has no value"),
    (b"dynamo_framework=vllm\n", ".env:1: dynamo_framework: setting keys are upper case"),
    (b"# x\nDYNAMO_FRAMEWROK=vllm\n", ".env:2: unknown setting DYNAMO_FRAMEWROK"),
    (b"DYNAMO_PUSH='unterminated\n", ".env:1: cannot parse"),
    (b"DYNAMO_PUSH=maybe\n", ".env:1: DYNAMO_PUSH must be true or false, got 'maybe'"),
    (b"DYNAMO_BUILD_FRONTEND=bildx\n", "DYNAMO_BUILD_FRONTEND: unknown value 'bildx' (did you mean buildx?)"),
    (b"DYNAMO_IMAGE_NAME=\n", ".env:1: DYNAMO_IMAGE_NAME: empty value"),
]
CONFIG_LAYER_CASES = [
    case(task, message=msg, files={".env": text}) for task in ALL_TASKS for text, msg in ENV_FILE_CASES[:2]
] + [case("build", "--dry-run", message=msg, files={".env": text}) for text, msg in ENV_FILE_CASES[2:]]
CONFIG_LAYER_CASES += [
    case(
        "run",
        "--dry-run",
        message=".env.local:1: DYNAMO_JOBS must be a whole number from 1 to",
        files={".env.local": b"DYNAMO_JOBS=-3\n"},
    ),
    case("build", "--env-file", "missing.env", message="env file not found: missing.env"),
    case(
        "build",
        "--env-file",
        "bin.env",
        message="bin.env:2: not UTF-8",
        files={"bin.env": b"A=1\n\xc3\x28\n"},
    ),
    case("build", "--dry-run", message="environment: DYNAMO_PUSH must be true or false", DYNAMO_PUSH="maybe"),
    case(
        "config", message="environment: DYNAMO_BUILD_FRONTEND: unknown value 'x'", DYNAMO_BUILD_FRONTEND="x"
    ),
    case(
        "build",
        "--dry-run",
        message="DYNAMO_FRAMEWORK (environment): unknown framework",
        DYNAMO_FRAMEWORK="tf",
    ),
    case(
        "build",
        "--dry-run",
        message="DYNAMO_PLATFORM (environment): unsupported platform",
        DYNAMO_PLATFORM="s390x",
    ),
    case(
        "build",
        "--dry-run",
        message="DYNAMO_TAG (environment) 'Bad Tag' is not a valid image reference",
        DYNAMO_TAG="Bad Tag",
    ),
    case(
        "run",
        "--dry-run",
        message="DYNAMO_SHM_SIZE (environment) 'lots' is not a valid size",
        DYNAMO_SHM_SIZE="lots",
    ),
    case("run", "--dry-run", message="DYNAMO_ULIMITS (environment) 'nofile=x'", DYNAMO_ULIMITS="nofile=x"),
    case("run", "--dry-run", message="environment: DYNAMO_DOCKER_CLI: empty value", DYNAMO_DOCKER_CLI=""),
]

# ----- flags of the build tasks -------------------------------------------------------------------

BUILD_CASES = [
    case("build", "--framework", "foo", message="--framework: unknown framework 'foo'"),
    case("build", "--framework", "all,vllm", message="all stands alone"),
    case("build", "--cuda-version", "11.8", message="CUDA 11.8 is not available for vllm"),
    case("build", "--target", "prod", message="unknown target 'prod' for vllm"),
    case("build", "--platform", "linux/s390x", message="--platform: unsupported platform"),
    case("build", "--platform", "linux/amd64,linux/arm64", message="names 2 platforms"),
    case("build", "--uid", "12", message="--uid and --gid can only be used with --dev-image"),
    case("build", "--target", "local-dev", "--gid", "abc", message="--gid 'abc' is not a valid numeric id"),
    case("build", "--tag", "UPPER/dyn:x", message="--tag 'UPPER/dyn:x' is not a valid image reference"),
    case("build", "--tag", "dyn:bad tag", message="is not a valid image reference"),
    case("build", "--tag", "dyn:-x", message="a tag is letters, digits"),
    case("build", "--image-name", "Dyn", message="--image-name 'Dyn' is not a valid repository name"),
    case("build", "--base-image-name", "-base", message="--base-image-name '-base' is not a valid"),
    case(
        "build", "--registry", "http://reg.example", message="--registry 'http://reg.example' is not a valid"
    ),
    case("build", "--registry", "reg.example/Team", message="namespace part 'Team' must be lowercase"),
    case("build", "--base-image", "a b", message="--base-image 'a b' is not a valid repository name"),
    case("build", "--base-image-tag", "-bad", message="--base-image-tag '-bad' is not a valid tag"),
    case("build", "--runtime-image-tag", "x/y", message="--runtime-image-tag 'x/y' is not a valid tag"),
    case("build", "--version", "1 0", message="--version '1 0' cannot be part of an image tag"),
    case("build", "--build-arg", "HF_TOKEN=x", message="--build-arg HF_TOKEN looks like a credential"),
    case("build", "--build-arg", f"NOTE={TOKEN}", message="holds a value in a token format"),
    case("build", "--build-arg", "1A=x", message="not a valid argument name"),
    case("build", "--build-arg", "=x", message="--build-arg '=x' is not NAME=VALUE or NAME"),
    # NAME alone takes the environment's value, as docker does: credentials are still refused
    case("build", "--build-arg", "GITHUB_TOKEN", message="--build-arg GITHUB_TOKEN looks like a credential"),
    case(
        "build", "--build-arg", "NOTE", message="the environment's NOTE holds a value in a token", NOTE=TOKEN
    ),
    case("build", "--build-arg", "1A", message="'1A': not a valid argument name"),
    case("build", "--no-load", "--push", message="needs it loaded (drop --no-load)"),
    case("build", "--target", "frontend", message="frontend is an image of framework none"),
    case("plan", "--framework", "sglang", "--target", "frontend", message="use --framework none --target"),
    case("build", "--dry-run", message="DYNAMO_NO_LOAD must be true or false", DYNAMO_NO_LOAD="maybe"),
    case("build", "--tag", "", message="--tag: empty value"),
    case("build", "--target", "", message="--target: empty value"),
    case("run", "--name", "", message="--name: empty value"),
    case("run", "--runtime", "", message="--runtime: empty value"),
    case("run", "--runtime", "-x", message="--runtime '-x' is not a valid runtime name"),
    case("build", "--build-arg", message="--build-arg needs a value"),
    case("build", "--build-context", "tooling=x", message="the tool passes this context itself"),
    case("build", "--build-context", "bad name=x", message="name 'bad name' is not valid"),
    case("build", "--build-context", "a=/nonexistent/x", message="/nonexistent/x: no such file or folder"),
    case(
        "build",
        "--dev-image",
        "d:1",
        "--base-image",
        "x",
        message="--base-image cannot be used with --dev-image",
    ),
    case("build", "--dev-image", "d:1", "--target", "runtime", message="--target cannot be used with"),
    case("build", "--dev-image", "dyn:x-local-dev", message="is already a local-dev image"),
    case("build", "--target", "base", "--make-efa", message="--make-efa adds a layer"),
    case("build", "--use-sccache", "--sccache-bucket", "b", message="--sccache-region is required"),
    case("build", "--enable-kvbm", "--disable-kvbm", message="--enable-kvbm and --disable-kvbm contradict"),
    case("build", "--release-build", message="--release-build needs HEAD on a version tag"),
    case(
        "build",
        "--release-build",
        "--version",
        "1.0.0",
        message="takes the version and commit from the release",
    ),
    case("build", "--container-dir", "nowhere", message="--container-dir nowhere: no such file or folder"),
    case("build", "--container-dir", "README", message="--container-dir README is not a folder"),
    case("build", "--container-dir", ".", message="--container-dir . has no Dockerfile"),
    case(
        "build",
        "--framework",
        "trtllm",
        "--tensorrtllm-pip-wheel",
        "tensorrt-llm",
        message="has no ==version",
    ),
    case(
        "build",
        "--framework",
        "vllm",
        "--framework",
        "trtllm",
        message="--framework is given twice (vllm, then trtllm)",
    ),
    case("build", "--frmework", "vllm", message="--frmework: no such flag (did you mean --framework?)"),
    case("run", "--gpu", "all", message="--gpu: no such flag (did you mean --gpus?)"),
    case("build", "--dry-run", "--", "echo", "hi", message="build takes no command after --"),
    case("build", "--jobs", "0", message="--jobs must be a whole number from 1 to"),
    case("build", "--vllm-max-jobs", "x", message="--vllm-max-jobs must be a whole number from 1 to"),
    case("build", "--context-warn-mb", "lots", message="--context-warn-mb must be a whole number from 1 to"),
    case("build", "--build-frontend", "bildx", message="--build-frontend: unknown value 'bildx'"),
    case("build", "--json", message="--json prints the plan of a dry run"),
    case(
        "build",
        "--framework",
        "none",
        "--target",
        "runtime",
        "--log-dir",
        "README",
        message="cannot write build logs there",
    ),
    case(
        "runtime", "--framework", "sglang", "--tag", "A", message="--tag 'A' is not a valid image reference"
    ),
    case("base", "--cuda-version", "9", message="CUDA 9 is not available"),
    case("wheel", "--platform", "mips", message="unsupported platform"),
    case("framework", "--framework", "none", message="unknown target 'framework' for none"),
    case("plan", "--framework", "vllm,foo", message="unknown framework 'foo'"),
    case(
        "plan", "--bake", "/nonexistent/dir/x.json", message="--bake /nonexistent/dir/x.json: cannot write it"
    ),
    case("plan", "--framework", "vllm,sglang", "--tag", "x:1", message="--tag names one image"),
    case("efa", message="--image is required"),
    case("efa", "--image", "Bad:1", "--dry-run", message="--image 'Bad:1' is not a valid image reference"),
    case("efa", "--image", "x:1", "--json", message="--json prints the plan of a dry run"),
    case("efa", "--image", "x:1", "--platform", "s390x", "--dry-run", message="unsupported platform"),
]

# ----- invoke run ----------------------------------------------------------------------------------

RUN_CASES = [
    case("run", "--image", "UPPER/case:x", message="--image 'UPPER/case:x' is not a valid image reference"),
    case("run", "--image", "x::y", message="is not a valid image reference"),
    case("run", "--name", "bad name", message="--name 'bad name' is not a valid container name"),
    case("run", "--gpus", "lots", message="--gpus 'lots' is not a GPU request"),
    case("run", "--shm-size", "lots", message="--shm-size 'lots' is not a valid size"),
    case("run", "--ulimit", "nofile=x", message="SOFT and HARD are whole numbers"),
    case("run", "--ulimit", "bogus=1", message="unknown type 'bogus'"),
    case("run", "--ulimit", "nofile=10:5", message="the soft limit 10 is above the hard limit 5"),
    case("run", "--ulimit", "nofile", message="is not TYPE=SOFT[:HARD]"),
    case("run", "--user", "a b", message="--user 'a b' is not a user"),
    case("run", "-e", "1A=2", message="'1A' is not a variable name"),
    case("run", "-e", "HF_TOKEN=x", message="-e HF_TOKEN=... would print a credential"),
    case("run", "-e", f"NOTE={TOKEN}", message="--env holds a value in a token format"),
    case("run", "-v", "/nonexistent/x:/x", message="/nonexistent/x does not exist on this machine"),
    case("run", "-v", "justone", message="--volume 'justone': not SRC:DST[:OPTIONS]"),
    case("run", "--container-env-file", "missing.env", message="missing.env: no such file or folder"),
    case("run", "--framework", "foo", message="--framework: unknown framework 'foo'"),
    case(
        "run",
        "--framework",
        "trtllm",
        "--cuda-version",
        "12.9",
        message="CUDA 12.9 is not available for trtllm",
    ),
    case("run", "--json", message="--json prints the command of a dry run"),
    case(
        "run", "--image", "x:1", "--docker-cli", "/nope/docker", message="docker CLI '/nope/docker' not found"
    ),
    case("run", "--gpus", "all", "--gpus", "none", message="--gpus is given twice (all, then none)"),
    case("run", "--registry", "Reg", message="--registry 'Reg' is not a valid registry"),
]

# ----- the other tasks ------------------------------------------------------------------------------

OTHER_CASES = [
    case("smoke", "--framework", "foo", message="--framework: unknown framework 'foo'"),
    case("smoke", "--framework", "vllm,sglang", message="invoke smoke checks one framework and CUDA version"),
    case("context", "--context", "/nonexistent/ctx", message="/nonexistent/ctx"),
    case("receipts", "--diff", "a", message="--diff compares two receipts, got 1"),
    case("receipts", "--diff", "a", "--diff", "b", message="no receipt 'a'"),
    case(
        "receipts",
        "--diff",
        "torn.json,torn.json",
        message="is not a readable receipt",
        files={"torn.json": b'{"status": "bu'},
    ),
    case(
        "receipts",
        "--diff",
        "bin.json,bin.json",
        message="is not a readable receipt",
        files={"bin.json": b"\xff\x00"},
    ),
    case(
        "sccache-install", "--arch", "sparc", message="sccache has no Linux release for architecture 'sparc'"
    ),
    case("sccache-stats", "--file", "missing.json", message="cannot read missing.json"),
    case(
        "sccache-stats",
        "--file",
        "stats.bin",
        message="--file stats.bin is not text",
        files={"stats.bin": b"\xff\xfe"},
    ),
    case("sccache-stats", "--file", "stats.json", message="stats.json", files={"stats.json": b"{not json"}),
    case("trtllm-wheel", "--dry-run", message="the TensorRT-LLM commit is empty"),
    case(
        "trtllm-wheel",
        "--commit",
        "abc",
        "--arch",
        "sparc",
        "--dry-run",
        message="'sparc' is not an architecture",
    ),
    case("doctor", "--dry-run", message="No idea what '--dry-run' is!"),
    case("config", "--framework", "vllm", "--framework", "x", message="--framework is given twice"),
]
OTHER_CASES = [c for c in OTHER_CASES if not c.message.startswith("No idea")]  # invoke's own wording
CORE_CASES = [case("--dry", "doctor", message="invoke --dry: doctor has no dry run")]
# invoke's parser: a value that is a flag, written into its flag or where the value belongs, and
# invoke's own configuration file (test_argv.py feeds every flag of every task).
CORE_CASES += [
    case("run", "-p=--privileged", "--dry-run", message="-p=--privileged: a value cannot start with -"),
    case("run", "--port=--privileged", "--dry-run", message="a value cannot start with -"),
    case("run", "-p--privileged", "--dry-run", message="-p--privileged: a value cannot start with -"),
    case("run", "-e=--mount-workspace", "--dry-run", message="write --env VALUE"),
    case("run", "-v", "--dry-run", message="--volume needs a value (the next word, --dry-run, is a flag)"),
    case("build", "--tag", "--push", message="--tag needs a value (the next word, --push, is a flag)"),
    case("-f", "bad.yaml", "config", message="-f bad.yaml: invoke cannot read", files={"bad.yaml": b"a: ["}),
    case("-f", "missing.yaml", "build", "--dry-run", message="-f missing.yaml: no such file"),
    case(
        "config",
        message="INVOKE_RUNTIME_CONFIG bad.json: invoke cannot read it",
        files={"bad.json": b"{oops"},
        INVOKE_RUNTIME_CONFIG="bad.json",
    ),
]

CASES = CONFIG_LAYER_CASES + BUILD_CASES + RUN_CASES + OTHER_CASES + CORE_CASES


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git checkout with a README, a fake docker CLI that records calls, and no engine behind it."""
    root = make_repo(tmp_path / "proj")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "docker-calls"}\n')
    docker.chmod(0o755)
    for key in [k for k in os.environ if k.startswith("DYNAMO_") or k in ("HF_TOKEN", "GITHUB_TOKEN")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DYNAMO_DOCKER_CLI", str(docker))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    monkeypatch.setenv("NO_COLOR", "1")
    for key, value in STANDIN.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(root)
    return root


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if ".git" not in p.relative_to(root).parts
    }


def run_invoke(argv: list[str]) -> int:
    """The `invoke` program over our task collection, as the console script runs it."""
    sys.argv = argv
    try:
        Program(namespace=collection(Path.cwd(), argv), name="invoke", binary="invoke").run(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


@pytest.mark.parametrize("hostile", CASES, ids=[c.id() for c in CASES])
def test_hostile_input_is_refused_cleanly(
    hostile: Case, project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, data in hostile.files.items():
        (project / name).write_bytes(data)
    for key, value in hostile.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "argv", sys.argv)  # restored after run_invoke replaces it
    before = tree(project)
    code = run_invoke(["invoke", *hostile.args])
    out, err = capsys.readouterr()
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code not in (0, CRASH_EXIT), (code, out, err)
    assert len(errors) == 1 and hostile.message in errors[0], err
    assert "Traceback" not in err + out
    assert not (project.parent / "docker-calls").exists(), "a docker command ran"
    assert tree(project) == before, "the project changed"


def test_there_are_at_least_a_hundred_cases_over_every_task() -> None:
    assert len(CASES) >= 100
    tasks = {next(a for a in c.args if not a.startswith("-")) for c in CASES}
    assert set(ALL_TASKS) <= tasks


def test_a_bug_is_one_line_and_a_traceback_file(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import re
    import tempfile

    from dynamo_container.tasks import cli

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"boom with {TOKEN} inside")

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setattr(cli, "load_config", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "argv", sys.argv)
    code = run_invoke(["invoke", "config"])
    err = capsys.readouterr().err
    assert code == CRASH_EXIT
    assert err.count("\n") == 1 and "Traceback" not in err and TOKEN not in err
    found = re.match(
        r"error: internal error in invoke config: RuntimeError: boom with \*\*\*\* inside "
        r"\(the traceback is in (\S+); please report it\)$",
        err.strip(),
    )
    assert found, err
    report = Path(found[1]).read_text()
    assert report.startswith("invoke config\nTraceback") and "RuntimeError" in report and TOKEN not in report
