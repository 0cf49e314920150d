"""resolve/checkout.py: the git facts of the checkout, read once, only those the build needs."""

from __future__ import annotations

from pathlib import Path

from dynamo_container.resolve.checkout import read_checkout
from tests.helpers import config, git


def test_a_plain_build_reads_the_version_and_no_more(repo: Path) -> None:
    facts = read_checkout(config(repo))
    assert facts.version.commit == git(repo, "rev-parse", "HEAD")
    assert (facts.epp_tag, facts.dirty) == ("", None)  # neither --target frontend nor --release-build


def test_a_release_build_learns_whether_the_tree_is_dirty(repo: Path) -> None:
    assert read_checkout(config(repo, release_build=True)).dirty is False
    (repo / "untracked.txt").write_text("x")
    (repo / "pyproject.toml").write_text("changed")
    assert read_checkout(config(repo, release_build=True)).dirty is True


def test_the_overrides_name_the_version_without_asking_git_for_it(repo: Path) -> None:
    facts = read_checkout(config(repo, version="1.2.3", commit_sha="a" * 40))
    assert (facts.version.version, facts.version.commit) == ("v1.2.3", "a" * 40)  # tags spell a v
