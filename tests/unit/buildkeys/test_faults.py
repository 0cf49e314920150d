"""Build keys (no engine) on a faulty file system: a malformed or hand-edited key record or file-hash
cache is ignored (never trusted, never a crash) with one warning; a key folder that cannot be written
(a full disk, read-only, a file in its place) leaves the step unrecorded with one warning per run,
and no half-written file behind."""

from __future__ import annotations

import errno
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from dynamo_container.buildkeys import store
from dynamo_container.buildkeys.store import (
    CACHE_NAME,
    CACHE_SCHEMA,
    RECORD_SCHEMA,
    StatCache,
    sealed,
)
from tests.fs_faults import fill, tmpfs
from tests.unit.buildkeys.test_race import BUILT_ID, Build, make_build, new_content

OTHER_ID = "sha256:" + "e" * 64


@pytest.fixture
def build(tmp_path: Path) -> Build:
    return make_build(tmp_path)


def recorded(build: Build) -> Path:
    """Build once, undisturbed: the path of the record it left."""
    keys = build.keys()
    assert build.built(keys, keys.up_to_date(build.step).key)
    [record] = build.records()
    return record


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


def edited_image(raw: bytes) -> bytes:
    """A hand edit: another image ID, the checksum left as it was."""
    data = json.loads(raw)
    return json.dumps({**data, "image": OTHER_ID}).encode()


def resealed(**changes: object) -> Callable[[bytes], bytes]:
    def edit(raw: bytes) -> bytes:
        body = {k: v for k, v in json.loads(raw).items() if k != "check"}
        return sealed({**body, **changes}).encode()

    return edit


BAD_RECORDS: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda raw: b"",
    "cut short": lambda raw: raw[: len(raw) // 2],
    "not UTF-8": lambda raw: b"\xff\xfe" + raw,
    "a list": lambda raw: b"[]",
    "null": lambda raw: b"null",
    "nested deeply": lambda raw: b"[" * 100_000 + b"]" * 100_000,
    "a number too long": lambda raw: b'{"image": ' + b"9" * 5000 + b"}",
    "NaN": lambda raw: b'{"image": NaN}',
    "image hand-edited": edited_image,
    "checksum removed": lambda raw: json.dumps({**json.loads(raw), "check": None}).encode(),
    "another key's record": resealed(key="f" * 64),
    "not an image ID": resealed(image="latest"),
    "an older schema": resealed(schema="dynamo-container key record 1"),
    "too big": lambda raw: raw + b" " * (2 << 20),
}


@pytest.mark.parametrize("bad", BAD_RECORDS, ids=list(BAD_RECORDS))
def test_a_malformed_or_edited_key_record_is_ignored_with_one_warning(build: Build, bad: str) -> None:
    record = recorded(build)
    record.write_bytes(BAD_RECORDS[bad](record.read_bytes()))
    build.engine.tags["img:1"] = OTHER_ID  # what a hand edit would point at: it must not be trusted
    keys = build.keys()
    verdict = keys.up_to_date(build.step)
    assert verdict.key and verdict.image == ""
    assert build.warnings == [
        f"{record} is not a key record this version wrote: ignored (the step runs and is recorded again)"
    ]
    assert build.built(keys, verdict.key)  # the run records it again, whole
    assert build.keys().up_to_date(build.step).image == BUILT_ID
    assert len(build.warnings) == 1


def test_a_folder_where_a_record_should_be_is_two_warnings_and_no_record(build: Build) -> None:
    record = recorded(build)
    record.unlink()
    record.mkdir()
    keys = build.keys()
    verdict = keys.up_to_date(build.step)
    assert verdict.image == "" and not build.built(keys, verdict.key)
    assert build.warnings[0] == f"cannot read {record}: Is a directory (ignored: the step runs)"
    assert build.warnings[1].startswith(f"build keys not recorded: cannot write {record.parent}: ")
    assert len(build.warnings) == 2 and leftovers(build.logs) == []


def entries_edit(change: Callable[[dict[str, list[object]]], None]) -> Callable[[bytes], bytes]:
    """Change the cache's entries and seal it again (valid JSON, valid checksum, bad content)."""

    def edit(raw: bytes) -> bytes:
        data = json.loads(raw)
        change(data["entries"])
        return sealed({"schema": CACHE_SCHEMA, "entries": data["entries"]}).encode()

    return edit


