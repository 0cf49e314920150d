"""Every path the Dockerfiles read exists in their build contexts and passes the ignore file.

The real family is checked against the recorded source tree of the upstream snapshot
(tests/fixtures/upstream/manifest-3b9b3f31c.txt, paths only) filtered by each Dockerfile's own
ignore file, and against its `tooling` folder; the stand-in family against its fake checkout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.buildcontext.context import Matcher
from dynamo_container.buildcontext.sources import DiskTree, ListedTree, check_family, matcher_for, missing
from tests.helpers import PROJECT, STANDIN_CHECKOUT, STANDIN_FAMILY

REAL = PROJECT / "container"
MANIFEST = PROJECT / "tests/fixtures/upstream/manifest-3b9b3f31c.txt"
REAL_FILES = sorted(p for p in REAL.glob("Dockerfile*") if not p.name.endswith(".dockerignore"))


def snapshot_tree() -> ListedTree:
    return ListedTree(MANIFEST.read_text().split())


@pytest.mark.parametrize("dockerfile", REAL_FILES, ids=lambda p: p.name)
def test_real_family_reads_only_what_the_snapshot_has(dockerfile: Path) -> None:
    matcher = matcher_for(dockerfile, Path("/nonexistent"))
    problems = missing(dockerfile, snapshot_tree(), matcher, {"tooling": DiskTree(REAL)})
    assert not problems, "\n".join(map(str, problems))


def test_the_check_finds_a_missing_path_and_an_excluded_one() -> None:
    dockerfile = REAL / "Dockerfile"
    without_lib = ListedTree(p for p in MANIFEST.read_text().split() if not p.startswith("lib/"))
    reasons = {
        (m.source.path, m.reason)
        for m in missing(dockerfile, without_lib, matcher_for(dockerfile, Path("/x")), {})
    }
    assert ("lib/", "not present") in reasons
    excluding = Matcher.from_text("*\n!lib\n!components\n")
    reasons = {(m.source.path, m.reason) for m in missing(dockerfile, snapshot_tree(), excluding, {})}
    assert ("launch/", "excluded by the ignore file") in reasons
    assert ("lib/", "excluded by the ignore file") not in reasons


def test_the_check_reads_the_tooling_context() -> None:
    problems = missing(REAL / "Dockerfile", snapshot_tree(), Matcher(()), {"tooling": ListedTree(["x"])})
    assert {m.source.path for m in problems} == {
        "use-sccache.sh",
        "git-credential-dynamo",
        "record-build-info.sh",
    }
    assert all("context tooling" in str(m) for m in problems)


def test_stand_in_family_reads_only_what_its_fake_checkout_has() -> None:
    problems = check_family(STANDIN_FAMILY, STANDIN_CHECKOUT)
    assert not problems, "\n".join(map(str, problems))


def test_stand_in_reads_nothing_the_real_family_does_not() -> None:
    """The stand-in mirrors the real family: its main-context paths are a subset of the real ones."""
    from dynamo_container.buildcontext.dockerfiles import load

    def main_paths(folder: Path) -> set[str]:
        files = [p for p in folder.glob("Dockerfile*") if not p.name.endswith(".dockerignore")]
        return {
            s.path.removeprefix("./").rstrip("/") for f in files for s in load(f).sources() if not s.context
        }

    assert main_paths(STANDIN_FAMILY) <= main_paths(REAL)
