"""The build-context guard: the .dockerignore matcher (BuildKit's rules), measuring, the warning."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from dynamo_container import pipeline
from dynamo_container.buildcontext import context
from dynamo_container.buildcontext.context import (
    ContextReport,
    FolderSize,
    Matcher,
    compile_pattern,
    go_clean,
    kept_files,
    largest_folders,
    measure,
    read_patterns,
    size_warning,
    walk,
)
from dynamo_container.errors import ConfigError
from dynamo_container.tasks import build as build_task
from tests.helpers import PROJECT, config, execution, plan

# ---------------------------------------------------------------------------------------------------
# reading the file


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("", "."),
        (".", "."),
        ("a/b/", "a/b"),
        ("a//b", "a/b"),
        ("./a/./b", "a/b"),
        ("a/../b", "b"),
        ("a/b/../../..", ".."),
        ("../a", "../a"),
        ("/", "/"),
        ("/..", "/"),
        ("/a/../../b", "/b"),
        ("**/", "**"),
    ],
)
def test_go_clean(raw: str, clean: str) -> None:
    assert go_clean(raw) == clean


def test_read_patterns_like_ignorefile_readall() -> None:
    text = (
        "\ufeff# comment\n"
        "\n"
        "  spaced  \n"
        " # not a comment: a leading space makes it a pattern\n"
        "/rooted\n"
        "dir/\n"
        "! keep/./this \n"
        "!/also\n"
        "crlf\r\n"
        "a//b/../c\n"
        "/\n"
    )
    assert read_patterns(text) == [
        (3, "spaced"),
        (4, "# not a comment: a leading space makes it a pattern"),
        (5, "rooted"),
        (6, "dir"),
        (7, "!keep/this"),
        (8, "!also"),
        (9, "crlf"),
        (10, "a/c"),
        (11, "/"),
    ]


def test_bom_only_stripped_on_the_first_line() -> None:
    assert read_patterns("\ufeffa\n\ufeffb\n") == [(1, "a"), (2, "\ufeffb")]


@pytest.mark.parametrize(
    "bad",
    ["!", "[", "a[", "[^", "[^bc", "[]a]", "[-]", "[x-]", "[-x]", "[a-b-c]", "\\", "a/\\", "[Local-Only]"],
)
def test_bad_patterns_are_refused_with_the_line(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"\.dockerignore:2: bad pattern"):
        Matcher.from_text(f"ok\n{bad}\n")


# ---------------------------------------------------------------------------------------------------
# compiling: the match type and regular expression of moby/patternmatcher


@pytest.mark.parametrize(
    ("pattern", "kind", "regex"),
    [
        ("*", "regexp", "^[^/]*$"),
        ("file*", "regexp", "^file[^/]*$"),
        ("*file", "regexp", "^[^/]*file$"),
        ("a*/b", "regexp", "^a[^/]*/b$"),
        ("**", "suffix", ""),
        ("**/**", "regexp", "^(.*/)?.*$"),
        ("dir/**", "prefix", ""),
        ("**/dir", "suffix", ""),
        ("**/dir2/*", "regexp", "^(.*/)?dir2/[^/]*$"),
        ("**/dir2/**", "regexp", "^(.*/)?dir2/.*$"),
        ("**file", "suffix", ""),
        ("**/file*txt", "regexp", "^(.*/)?file[^/]*txt$"),
        ("**/**/*.txt", "regexp", "^(.*/)?(.*/)?[^/]*\\.txt$"),
        ("a[b-d]e", "regexp", "^a[b-d]e$"),
        (".*", "regexp", "^\\.[^/]*$"),
        ("abc.def", "exact", ""),
        ("abc?def", "regexp", "^abc[^/]def$"),
        ("**/foo/bar", "suffix", ""),
        ("a(b)c/def", "exact", ""),
        ("a.|)$(}+{bc", "exact", ""),
        ("**/*.py[cod]", "regexp", "^(.*/)?[^/]*\\.py[cod]$"),
    ],
)
def test_compile(pattern: str, kind: str, regex: str) -> None:
    p = compile_pattern(pattern)
    assert p.kind == kind
    assert (p.regex.pattern if p.regex else "") == regex


# ---------------------------------------------------------------------------------------------------
# matching one pattern (a path matches when it or a parent folder does)

MATCHES = [
    ("**", "file", True),
    ("**", "dir/file", True),
    ("**/", "file", True),
    ("**/**", "dir/file", True),
    ("dir/**", "dir/file", True),
    ("dir/**", "dir/dir2/file", True),
    ("**/dir", "dir", True),
    ("**/dir", "dir/file", True),
    ("**/dir", "a/b/dir/file", True),
    ("**/dir2/*", "dir/dir2/file", True),
    ("**/dir2/**", "dir/dir2/dir3/file", True),
    ("**file", "file", True),
    ("**file", "dir/file", True),
    ("**file", "dir/myfile", True),  # suffix match: not only whole names
    ("**/file", "dir/dir/file", True),
    ("**/file", "dir/myfile", False),
    ("**/file*", "dir/dir/file.txt", True),
    ("**/file*.txt*", "dir/dir/file.txt", True),
    ("**/**/*.txt", "dir/dir/file.txt", True),
    ("**/**/*.txt2", "dir/dir/file.txt", False),
    ("**/*.txt", "file.txt", True),
    ("a**/*.txt", "a/file.txt", True),
    ("a**/*.txt", "a/dir/dir/file.txt", True),
    ("a/*.txt", "a/dir/file.txt", False),
    ("a/*.txt", "a/file.txt", True),
    ("a/*.txt**", "a/file.txt", True),
    ("a[b-d]e", "ae", False),
    ("a[b-d]e", "ace", True),
    ("a[b-d]e", "aae", False),
    ("a[^b-d]e", "aze", True),
    (".*", ".foo", True),
    (".*", "foo", False),
    ("abc.def", "abcdef", False),
    ("abc.def", "abc.def", True),
    ("abc?def", "abcZdef", True),
    ("abc?def", "abcdef", False),
    ("**/foo/bar", "foo/bar", True),
    ("**/foo/bar", "dir/dir2/foo/bar", True),
    ("abc/**", "abc", False),
    ("abc/**", "abc/def/ghi", True),
    ("**/.foo", ".foo", True),
    ("**/.foo", "bar.foo", False),
    ("a(b)c/def", "a(b)c/def", True),
    ("a(b)c/def", "a(b)c/xyz", False),
    ("a.|)$(}+{bc", "a.|)$(}+{bc", True),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", True),
    ("a\\\\", "a\\", True),
    ("a\\*b", "a*b", True),
    ("a\\*b", "ab", False),
    ("*", "abc", True),
    ("*c", "abc", True),
    ("a*", "ab/c", True),  # the parent folder ab matches
    ("a*/b", "abc/b", True),
    ("a*/b", "a/c/b", False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True),
    ("a*b?c*x", "abxbbxdbxebxczzy", False),
    ("ab[^c]", "abc", False),
    ("ab[^e-g]", "abc", True),
    ("a?b", "a☺b", True),
    ("a???b", "a☺b", False),
    ("[a-ζ]*", "α", True),
    ("*[a-ζ]", "A", False),
    ("a?b", "a/b", False),
    ("a*b", "a/b", False),
    ("[\\]a]", "]", True),
    ("[\\-]", "-", True),
    ("[x\\-]", "-", True),
    ("[x\\-]", "z", False),
    ("*x", "xxx", True),
    ("/leading", "leading/x", True),
    ("trailing/", "trailing", True),
    ("docs", "docs/README.md", True),
    ("docs", "mydocs/README.md", False),
    ("docs", "src/docs", False),  # patterns are anchored at the context root
]


@pytest.mark.parametrize(("pattern", "path", "excluded"), MATCHES)
def test_single_pattern(pattern: str, path: str, excluded: bool) -> None:
    matcher = Matcher.from_text(pattern + "\n")
    assert matcher.excluded(path) is excluded
    assert walk_decision(matcher, path) is excluded


def walk_decision(matcher: Matcher, path: str) -> bool:
    """The decision the walker makes for `path`: each parent folder first, passing its results down."""
    info: tuple[bool, ...] = ()
    parts = path.split("/")
    for i in range(1, len(parts)):
        _, info = matcher.match("/".join(parts[:i]), info)
    return matcher.match(path, info)[0]


# ---------------------------------------------------------------------------------------------------
# several patterns: exceptions, later lines win


@pytest.mark.parametrize(
    ("lines", "path", "excluded"),
    [
        (["*.go", "!fileutils.go"], "fileutils.go", False),
        (["!fileutils.go", "*.go"], "fileutils.go", True),
        (["docs", "!docs/README.md"], "docs/README.md", False),
        (["docs/", "!docs/README.md"], "docs/README.md", False),
        (["docs/*", "!docs/README.md"], "docs/README.md", False),
        (["docs", "!docs/README.md"], "docs/other.md", True),
        (["**", "!util/docker/web"], "util/docker/web/foo", False),
        (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", True),
        (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", False),
        (["*", "!lib"], "lib/deep/file.rs", False),
        (["*", "!lib"], "other/file", True),
        (["*", "!lib", "**/target"], "lib/a/target/x", True),
        (["*.txt", "!a.txt", "a.txt"], "a.txt", True),
        (["*.txt", "!a.txt"], "a.txt", False),
        (["**/*.log", "!logs/keep"], "logs/1.log", True),
        (["**", "!**/*.py"], "src/lib/util.py", False),
        (["**", "!**/*.py"], "src/lib/util.pyc", True),
        ([], "anything/at/all", False),
    ],
)
def test_several_patterns(lines: list[str], path: str, excluded: bool) -> None:
    matcher = Matcher.from_text("\n".join(lines) + "\n")
    assert matcher.excluded(path) is excluded
    assert walk_decision(matcher, path) is excluded


def test_the_walker_keeps_what_a_skipped_pattern_would_have_excluded() -> None:
    """fsutil passes each folder's per-pattern results down; a pattern skipped for the folder (it could
    not change the folder's outcome) is then only tried on the path itself. BuildKit sends lib/sub/f
    here, though the last line matches its parent folder (tests/integration checks this on BuildKit)."""
    matcher = Matcher.from_text("lib\n!lib/sub\nlib\n")
    assert walk_decision(matcher, "lib/sub/f") is False
    assert matcher.excluded("lib/sub/f") is True  # MatchesOrParentMatches, without parent results
    assert walk_decision(matcher, "lib/other") is True


def test_an_exception_for_a_folder_does_not_reach_a_file_matched_by_name() -> None:
    """`!logs/keep` was never tried on logs/keep (nothing excluded it), so the walker does not apply it
    to logs/keep/2.log through its parent: BuildKit leaves the file out (checked in tests/integration)."""
    matcher = Matcher.from_text("**/*.log\n!logs/keep\n")
    assert walk_decision(matcher, "logs/keep/2.log") is True
    assert matcher.excluded("logs/keep/2.log") is False  # MatchesOrParentMatches


@pytest.mark.parametrize(
    ("exception", "folder", "may"),
    [
        ("lib/sub", "lib", True),
        ("lib/sub", "lib/sub", False),
        ("libx", "lib", False),
        ("lib/sub/**", "lib", True),
        ("lib/**", "lib", True),
        ("li**", "lib", True),
        ("**/x", "anything", True),
        ("*/keep", "a", True),
        ("*/keep", "a/b", False),
        ("a*/b?/c", "ax/by", True),
        ("a*/b?/c", "ax/bzz", False),
        ("ATTRIBUTION*", ".venv", False),
        ("tests/fixtures/container", "tests", True),
        ("tests/fixtures/container", "tests/unit", False),
        ("[ab]/c", "x", True),  # classes: not analysed, assumed reachable
    ],
)
def test_may_include_under(exception: str, folder: str, may: bool) -> None:
    assert Matcher.from_text(f"*\n!{exception}\n").may_include_under(folder) is may


# ---------------------------------------------------------------------------------------------------
# walking trees: the pruned walk equals a walk that enters every folder

TREE = [
    "a.txt",
    "b.md",
    ".hidden",
    "dir/a.txt",
    "dir/keep.me",
    "dir/sub/deep.txt",
    "dir/sub/x.log",
    "logs/1.log",
    "logs/keep/2.log",
    "node_modules/pkg/index.js",
    "src/main.py",
    "src/__pycache__/main.cpython-311.pyc",
    "src/lib/util.py",
    "docs/readme.md",
    "docs/img/logo.png",
    "weird name [1].txt",
    "a b/c.txt",
    "lib/sub/f",
    "lib/other",
]

IGNORE_VARIANTS = {
    "allowlist": "*\n!src\n**/__pycache__\n",
    "reinclude-under-log": "**/*.log\n!logs/keep\n",
    "reinclude-file-in-excluded-dir": "dir\n!dir/sub/deep.txt\n",
    "folder-star": "dir/*\n!dir/keep.me\n",
    "comments-slashes-spaces": "# comment\n/docs/\n  node_modules  \n",
    "later-wins": "*.txt\n!a.txt\na.txt\n",
    "wildcard-exception": "**\n!**/*.py\n",
    "classes-and-escapes": "src/**/*.pyc\n?.md\n[ab].txt\ndocs/img/*.png\nweird name \\[1\\].txt\n",
    "ignore-file-kept": "*.md\n",
    "skipped-pattern": "lib\n!lib/sub\nlib\n",
    "exclude-everything": "**\n",
    "dot-and-parent": "./dir/../logs\n",
}


def make_tree(root: Path, ignore: str | None) -> Path:
    for rel in TREE:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel * 10)
    if ignore is not None:
        (root / ".dockerignore").write_text(ignore)
    return root


class Unpruned(Matcher):
    def may_include_under(self, folder: str) -> bool:
        return True


def everything_walk(root: Path) -> list[str]:
    matcher = Unpruned(Matcher.for_context(root).patterns)
    return sorted(p for p, _, regular in walk(root, matcher) if regular)


@pytest.mark.parametrize("name", [*IGNORE_VARIANTS, "no-ignore-file"])
def test_pruning_never_changes_the_result(tmp_path: Path, name: str) -> None:
    root = make_tree(tmp_path, IGNORE_VARIANTS.get(name))
    assert kept_files(root) == everything_walk(root)


def test_tree_variants(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "allow", IGNORE_VARIANTS["allowlist"])
    assert kept_files(root) == ["src/lib/util.py", "src/main.py"]
    root = make_tree(tmp_path / "reinc", IGNORE_VARIANTS["reinclude-file-in-excluded-dir"])
    kept = kept_files(root)
    assert "dir/sub/deep.txt" in kept and "dir/a.txt" not in kept and "dir/sub/x.log" not in kept
    root = make_tree(tmp_path / "none", None)
    assert kept_files(root) == sorted(TREE)
    root = make_tree(tmp_path / "md", IGNORE_VARIANTS["ignore-file-kept"])
    assert ".dockerignore" in kept_files(root)  # BuildKit sends it unless a pattern excludes it


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "ctx", "")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "big").write_bytes(b"x" * 1000)
    os.symlink(tmp_path / "outside", root / "link")
    assert "link/big" not in kept_files(root)
    report = measure(root)
    assert report.files == len(TREE) + 2  # .dockerignore and the link itself


# ---------------------------------------------------------------------------------------------------
# the real family's allowlist on the upstream source tree

MANIFEST = (PROJECT / "tests/fixtures/upstream/manifest-3b9b3f31c.txt").read_text().split()
ALLOWLIST = PROJECT / "container/Dockerfile.vllm.dockerignore"
JUNK = (
    ".venv/lib/x.py",
    "build-logs/base.log",
    "target/debug/big",
    "lib/llm/target/release/big",
    ".git/HEAD",
    "components/__pycache__/x.pyc",
    "downloads/model.safetensors",
    "tests/.pytest_cache/v",
    "node_modules/a/index.js",
)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The snapshot's source tree as empty files, plus what a working checkout accumulates."""
    root = tmp_path_factory.mktemp("dynamo")
    for rel in (*MANIFEST, *JUNK):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).touch()
    return root


