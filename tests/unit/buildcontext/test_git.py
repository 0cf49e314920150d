"""Version and commit from git: exact tag, dev builds, no tags, detached HEAD, shallow clones, no git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from dynamo_container.buildcontext.git import describe
from dynamo_container.errors import ConfigError
from tests.helpers import GIT_ENV, git, make_repo


def test_dev_version_after_a_tag(repo: Path) -> None:
    short = git(repo, "rev-parse", "--short", "HEAD")
    info = describe(repo)
    assert info.version == f"v0.6.1.dev.{short}"
    assert info.python_version == f"0.6.1.dev+{short}"
    assert info.commit == git(repo, "rev-parse", "HEAD")
    assert not info.exact


def test_exact_tag(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", tag="v1.2.3", commits_after=0)
    info = describe(repo)
    assert (info.version, info.python_version, info.exact) == ("v1.2.3", "1.2.3", True)


def test_tag_without_v_and_nearest_tag_wins(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", tag="0.5.0", commits_after=1)
    git(repo, "tag", "0.6.0")
    (repo / "README").write_text("more\n")
    git(repo, "commit", "-qam", "more")
    assert describe(repo).version.startswith("v0.6.0.dev.")


def test_non_version_tags_are_ignored(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", tag="v0.3.0", commits_after=1)
    git(repo, "tag", "nightly")
    assert describe(repo).version.startswith("v0.3.0.dev.")


def test_no_tags_falls_back_to_0_0_1(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", tag=None)
    info = describe(repo)
    short = git(repo, "rev-parse", "--short", "HEAD")
    assert info.version == f"v0.0.1.dev.{short}"
    assert "no version tag" in info.note


def test_detached_head(repo: Path) -> None:
    first = git(repo, "rev-list", "--max-parents=0", "HEAD")
    git(repo, "checkout", "-q", "--detach", first)
    assert describe(repo).version == "v0.6.1"


def test_shallow_clone_without_tags(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--no-tags", f"file://{repo}", str(clone)],
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    info = describe(clone)
    assert info.version.startswith("v0.0.1.dev.")
    assert "shallow clone" in info.note and "--unshallow" in info.note


def test_version_override_wins(repo: Path) -> None:
    info = describe(repo, version="v0.9.0", commit="abc")
    assert (info.version, info.python_version, info.commit) == ("v0.9.0", "0.9.0", "abc")


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot derive the image version") as err:
        describe(tmp_path)
    assert "--version" in str(err.value)
    assert describe(tmp_path, version="1.0.0").version == "v1.0.0"


def test_no_git_installed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo))  # a PATH without git
    with pytest.raises(ConfigError, match="git is not installed"):
        describe(repo)
    info = describe(repo, version="2.0.0", commit="deadbeef")
    assert (info.version, info.commit) == ("v2.0.0", "deadbeef")


@pytest.mark.parametrize("bad", ["  ", "1 2"])
def test_bad_version_override(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError, match="is not a version"):
        describe(tmp_path, version=bad)
