"""resolve/doctor.py: the doctor's request holds the refusals a build would make, instead of raising."""

from __future__ import annotations

from pathlib import Path

from dynamo_container.errors import DynamoError
from dynamo_container.resolve.doctor import resolve_doctor
from tests.helpers import PROJECT, config


def test_a_good_configuration_has_no_refusal_and_a_cuda_default(repo: Path) -> None:
    req = resolve_doctor(config(repo, framework="sglang", container_dir=str(PROJECT / "container")))
    assert req.config_error is None and req.cuda_version
    assert req.checkout == repo and isinstance(req.ignore_files, tuple)


def test_what_a_build_refuses_arrives_as_the_refusal_itself(repo: Path) -> None:
    req = resolve_doctor(config(repo, framework="nope", platform="linux/s390x"))
    assert req.config_error is not None and "unknown framework 'nope'" in req.config_error.message
    assert req.cuda_version == ""  # no framework, so no default CUDA version


def test_a_multi_platform_list_is_checked_platform_by_platform(repo: Path) -> None:
    assert resolve_doctor(config(repo, platform="linux/amd64,linux/arm64")).config_error is None
    bad = resolve_doctor(config(repo, platform="linux/amd64,linux/s390x")).config_error
    assert bad is not None and "linux/s390x" in bad.message


def test_no_checkout_is_a_value_for_its_check_not_an_exception(tmp_path: Path) -> None:
    from dynamo_container.config import load_config

    cfg = load_config(tmp_path, environ={}, cwd=tmp_path, default_context=None)
    assert isinstance(resolve_doctor(cfg).checkout, DynamoError)
