"""sccache: release URL and checksum pins, a verified atomic install, and the statistics parser
(which must agree with `container/use-sccache.sh show-stats` on the same recorded JSON)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.error
from pathlib import Path
from typing import Any

import pytest

from dynamo_container.errors import ConfigError, DynamoError
from dynamo_container.settings import by_name
from dynamo_container.tools import sccache, sccache_stats
from tests.helpers import PROJECT, make_repo

FIXTURES = PROJECT / "tests" / "fixtures" / "sccache"
SCRIPT = PROJECT / "container" / "use-sccache.sh"
INVOKE = str(Path(sys.executable).parent / "invoke")
DEFAULT_BASE = "https://github.com/mozilla/sccache/releases/download"

# fixture -> (hits, misses, hit rate text, {category: (hits, misses)})
EXPECTED: dict[str, tuple[int, int, str, dict[str, tuple[int, int]]]] = {
    "01-empty.json": (0, 0, "0.00", {}),
    "02-c.json": (2, 1, "66.67", {"C/C++": (2, 1)}),
    "03-c-rust.json": (3, 2, "60.00", {"C/C++": (2, 1), "Rust": (1, 1)}),
    "04-c-rust-cuda.json": (
        7,
        6,
        "53.85",
        {
            "C/C++": (2, 1),
            "CUBIN": (1, 1),
            "CUDA": (1, 1),
            "CUDA (Device code)": (1, 1),
            "PTX": (1, 1),
            "Rust": (1, 1),
        },
    ),
    "05-cold.json": (
        0,
        6,
        "0.00",
        {k: (0, 1) for k in ("C/C++", "CUBIN", "CUDA", "CUDA (Device code)", "PTX", "Rust")},
    ),
    "handmade-rounding-tie.json": (
        1,
        31,
        "3.13",
        {"C/C++": (1, 20), "CUBIN": (0, 3), "CUDA": (0, 4), "PTX": (0, 4)},
    ),
}


# ----- release names, pins ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "arch"),
    [
        ("x86_64", "x86_64"),
        ("amd64", "x86_64"),
        ("AMD64", "x86_64"),
        ("aarch64", "aarch64"),
        ("arm64", "aarch64"),
    ],
)
def test_arch_aliases(given: str, arch: str) -> None:
    assert sccache.normalize_arch(given) == arch
    assert sccache.asset_url(DEFAULT_BASE, "v0.14.0", given) == (
        f"{DEFAULT_BASE}/v0.14.0/sccache-v0.14.0-{arch}-unknown-linux-musl.tar.gz"
    )


@pytest.mark.parametrize("bad", ["riscv64", "i686", "armv7l", ""])
def test_bad_arch_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="sccache has no Linux release for architecture") as err:
        sccache.normalize_arch(bad)
    assert "x86_64, aarch64, amd64 or arm64" in err.value.hint


def test_host_arch_from_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("platform.machine", lambda: "arm64")
    assert sccache.host_arch() == "aarch64"
    plan = sccache.plan_install(version="v0.14.0", arch="", base_url=DEFAULT_BASE, install_dir="/opt/bin")
    assert plan.arch == "aarch64" and plan.sha256 == sccache.CHECKSUMS[("v0.14.0", "aarch64")]
    monkeypatch.setattr("platform.machine", lambda: "s390x")
    with pytest.raises(ConfigError, match="'s390x'"):
        sccache.host_arch()


def test_url_version_and_base_forms() -> None:
    expected = "http://mirror.example/sccache/v0.14.0/sccache-v0.14.0-aarch64-unknown-linux-musl.tar.gz"
    assert sccache.asset_url("http://mirror.example/sccache/", "0.14.0", "arm64") == expected
    assert sccache.asset_name("0.14.0", "amd64") == "sccache-v0.14.0-x86_64-unknown-linux-musl"
    with pytest.raises(ConfigError, match="not an http"):
        sccache.asset_url("mirror.example/sccache", "v0.14.0", "x86_64")
    with pytest.raises(ConfigError, match="not a release version"):
        sccache.normalize_version("latest")


def test_pinned_version_matches_the_container_script_and_has_both_checksums() -> None:
    default = by_name()["sccache_version"].default
    script = SCRIPT.read_text()
    m = re.search(r'^SCCACHE_VERSION="\$\{SCCACHE_VERSION:-([^}]+)\}"', script, re.M)
    assert m, "use-sccache.sh no longer declares its SCCACHE_VERSION default"
    assert default == m.group(1) == "v0.14.0"
    assert by_name()["sccache_base_url"].default == DEFAULT_BASE
    assert "https://github.com/mozilla/sccache/releases/download/${SCCACHE_VERSION}/${name}.tar.gz" in script
    for arch in sccache.RELEASE_ARCHES:
        digest = sccache.CHECKSUMS[(default, arch)]
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert len(set(sccache.CHECKSUMS.values())) == len(sccache.CHECKSUMS)


def test_version_without_pin_needs_sha256() -> None:
    with pytest.raises(ConfigError, match=r"no pinned SHA-256 for sccache v0\.15\.0 \(x86_64\)") as err:
        sccache.plan_install(version="0.15.0", arch="x86_64", base_url=DEFAULT_BASE, install_dir="/x")
    assert "--sha256" in err.value.hint
    plan = sccache.plan_install(
        version="0.15.0", arch="x86_64", base_url=DEFAULT_BASE, install_dir="/x", sha256="AB" * 32
    )
    assert (plan.sha256, plan.sha256_source) == ("ab" * 32, "given")
    with pytest.raises(ConfigError, match="is not a SHA-256"):
        sccache.expected_sha256("v0.14.0", "x86_64", "abc")


def test_plan_rows() -> None:
    plan = sccache.plan_install(version="v0.14.0", arch="amd64", base_url=DEFAULT_BASE, install_dir="/opt/b")
    assert plan.member == "sccache-v0.14.0-x86_64-unknown-linux-musl/sccache"
    assert plan.destination == Path("/opt/b/sccache")
    rows = dict(plan.rows())
    assert rows["sha256"] == f"{sccache.CHECKSUMS[('v0.14.0', 'x86_64')]} (pinned)"


# ----- download and install (file:// URLs: no network) -----------------------------------------


FAKE_BINARY = b"#!/bin/sh\necho 'sccache 0.14.0 (fake)'\n"


def make_release(root: Path, version: str = "v0.14.0", arch: str = "x86_64", **extra: bytes) -> str:
    """A release tree <root>/<version>/<asset>.tar.gz holding <asset>/sccache; returns its sha256."""
    name = f"sccache-{version}-{arch}-unknown-linux-musl"
    (root / version).mkdir(parents=True, exist_ok=True)
    archive = root / version / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in {
            f"{name}/sccache": FAKE_BINARY,
            f"{name}/README.md": b"readme\n",
            **extra,
        }.items():
            info = tarfile.TarInfo(member)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(archive.read_bytes()).hexdigest()


def plan_for(tmp_path: Path, sha256: str, arch: str = "x86_64") -> sccache.InstallPlan:
    return sccache.plan_install(
        version="v0.14.0",
        arch=arch,
        base_url=(tmp_path / "mirror").as_uri(),
        install_dir=str(tmp_path / "bin"),
        sha256=sha256,
    )


def test_install_writes_only_the_binary_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("platform.machine", lambda: "x86_64")
    digest = make_release(tmp_path / "mirror")
    result = sccache.install(plan_for(tmp_path, digest))
    target = tmp_path / "bin" / "sccache"
    assert target.read_bytes() == FAKE_BINARY
    assert target.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in (tmp_path / "bin").iterdir()) == ["sccache"]  # no README, no temp file
    assert result.version_output == "sccache 0.14.0 (fake)"
    assert result.size == (tmp_path / "mirror" / "v0.14.0").glob("*.tar.gz").__next__().stat().st_size


def test_checksum_mismatch_installs_nothing(tmp_path: Path) -> None:
    make_release(tmp_path / "mirror")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "sccache").write_text("old\n")
    with pytest.raises(DynamoError, match="checksum mismatch") as err:
        sccache.install(plan_for(tmp_path, "0" * 64))
    assert err.value.hint == "nothing was installed"
    assert [p.name for p in (tmp_path / "bin").iterdir()] == ["sccache"]
    assert (tmp_path / "bin" / "sccache").read_text() == "old\n"


def test_checksum_mismatch_against_the_pin(tmp_path: Path) -> None:
    make_release(tmp_path / "mirror")  # not the real release: the pinned checksum cannot match
    with pytest.raises(DynamoError, match=r"expected 8424b38c.* \(pinned\), got "):
        sccache.install(plan_for(tmp_path, ""))
    assert not (tmp_path / "bin").exists()


def test_tarball_without_the_binary_is_refused(tmp_path: Path) -> None:
    name = "sccache-v0.14.0-x86_64-unknown-linux-musl"
    (tmp_path / "mirror" / "v0.14.0").mkdir(parents=True)
    archive = tmp_path / "mirror" / "v0.14.0" / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        link = tarfile.TarInfo(f"{name}/sccache")
        link.type, link.linkname = tarfile.SYMTYPE, "/bin/sh"
        tar.addfile(link)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    with pytest.raises(DynamoError, match="no regular file"):
        sccache.install(plan_for(tmp_path, digest))
    assert not (tmp_path / "bin" / "sccache").exists()


def test_download_retries_network_errors_then_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    waits: list[float] = []

    class Response(io.BytesIO):
        def __enter__(self) -> Response:
            return self

    def urlopen(request: Any, timeout: float) -> Response:
        calls.append(request.full_url)
        assert timeout == 5
        if len(calls) < 3:
            raise urllib.error.URLError("connection refused")
        return Response(b"payload")

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    out = io.BytesIO()
    digest, size = sccache.download("http://x/y", out, timeout=5, delay=1, sleep=waits.append)
    assert (digest, size, out.getvalue()) == (hashlib.sha256(b"payload").hexdigest(), 7, b"payload")
    assert waits == [1, 2] and len(calls) == 3

    def not_found(request: Any, timeout: float) -> Response:
        calls.append(request.full_url)
        raise urllib.error.HTTPError(request.full_url, 404, "Not Found", {}, None)  # type: ignore[arg-type]

    calls.clear()
    monkeypatch.setattr("urllib.request.urlopen", not_found)
    with pytest.raises(DynamoError, match="HTTP 404 Not Found") as err:
        sccache.download("http://x/y", io.BytesIO(), sleep=waits.append)
    assert len(calls) == 1  # a 404 is not retried
    assert "--sccache-base-url" in err.value.hint


# ----- statistics --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parse_fixture(name: str) -> None:
    hits, misses, rate, langs = EXPECTED[name]
    stats = sccache_stats.parse_stats((FIXTURES / name).read_text(), name)
    assert (stats.hits, stats.misses, stats.rate_text) == (hits, misses, rate)
    assert {k: (v.hits, v.misses) for k, v in stats.languages.items()} == langs
    assert stats.version == "0.14.0"
    data = stats.to_json()
    assert (data["hits"], data["misses"], data["hit_rate"]) == (hits, misses, float(rate))


def test_fixtures_are_all_covered() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(EXPECTED)


def test_cuda_sub_compilations_count() -> None:
    """One nvcc call is four lookups (CUDA, device code, PTX, CUBIN): all are in the sums."""
    before = sccache_stats.parse_stats((FIXTURES / "03-c-rust.json").read_text())
    after = sccache_stats.parse_stats((FIXTURES / "04-c-rust-cuda.json").read_text())
    assert (after.hits - before.hits, after.misses - before.misses) == (4, 4)
    assert after.compile_requests is not None and before.compile_requests is not None
    assert after.compile_requests - before.compile_requests == 2  # two nvcc calls


@pytest.mark.parametrize(
    ("hits", "misses", "text"),
    [(0, 0, "0.00"), (1, 0, "100.00"), (1, 2, "33.33"), (2, 1, "66.67"), (1, 31, "3.13"), (1, 7, "12.50")],
)
def test_rate_rounding(hits: int, misses: int, text: str) -> None:
    assert sccache_stats.format_rate(hits, misses) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not JSON (empty)"),
        ("Compile requests 7\n", "is not JSON (starts 'Compile requests 7')"),
        ("[]", "has no 'stats' object"),
        ('{"stats": {"cache_hits": {"counts": {"C/C++": -1}}}}', "is not a count"),
        ('{"stats": {"cache_hits": {"counts": []}}}', "is not an object"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        sccache_stats.parse_stats(text, "x.json")


# ----- the container script agrees ------------------------------------------------------------------


def script_summary(fixture: Path, path_dirs: str, *, stdin: bool = False) -> tuple[str, dict[str, str], str]:
    """Run `use-sccache.sh show-stats` on a saved JSON file with only `path_dirs` on PATH."""
    env = {"PATH": path_dirs, "SCCACHE_STATS_JSON": "-" if stdin else str(fixture)}
    r = subprocess.run(
        ["/bin/bash", str(SCRIPT), "show-stats", "unit test"],
        env=env,
        input=fixture.read_text() if stdin else "",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    summary = [line for line in r.stdout.splitlines() if line.startswith("SCCACHE_SUMMARY ")]
    assert len(summary) == 1, r.stdout
    fields = dict(kv.split("=", 1) for kv in summary[0].split()[1:])
    return summary[0], fields, r.stdout


def only(tmp_path: Path, *tools: str) -> str:
    """A PATH folder holding just these tools (so the script takes the branch we want)."""
    folder = tmp_path / ("bin-" + "-".join(tools))
    if folder.is_dir():
        return str(folder)
    folder.mkdir()
    for tool in tools:
        # python3: this interpreter itself (a python3 on PATH may be a shell shim, e.g. pyenv's)
        found = os.path.realpath(sys.executable) if tool == "python3" else shutil.which(tool)
        if not found:
            pytest.skip(f"{tool} is not installed")
        (folder / tool).symlink_to(os.path.realpath(found))
    return str(folder)


@pytest.mark.parametrize("branch", ["python3", "jq"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_script_show_stats_agrees_with_the_parser(tmp_path: Path, name: str, branch: str) -> None:
    fixture = FIXTURES / name
    stats = sccache_stats.parse_stats(fixture.read_text())
    line, fields, out = script_summary(fixture, only(tmp_path, branch, "cat"))
    assert ("  all: hits " in out) == (branch == "jq")  # the branch we meant ran
    assert (int(fields["hits"]), int(fields["misses"])) == (stats.hits, stats.misses)
    assert fields["hit_rate"] == f"{stats.rate_text}%"
    assert line == stats.summary_line("unit test")


def test_script_reads_stdin_and_per_language_lines(tmp_path: Path) -> None:
    fixture = FIXTURES / "04-c-rust-cuda.json"
    line, _, _ = script_summary(fixture, only(tmp_path, "python3"), stdin=True)
    assert line == "SCCACHE_SUMMARY step=unit_test hits=7 misses=6 hit_rate=53.85%"
    r = subprocess.run(
        ["/bin/bash", str(SCRIPT), "show-stats", "s"],
        env={"PATH": only(tmp_path, "python3"), "SCCACHE_STATS_JSON": str(fixture)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "  CUBIN    hits       1  misses       1  hit rate  50.00%" in r.stdout
    assert "  all      hits       7  misses       6  hit rate  53.85%" in r.stdout


def test_script_refuses_an_unreadable_stats_file(tmp_path: Path) -> None:
    r = subprocess.run(
        ["/bin/bash", str(SCRIPT), "show-stats", "s"],
        env={"PATH": os.environ["PATH"], "SCCACHE_STATS_JSON": str(tmp_path / "missing.json")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 1 and "cannot read SCCACHE_STATS_JSON=" in r.stderr


def test_script_usage_documents_the_stats_file() -> None:
    r = subprocess.run(["/bin/bash", str(SCRIPT), "help"], capture_output=True, text=True, check=True)
    assert "SCCACHE_STATS_JSON" in r.stdout


# ----- the tasks as typed ------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "proj")
    (root / "tasks.py").write_text((PROJECT / "tasks.py").read_text())
    return root


def run(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [INVOKE, *args], cwd=root, env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def test_stats_task_text_json_and_stdin(project: Path) -> None:
    fixture = str(FIXTURES / "04-c-rust-cuda.json")
    text = run(project, "sccache-stats", "--file", fixture)
    assert text.returncode == 0, text.stderr
    assert re.search(r"^  CUDA \(Device code\)\s+1\s+1\s+50\.00%$", text.stdout, re.M)
    assert re.search(r"^  all\s+7\s+6\s+53\.85%$", text.stdout, re.M)
    data = json.loads(run(project, "sccache-stats", "--file", fixture, "--json").stdout)
    assert (data["hits"], data["misses"], data["hit_rate"], data["source"]) == (7, 6, 53.85, fixture)
    assert data["languages"]["PTX"] == {"hits": 1, "misses": 1, "hit_rate": 50.0}
    piped = run(
        project, "sccache-stats", "--file", "-", "--json", stdin=(FIXTURES / "05-cold.json").read_text()
    )
    assert json.loads(piped.stdout)["misses"] == 6


def test_stats_task_errors(project: Path) -> None:
    r = run(project, "sccache-stats", "-f", str(FIXTURES / "04-c-rust-cuda.txt"))
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("error: ") and "is not JSON" in r.stderr and "--stats-format=json" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_stats_task_without_sccache(project: Path, tmp_path: Path) -> None:
    env_path = os.environ.get("PATH", "")
    if any((Path(d) / "sccache").exists() for d in env_path.split(os.pathsep) if d):
        pytest.skip("an sccache is on PATH")
    r = run(project, "sccache-stats", "--sccache-install-dir", str(tmp_path / "none"))
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "error: sccache is not installed (not on PATH, not in --sccache-install-dir) "
        "(install it with invoke sccache-install, or read saved statistics with --file FILE)"
    )


def test_install_dry_run_prints_url_checksum_destination_and_writes_nothing(
    project: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "never"
    r = run(project, "sccache-install", "--dry-run", "--arch", "arm64", "--sccache-install-dir", str(dest))
    assert r.returncode == 0, r.stderr
    url = f"{DEFAULT_BASE}/v0.14.0/sccache-v0.14.0-aarch64-unknown-linux-musl.tar.gz"
    assert url in r.stdout
    assert sccache.CHECKSUMS[("v0.14.0", "aarch64")] + " (pinned)" in r.stdout
    assert str(dest / "sccache") in r.stdout and "Dry run: nothing was downloaded or written." in r.stdout
    assert not dest.exists()
    data = json.loads(run(project, "sccache-install", "--dry-run", "--json", "--arch", "amd64").stdout)
    assert data["url"].endswith("/sccache-v0.14.0-x86_64-unknown-linux-musl.tar.gz")
    assert data["installed"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arch", "ppc64le"], "error: sccache has no Linux release for architecture 'ppc64le'"),
        (["--sccache-version", "0.15.0"], "error: no pinned SHA-256 for sccache v0.15.0"),
        (["--sha256", "nothex"], "error: --sha256 'nothex' is not a SHA-256"),
    ],
)
def test_install_errors_are_one_line(project: Path, args: list[str], message: str) -> None:
    r = run(project, "sccache-install", "--dry-run", *args)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith(message) and len(r.stderr.strip().splitlines()) == 1