def test_framework_allowlist_keeps_the_source_tree_and_drops_the_rest(checkout: Path) -> None:
    matcher = Matcher.for_context(checkout, ALLOWLIST)
    assert matcher.patterns[0].text == "*" and not matcher.patterns[0].exclusion
    kept = set(kept_files(checkout, ALLOWLIST))
    dropped_upstream = {p for p in MANIFEST if p.startswith((".github/", "container/Dockerfile"))}
    assert ".dockerignore" not in kept and dropped_upstream and not dropped_upstream & kept
    assert set(MANIFEST) - dropped_upstream - {".dockerignore"} == kept
    assert not kept & set(JUNK)


def test_pruned_walk_equals_full_evaluation_on_the_source_tree(checkout: Path) -> None:
    """Every file judged on its own (the way MatchesOrParentMatches judges one path) gives the same
    set as the pruned walk."""
    matcher = Matcher.for_context(checkout, ALLOWLIST)
    judged = []
    for folder, _, files in os.walk(checkout):
        for name in files:
            rel = (Path(folder) / name).relative_to(checkout).as_posix()
            if not matcher.excluded(rel):
                judged.append(rel)
    assert sorted(judged) == kept_files(checkout, ALLOWLIST)


def test_measuring_a_checkout_counts_what_the_allowlist_keeps(checkout: Path) -> None:
    # (how long it takes is a figure of `nox -s bench`, not a pass/fail condition)
    report = measure(checkout, ALLOWLIST)
    assert report.files == len(kept_files(checkout, ALLOWLIST))
    assert report.ignore_file == str(ALLOWLIST)


