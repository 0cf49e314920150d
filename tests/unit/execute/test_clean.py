"""`invoke clean`: only what this tool made, with a dry run and a summary (a fake docker CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dynamo_container.buildkeys.store import RECORD_SCHEMA, sealed
from dynamo_container.execute import clean
from dynamo_container.tasks.clean import summary

OURS = "sha256:" + "a" * 64  # dangling, both labels
FOREIGN = "sha256:" + "b" * 64  # dangling, only one of the labels (another tool's image)
RETAGGED = "sha256:" + "c" * 64  # listed dangling, tagged again before the inspect
KEPT = "sha256:" + "d" * 64  # still on the engine, recorded
GONE = "sha256:" + "e" * 64  # recorded, no longer on the engine
LABELS = {"ai.dynamo.target": "runtime", "org.opencontainers.image.revision": "abc"}


def _fake_docker(tmp_path: Path) -> Path:
    """A docker CLI answering image ls / inspect / rm from canned data, logging every call."""
    inspect = [
        {"Id": OURS, "RepoTags": [], "Size": 2_000_000, "Config": {"Labels": LABELS}},
        {"Id": FOREIGN, "RepoTags": [], "Size": 5, "Config": {"Labels": {"ai.dynamo.target": "x"}}},
        {"Id": RETAGGED, "RepoTags": ["mine:1"], "Size": 5, "Config": {"Labels": LABELS}},
    ]
    (tmp_path / "inspect.jsonl").write_text("".join(json.dumps(d) + "\n" for d in inspect))
    script = tmp_path / "docker"
    script.write_text(
        f"""#!{sys.executable}
import sys
args = sys.argv[1:]
open({str(tmp_path / "calls")!r}, "a").write(" ".join(args) + "\\n")
if args[:2] == ["image", "ls"] and "--all" in args:
    print("{OURS}\\n{KEPT}")
elif args[:2] == ["image", "ls"]:
    print("{OURS}\\n{FOREIGN}\\n{RETAGGED}")
elif args[:2] == ["image", "inspect"]:
    print(open({str(tmp_path / "inspect.jsonl")!r}).read(), end="")
elif args[:2] == ["image", "rm"]:
    print(args[-1])
"""
    )
    script.chmod(0o755)
    return script


def _record(keys: Path, key: str, image: str) -> Path:
    keys.mkdir(parents=True, exist_ok=True)
    path = keys / f"{key}.json"
    path.write_text(sealed({"schema": RECORD_SCHEMA, "key": key, "image": image, "step": "s", "tags": []}))
    return path


@pytest.fixture
def made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    crashes = tmp_path / "tmp" / clean.CRASH_FOLDER
    crashes.mkdir(parents=True)
    old, new = crashes / "crash-old.txt", crashes / "crash-new.txt"
    old.write_text("trace"), new.write_text("trace")
    week_ago = time.time() - clean.CRASH_MAX_AGE - 60
    os.utime(old, (week_ago, week_ago))
    logs = tmp_path / "logs"
    (logs / "vllm").mkdir(parents=True)
    (logs / "vllm" / ".lock").write_text("")
    partial = logs / "keys" / ".k.json.999999999.1.tmp"  # a pid above any pid_max: its process is gone
    partial.parent.mkdir(parents=True)
    partial.write_text("{")
    return {
        "docker": _fake_docker(tmp_path),
        "logs": logs,
        "old": old,
        "new": new,
        "lock": logs / "vllm" / ".lock",
        "partial": partial,
        "gone": _record(logs / "keys", "1" * 64, GONE),
        "kept": _record(logs / "keys", "2" * 64, KEPT),
        "calls": tmp_path / "calls",
    }


def test_only_what_the_tool_made_is_found(made: dict[str, Path]) -> None:
    found = clean.find(str(made["docker"]), made["logs"])
    assert [(i.kind, i.what) for i in found.items] == [
        ("image", OURS),
        ("crash file", str(made["old"])),
        ("lock", str(made["lock"])),
        ("partial file", str(made["partial"])),
        ("key record", str(made["gone"])),
    ]
    assert "image rm" not in made["calls"].read_text()  # finding removes nothing
    assert summary(found, dry_run=True) == (
        "would free: 1 image (2.0 MB, shared layers free less), 1 crash file (5 B), 1 lock (0 B), "
        "1 partial file (1 B), 1 key record (" + f"{made['gone'].stat().st_size} B)"
    )


def test_removing_leaves_everything_else(made: dict[str, Path]) -> None:
    docker = str(made["docker"])
    done = clean.remove(clean.find(docker, made["logs"]), docker)
    assert len(done.items) == 5 and done.problems == []
    rm = [line for line in made["calls"].read_text().splitlines() if line.startswith("image rm")]
    assert rm == [f"image rm -- {OURS}"]  # never FOREIGN, never RETAGGED
    for gone in ("old", "lock", "partial", "gone"):
        assert not made[gone].exists(), gone
    assert made["new"].exists() and made["kept"].exists()
    assert clean.find(docker, made["logs"]).of("key record") == []


def test_a_held_lock_is_not_stale(made: dict[str, Path]) -> None:
    import fcntl

    fd = os.open(made["lock"], os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert clean.stale_files(made["logs"]) == [clean.Item("partial file", str(made["partial"]), 1)]
    finally:
        os.close(fd)


def test_the_task_dry_run_changes_nothing_and_says_what_it_would_free(
    made: dict[str, Path], tmp_path: Path
) -> None:
    script = Path(sys.executable).parent / "dynamo-container"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")}
    env |= {"DYNAMO_DOCKER_CLI": str(made["docker"]), "DYNAMO_LOG_DIR": str(made["logs"])}
    env |= {"TMPDIR": str(tmp_path / "tmp"), "NO_COLOR": "1"}
    dry = subprocess.run(
        [script, "clean", "--dry-run"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert dry.returncode == 0, dry.stderr
    assert f"would remove image {OURS}" in dry.stdout
    assert dry.stdout.splitlines()[-1].startswith("would free: ")
    assert made["old"].exists() and made["gone"].exists()
    real = subprocess.run([script, "clean", "--json"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert real.returncode == 0, real.stderr
    data = json.loads(real.stdout)
    assert data["dry_run"] is False and len(data["items"]) == 5 and not made["old"].exists()
    # the fake engine still lists its image; every file is gone
    again = subprocess.run([script, "clean"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert again.stdout.splitlines()[-1] == "freed: 1 image (2.0 MB, shared layers free less)"
