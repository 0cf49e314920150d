"""Up-to-date builds on a real engine whose key folder is faulty: a file in its place, a full disk, a
hand-edited record. The build goes on and succeeds with one warning, never a traceback; what could
not be recorded simply runs again next time, and nothing edited is taken on trust."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fs_faults import fill, tmpfs
from tests.integration.conftest import Names
from tests.integration.test_up_to_date import Workspace, make_workspace

RAN = {"base": False, "framework": False}
SKIPPED = {"base": True, "framework": True}


@pytest.fixture
def workspace(names: Names, tmp_path: Path) -> Workspace:
    return make_workspace(names, tmp_path)


def warnings(err: str) -> list[str]:
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith("warning: ")]


def test_a_file_where_the_key_folder_should_be(workspace: Workspace) -> None:
    keys = workspace.logs / "keys"
    keys.parent.mkdir(parents=True)
    keys.write_text("a file, not a folder\n")
    for _ in range(2):  # nothing is recorded, so each build runs every step, with one warning
        steps, run = workspace.build_run()
        assert steps == RAN
        assert warnings(run.stderr) == [
            f"warning: build keys not recorded: cannot write {keys}: {keys} or a folder above it is a "
            "file (the build goes on; its steps run again next time: free space or fix that folder, or "
            "set DYNAMO_LOG_DIR to another one)"
        ]
    assert keys.read_text() == "a file, not a folder\n"


def test_a_full_disk_under_the_key_folder(workspace: Workspace) -> None:
    with tmpfs(workspace.logs / "keys") as keys:
        fill(keys)
        steps, run = workspace.build_run()
        assert steps == RAN
        [warning] = warnings(run.stderr)
        assert warning.startswith(
            f"warning: build keys not recorded: cannot write {keys}: the disk is full ("
        )
        assert sorted(p.name for p in keys.iterdir()) == [".filler"]  # no half-written record
        (keys / ".filler").unlink()  # room again: the next build records its steps
        assert workspace.build() == RAN
        assert workspace.build() == SKIPPED


def test_hand_edited_records_are_not_trusted(workspace: Workspace, docker_client: object) -> None:
    assert workspace.build() == RAN
    records = sorted(p for p in (workspace.logs / "keys").glob("*.json") if p.name != "file-hashes.json")
    assert len(records) == 2
    first, second = (json.loads(r.read_text()) for r in records)
    # each points at the image of the other step, which is on the engine
    records[0].write_text(json.dumps({**first, "image": second["image"]}))
    records[1].write_text(json.dumps({**second, "image": first["image"]}))
    steps, run = workspace.build_run()
    assert steps == RAN
    assert sorted(warnings(run.stderr)) == sorted(
        f"warning: {record} is not a key record this version wrote: ignored (the step runs and is "
        "recorded again)"
        for record in records
    )
    assert workspace.build() == SKIPPED