def test_the_dockerfiles_own_ignore_file_wins(tmp_path: Path) -> None:
    dockerfile, ctx = tmp_path / "family" / "Dockerfile.x", tmp_path / "ctx"
    ctx.mkdir()
    assert context.ignore_file(dockerfile, ctx) is None
    (ctx / ".dockerignore").write_text("*\n")
    assert context.ignore_file(dockerfile, ctx) == ctx / ".dockerignore"
    dockerfile.parent.mkdir()
    (tmp_path / "family" / "Dockerfile.x.dockerignore").write_text("*\n!lib\n")
    assert context.ignore_file(dockerfile, ctx) == tmp_path / "family" / "Dockerfile.x.dockerignore"


# ---------------------------------------------------------------------------------------------------
# the report and the warning


def test_measure_totals_and_largest_folders(tmp_path: Path) -> None:
    (tmp_path / "data" / "models" / "big").mkdir(parents=True)
    (tmp_path / "data" / "models" / "big" / "w.bin").write_bytes(b"x" * 9000)
    (tmp_path / "data" / "small.txt").write_bytes(b"x" * 100)
    (tmp_path / "src" / "a").mkdir(parents=True)
    (tmp_path / "src" / "a" / "x.py").write_bytes(b"x" * 600)
    (tmp_path / "src" / "b.py").write_bytes(b"x" * 500)
    (tmp_path / "top.txt").write_bytes(b"x" * 7)
    (tmp_path / "ignored").mkdir()
    (tmp_path / "ignored" / "huge").write_bytes(b"x" * 50000)
    (tmp_path / ".dockerignore").write_text("ignored\n")
    report = measure(tmp_path)
    assert report.bytes == 9000 + 100 + 600 + 500 + 7 + len("ignored\n")
    assert report.files == 6
    # data/models and data/models/big hold nearly all of data: only data is listed for that weight
    assert [(d.path, d.bytes, d.files) for d in report.largest] == [
        ("data", 9100, 2),
        ("src", 1100, 2),
        ("src/a", 600, 1),
    ]
    j = report.to_json()
    assert j["bytes"] == report.bytes and j["largest_dirs"][0] == {"path": "data", "bytes": 9100, "files": 2}


