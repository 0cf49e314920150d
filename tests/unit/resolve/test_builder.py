"""A builder that is not the local engine: loopback registries, another engine's docker driver, --push."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dynamo_container.docker import engine
from dynamo_container.errors import ConfigError, EngineError
from dynamo_container.model.frontend import Frontend
from dynamo_container.resolve.builder import is_loopback, on_this_machine
from tests.helpers import plan


def _builder(driver: str, host: str = "", *, loads_here: bool = True) -> Frontend:
    return Frontend("docker", True, "farm", False, driver, host, loads_here)


LOOPBACK = "127.0.0.1:5000/ci"


def test_kubernetes_pods_cannot_reach_a_loopback_registry(repo: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"--registry 127.0.0.1:5000 is a loopback address: builder farm"
    ) as e:
        plan(repo, frontend=_builder("kubernetes", "kubernetes:///farm"), target="runtime", registry=LOOPBACK)
    assert "runs in pods" in str(e.value) and "an address the pods reach" in str(e.value.hint)


@pytest.mark.parametrize(
    ("driver", "host", "says"),
    [
        ("docker-container", "unix:///var/run/docker.sock", "--driver-opt network=host"),
        ("remote", "tcp://buildkit.example:1234", "only if its BuildKit runs here"),
        ("docker-container", "tcp://10.1.2.3:2375", "--driver-opt network=host"),
    ],
)
def test_a_loopback_registry_for_a_builder_elsewhere_is_a_warning(
    repo: Path, driver: str, host: str, says: str
) -> None:
    p = plan(repo, frontend=_builder(driver, host), target="runtime", registry=LOOPBACK, push=True)
    (warning,) = [w for w in p.warnings if "loopback" in w]
    assert warning.startswith(
        f"--registry 127.0.0.1:5000 is a loopback address: builder farm ({driver} driver at {host})"
    )
    assert says in warning


def test_no_warning_for_an_engine_on_this_machine_or_a_registry_elsewhere(repo: Path) -> None:
    here = _builder("remote", "unix:///run/buildkit/buildkitd.sock")
    p = plan(repo, frontend=here, target="runtime", registry=LOOPBACK, push=True)
    assert not [w for w in p.warnings if "loopback" in w]
    far = plan(repo, frontend=_builder("kubernetes"), target="runtime", registry="reg.example:5000/ci")
    assert not [w for w in far.warnings if "loopback" in w]


def test_another_engines_builder_pushes_every_image_and_needs_push(repo: Path) -> None:
    other = _builder("docker-container", "unix:///run/dynamo-engine-b/docker.sock", loads_here=False)
    with pytest.raises(ConfigError, match="builds on another engine: its images land there") as e:
        plan(repo, frontend=other, target="runtime", registry=LOOPBACK)
    assert "add --push" in str(e.value.hint)
    p = plan(repo, frontend=other, target="runtime", registry=LOOPBACK, push=True)
    assert [s.kind for s in p.steps] == ["build", "build"]  # no `docker push` of this engine
    assert all("--push" in s.argv and "--load" not in s.argv for s in p.steps)
    assert all(s.argv[3:5] == ("--builder", "farm") for s in p.steps)


def test_loopback_grammar() -> None:
    assert all(map(is_loopback, ["127.0.0.1:5000", "127.1.2.3", "localhost:5000", "LOCALHOST", "[::1]:5000"]))
    assert not any(map(is_loopback, ["128.0.0.1:5000", "localhost.example", "10.0.0.1", "127.0.0.1:5000x"]))
    assert on_this_machine("unix:///run/x.sock") and on_this_machine("tcp://127.0.0.1:2375")
    assert not on_this_machine("tcp://10.0.0.2:2375") and not on_this_machine("kubernetes:///farm")


def _fake_docker(tmp_path: Path, driver: str, endpoint: str, contexts: dict[str, str]) -> str:
    """A docker CLI that answers `buildx version`, `buildx inspect` and `context inspect`."""
    cases = "\n".join(f'    {name}) echo "{host}" ;;' for name, host in contexts.items())
    script = tmp_path / "docker"
    script.write_text(
        f"""#!/bin/sh
case "$1 $2" in
  "buildx version") echo "github.com/docker/buildx 0.13.1" ;;
  "buildx inspect") printf 'Name: farm\\nDriver: {driver}\\n\\nNodes:\\n'
                    printf 'Name: farm0\\nEndpoint: {endpoint}\\n' ;;
  "context inspect") case "$6" in
{cases}
    *) exit 1 ;;
  esac ;;
  *) exit 2 ;;
esac
"""
    )
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(
    ("driver", "endpoint", "shares", "loads_here"),
    [
        ("docker", "default", True, True),  # the local engine's own builder
        ("docker-container", "default", False, True),
        ("docker-container", "engine-b", False, False),
        ("remote", "tcp://127.0.0.1:1234", False, True),
        ("kubernetes", "kubernetes:///farm?deployment=farm0", False, True),
    ],
)
def test_which_builders_see_the_local_image_store(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    driver: str,
    endpoint: str,
    shares: bool,
    loads_here: bool,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
    contexts = {
        "default": "unix:///var/run/docker.sock",
        "engine-b": "unix:///run/dynamo-engine-b/docker.sock",
    }
    docker = _fake_docker(tmp_path, driver, endpoint, contexts)
    fe = engine.choose_frontend(docker, "auto", "farm", dry_run=False).frontend
    assert (fe.driver, fe.shares_image_store, fe.loads_here) == (driver, shares, loads_here)
    assert fe.builder_host == contexts.get(endpoint, endpoint)
    assert os.environ["DOCKER_HOST"] == "unix:///var/run/docker.sock"


def test_another_engines_built_in_builder_is_refused_with_the_way_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # buildx 0.13 itself: "use `docker --context=engine-b buildx` to switch to context engine-b"
    monkeypatch.setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
    docker = _fake_docker(
        tmp_path, "docker", "engine-b", {"engine-b": "unix:///run/dynamo-engine-b/docker.sock"}
    )
    with pytest.raises(EngineError, match="built-in BuildKit of another engine") as e:
        engine.choose_frontend(docker, "auto", "farm", dry_run=False)
    assert "DOCKER_HOST=unix:///run/dynamo-engine-b/docker.sock" in str(e.value.hint)
