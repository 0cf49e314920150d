"""Build receipts: names, diffs, what a receipt records."""

from __future__ import annotations

import json
from pathlib import Path

from dynamo_container.execute.receipts import diff_receipts
from dynamo_container.model.secrets import redact


def test_receipt_helpers() -> None:
    assert redact({"a": ["x hf_secret y"], "b": "ok"}, ["hf_secret", "no"]) == {"a": ["x **** y"], "b": "ok"}
    a = {
        "framework": "vllm",
        "commit": "c1",
        "dirty": False,
        "base_images": {"b:1": "sha256:1"},
        "plan": {"steps": [{"name": "base", "build_args": {"X": "1", "Y": "2"}, "dockerfile": "D"}]},
        "images": {"t": "sha256:a"},
        "steps": [{"name": "base", "cached": 0, "total": 5, "seconds": 10.0}],
    }
    b = {
        "framework": "vllm",
        "commit": "c2",
        "dirty": True,
        "base_images": {"b:1": "sha256:2"},
        "plan": {"steps": [{"name": "base", "build_args": {"X": "1", "Z": "3"}, "dockerfile": "D"}]},
        "images": {"t": "sha256:b"},
        "steps": [{"name": "base", "cached": 5, "total": 5, "seconds": 0.5}],
    }
    assert diff_receipts(a, b) == [
        "commit: c1 -> c2",
        "dirty: False -> True",
        "base image b:1: sha256:1 -> sha256:2",
        "step base build arg Y: only in A (2)",
        "step base build arg Z: only in B (3)",
        "image t: sha256:a -> sha256:b",
        "step base cache: 0/5 -> 5/5 cached",
        "step base time: 10.0s -> 0.5s",
    ]


def test_image_ids_come_from_buildkit_metadata_of_steps_that_succeeded(tmp_path: Path) -> None:
    from dynamo_container.execute.receipts import built_image_ids
    from dynamo_container.execute.runner import StepResult
    from dynamo_container.plan.model import Step

    def step(name: str, metadata: str) -> Step:
        return Step(name, name, ("docker",), tags=(f"img:{name}", f"img:{name}-latest"), metadata=metadata)

    good = tmp_path / "good.metadata.json"
    good.write_text(json.dumps({"containerimage.config.digest": "sha256:" + "a" * 64}))
    torn = tmp_path / "torn.metadata.json"
    torn.write_text('{"containerimage.con')
    results = [
        StepResult(step("good", str(good)), 1),
        StepResult(step("torn", str(torn)), 2),
        StepResult(step("failed", str(good)), 3, returncode=1),
        StepResult(step("legacy", ""), 4),
    ]
    assert built_image_ids(results) == {
        "img:good": "sha256:" + "a" * 64,
        "img:good-latest": "sha256:" + "a" * 64,
    }


def test_a_failure_keeps_the_last_good_receipt_and_listing_skips_unreadable_files(tmp_path: Path) -> None:
    from dynamo_container.execute.receipts import list_receipts, receipts_dir, write_receipt

    base = {"framework": "vllm", "cuda_version": "12.9", "target": "runtime", "version": "v1", "started": "t"}
    good = write_receipt(tmp_path, {**base, "status": "built", "seconds": 3})
    bad = write_receipt(tmp_path, {**base, "status": "failed at step framework", "seconds": 1})
    assert good.name == "vllm-cuda12.9-runtime.json" and bad.name == "vllm-cuda12.9-runtime.failed.json"
    assert json.loads(good.read_text())["status"] == "built"
    (receipts_dir(tmp_path) / "truncated.json").write_text('{"status": "bu')
    (receipts_dir(tmp_path) / "binary.json").write_bytes(b"\xff\xfe\x00")
    rows, warnings = list_receipts(tmp_path)
    assert [r["name"] for r in rows] == ["vllm-cuda12.9-runtime.failed", "vllm-cuda12.9-runtime"]
    assert len(warnings) == 2 and all("not a readable receipt" in w for w in warnings)
    assert not list(receipts_dir(tmp_path).glob(".*.tmp"))  # written whole, then renamed


def test_one_combination_has_one_name_in_logs_receipts_plans_and_bake(repo: Path, tmp_path: Path) -> None:
    """`vllm-cuda12.9` everywhere: the log folder, the plan's key, the bake group, the receipt's name."""
    from dynamo_container.execute.receipts import write_receipt
    from dynamo_container.model import catalog
    from dynamo_container.plan.bake import target_name, to_bake
    from tests.helpers import mplan

    assert catalog.build_name("vllm", "12.9", "") == "vllm-cuda12.9-dev"
    m = mplan(repo, framework="vllm,sglang", target="runtime", log_dir=str(tmp_path / "logs"))
    groups = to_bake(m)["group"]
    for p in m.plans:
        key = catalog.combination_key(p.framework, p.cuda)
        assert p.key == key and key.startswith(f"{p.framework}-cuda")
        assert {Path(s.log).parent.name for s in p.steps if s.log} == {key}
        assert target_name(key) in groups
        receipt = {"framework": p.framework, "cuda_version": p.cuda, "target": p.target, "status": "built"}
        assert write_receipt(tmp_path, receipt).name == f"{key}-runtime.json"
