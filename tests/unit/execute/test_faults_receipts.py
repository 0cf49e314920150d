"""Malformed and hand-edited receipts: `invoke receipts` and `--diff` name the file and go on.

One reader (receipts.read_receipt) checks every field a reader uses; these tests feed it every field
with values of every wrong shape, files that are not receipts at all, and files that are not files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.errors import ConfigError
from dynamo_container.execute.receipts import FIELDS, diff_receipts, list_receipts, read_receipt, receipts_dir
from dynamo_container.tasks.receipts import receipts, shown
from tests.helpers import config

GOOD: dict[str, Any] = {
    "schema": 1,
    "framework": "vllm",
    "cuda_version": "12.9",
    "target": "runtime",
    "status": "built",
    "version": "v1",
    "commit": "c1",
    "dirty": False,
    "started": "2026-01-01T00:00:00Z",
    "seconds": 12.5,
    "images": {"dyn:1": "sha256:aa"},
    "base_images": {"base:1": "sha256:bb"},
    "steps": [{"name": "framework", "seconds": 12.5, "cached": 3, "total": 9, "returncode": 0}],
    "plan": {"steps": [{"name": "framework", "build_args": {"X": "1"}, "dockerfile": "D"}]},
}

WRONG_SHAPES: list[Any] = [None, True, 7, -1.5, "text", "", [], [1, "x"], {}, {"a": 1}, 1e400, 10**400]


def put(folder: Path, name: str, data: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("value", WRONG_SHAPES, ids=[repr(v)[:12] for v in WRONG_SHAPES])
def test_every_field_of_every_shape_is_kept_or_named_and_left_out(
    field: str, value: Any, tmp_path: Path
) -> None:
    path = put(tmp_path, "b.json", {**GOOD, field: value})
    data, problems = read_receipt(path)
    check, _ = FIELDS[field]
    if check(value):
        assert data[field] == value and problems == []
    else:
        assert field not in data
        assert len(problems) == 1 and problems[0].startswith(f"{path}: {field} is not ")
    diff_receipts(GOOD, data)  # whatever is left compares without an error
    diff_receipts(data, GOOD)


STEP_EDITS: list[tuple[str, dict[str, Any]]] = [
    ("steps", {"name": 3}),
    ("steps", {"seconds": "fast"}),
    ("steps", {"cached": None}),
    ("steps", {"total": [9]}),
    ("steps", {"seconds": 1e400}),
    ("plan", {"name": None}),
    ("plan", {"build_args": ["X=1"]}),
    ("plan", {"build_args": {"X": 1}}),
    ("plan", {"build_args": {"X": None}}),
]


@pytest.mark.parametrize(("field", "edit"), STEP_EDITS)
def test_a_hand_edited_step_record_leaves_out_its_list_and_names_it(
    field: str, edit: dict[str, Any], tmp_path: Path
) -> None:
    receipt = json.loads(json.dumps({**GOOD, "commit": "c2"}))
    steps = receipt[field]["steps"] if field == "plan" else receipt[field]
    steps[0].update(edit)
    data, problems = read_receipt(put(tmp_path, "b.json", receipt))
    assert field not in data and len(problems) == 1 and f": {field} is not " in problems[0]
    assert "commit: c1 -> c2" in diff_receipts(GOOD, data)  # the rest still compares


NOT_RECEIPTS: list[tuple[str, bytes, str]] = [
    ("empty", b"", "Expecting value"),
    ("truncated", b'{"status": "bu', "Unterminated string"),
    ("not-utf8", b"\xff\xfe\x00", "can't decode"),
    ("a-list", b"[]", "not a JSON object"),
    ("null", b"null", "not a JSON object"),
    ("a-string", b'"built"', "not a JSON object"),
    ("a-number", b"42", "not a JSON object"),
    ("nested", b"[" * 200_000 + b"]" * 200_000, "maximum recursion depth"),
    ("nested-objects", b'{"a":' * 200_000 + b"1" + b"}" * 200_000, "maximum recursion depth"),
]


@pytest.mark.parametrize(("name", "content", "reason"), NOT_RECEIPTS, ids=[c[0] for c in NOT_RECEIPTS])
def test_a_file_that_is_not_a_receipt_is_one_line_naming_it(
    name: str, content: bytes, reason: str, tmp_path: Path
) -> None:
    path = put(tmp_path, f"{name}.json", content)
    with pytest.raises(ConfigError) as err:
        read_receipt(path)
    assert str(err.value).startswith(f"{path} is not a readable receipt (") and reason in str(err.value)
    assert "\n" not in str(err.value)


def _odd_files(folder: Path) -> list[Path]:
    """Things named like receipts that are not regular files, and one too large to be one."""
    folder.mkdir(parents=True, exist_ok=True)
    odd = [folder / n for n in ("a-folder.json", "a-fifo.json", "dangling.json", "huge.json")]
    odd[0].mkdir()
    os.mkfifo(odd[1])  # reading it would wait for a writer forever
    odd[2].symlink_to(folder / "nowhere")
    with open(odd[3], "wb") as f:
        f.truncate(17 * 1024 * 1024)  # sparse: no disk used
    return odd


LISTING_EDITS: list[tuple[str, dict[str, Any], str]] = [
    ("status-null", {"status": None}, "no usable status"),
    ("status-list", {"status": ["built"]}, "no usable status"),
    ("seconds-text", {"seconds": "12"}, "no usable seconds"),
    ("seconds-bool", {"seconds": True}, "no usable seconds"),
    ("seconds-inf", {"seconds": 1e400}, "no usable seconds"),
    ("seconds-huge", {"seconds": 10**400}, "no usable seconds"),
    ("started-number", {"started": 5}, "no usable started"),
    ("version-object", {"version": {"v": 1}}, "no usable version"),
    ("two-bad", {"version": 1, "started": None}, "no usable version, started"),
]


def test_the_listing_names_each_unreadable_file_and_lists_the_rest(tmp_path: Path) -> None:
    folder = receipts_dir(tmp_path)
    put(folder, "vllm-cuda12.9-runtime.json", GOOD)
    put(folder, "edited-steps.json", {**GOOD, "steps": "gone"})  # a field the listing does not show
    expected = {}
    for name, content, reason in NOT_RECEIPTS:
        expected[put(folder, f"{name}.json", content)] = reason
    for name, edit, reason in LISTING_EDITS:
        expected[put(folder, f"{name}.json", {**GOOD, **edit})] = reason
    for path in _odd_files(folder):
        expected[path] = "larger than 16 MB" if path.name == "huge.json" else "not a regular file"
    rows, warnings = list_receipts(tmp_path)
    assert [r["name"] for r in rows] == ["edited-steps", "vllm-cuda12.9-runtime"]
    assert len(warnings) == len(expected)
    for path, reason in expected.items():
        (line,) = [w for w in warnings if w.startswith(f"{path} skipped: ")]
        assert "not a readable receipt" in line and reason in line and "\n" not in line


def test_invoke_receipts_warns_per_file_and_prints_the_rest_safely(tmp_path: Path, capsys: Any) -> None:
    folder = receipts_dir(tmp_path / "logs")
    put(folder, "good.json", {**GOOD, "status": "built\x1b[2J\nfake line"})  # escapes stay inert
    put(folder, "torn.json", b'{"status": "bu')
    put(folder, "nested.json", b"[" * 200_000)
    cfg = config(tmp_path, log_dir=str(tmp_path / "logs"))
    receipts(cfg, diff=[], json=False)
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()] == ["good"]
    assert "built\\x1b[2J\\nfake line" in out
    assert sorted(line.split()[1] for line in err.splitlines()) == [
        str(folder / "nested.json"),
        str(folder / "torn.json"),
    ]
    assert all(line.startswith("warning: ") for line in err.splitlines())


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        ({"steps": "gone"}, "steps"),
        ({"plan": {"steps": {"framework": 1}}}, "plan"),
        ({"images": ["sha256:aa"]}, "images"),
        ({"base_images": {"base:1": 5}}, "base_images"),
        ({"dirty": "yes"}, "dirty"),
        ({"seconds": "long"}, "seconds"),
    ],
)
def test_diff_names_each_broken_field_and_compares_the_rest(
    edit: dict[str, Any], named: str, tmp_path: Path, capsys: Any
) -> None:
    folder = receipts_dir(tmp_path / "logs")
    put(folder, "a.json", GOOD)
    b = put(folder, "b.json", {**GOOD, "commit": "c2", **edit})
    cfg = config(tmp_path, log_dir=str(tmp_path / "logs"))
    receipts(cfg, diff=["a", "b"], json=False)
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"warning: {b}: {named} is not {FIELDS[named][1]}; left out"]
    assert "  commit: c1 -> c2" in out.splitlines()


@pytest.mark.parametrize(
    ("name", "content", "reason"), NOT_RECEIPTS[:4], ids=[c[0] for c in NOT_RECEIPTS[:4]]
)
def test_diff_with_a_file_that_is_not_a_receipt_is_one_error_naming_it(
    name: str, content: bytes, reason: str, tmp_path: Path
) -> None:
    folder = receipts_dir(tmp_path / "logs")
    put(folder, "a.json", GOOD)
    bad = put(folder, f"{name}.json", content)
    cfg = config(tmp_path, log_dir=str(tmp_path / "logs"))
    with pytest.raises(ConfigError, match="is not a readable receipt") as err:
        receipts(cfg, diff=["a", name], json=False)
    assert str(err.value).startswith(f"{bad} is not a readable receipt")


def test_diff_of_a_fifo_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    folder = receipts_dir(tmp_path / "logs")
    put(folder, "a.json", GOOD)
    os.mkfifo(folder / "pipe.json")
    cfg = config(tmp_path, log_dir=str(tmp_path / "logs"))
    with pytest.raises(ConfigError, match="not a regular file"):
        receipts(cfg, diff=["a", "pipe"], json=False)


@pytest.mark.parametrize(
    "text", ["plain", "tab\there", "new\nline", "esc\x1b[31m", "bell\x07", "nul\x00", "ünï"]
)
def test_shown_values_are_one_printable_line(text: str) -> None:
    out = shown(text)
    assert out.isprintable() and "\n" not in out
    assert out == text if text.isprintable() else out != text