def first_entry(value: Callable[[list[object]], list[object]]) -> Callable[[dict[str, list[object]]], None]:
    def change(entries: dict[str, list[object]]) -> None:
        path = sorted(entries)[0]
        entries[path] = value(entries[path])

    return change


def hand_edited_digest(raw: bytes) -> bytes:
    data = json.loads(raw)
    path = sorted(data["entries"])[0]
    data["entries"][path][4] = "0" * 64  # the checksum is left as it was
    return json.dumps(data).encode()


BAD_CACHES: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda raw: b"",
    "cut short": lambda raw: raw[: len(raw) // 2],
    "not UTF-8": lambda raw: raw.replace(b"{", b"\xff", 1),
    "nested deeply": lambda raw: b'{"entries": ' * 50_000,
    "a number too long": lambda raw: b"[" + b"1" * 5000 + b"]",
    "an earlier version's": lambda raw: json.dumps({"/x": [1, 2, 3, "a" * 64]}).encode(),
    "a digest hand-edited": hand_edited_digest,
    "entries not an object": resealed(entries=[]),
    "an entry too short": entries_edit(first_entry(lambda e: e[:3])),
    "a negative size": entries_edit(first_entry(lambda e: [-1, *e[1:]])),
    "a boolean stamp": entries_edit(first_entry(lambda e: [True, *e[1:]])),
    "a digest that is not one": entries_edit(first_entry(lambda e: [*e[:4], "../../etc"])),
    "too big": lambda raw: raw + b" " * (257 << 20),
}


