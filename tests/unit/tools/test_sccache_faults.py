"""sccache on hostile input and faulty disks: a URL's password is never printed; an install onto a full,
read-only or blocked folder is one line and leaves nothing behind; statistics JSON of any shape
(nested thousands deep, huge numbers, escape sequences, megabytes) is one line or safe to print."""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.errors import ConfigError, DynamoError
from dynamo_container.tools import sccache, sccache_stats
from tests.fs_faults import fill, tmpfs
from tests.unit.tools.test_sccache import make_release, plan_for, project, run  # noqa: F401  (project: a fixture)

SECRET = "Tok3n-s3cret"

# ----- URLs with a login ---------------------------------------------------------------------------

MASKED: dict[str, str] = {
    f"https://user:{SECRET}@host/path": "https://user:****@host/path",
    f"http://u:{SECRET}@127.0.0.1:8080/x.tar.gz": "http://u:****@127.0.0.1:8080/x.tar.gz",
    f"https://user:p@ss{SECRET}@host/": "https://user:****@host/",  # an @ in the password
    f"https://user:pa/ss{SECRET}@host/x": "https://user:****@host/x",  # a / in the password
    f"https://user:p%40{SECRET}@host/": "https://user:****@host/",
    f"https://:{SECRET}@host/": "https://:****@host/",
    f"file://u:{SECRET}@localhost/srv": "file://u:****@localhost/srv",
    f"cannot download 'https://a:{SECRET}@h/x': refused": "cannot download 'https://a:****@h/x': refused",
    f"S3, endpoint: https://key:{SECRET}@s3.local, b": "S3, endpoint: https://key:****@s3.local, b",
    f"https://a:{SECRET}@h1/x https://b:{SECRET}@h2/y": "https://a:****@h1/x https://b:****@h2/y",
    f"HTTPS://U:{SECRET}@H/": "HTTPS://U:****@H/",
}
UNCHANGED = [
    "https://host/path@scope/pkg",
    "https://user@host/path",
    "https://github.com/mozilla/sccache/releases/download",
    "no URL here: user:pass@host",
]


@pytest.mark.parametrize("text", MASKED)
def test_a_url_password_is_masked_wherever_it_sits(text: str) -> None:
    assert sccache.mask_url_password(text) == MASKED[text]
    assert SECRET not in sccache.mask_url_password(text)


@pytest.mark.parametrize("text", UNCHANGED)
def test_text_without_a_url_password_is_left_alone(text: str) -> None:
    assert sccache.mask_url_password(text) == text


def test_a_plan_shows_its_url_without_the_password_and_keeps_it_for_the_download(tmp_path: Path) -> None:
    plan = sccache.plan_install(
        version="v0.14.0",
        arch="x86_64",
        base_url=f"https://ci:{SECRET}@mirror.example/sccache",
        install_dir=str(tmp_path),
    )
    assert SECRET in plan.url  # what the download needs
    shown = "https://ci:****@mirror.example/sccache/v0.14.0/sccache-v0.14.0-x86_64-unknown-linux-musl.tar.gz"
    assert dict(plan.rows())["url"] == shown and plan.to_json()["url"] == shown
    assert SECRET not in repr(plan) and SECRET not in json.dumps(plan.to_json())


def test_a_refused_base_url_is_named_without_its_password() -> None:
    with pytest.raises(ConfigError) as err:
        sccache.asset_url(f"ftp://ci:{SECRET}@mirror.example/x", "v0.14.0", "x86_64")
    assert SECRET not in str(err.value) and "ftp://ci:****@mirror.example/x" in str(err.value)


def test_a_login_is_sent_as_basic_auth_and_never_after_a_redirect() -> None:
    request = sccache.request_for(f"https://ci:p%40{SECRET}@mirror.example:8443/v/x.tar.gz")
    assert request.full_url == "https://mirror.example:8443/v/x.tar.gz"
    expected = "Basic " + base64.b64encode(f"ci:p@{SECRET}".encode()).decode()
    assert request.unredirected_hdrs == {"Authorization": expected}
    redirected = urllib.request.HTTPRedirectHandler().redirect_request(
        request, io.BytesIO(), 302, "Found", http.client.HTTPMessage(), "https://objects.example/x.tar.gz"
    )
    assert redirected is not None and "Authorization" not in {
        **redirected.headers,
        **redirected.unredirected_hdrs,
    }
    assert sccache.request_for("https://mirror.example/x").unredirected_hdrs == {}


def test_a_failed_download_names_the_url_without_its_password() -> None:
    def refuse(request: Any, timeout: float) -> Any:
        raise urllib.error.URLError(f"no route to {request.full_url} (user ci:{SECRET})")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("urllib.request.urlopen", refuse)
        with pytest.raises(DynamoError) as err:
            sccache.download(f"http://ci:{SECRET}@mirror.invalid/x", io.BytesIO(), sleep=lambda s: None)
    assert SECRET not in str(err.value)
    assert str(err.value).startswith("cannot download http://ci:****@mirror.invalid/x: no route to")


