"""`invoke doctor` assembled: the checks from probes and configuration, the exit code, JSON and table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynamo_container.buildcontext.git import VersionInfo
from dynamo_container.checks import doctor
from dynamo_container.checks.doctor import Probes, run_checks, to_json
from dynamo_container.checks.registries import Registry
from dynamo_container.errors import DynamoError
from dynamo_container.resolve.doctor import resolve_doctor
from dynamo_container.tasks import doctor as doctor_tasks
from tests.helpers import GB, config, context_report

# ---------------------------------------------------------------------------------------------------
# assembling


def healthy_probes() -> Probes:
    return Probes(
        cli_path="/usr/bin/docker",
        cli_version="Docker version 28.2.2",
        engine_url="unix:///var/run/docker.sock",
        server_version="26.1.5",
        api_version="1.45",
        buildx=True,
        builder="default",
        builder_driver="docker",
        runtimes=("runc", "nvidia"),
        docker_root="/var/lib/docker",
        free_bytes=100 * GB,
        version=VersionInfo("v0.6.1", "0.6.1", "a" * 40, "aaaaaaa", True),
        engine_limits={"memlock": -1, "nofile": 1048576, "stack": -1},
        context=context_report(185_000),
        missing_sources=(),
        registries=(Registry("nvcr.io", ("nvcr.io/nvidia/cuda-dl-base:25.06",), "", ""),),
    )


def test_run_checks_all_pass(repo: Path) -> None:
    checks = run_checks(resolve_doctor(config(repo)), healthy_probes())
    assert [c.name for c in checks] == [
        "docker CLI",
        "engine",
        "engine API",
        "BuildKit",
        "builder",
        "NVIDIA runtime",
        "disk space",
        "git metadata",
        "ulimits",
        "build context",
        "Dynamo checkout",
        "registries",
        "config",
    ]
    assert {c.status for c in checks} == {"pass"}, [c for c in checks if c.status != "pass"]
    out = to_json(resolve_doctor(config(repo)), checks)
    assert out["ok"] is True and out["counts"] == {"pass": 13, "warn": 0, "fail": 0}
    assert out["config"]["framework"] == "vllm" and out["config"]["env_files"] == []


def test_run_checks_without_engine(repo: Path) -> None:
    p = Probes(
        cli_path="/usr/bin/docker",
        engine_url="tcp://127.0.0.1:9",
        engine_error=ConnectionRefusedError("refused"),
        buildx=True,
        version=healthy_probes().version,
        context=context_report(1000),
    )
    checks = {c.name: c for c in run_checks(resolve_doctor(config(repo)), p)}
    assert checks["engine"].status == "fail"
    for name in ("engine API", "builder", "NVIDIA runtime", "disk space", "ulimits"):
        assert checks[name].status == "warn" and checks[name].detail.startswith("not checked"), name
    assert to_json(resolve_doctor(config(repo)), list(checks.values()))["ok"] is False


def test_run_checks_reads_the_ulimit_setting(repo: Path) -> None:
    p = Probes(**{**healthy_probes().__dict__, "engine_limits": {"memlock": 8388608, "nofile": 20000}})
    assert {c.name: c for c in run_checks(resolve_doctor(config(repo)), p)}["ulimits"].status == "warn"
    relaxed = config(repo, ulimits=["memlock=", "nofile="])
    assert {c.name: c for c in run_checks(resolve_doctor(relaxed), p)}["ulimits"].status == "pass"
    broken = config(repo, ulimits=["nonsense"])
    assert {c.name: c for c in run_checks(resolve_doctor(broken), p)}["ulimits"].status == "fail"


def test_doctor_exit_code_and_json(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(doctor, "gather", lambda req, steps: healthy_probes())
    doctor_tasks.doctor_run(config(repo), json=True)
    assert json.loads(capsys.readouterr().out)["ok"] is True
    broken = Probes(**{**healthy_probes().__dict__, "cli_path": ""})
    monkeypatch.setattr(doctor, "gather", lambda req, steps: broken)
    with pytest.raises(DynamoError, match=r"doctor: 1 check\(s\) failed: docker CLI") as exc:
        doctor_tasks.doctor_run(config(repo), json=True)
    assert exc.value.exit_code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["checks"][0] == {
        "name": "docker CLI",
        "status": "fail",
        "detail": "docker CLI 'docker' not found on PATH",
        "fix": "run scripts/engine-up to install one, or point DYNAMO_DOCKER_CLI at it",
    }


def test_doctor_table(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        doctor, "gather", lambda req, steps: Probes(**{**healthy_probes().__dict__, "runtimes": ()})
    )
    monkeypatch.setenv("COLUMNS", "200")
    doctor_tasks.doctor_run(config(repo))
    out = capsys.readouterr().out
    assert "NVIDIA runtime" in out and "NVIDIA Container Toolkit" in out
    assert "12 passed, 1 warnings, 0 failed" in out


def test_the_doctor_measures_each_framework_a_comma_list_names(repo: Path) -> None:
    """A comma list is handled as a list (the largest context any of its builds sends), and an
    unknown framework is refused in the context check instead of measured with another's file."""
    from tests.helpers import PROJECT

    family = PROJECT / "container"
    req = resolve_doctor(config(repo, framework="vllm,sglang", container_dir=str(family)))
    assert req.ignore_files == (
        family / "Dockerfile.vllm.dockerignore",
        family / "Dockerfile.sglang.dockerignore",
    )
    (repo / "big").write_bytes(b"x" * 10_000)
    probes = doctor._checkout_probes(req)
    from dynamo_container.buildcontext.context import measure

    sizes = [measure(repo, ignore).bytes for ignore in req.ignore_files]
    assert probes["context"].bytes == max(sizes)
    unknown = doctor._checkout_probes(resolve_doctor(config(repo, framework="tensorflow")))
    assert "unknown framework 'tensorflow'" in unknown["context_error"].message
    assert "version" in unknown and unknown["missing_sources"] is not None
