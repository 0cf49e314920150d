"""The package installs whole: every subpackage, and the real family as package data.

(tests/integration/test_installed.py builds the wheel and runs the installed tool.)
"""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

import pytest

from dynamo_container.buildcontext import locate
from tests.helpers import PROJECT, git

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    pytest.skip("tomllib is Python 3.11+", allow_module_level=True)


def _setuptools() -> dict[str, object]:
    data = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    table: dict[str, object] = data["tool"]["setuptools"]
    return table


def test_every_subpackage_is_listed() -> None:
    listed = set(_setuptools()["packages"])  # type: ignore[arg-type]
    found = {
        ".".join(init.parent.relative_to(PROJECT).parts)
        for init in (PROJECT / "dynamo_container").rglob("__init__.py")
    }
    assert found and found <= listed, f"not in pyproject.toml packages: {sorted(found - listed)}"


def test_every_file_of_the_real_family_is_package_data() -> None:
    table = _setuptools()
    dirs: dict[str, str] = table["package-dir"]  # type: ignore[assignment]
    data: dict[str, list[str]] = table["package-data"]  # type: ignore[assignment]
    assert dirs["dynamo_container.family"] == "container"
    # package -> (its folder relative to container/, its patterns)
    folders = {
        package: ("/".join(package.split(".")[2:]), patterns)
        for package, patterns in data.items()
        if package.startswith("dynamo_container.family")
    }
    tracked = git(PROJECT, "ls-files", "--", "container").splitlines()
    assert "container/Dockerfile.vllm" in tracked and "container/.hadolint.yaml" in tracked
    for name in tracked:
        rel = Path(name).relative_to("container")
        folder = "/".join(rel.parent.parts)
        shipped = [
            package
            for package, (where, patterns) in folders.items()
            if where.replace(".", "/") == folder and any(fnmatch.fnmatch(rel.name, p) for p in patterns)
        ]
        assert shipped, f"{name} is not package data of dynamo_container.family"


def test_the_family_is_found_in_the_repository_and_inside_an_installed_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert locate.repository() == PROJECT
    assert locate.real_family() == PROJECT / "container"
    installed = tmp_path / "site-packages" / "dynamo_container"
    (installed / "family").mkdir(parents=True)
    monkeypatch.setattr(locate, "PACKAGE", installed)
    assert locate.repository() is None
    assert locate.real_family() == installed / "family"