# ----- an install onto a faulty disk -------------------------------------------------------------


def old_binary(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sccache").write_bytes(b"old\n")
    return folder / "sccache"


def test_an_install_onto_a_full_disk_is_one_line_and_leaves_the_old_binary(tmp_path: Path) -> None:
    digest = make_release(tmp_path / "mirror")
    with tmpfs(tmp_path / "bin") as folder:
        old = old_binary(folder)
        fill(folder)
        with pytest.raises(DynamoError) as err:
            sccache.install(plan_for(tmp_path, digest))
        assert str(err.value) == (
            f"cannot install {old}: the disk is full (nothing was installed; pass a writable "
            "--sccache-install-dir (e.g. ~/.local/bin), or run as root)"
        )
        assert sorted(p.name for p in folder.iterdir()) == [".filler", "sccache"]
        assert old.read_bytes() == b"old\n"


def test_a_download_onto_a_full_disk_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    digest = make_release(tmp_path / "mirror")
    with tmpfs(tmp_path / "tmp") as scratch:
        fill(scratch)
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        with pytest.raises(DynamoError) as err:
            sccache.install(plan_for(tmp_path, digest))
        assert str(err.value).startswith(f"cannot save the download in {scratch}/sccache-download-")
        assert ": the disk is full (nothing was installed; free space there or point TMPDIR at" in str(
            err.value
        )
        assert sorted(p.name for p in scratch.iterdir()) == [".filler"]
    assert not (tmp_path / "bin").exists()


def test_an_install_onto_a_read_only_disk_is_one_line(tmp_path: Path) -> None:
    digest = make_release(tmp_path / "mirror")
    with tmpfs(tmp_path / "bin", read_only=True) as folder:
        with pytest.raises(DynamoError) as err:
            sccache.install(plan_for(tmp_path, digest))
        assert str(err.value).startswith(f"cannot write to {folder}: the file system is read-only (")
        assert list(folder.iterdir()) == []


def test_an_install_dir_below_a_file_is_one_line(tmp_path: Path) -> None:
    digest = make_release(tmp_path / "mirror")
    (tmp_path / "bin").write_text("a file\n")
    with pytest.raises(DynamoError) as err:
        sccache.install(plan_for(tmp_path, digest))
    folder = tmp_path / "bin"
    assert str(err.value).startswith(f"cannot create {folder}: {folder} or a folder above it is a file (")


def test_a_folder_where_the_binary_goes_is_one_line_and_nothing_is_left(tmp_path: Path) -> None:
    digest = make_release(tmp_path / "mirror")
    (tmp_path / "bin" / "sccache").mkdir(parents=True)
    with pytest.raises(DynamoError) as err:
        sccache.install(plan_for(tmp_path, digest))
    assert str(err.value).startswith(
        f"cannot install {tmp_path / 'bin' / 'sccache'}: a folder is in its place ("
    )
    assert [p.name for p in (tmp_path / "bin").iterdir()] == ["sccache"]


def test_the_task_on_a_full_disk_prints_one_line(project: Path, tmp_path: Path) -> None:  # noqa: F811
    digest = make_release(tmp_path / "mirror")
    with tmpfs(tmp_path / "bin") as folder:
        fill(folder)
        r = run(
            project,
            "sccache-install",
            "--sccache-base-url",
            (tmp_path / "mirror").as_uri(),
            "--sccache-install-dir",
            str(folder),
            "--arch",
            "x86_64",
            "--sha256",
            digest,
        )
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert r.stderr.strip().splitlines() == [
            f"error: cannot install {folder}/sccache: the disk is full (nothing was installed; pass a "
            "writable --sccache-install-dir (e.g. ~/.local/bin), or run as root)"
        ]
        assert sorted(p.name for p in folder.iterdir()) == [".filler"]


# ----- statistics of any shape ----------------------------------------------------------------------


def stats_with(counts: Any, key: str = "cache_hits") -> str:
    return json.dumps({"stats": {key: {"counts": counts}}})


MALFORMED: dict[str, tuple[str, str]] = {
    "nested arrays": ("[" * 100_000 + "]" * 100_000, "is nested too deeply to be sccache statistics"),
    "nested objects": ('{"stats": ' * 50_000 + "{}" + "}" * 50_000, "is nested too deeply"),
    "nested counts": (stats_with({"C": json.loads("[" * 50 + "]" * 50)}), "is not a count: [[[[["),
    "a number of 5000 digits": (
        '{"stats": {"cache_hits": {"counts": {"C": ' + "9" * 5000 + "}}}}",
        "too long",
    ),
    "a count over u64": (stats_with({"C": 2**64}), "is not a count: 18446744073709551616"),
    "a negative count": (stats_with({"C": -1}), "is not a count: -1"),
    "a fractional count": (stats_with({"C": 1.5}), "is not a count: 1.5"),
    "NaN": ('{"stats": {"cache_hits": {"counts": {"C": NaN}}}}', "is not a count: nan"),
    "Infinity": ('{"stats": {"cache_misses": {"counts": {"C": Infinity}}}}', "is not a count: inf"),
    "a count as text": (stats_with({"C": "3"}), "is not a count: '3'"),
    "a boolean count": (stats_with({"C": True}), "is not a count: True"),
    "counts a list": (stats_with([1, 2]), "stats.cache_hits.counts is not an object"),
    "stats a list": ('{"stats": []}', "has no 'stats' object"),
    "a string": ('"stats"', "has no 'stats' object"),
    "NUL bytes": ("\0\0\0", "is not JSON (starts '\\x00\\x00\\x00')"),
    "an escape sequence": ("\x1b]0;pwned\x07 text", "is not JSON (starts '\\x1b]0;pwned\\x07 text')"),
    "a login in the first line": (
        f"see https://u:{SECRET}@h/",
        "is not JSON (starts 'see https://u:****@h/')",
    ),
    "a byte order mark": ("\ufeff{}", "is not JSON"),
    "over 16 MB": (" " * (17 << 20), "is over 16 MB: not sccache statistics"),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_statistics_are_one_line(name: str) -> None:
    text, message = MALFORMED[name]
    with pytest.raises(ConfigError) as err:
        sccache_stats.parse_stats(text, "x.json")
    line = str(err.value)
    assert message in line and "\n" not in line and "\x1b" not in line and SECRET not in line
    assert len(line) < 400


def test_names_and_versions_are_printed_with_control_characters_escaped() -> None:
    hostile = "C\x1b[31m/C++\x1b]0;title\x07\ud800"
    text = json.dumps(
        {
            "stats": {"cache_hits": {"counts": {hostile: 2, "C\\x1b[31m/C++": 1}}},
            "version": "0.14\x1b[2J",
            "cache_location": f"S3 https://k:{SECRET}@s3.local\x1b[0m",
        }
    )
    stats = sccache_stats.parse_stats(text)
    shown = json.dumps(stats.to_json(), ensure_ascii=False)
    assert "\x1b" not in shown and "\x07" not in shown and SECRET not in shown
    assert stats.hits == 3  # two spellings that print alike are counted together, not lost
    assert stats.version == "0.14\\x1b[2J"
    assert stats.cache_location == "S3 https://k:****@s3.local\\x1b[0m"
    shown.encode("utf-8")  # no lone surrogate left to fail a UTF-8 terminal


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--file", "NESTED"], None, "is nested too deeply to be sccache statistics"),
        (["--file", "/dev/zero"], None, "--file /dev/zero is over 16 MB: not sccache statistics"),
        (["--file", "BINARY"], None, "--file BINARY is not text"),
        (["--file", "FOLDER"], None, "cannot read FOLDER: Is a directory"),
        (["--file", "-"], "[" * 100_000, "is nested too deeply to be sccache statistics"),
        (["--file", "-"], b"\xff\xfe\x00junk", "stdin is not text"),
    ],
    ids=["nested file", "endless file", "binary file", "a folder", "nested stdin", "binary stdin"],
)
def test_the_stats_task_prints_one_line_for_any_input(
    project: Path,  # noqa: F811
    tmp_path: Path,
    args: list[str],
    stdin: str | bytes | None,
    message: str,
) -> None:
    files = {"NESTED": tmp_path / "nested.json", "BINARY": tmp_path / "binary.json", "FOLDER": tmp_path}
    files["NESTED"].write_text("[" * 100_000 + "]" * 100_000)
    files["BINARY"].write_bytes(b"\xff\xfe\x00\x01" * 10)
    argv = [str(files.get(a, a)) for a in args]
    message = message.replace("FOLDER", str(tmp_path)).replace("BINARY", str(files["BINARY"]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")}
    invoke = str(Path(sys.executable).parent / "invoke")
    r = subprocess.run(
        [invoke, "sccache-stats", *argv],
        cwd=project,
        env=env,
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        timeout=120,
    )
    err = r.stderr.decode()
    assert r.returncode == 1 and r.stdout == b"" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and message in err, err


def test_a_server_answer_of_any_shape_is_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "sccache"
    fake.write_text("#!/bin/sh\nprintf '\\377\\376{}'\n")  # not UTF-8: no decoding error escapes
    fake.chmod(0o755)
    with pytest.raises(ConfigError, match="is not JSON"):
        sccache_stats.parse_stats(sccache_stats.query_server(str(fake)), "server")
    fake.write_text("#!/bin/sh\nhead -c 300000 /dev/zero | tr '\\0' '['\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        sccache_stats.parse_stats(sccache_stats.query_server(str(fake)), "server")
    fake.write_text(f"#!/bin/sh\necho 'cannot reach https://k:{SECRET}@s3.local\x1b[2J' >&2\nexit 2\n")
    with pytest.raises(DynamoError) as err:
        sccache_stats.query_server(str(fake))
    assert SECRET not in str(err.value) and "\x1b" not in str(err.value)
    assert "cannot reach https://k:****@s3.local\\x1b[2J" in str(err.value)
