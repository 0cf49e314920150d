"""Before `docker run` starts: each engine problem as one line; docker's environment for by-name secrets."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from dynamo_container.docker.engine import Engine
from dynamo_container.errors import ConfigError, EngineError
from dynamo_container.execute.container import _environment, check_engine
from dynamo_container.plan.run import RunPlan


class FakeClient:
    def __init__(self, runtimes: dict[str, Any], containers: list[str]) -> None:
        self._runtimes, self._names = runtimes, containers
        self.containers = self

    def info(self) -> dict[str, Any]:
        return {"Runtimes": self._runtimes}

    def list(self, all: bool, filters: dict[str, str]) -> list[str]:
        wanted = filters["name"].strip("^/$")
        return [n for n in self._names if n == wanted]


@dataclasses.dataclass(frozen=True)
class FakeEngine(Engine):
    images: tuple[str, ...] = ("dyn:rt",)
    runtimes: tuple[str, ...] = ("runc",)
    names: tuple[str, ...] = ()

    def ping(self) -> None:
        pass

    def inspect_images(self, refs: Any) -> dict[str, dict[str, Any] | None]:
        return {r: ({"Id": "sha256:1"} if r in self.images else None) for r in refs}

    def client(self) -> Any:
        return FakeClient({r: {} for r in self.runtimes}, list(self.names))


def run_plan(**kw: Any) -> RunPlan:
    base = {
        "argv": ("docker", "run", "dyn:rt"),
        "image": "dyn:rt",
        "image_is_default": False,
        "interactive": False,
        "gpus": "",
        "name": "",
        "env_by_name": (),
        "create_dirs": (),
        "image_hint": "build it: invoke build --framework vllm --target runtime",
    }
    return RunPlan(**{**base, **kw})


ENGINE = FakeEngine("docker", "tcp://127.0.0.1:9")  # not local: no ulimit probe of a local dockerd


def test_a_ready_engine_passes() -> None:
    check_engine(ENGINE, run_plan())


def test_a_missing_image_names_how_to_build_it() -> None:
    with pytest.raises(ConfigError) as err:
        check_engine(ENGINE, run_plan(image="dyn:other"))
    assert str(err.value) == (
        "image dyn:other is not present on this engine "
        "(build it: invoke build --framework vllm --target runtime)"
    )


def test_gpus_need_the_nvidia_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/docker" if name == "docker" else None)
    with pytest.raises(EngineError, match=r"--gpus all needs the NVIDIA container runtime.*runtimes: runc"):
        check_engine(ENGINE, run_plan(gpus="all"))
    # the hook on this process's PATH says nothing of the engine, whose runtimes alone decide
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(EngineError, match=r"--gpus all needs the NVIDIA container runtime"):
        check_engine(ENGINE, run_plan(gpus="all"))
    check_engine(dataclasses.replace(ENGINE, runtimes=("runc", "nvidia")), run_plan(gpus="all"))


def test_a_taken_name_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"container name web is already in use \(remove it"):
        check_engine(dataclasses.replace(ENGINE, names=("web",)), run_plan(name="web"))
    check_engine(dataclasses.replace(ENGINE, names=("web2",)), run_plan(name="web"))


def test_docker_gets_by_name_secrets_only_from_env_files() -> None:
    plan = run_plan(env_by_name=("HF_TOKEN", "GITHUB_TOKEN"))
    env = _environment(
        plan, {"PATH": "/bin", "HF_TOKEN": "from-shell"}, {"HF_TOKEN": "f", "GITHUB_TOKEN": "g"}
    )
    assert env == {"PATH": "/bin", "HF_TOKEN": "from-shell", "GITHUB_TOKEN": "g"}
    assert "AWS_SECRET_ACCESS_KEY" not in _environment(plan, {}, {"AWS_SECRET_ACCESS_KEY": "x"})