@pytest.mark.parametrize("bad", BAD_CACHES, ids=list(BAD_CACHES))
def test_a_malformed_or_edited_file_hash_cache_is_ignored_with_one_warning(
    build: Build, bad: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time_ns() + 60 * 10**9  # the build's files look a minute old: their hashes are kept
    clock = SimpleNamespace(time=time.time, time_ns=lambda: now)
    monkeypatch.setattr("dynamo_container.buildkeys.store.time", clock)
    keys = build.keys()
    first = keys.up_to_date(build.step).key
    keys.save()
    cache = build.logs / "keys" / CACHE_NAME
    assert StatCache(cache).entries  # a valid cache, with entries
    cache.write_bytes(BAD_CACHES[bad](cache.read_bytes()))
    keys = build.keys()
    assert build.warnings == [
        f"{cache} is not a file-hash cache this version wrote: ignored (the build context is hashed "
        "again and the file rewritten)"
    ]
    assert keys.cache.entries == {}
    assert keys.up_to_date(build.step).key == first  # hashed again, not taken from the bad file
    keys.save()
    assert StatCache(cache, store.Warnings(build.warnings.append)).entries and len(build.warnings) == 1


def key_folder_a_file(build: Build) -> Path:
    (build.logs).mkdir(parents=True)
    (build.logs / "keys").write_text("not a folder\n")
    return build.logs / "keys"


def log_folder_a_file(build: Build) -> Path:
    build.logs.write_text("not a folder\n")
    return build.logs


@pytest.mark.parametrize("make", [key_folder_a_file, log_folder_a_file], ids=["keys", "log folder"])
def test_a_file_where_the_key_folder_should_be_is_one_warning(
    build: Build, make: Callable[[Build], Path]
) -> None:
    blocker = make(build)
    keys = build.keys()  # reading finds nothing: no warning yet
    for _ in range(2):  # two steps, or two builds of one run: still one warning
        verdict = keys.up_to_date(build.step)
        assert verdict.key and not build.built(keys, verdict.key)
    keys.save()
    assert build.warnings == [
        f"build keys not recorded: cannot write {build.logs / 'keys'}: {build.logs / 'keys'} or a folder "
        "above it is a file (the build goes on; its steps run again next time: free space or fix that "
        "folder, or set DYNAMO_LOG_DIR to another one)"
    ]
    assert blocker.read_text() == "not a folder\n"


def test_an_unwritable_key_folder_is_one_warning(build: Build) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into a folder whatever its mode (the read-only tmpfs test covers root)")
    folder = build.logs / "keys"
    folder.mkdir(parents=True)
    folder.chmod(0o555)
    try:
        keys = build.keys()
        assert not build.built(keys, keys.up_to_date(build.step).key)
        keys.save()
    finally:
        folder.chmod(0o755)
    assert len(build.warnings) == 1 and ": permission denied (" in build.warnings[0]


def test_a_read_only_key_folder_is_one_warning(build: Build) -> None:
    with tmpfs(build.logs / "keys", read_only=True):
        keys = build.keys()
        assert not build.built(keys, keys.up_to_date(build.step).key)
        keys.save()
    assert len(build.warnings) == 1
    assert build.warnings[0].startswith(
        f"build keys not recorded: cannot write {build.logs / 'keys'}: the file system is read-only ("
    )


def test_a_full_disk_under_the_key_folder_is_one_warning_and_nothing_half_written(build: Build) -> None:
    with tmpfs(build.logs / "keys") as folder:
        good = recorded(build)  # an earlier record, which a failed write must leave whole
        before = good.read_bytes()
        good_key = good.stem
        new_content(build.context / "src" / "a.py")  # a new key, whose record has no room
        fill(folder)
        keys = build.keys()
        verdict = keys.up_to_date(build.step)
        assert verdict.key != good_key and not build.built(keys, verdict.key)
        keys.save()
        assert len(build.warnings) == 1
        full = f"build keys not recorded: cannot write {folder}: the disk is full ("
        assert build.warnings[0].startswith(full)
        assert leftovers(folder) == [] and good.read_bytes() == before
        # the earlier record's step inputs (reasons.py) stay as they were, nothing half written beside
        assert sorted(p.name for p in folder.iterdir()) == sorted([".filler", good.name, "steps"])
        assert leftovers(folder / "steps") == [] and len(list((folder / "steps").iterdir())) == 1


def test_a_disk_that_fills_while_the_file_hash_cache_is_written_keeps_the_old_one(
    build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tmpfs(build.logs / "keys", size="64k") as folder:
        cache = StatCache(folder / CACHE_NAME)
        cache.entries = {f"/old/{i}": [1, 2, 3, 4, "a" * 64] for i in range(10)}
        cache.changed = True
        cache.save()
        before = (folder / CACHE_NAME).read_bytes()
        fill(folder, leave=8192)  # room for part of the new file, not all of it
        warned: list[str] = []
        bigger = StatCache(folder / CACHE_NAME, store.Warnings(warned.append))
        bigger.entries = {f"/new/{i:05}": [1, 2, 3, 4, "b" * 64] for i in range(2000)}  # ~200 kB
        bigger.changed = True
        bigger.save()
        assert len(warned) == 1 and ": the disk is full (the build is not affected" in warned[0]
        assert (folder / CACHE_NAME).read_bytes() == before and leftovers(folder) == []


def test_a_record_is_sealed_and_names_its_key(build: Build) -> None:
    record = recorded(build)
    data = json.loads(record.read_text())
    assert data["schema"] == RECORD_SCHEMA and data["image"] == BUILT_ID and len(data["check"]) == 64
    assert record.stem == data["key"]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EDQUOT, "the disk quota is used up"),
        (errno.EROFS, "the file system is read-only"),
        (errno.EACCES, "permission denied"),
        (errno.EPERM, "permission denied"),
        (errno.ENOTDIR, "{folder} or a folder above it is a file"),
        (errno.EEXIST, "{folder} or a folder above it is a file"),
        (errno.EIO, "Input/output error"),
    ],
)
def test_each_write_fault_is_named_in_words_to_act_on(tmp_path: Path, code: int, words: str) -> None:
    folder = tmp_path / "keys"
    assert store.why(OSError(code, os.strerror(code)), folder) == words.format(folder=folder)


def test_a_write_refused_at_the_rename_leaves_no_temporary_file(
    build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a folder without write permission does to a non-root user (root passes chmod)."""

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("dynamo_container.buildkeys.store.os.replace", refuse)
    keys = build.keys()
    assert not build.built(keys, keys.up_to_date(build.step).key)
    assert len(build.warnings) == 1 and ": permission denied (the build goes on;" in build.warnings[0]
    assert leftovers(build.logs) == [] and build.records() == []
