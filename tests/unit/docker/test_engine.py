"""The engine: errors explained in one line, ulimits the daemon cannot grant."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.docker.engine import (
    explain_engine_error,
    has_nvidia_runtime,
    runtimes_of,
    ulimit_problems,
)


def test_engine_errors_are_explained() -> None:
    denied = explain_engine_error("unix:///var/run/docker.sock", PermissionError(13, "Permission denied"))
    assert "permission denied" in str(denied) and "docker group" in str(denied)
    gone = explain_engine_error("tcp://127.0.0.1:9", ConnectionRefusedError(111, "Connection refused"))
    assert str(gone).startswith("cannot reach the Docker engine at tcp://127.0.0.1:9")


def test_ulimit_problems() -> None:
    limits = {"memlock": 8388608, "nofile": 20000, "stack": -1}
    assert ulimit_problems(["memlock=-1", "stack=67108864", "nofile=1024:4096"], limits) == [
        "memlock=-1 (the engine's hard limit is 8388608)"
    ]
    assert ulimit_problems(["nofile=65536:65536"], limits) == [
        "nofile=65536:65536 (the engine's hard limit is 20000)"
    ]
    assert ulimit_problems(["memlock=-1"], {}) == []  # a remote engine: nothing to compare with


def test_the_default_context_needs_no_cli_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dynamo_container.docker import engine

    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    engine.engine_url.cache_clear()
    missing_cli = "/nonexistent/docker"  # would be asked only for another context
    assert engine.engine_url(missing_cli) == engine.DEFAULT_ENGINE  # no config.json
    (tmp_path / "config.json").write_text('{"currentContext": "default"}')
    engine.engine_url.cache_clear()
    assert engine.engine_url(missing_cli) == engine.DEFAULT_ENGINE
    (tmp_path / "config.json").write_text('{"currentContext": "remote"}')
    engine.engine_url.cache_clear()
    assert engine.engine_url(missing_cli) == engine.DEFAULT_ENGINE  # the CLI cannot answer: the default
    assert not engine._uses_default_context()
    monkeypatch.setenv("DOCKER_CONTEXT", "other")
    assert not engine._uses_default_context()
    engine.engine_url.cache_clear()


def test_the_nvidia_runtime_is_what_docker_info_lists() -> None:
    """One rule for doctor, smoke and `invoke run`: the engine's own Runtimes, never a program on PATH."""
    info = {"Runtimes": {"runc": {"path": "runc"}, "nvidia": {"path": "nvidia-container-runtime"}}}
    assert runtimes_of(info) == ("nvidia", "runc") and has_nvidia_runtime(runtimes_of(info))
    plain = runtimes_of({"Runtimes": {"runc": {}, "io.containerd.runc.v2": {}}})
    assert plain == ("io.containerd.runc.v2", "runc") and not has_nvidia_runtime(plain)
    assert [runtimes_of(i) for i in ({}, {"Runtimes": None}, {"Runtimes": []})] == [(), (), ()]
    assert not has_nvidia_runtime(("nvidia-legacy", "NVIDIA"))  # the name docker passes is exact
