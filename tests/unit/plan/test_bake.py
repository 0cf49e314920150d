"""A plan as a docker buildx bake file: targets chained through named contexts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynamo_container.plan.bake import to_bake
from tests.helpers import PROJECT, mplan


def test_bake_file_links_the_chain(repo: Path) -> None:
    m = mplan(repo, framework="vllm,none", target="local-dev", make_efa=True, cache_to=("type=inline",))
    bake = to_bake(m)
    targets = bake["target"]
    assert bake["group"]["default"]["targets"] == ["vllm-cuda12_9-efa", "none-cuda12_8-efa"]
    fw = targets["vllm-cuda12_9-framework"]
    base_tag = m.plans[0].steps[0].tags[0]
    tooling = {"tooling": str(PROJECT / "container")}
    assert fw["contexts"] == {**tooling, base_tag: "target:vllm-cuda12_9-base"}
    assert fw["args"]["DYNAMO_BASE_IMAGE"] == base_tag and fw["cache-to"] == ["type=inline"]
    assert "cache-to" not in targets["vllm-cuda12_9-local-dev"]
    dev_tag = m.plans[0].steps[1].tags[0]
    assert targets["vllm-cuda12_9-local-dev"]["contexts"] == {
        **tooling,
        dev_tag: "target:vllm-cuda12_9-framework",
    }
    assert "none-cuda12_8-base" not in targets  # framework none has no base step
    json.dumps(bake)


def _bake_of(repo: Path) -> dict[str, object]:
    return to_bake(mplan(repo, framework="vllm", target="runtime"))


def test_write_bake_replaces_an_earlier_bake_file_whole(repo: Path, tmp_path: Path) -> None:
    from dynamo_container.plan.bake import bake_text, write_bake

    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "dynamo.bake.json"
    path.write_text(json.dumps({"target": {"old": {}}, "group": {}}))
    write_bake(path, bake_text(_bake_of(repo)))
    assert json.loads(path.read_text()) == json.loads(bake_text(_bake_of(repo)))
    assert [p.name for p in folder.iterdir()] == ["dynamo.bake.json"]  # no partial file left


@pytest.mark.parametrize(
    "content",
    [b"FROM scratch\n", b'{"name": "my-package"}', b"[]", b"{}", b'{"target": {}, "extra": 1}', b"\xff\xfe"],
)
def test_write_bake_never_overwrites_a_file_that_is_not_a_bake_file(
    repo: Path, tmp_path: Path, content: bytes
) -> None:
    from dynamo_container.errors import ConfigError
    from dynamo_container.plan.bake import bake_text, write_bake

    path = tmp_path / "precious.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="the file exists and is not a bake file; it is left as it is"):
        write_bake(path, bake_text(_bake_of(repo)))
    assert path.read_bytes() == content


def test_write_bake_refuses_a_folder_and_an_unwritable_place(repo: Path, tmp_path: Path) -> None:
    from dynamo_container.errors import ConfigError
    from dynamo_container.plan.bake import bake_text, write_bake

    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        write_bake(folder, bake_text(_bake_of(repo)))
    with pytest.raises(ConfigError, match="cannot write it"):
        write_bake(folder / "missing" / "x.json", bake_text(_bake_of(repo)))
    assert list(folder.iterdir()) == []


def test_bake_text_masks_a_credential_that_reached_the_data(tmp_path: Path) -> None:
    from dynamo_container.plan.bake import bake_text

    token = "hf_" + "Zz9" * 12
    assert token not in bake_text({"target": {"t": {"args": {"X": f"a={token}"}}}})


def test_the_bake_executor_runs_the_whole_plan_in_one_bake_then_pushes(repo: Path, tmp_path: Path) -> None:
    from dynamo_container.model.frontend import Frontend
    from dynamo_container.plan.bake import BAKE_FILE, bake_run_plan

    m = mplan(repo, framework="vllm,sglang", target="runtime", push=True, registry="reg.example:5000/ci")
    run = bake_run_plan(m, Frontend(builder="farm"), tmp_path)
    bake, *pushes = run.steps
    assert bake.argv == (
        "docker",
        "buildx",
        "bake",
        "--builder",
        "farm",
        "--file",
        str(tmp_path / BAKE_FILE),
        "--progress=plain",
        "--load",
        "--",
        "default",
    )
    finals = [t for p in m.plans for t in p.final_tags]
    assert list(bake.tags) == finals == list(run.final_tags)
    assert [s.argv for s in pushes] == [s.argv for s in m.steps if s.kind == "push"] and len(pushes) == 4
    assert dict(run.summary)["combinations"] == "vllm-cuda12.9, sglang-cuda12.9"


def test_the_bake_executor_says_what_bake_drops_and_needs_buildx(repo: Path, tmp_path: Path) -> None:
    from dynamo_container.errors import ConfigError
    from dynamo_container.model.frontend import Frontend
    from dynamo_container.plan.bake import bake_run_plan

    m = mplan(repo, framework="vllm", target="runtime", build_network="host")
    assert any("no network key: --network host" in w for w in bake_run_plan(m, Frontend(), tmp_path).warnings)
    with pytest.raises(ConfigError, match="--executor bake needs the buildx plugin"):
        bake_run_plan(m, Frontend(buildx=False), tmp_path)


def test_a_bake_dry_run_prints_the_one_bake_and_writes_nothing(repo: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    invoke = str(Path(sys.executable).parent / "invoke")
    logs = tmp_path / "logs"
    flags = ["--env-file", "tests/fixtures/stand-in.env", "--framework", "vllm,none", "--target", "runtime"]
    r = subprocess.run(
        [invoke, "build", *flags, "--executor", "bake", "--log-dir", str(logs), "--dry-run", "--json"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    (step,) = json.loads(r.stdout)["steps"]
    assert step["argv"][:3] == ["docker", "buildx", "bake"] and str(logs / "dynamo.bake.json") in step["argv"]
    assert not logs.exists()


def test_bake_takes_each_steps_cache_from_the_step_not_its_name(repo: Path) -> None:
    """The planner decides which steps cache (Step.cache_from/cache_to); bake copies that, by step."""
    import dataclasses

    from dynamo_container.plan.matrix import MatrixPlan

    m = mplan(repo, framework="vllm", target="local-dev", cache_from=("type=local,src=/c",))
    (p,) = m.plans
    for s in p.steps:  # the step's fields are what its argv carries
        assert [s.argv[i + 1] for i, w in enumerate(s.argv) if w == "--cache-from"] == list(s.cache_from)
    assert [bool(s.cache_from) for s in p.steps] == [True, True, False]  # base, framework; local-dev not
    # swap the fields between steps and rename them all: bake follows the fields alone
    fields = [(s.cache_from, s.cache_to) for s in p.steps][::-1]
    swapped = tuple(
        dataclasses.replace(s, name=f"step{i}", cache_from=f, cache_to=t)
        for i, (s, (f, t)) in enumerate(zip(p.steps, fields, strict=True))
    )
    targets = to_bake(MatrixPlan((dataclasses.replace(p, steps=swapped),)))["target"]
    got = [targets[f"vllm-cuda12_9-step{i}"].get("cache-from", []) for i in range(3)]
    assert got == [[], list(p.steps[1].cache_from), list(p.steps[0].cache_from)]
