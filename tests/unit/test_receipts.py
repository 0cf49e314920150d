"""Build receipts: names, diffs, what a receipt records."""

from __future__ import annotations

from dynamo_container.receipts import diff_receipts, receipt_name
from dynamo_container.secrets import redact


def test_receipt_helpers() -> None:
    assert receipt_name("vllm", "12.9", "") == "vllm-12.9-dev"
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