def test_largest_folders_keeps_the_top_five() -> None:
    sizes = {f"d{i}": (i * 100, i) for i in range(1, 9)}
    assert [d.path for d in largest_folders(sizes)] == ["d8", "d7", "d6", "d5", "d4"]


def test_missing_context_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a folder"):
        measure(tmp_path / "nope")


def _report(nbytes: int, largest: tuple[FolderSize, ...] = ()) -> ContextReport:
    return ContextReport(Path("/ctx"), ".dockerignore", 3, nbytes, 1234, largest, 0.01)


def test_size_warning() -> None:
    assert size_warning(_report(500_000_000), 500) == ""
    heavy = (FolderSize("data/models", 700_000_000, 3), FolderSize(".venv", 150_000_000, 9000))
    text = size_warning(_report(900_000_000, heavy), 500)
    assert "\n" not in text
    assert "900.0 MB in 1234 files" in text and "DYNAMO_CONTEXT_WARN_MB=500" in text
    assert "data/models (700.0 MB), .venv (150.0 MB)" in text
    assert "append to .dockerignore: data/models .venv" in text


def test_context_warn_mb_setting(repo: Path) -> None:
    assert config(repo).s.context_warn_mb == 500
    assert config(repo, {"DYNAMO_CONTEXT_WARN_MB": "20"}).s.context_warn_mb == 20
    auto = config(repo, {"DYNAMO_CONTEXT_WARN_MB": "auto"}).s.context_warn_mb
    assert auto is None and context.limit_mb(auto) == 500
    with pytest.raises(ConfigError, match="DYNAMO_CONTEXT_WARN_MB"):
        config(repo, {"DYNAMO_CONTEXT_WARN_MB": "lots"})


