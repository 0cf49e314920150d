"""`invoke clean --dry-run` on the real engine: a dangling image of this tool's labels is found, an
unlabelled one never. (A real clean would also take other users' dangling stand-in images on a shared
engine, so removal is tested against a fake CLI in tests/unit/execute/test_clean.py.)"""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest

from tests.integration.conftest import STANDIN_BASE, invoke

pytestmark = pytest.mark.integration


def _build(client: Any, tag: str, labels: str) -> str:
    dockerfile = f"FROM {STANDIN_BASE}\n{labels}\nRUN echo {uuid.uuid4().hex} > /marker\n"
    image, _ = client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, network_mode="none")
    return str(image.id)


def _dangling(client: Any, labels: str) -> str:
    """An image left untagged: its tag moved to a later build (then removed), as a rebuild leaves it."""
    tag = f"dyntest-{uuid.uuid4().hex[:8]}:clean"
    image = _build(client, tag, labels)
    _build(client, tag, "")
    client.images.remove(tag)
    assert not client.images.get(image).tags
    return image


def test_dry_run_lists_our_dangling_image_and_not_a_foreign_one(docker_client: Any) -> None:
    ours = _dangling(docker_client, 'LABEL ai.dynamo.target="runtime" org.opencontainers.image.revision="x"')
    foreign = _dangling(docker_client, 'LABEL org.opencontainers.image.revision="x"')
    try:
        r = invoke("clean", "--dry-run", "--json")
        assert r.returncode == 0, r.stderr
        listed = {item["what"] for item in json.loads(r.stdout)["items"] if item["kind"] == "image"}
        assert ours in listed and foreign not in listed
        docker_client.images.get(ours)  # a dry run removes nothing
    finally:
        for image in (ours, foreign):
            docker_client.images.remove(image, force=True)
