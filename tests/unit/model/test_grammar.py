"""The grammars of values handed to other programs (grammar.py): many values of each class.

Each grammar takes what the receiving program takes and refuses the rest: non-ASCII digits, numbers
out of the program's range, a trailing newline, and anything that starts with '-'.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dynamo_container.model import grammar

# Values no grammar may take: they are not what they look like, or read as options.
NEVER = ["", "-x", "--privileged", "1\n", "a\n", "\n", " 1", "1 ", "²", "١٠٠٠", "1\x00", "\t"]
GRAMMARS: dict[str, Callable[[str], str]] = {
    "id": grammar.id_problem,
    "user": grammar.user_problem,
    "size": grammar.size_problem,
    "port": grammar.port_problem,
    "volume": grammar.volume_problem,
    "network": grammar.network_problem,
    "name": grammar.name_problem,
    "cache": grammar.cache_problem,
    "hex": grammar.hex_problem,
    "git_ref": grammar.git_ref_problem,
    "git_url": grammar.git_url_problem,
    "url": grammar.url_problem,
    "pip_spec": grammar.pip_spec_problem,
    "word": grammar.word_problem,
    "cuda_archs": grammar.cuda_archs_problem,
    "bucket": grammar.bucket_problem,
}
GOOD = {
    "id": ["0", "1000", str(grammar.MAX_ID)],
    "user": ["1000", "1000:1000", "root", "dynamo:0", "_apt", "0:0"],
    "size": ["10G", "512m", "1.5g", "64 MiB", "1024", "8k", "2TB"],
    "port": ["8000", "8000:8000", "127.0.0.1:8000:8000", "[::1]:80:80", "8000-8010:8000-8010", "53/udp"],
    "volume": ["/data:/models", "/data:/models:ro", "./x:/x:rw,z", "~/hf:/root/.cache", "hfcache:/cache"],
    "network": ["host", "none", "bridge", "default", "mynet", "container:dynamo-1"],
    "name": ["dynamo-1", "a", "A.b_c-d"],
    "cache": [
        "type=inline",
        "type=registry,ref=r.example/c,mode=max",
        "type=local,dest=/tmp/c",
        "r.example/c:x",
    ],
    "hex": ["3b9b3f31c", "a" * 40, "abcd"],
    "git_ref": ["v1.3.0rc1", "main", "release/1.3", "feature/x-y_z.1", "31116825"],
    "git_url": ["https://github.com/NVIDIA/TensorRT-LLM.git", "git@github.com:N/T.git", "/srv/t.git"],
    "url": ["https://pypi.nvidia.com", "http://127.0.0.1:8080/simple", "file:///srv/wheels"],
    "pip_spec": ["tensorrt-llm==1.3.0rc1", "tensorrt_llm", "x[a,b]>=1.0", "torch==2.10.0a0+nv25.12"],
    "word": ["1.45.1", "v2.3.0", "0.9.0+local", "abc_DEF"],
    "cuda_archs": ["90-real;100-real", "all", "native", "80", "90-virtual"],
    "bucket": ["my-sccache", "a.b_c"],
}
BAD = {
    "id": [str(grammar.MAX_ID + 1), str(2**64), "-1", "1.0", "0x10", "1e3", "12a"],
    "user": ["a b", "1000:1000:1", "1:" + str(2**32), "x;y", ":", "1000:", "name:", "a/b"],
    "size": ["lots", "10X", "0", "-5m", "9999999999p", "1..5g", "10 G B", "1,5g"],
    "port": ["65536", "0", "8000:70000", "x:80", "1.2.3.4:80:80:80", "80/icmp", "9-1", "999.1.1.1:80:80"],
    "volume": ["justone", ":/x", "/x:", "/a:relative", "/a:/b:bogus", "a b:/c", "/a:/b:ro:x", "$(x):/y"],
    "network": ["bad name", "container:", "foo:bar", "host;x", "a/b"],
    "name": ["bad name", "_x", ".x", "a/b", "a:b", "é"],
    "cache": ["type=nope", "type=registry,ref=--x", "TYPE=inline", "a b", "type=local,dest=-x", "UPPER/x"],
    "hex": ["abc", "xyz12345", "A" * 40, "a" * 65, "3b9b 3f31"],
    "git_ref": [
        "a..b",
        "x y",
        "v1^",
        "ref:x",
        "x.lock",
        "@",
        "a//b",
        "x~1",
        ".hidden",
        "a/",
        "a.",
        "x?",
        "[x",
    ],
    "git_url": [
        "ext::sh -c x",
        "fd::17",
        "-uhost:repo",
        "host:-repo",
        "https://",
        "https://h/a b",
        "foo://h/r",
    ],
    "url": ["pypi.nvidia.com", "ftp://h/x", "https://h/a b", "javascript:x", "https://"],
    "pip_spec": [
        "--index-url=http://e x",
        "x==1.0 --pre",
        "-r x",
        "x; os_name",
        "x @ https://e/x.whl",
        "a b",
    ],
    "word": ["a b", "1;2", "$(x)", "a/b", "_a", ".1"],
    "cuda_archs": ["90real", "90;", ";90", "90-fake", "all;90", "sm_90"],
    "bucket": ["a b", "_x", "a/b", "a;b"],
}


@pytest.mark.parametrize("kind", sorted(GRAMMARS))
def test_good_values_pass(kind: str) -> None:
    for value in GOOD[kind]:
        assert GRAMMARS[kind](value) == "", (kind, value)


@pytest.mark.parametrize("kind", sorted(GRAMMARS))
def test_bad_values_are_refused_with_a_reason(kind: str) -> None:
    for value in BAD[kind]:
        problem = GRAMMARS[kind](value)
        assert problem and "\n" not in problem, (kind, value)


@pytest.mark.parametrize("kind", sorted(GRAMMARS))
def test_no_grammar_takes_an_option_a_newline_or_foreign_digits(kind: str) -> None:
    for value in NEVER:
        assert GRAMMARS[kind](value), (kind, value)
    for good in GOOD[kind]:
        for wrapped in (f"-{good}", f"{good}\n", f"{good}\r", f"\n{good}"):
            assert GRAMMARS[kind](wrapped), (kind, wrapped)


@pytest.mark.parametrize(
    ("text", "low", "high"), [("٣", 0, 9), ("²", 0, 9), ("1" * 30, 0, 2**63), ("", 0, 1)]
)
def test_numbers_are_ascii_digits_in_range(text: str, low: int, high: int) -> None:
    assert grammar.number_problem(text, low, high)


@pytest.mark.parametrize(
    ("kind", "value", "fragment"),
    [
        ("nofile", "-1", "nofile cannot be unlimited"),
        ("nofile", "10:5", "the soft limit 10 is above the hard limit 5"),
        ("memlock", "-1:5", "the soft limit -1 is above the hard limit 5"),
        ("stack", f"{2**63}", "SOFT and HARD are whole numbers"),
        ("nproc", "-2", "SOFT and HARD are whole numbers"),
        ("nproc", "1:2:3", "SOFT and HARD"),
        ("nofile", "٥", "SOFT and HARD"),
        ("bogus", "1", "unknown type 'bogus'"),
    ],
)
def test_ulimits_docker_or_the_kernel_would_refuse(kind: str, value: str, fragment: str) -> None:
    assert fragment in grammar.ulimit_problem(kind, value)


@pytest.mark.parametrize(
    ("kind", "value"), [("memlock", "-1"), ("stack", "67108864"), ("nofile", "65536:65536")]
)
def test_ulimits_of_the_defaults_pass(kind: str, value: str) -> None:
    assert grammar.ulimit_problem(kind, value) == ""


def test_sizes_are_read_as_docker_reads_them() -> None:
    assert grammar.size_bytes("10G") == 10 * 1024**3
    assert grammar.size_bytes("1.5k") == 1536
    assert grammar.size_bytes("512") == 512
    assert grammar.size_bytes("lots") is None