def test_size_warnings(repo: Path) -> None:
    (repo / "blob").write_bytes(b"x" * 1_500_000)
    # a Dockerfile with no ignore file beside it: the checkout's own applies
    dockerfiles = [repo / "Dockerfile.vllm"]
    (line,) = context.size_warnings(repo, dockerfiles, 1)
    assert line.startswith("build context") and "1.5 MB" in line and "\n" not in line
    assert context.size_warnings(repo, dockerfiles, 2) == []
    (repo / ".dockerignore").write_text("[\n")
    (line,) = context.size_warnings(repo, dockerfiles, None)  # a bad pattern never blocks the build
    assert line.startswith("cannot measure the build context")


@pytest.mark.parametrize("dry_run", [True, False])
def test_build_measures_the_context_only_for_real_builds(
    repo: Path, monkeypatch: pytest.MonkeyPatch, dry_run: bool
) -> None:
    calls: list[str] = []
    cfg = config(repo, dry_run=dry_run, container_dir=str(PROJECT / "container"))
    job = pipeline.Build(dataclasses.replace(plan(repo), steps=()), execution(cfg))  # nothing to run
    monkeypatch.setattr(pipeline, "build_plan", lambda cfg: job)
    monkeypatch.setattr(context, "size_warnings", lambda *args: calls.append("measure") or [])
    monkeypatch.setattr(pipeline, "execute", lambda job, eng: calls.append("build"))
    monkeypatch.setattr("dynamo_container.report.console.print_plan", lambda plan: calls.append("print"))
    build_task.run_build(cfg)
    assert calls == (["print"] if dry_run else ["measure", "build"])


