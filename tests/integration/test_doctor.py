"""`invoke doctor` on the real engine (and on none), and the context matcher against what BuildKit sends.

The families' Dockerfiles filter the main context (a Dynamo checkout) with `<Dockerfile>.dockerignore`
beside each Dockerfile, outside the context; the tests here place ignore files the same way."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.buildcontext.context import IGNORE_FILE, ignore_file, kept_files
from tests.helpers import PROJECT
from tests.integration.conftest import (
    STANDIN_BASE,
    STANDIN_CHECKOUT,
    STANDIN_ENV,
    STANDIN_FAMILY,
    Names,
    invoke,
)
from tests.unit.buildcontext.test_context import IGNORE_VARIANTS, make_tree

_FILE_LINE = re.compile(r"^#\d+ \d+(?:\.\d+)? /ctx/(.*)$")


def checks_by_name(stdout: str) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in json.loads(stdout)["checks"]}


def test_doctor_on_this_engine(docker_client: Any) -> None:
    r = invoke("doctor", "--json", "--env-file", STANDIN_ENV)
    checks = checks_by_name(r.stdout)
    failed = {n: c for n, c in checks.items() if c["status"] == "fail"}
    assert r.returncode == 0 and not failed, (failed, r.stderr)
    for name in ("docker CLI", "engine", "engine API", "build context"):
        assert checks[name]["status"] == "pass", checks[name]
    assert checks["BuildKit"]["status"] in ("pass", "warn")
    runtimes = docker_client.info().get("Runtimes") or {}
    if "nvidia" not in runtimes:
        nvidia = checks["NVIDIA runtime"]
        assert nvidia["status"] == "warn" and "--gpus none" in nvidia["detail"], nvidia
        assert "NVIDIA Container Toolkit" in nvidia["fix"]
    for check in checks.values():
        assert check["status"] == "pass" or check["fix"], check
    assert STANDIN_ENV in checks["config"]["detail"]
    assert json.loads(r.stdout)["config"]["stand_in"] is True
    text = invoke("doctor", "--env-file", STANDIN_ENV, env={"COLUMNS": "200"})
    assert text.returncode == 0, text.stderr
    assert "engine API" in text.stdout and "0 failed" in text.stdout


def test_doctor_without_an_engine_fails_the_engine_check() -> None:
    # the stand-in profile: its context is a (stand-in) Dynamo checkout, so only the engine check fails
    r = invoke("doctor", "--json", "--env-file", STANDIN_ENV, env={"DOCKER_HOST": "tcp://127.0.0.1:9"})
    assert r.returncode == 1, r.stdout + r.stderr
    engine = checks_by_name(r.stdout)["engine"]
    assert engine["status"] == "fail"
    assert engine["detail"] == "cannot reach the Docker engine at tcp://127.0.0.1:9"
    assert "scripts/engine-up" in engine["fix"] and "DOCKER_HOST" in engine["fix"]
    assert json.loads(r.stdout)["ok"] is False
    assert "doctor: 1 check(s) failed: engine" in r.stderr


# ---------------------------------------------------------------------------------------------------
# the context matcher against BuildKit


def buildkit_files(context: Path, tmp: Path, tag: str, ignore: str | None = None) -> list[str]:
    """The regular files BuildKit copies from `context`. Its Dockerfile sits outside the context, in
    `tmp`, with `ignore` (if given) beside it as Dockerfile.dockerignore."""
    tmp.mkdir(parents=True, exist_ok=True)
    dockerfile = tmp / "Dockerfile"
    dockerfile.write_text(f"FROM {STANDIN_BASE}\nCOPY . /ctx\nRUN find /ctx -type f | sort\n")
    if ignore is not None:
        (tmp / "Dockerfile.dockerignore").write_text(ignore)
    argv = ["docker", "buildx", "build", "--network", "host", "--progress=plain", "--no-cache"]
    argv += ["-f", str(dockerfile), "-t", tag, str(context)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    files = [m.group(1) for line in r.stderr.splitlines() if (m := _FILE_LINE.match(line))]
    assert files, r.stderr[-3000:]
    return sorted(files)


@pytest.mark.parametrize("family", ["container", "tests/fixtures/container"])
def test_the_standin_checkout_is_what_buildkit_sends(names: Names, tmp_path: Path, family: str) -> None:
    """The stand-in checkout through each family's allowlist, placed beside a Dockerfile outside the
    context as the real flow does (the checkout's own .dockerignore is not read)."""
    allowlist = PROJECT / family / "Dockerfile.vllm.dockerignore"
    ours = kept_files(STANDIN_CHECKOUT, allowlist)
    assert "container/deps/vllm/install_vllm.sh" in ours and IGNORE_FILE not in ours
    tag = f"{names.image}:ctx-{family.replace('/', '-')}"
    assert ours == buildkit_files(STANDIN_CHECKOUT, tmp_path / "df", tag, allowlist.read_text())


def test_the_ignore_file_beside_the_dockerfile_wins_over_the_contexts(names: Names, tmp_path: Path) -> None:
    """BuildKit filters the context with <Dockerfile>.dockerignore beside the Dockerfile, not with the
    context's own .dockerignore; the matcher picks the same file."""
    context = tmp_path / "ctx"
    context.mkdir()
    for name in ("kept", "dropped-by-context-ignore", "dropped-by-dockerfile-ignore"):
        (context / name).write_text(name)
    (context / IGNORE_FILE).write_text("dropped-by-context-ignore\n")
    beside = "dropped-by-dockerfile-ignore\n"
    sent = buildkit_files(context, tmp_path / "df", f"{names.image}:ctx-beside", beside)
    assert sent == [IGNORE_FILE, "dropped-by-context-ignore", "kept"]
    chosen = ignore_file(tmp_path / "df" / "Dockerfile", context)
    assert chosen == tmp_path / "df" / "Dockerfile.dockerignore"
    assert kept_files(context, chosen) == sent
    # the stand-in checkout carries such a .dockerignore of its own (it drops the launch banner)
    assert "container/launch_message/runtime.txt" not in kept_files(STANDIN_CHECKOUT)
    for dockerfile in sorted(STANDIN_FAMILY.glob("Dockerfile*")):
        if not dockerfile.name.endswith(".dockerignore"):
            assert ignore_file(dockerfile, STANDIN_CHECKOUT) == dockerfile.with_name(
                dockerfile.name + ".dockerignore"
            )


@pytest.mark.parametrize("variant", sorted(IGNORE_VARIANTS))
def test_ignore_rules_match_buildkit(names: Names, tmp_path: Path, variant: str) -> None:
    context = make_tree(tmp_path / "ctx", IGNORE_VARIANTS[variant])
    if variant == "exclude-everything":  # BuildKit copies nothing: add one file that survives
        (context / ".dockerignore").write_text("**\n!survivor\n")
        (context / "survivor").write_text("x")
    ours = kept_files(context)
    assert ours == buildkit_files(context, tmp_path / "df", f"{names.image}:ctx-{variant}")
