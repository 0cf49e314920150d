"""Tables: header row and aligned columns off a terminal, blocks when narrow, no escape code uncoloured."""

from __future__ import annotations

import io

import pytest

from dynamo_container.report import console, tables

COLUMNS = ("step", "image tags", "duration")
ROWS = [
    ("1. base", "standin/dynamo-base:v1-vllm", "2.5s"),
    ("2. framework", "standin/dynamo:v1-vllm-runtime\nstandin/dynamo:latest-vllm-runtime", "1.4s"),
]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def table(stream: io.StringIO) -> str:
    console.print_table("Summary", COLUMNS, ROWS, stream)
    return stream.getvalue()


def test_off_a_terminal_a_header_row_and_aligned_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "5")  # a pipe has no width: COLUMNS does not fold it
    lines = table(io.StringIO()).splitlines()
    assert lines[0] == "Summary"
    assert lines[1].split() == ["step", "image", "tags", "duration"]
    tag_column = lines[1].index("image tags")
    assert all(line[tag_column - 2 : tag_column] == "  " for line in lines[1:])
    assert lines[2][tag_column:].startswith("standin/dynamo-base:v1-vllm")
    assert lines[3][tag_column:].startswith(
        "standin/dynamo:v1-vllm-runtime standin/dynamo:latest-vllm-runtime"
    )
    assert lines[3].index("1.4s") == lines[1].index("duration") == lines[2].index("2.5s")
    assert "\x1b" not in "\n".join(lines)


@pytest.mark.parametrize("columns", ["5", "1", "30"])
def test_a_narrow_terminal_gets_one_block_per_row_with_every_value(
    monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    out = table(Terminal())
    for row in ROWS:
        for cell in row:
            for part in cell.split("\n"):
                assert part in out  # never an empty or a cut cell
    assert "step:       1. base\n" in out
    assert (
        "image tags: standin/dynamo:v1-vllm-runtime\n            standin/dynamo:latest-vllm-runtime\n" in out
    )


def test_a_wide_colour_terminal_gets_the_ruled_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    out = table(Terminal())
    assert "┏━" in out and "standin/dynamo:latest-vllm-runtime" in out


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"NO_COLOR": ""}, {"TERM": "dumb"}])
@pytest.mark.parametrize("columns", ["160", "20"])
def test_no_color_and_dumb_terminals_get_no_escape_code(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], columns: str
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", columns)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stream = Terminal()
    console.print_table("Summary", COLUMNS, ROWS, stream)
    console.print_summary([("framework", "vllm")], stream)
    console.print_command(["docker", "buildx", "build", "--target", "runtime", "."], (), stream)
    print(console.style("Step 1/2", console.BOLD, stream), file=stream)
    data = stream.getvalue().encode()
    assert b"\x1b" not in data and b"\x9b" not in data
    assert b"standin/dynamo:latest-vllm-runtime" in data


def test_blocks_and_aligned_of_an_empty_cell() -> None:
    assert tables.blocks(("a", "bb"), [("", "x")]) == ["a:", "bb: x"]
    assert tables.aligned(("a", "bb"), [("", "x")]) == ["a  bb", "   x"]