def test_invoke_context_task(repo: Path) -> None:
    import subprocess
    import sys

    (repo / "tasks.py").write_text((PROJECT / "tasks.py").read_text())
    (repo / "data").mkdir()
    (repo / "data" / "blob").write_bytes(b"x" * 2_000_000)
    (repo / ".dockerignore").write_text(".git\ntasks.py\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNAMO_")} | {"NO_COLOR": "1"}
    invoke = str(Path(sys.executable).parent / "invoke")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        # the family given is the repository itself: no ignore file beside a Dockerfile, so the
        # checkout's own .dockerignore applies
        argv = [invoke, "context", "--container-dir", ".", "--context", ".", *args]
        return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True)

    r = run("--json", "--context-warn-mb", "1")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["files"] == 3 and out["bytes"] == 2_000_000 + len("x0\n") + len(".git\ntasks.py\n")
    assert out["largest_dirs"] == [{"path": "data", "bytes": 2_000_000, "files": 1}]
    assert out["warn_mb"] == 1 and out["over"] is True
    text = run()
    assert text.returncode == 0 and text.stderr == ""
    assert "Largest directories" in text.stdout and "2.0 MB" in text.stdout
    warned = run("--context-warn-mb", "1")
    assert "warning: build context" in warned.stderr and "append to" in warned.stderr


