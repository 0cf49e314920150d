"""Before step 1 of a real build: cache the builder can export, registries that answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.execute.preflight import (
    cache_type,
    check_epp,
    containerd_store,
    pushed_registries,
    registry_answers,
    unexportable_cache,
)
from dynamo_container.plan.model import Step


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        ("type=inline", "inline"),
        ("type=registry,ref=r/x:cache,mode=max", "registry"),
        ("mode=max,type=local,dest=/tmp/c", "local"),
        ("registry.example/app:cache", "registry"),
        ("ref=r/x", "registry"),
        ("type=GHA", "gha"),
    ],
)
def test_cache_type(entry: str, kind: str) -> None:
    assert cache_type(entry) == kind


def test_the_docker_driver_exports_inline_cache_only() -> None:
    entries = ["type=inline", "type=registry,ref=r/c", "r/c2", "type=local,dest=/tmp/c"]
    assert unexportable_cache(entries, "docker", containerd_store=False) == ["local", "registry"]
    assert unexportable_cache(entries, "docker", containerd_store=True) == []
    assert unexportable_cache(entries, "docker-container", containerd_store=False) == []
    assert containerd_store({"DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]})
    assert not containerd_store({"DriverStatus": [["Backing Filesystem", "extfs"]]}) and not containerd_store(
        {}
    )


def test_pushed_registries_are_the_hosts_of_pushed_tags() -> None:
    steps = [
        Step(
            "base", "b", ("docker", "buildx", "build", "--push"), tags=("reg.example:5000/t/dynamo-base:1",)
        ),
        Step(
            "framework", "f", ("docker", "buildx", "build", "--load"), tags=("reg.example:5000/t/dynamo:1",)
        ),
        Step("push", "p", ("docker", "push", "x"), kind="push", tags=("localhost/dynamo:1", "dynamo:2")),
    ]
    assert pushed_registries(steps) == ["reg.example:5000", "localhost"]


def test_a_registry_that_does_not_answer_is_named() -> None:
    assert registry_answers("127.0.0.1:1", timeout=1) != ""  # loopback, a port nothing listens on


def test_bake_needs_the_engines_bridge_network() -> None:
    from dynamo_container.errors import EngineError
    from dynamo_container.execute.preflight import check_bake
    from dynamo_container.model.frontend import Frontend

    class NoBridge:
        def has_network(self, name: str) -> bool:
            return name != "bridge"

    with pytest.raises(EngineError, match="the engine has no bridge network"):
        check_bake(NoBridge(), Frontend())  # type: ignore[arg-type]
    check_bake(NoBridge(), Frontend(builder="farm", shares_image_store=False, driver="kubernetes"))  # type: ignore[arg-type]


def test_the_frontend_needs_make_and_the_epp_makefile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    epp_dir = tmp_path / "deploy/inference-gateway/epp"
    step = Step("epp", "EPP image", ("make", "-C", str(epp_dir), "all", f"DYNAMO_DIR={tmp_path}"), "host")
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(ConfigError, match=f"--target frontend: {epp_dir} has no Makefile"):
        check_epp([step])
    epp_dir.mkdir(parents=True)
    (epp_dir / "Makefile").write_text("all:\n")
    check_epp([step])  # ready
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(ConfigError, match="builds the EPP image with make, which is not installed"):
        check_epp([step])