# ---------------------------------------------------------------------------------------------------
# why the matcher is ours: docker-py's (docker.utils.build.exclude_paths) answers differently


@pytest.mark.parametrize(
    ("lines", "path", "buildkit_excludes"),
    [
        # Go's filepath.Match: `[^...]` negates a class and `\` escapes; Python's fnmatch does neither
        (["ab[^c]"], "abc", False),
        (["a\\*b"], "a*b", True),
        # an exception re-includes a file under a folder an earlier pattern excluded
        (["**", "!**/*.py"], "src/lib/util.py", False),
        # COPY sees only what the patterns keep; docker-py always puts these two in the tar it sends
        (["*"], "Dockerfile", True),
        (["*"], ".dockerignore", True),
    ],
)
def test_docker_py_disagrees_with_buildkit(
    tmp_path: Path, lines: list[str], path: str, buildkit_excludes: bool
) -> None:
    from docker.utils.build import exclude_paths

    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).touch()
    docker_py_excludes = path not in exclude_paths(str(tmp_path), list(lines))  # it appends to the list
    assert docker_py_excludes is not buildkit_excludes
    assert Matcher.from_text("\n".join(lines) + "\n").excluded(path) is buildkit_excludes


def test_a_matrix_build_measures_each_frameworks_ignore_file(repo: Path) -> None:
    """One warning per distinct ignore file the steps filter the context with (no silent fallback)."""
    (repo / "blob").write_bytes(b"x" * 1_500_000)
    (repo / "Dockerfile.vllm.dockerignore").write_text("blob\n")  # vllm's steps do not send the blob
    dockerfiles = [repo / "Dockerfile.vllm", repo / "Dockerfile.sglang", repo / "Dockerfile.trtllm"]
    assert context.ignore_files(dockerfiles, repo) == [repo / "Dockerfile.vllm.dockerignore", None]
    (line,) = context.size_warnings(repo, dockerfiles, 1)
    assert line.startswith("build context") and "1.5 MB" in line


def test_the_context_task_measures_one_framework(repo: Path) -> None:
    """`invoke context` and the doctor measure one build's context: a comma list is refused in one line."""
    from dynamo_container.resolve.execution import context_ignore_file

    family = str(PROJECT / "container")
    assert context_ignore_file(config(repo, framework="sglang", container_dir=family)) == (
        PROJECT / "container" / "Dockerfile.sglang.dockerignore"
    )
    with pytest.raises(ConfigError, match="'vllm,sglang' names several frameworks; this task takes one"):
        context_ignore_file(config(repo, framework="vllm,sglang", container_dir=family))
