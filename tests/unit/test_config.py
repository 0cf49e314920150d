"""Layered configuration: precedence, sources, env-file errors, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.config import env_example, load_config, nearest_key
from dynamo_container.errors import ConfigError
from dynamo_container.resolve import values
from dynamo_container.settings import by_env_key, specs
from tests.helpers import PROJECT


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_defaults_have_default_source(tmp_path: Path) -> None:
    cfg = load_config(tmp_path, environ={}, flags={})
    assert cfg.s.framework == "vllm"
    assert cfg.s.platform == "linux/amd64"
    assert cfg.source("framework") == "default"
    assert cfg.env_files == ()


def test_each_layer_wins_over_the_one_before(tmp_path: Path) -> None:
    write(
        tmp_path / ".env",
        "DYNAMO_FRAMEWORK=none\nDYNAMO_TARGET=dev\nDYNAMO_TAG=a\nDYNAMO_PLATFORM=linux/arm64\n"
        "DYNAMO_SCCACHE_BUCKET=b\n",
    )
    write(
        tmp_path / ".env.local",
        "DYNAMO_TARGET=runtime\nDYNAMO_TAG=b\nDYNAMO_PLATFORM=linux/amd64\nDYNAMO_SCCACHE_REGION=r\n",
    )
    write(tmp_path / "extra.env", "DYNAMO_TAG=c\nDYNAMO_PLATFORM=linux/arm64\n")
    cfg = load_config(
        tmp_path,
        env_file="extra.env",
        environ={"DYNAMO_PLATFORM": "linux/amd64", "DYNAMO_SCCACHE_REGION": "from-env"},
        flags={"sccache_region": "from-flag"},
        cwd=tmp_path,
    )
    assert (cfg.s.framework, cfg.source("framework")) == ("none", ".env:1")
    assert (cfg.s.target, cfg.source("target")) == ("runtime", ".env.local:1")
    assert (cfg.s.tag, cfg.source("tag")) == ("c", "extra.env:1")
    assert (cfg.s.platform, cfg.source("platform")) == ("linux/amd64", "environment")
    assert (cfg.s.sccache_region, cfg.source("sccache_region")) == ("from-flag", "flag --sccache-region")
    assert cfg.s.sccache_bucket == "b"
    assert cfg.env_files == (".env", ".env.local", "extra.env")


def test_env_files_do_not_touch_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.delenv("DYNAMO_TAG", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    write(tmp_path / ".env", "DYNAMO_TAG=x\nHF_TOKEN=hf_secret\n")
    cfg = load_config(tmp_path, environ=dict(os.environ), flags={})
    assert cfg.s.tag == "x"
    assert "DYNAMO_TAG" not in os.environ and "HF_TOKEN" not in os.environ


def test_types_are_parsed(tmp_path: Path) -> None:
    write(
        tmp_path / ".env",
        "DYNAMO_PUSH=yes\nDYNAMO_NO_CACHE=0\nDYNAMO_ENABLE_KVBM=auto\nDYNAMO_ENABLE_MEDIA_NIXL=true\n"
        "DYNAMO_VLLM_MAX_JOBS=4\nDYNAMO_BUILD_ARGS='A=1 \"B=two words\"'\nDYNAMO_FRAMEWORK=SGLang\n",
    )
    cfg = load_config(tmp_path, environ={}, flags={})
    assert cfg.s.push is True and cfg.s.no_cache is False
    assert cfg.s.enable_kvbm is None and cfg.s.enable_media_nixl is True
    assert cfg.s.vllm_max_jobs == 4
    assert cfg.s.build_args == ("A=1", "B=two words")
    assert cfg.s.framework == "SGLang"  # kept as typed; the resolve layer reads it in any case
    assert values.framework(cfg).name == "sglang"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("DYNAMO_PUSH=maybe", ".env:2: DYNAMO_PUSH must be true or false, got 'maybe'"),
        ("DYNAMO_VLLM_MAX_JOBS=-3", ".env:2: DYNAMO_VLLM_MAX_JOBS must be a whole number from 1 to"),
        ("DYNAMO_ENABLE_KVBM=sometimes", ".env:2: DYNAMO_ENABLE_KVBM must be true, false or auto"),
        ("DYNAMO_BUILD_ARGS='unterminated", ".env:2"),
        (
            "DYNAMO_BUILD_FRONTEND=bildx",
            ".env:2: DYNAMO_BUILD_FRONTEND: unknown value 'bildx' (did you mean buildx?)",
        ),
        (
            "DYNAMO_BUILD_FRONTEND=podman",
            ".env:2: DYNAMO_BUILD_FRONTEND: unknown value 'podman' (choose one of: auto, buildx, build)",
        ),
    ],
)
def test_bad_values_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    write(tmp_path / ".env", f"# comment\n{line}\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, environ={}, flags={})
    assert message in str(err.value)


def test_declared_choices_are_enforced_from_every_source(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"^--build-frontend: unknown value 'bildx' \(did you mean buildx\?\)$"
    ):
        load_config(tmp_path, environ={}, flags={"build_frontend": "bildx"})
    with pytest.raises(ConfigError, match=r"^environment: DYNAMO_BUILD_FRONTEND: unknown value 'x'"):
        load_config(tmp_path, environ={"DYNAMO_BUILD_FRONTEND": "x"}, flags={})
    assert (
        load_config(tmp_path, environ={}, flags={"build_frontend": " BuildX "}).s.build_frontend == "buildx"
    )


def test_malformed_line_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    write(tmp_path / ".env.local", "DYNAMO_TAG=a\n\nthis is not an assignment\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, environ={}, flags={})
    assert str(err.value).startswith(".env.local:3: cannot parse 'this is not an assignment'")


def test_unknown_prefixed_key_suggests_the_nearest(tmp_path: Path) -> None:
    write(tmp_path / "my.env", "DYNAMO_FRAMEWROK=vllm\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, env_file="my.env", environ={}, flags={}, cwd=tmp_path)
    assert str(err.value) == "my.env:1: unknown setting DYNAMO_FRAMEWROK; did you mean DYNAMO_FRAMEWORK?"


def test_unknown_prefixed_environment_variable_is_a_warning(tmp_path: Path) -> None:
    cfg = load_config(tmp_path, environ={"DYNAMO_PLATFROM": "linux/arm64"}, flags={})
    assert cfg.s.platform == "linux/amd64"
    assert any("DYNAMO_PLATFROM" in w and "DYNAMO_PLATFORM" in w for w in cfg.warnings)


def test_missing_env_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"env file not found: nope\.env"):
        load_config(tmp_path, env_file="nope.env", environ={}, flags={}, cwd=tmp_path)


def test_other_keys_are_secrets_only(tmp_path: Path) -> None:
    write(tmp_path / ".env", "HF_TOKEN=hf_from_file\nGITHUB_TOKEN=gh_file\nSOMETHING_ELSE=1\n")
    cfg = load_config(tmp_path, environ={"GITHUB_TOKEN": "gh_env"}, flags={})
    assert cfg.secrets["HF_TOKEN"] == "hf_from_file"
    assert cfg.secrets["GITHUB_TOKEN"] == "gh_env"  # the environment wins over env files
    assert "hf_from_file" not in repr(cfg)


def test_interpolation_reads_earlier_keys(tmp_path: Path) -> None:
    write(tmp_path / ".env", "REG=registry.example:5000\nDYNAMO_TAG=${REG}/dynamo:x\n")
    assert load_config(tmp_path, environ={}, flags={}).s.tag == "registry.example:5000/dynamo:x"


def test_nearest_key() -> None:
    assert nearest_key("DYNAMO_CUDA_VERISON") == "DYNAMO_CUDA_VERSION"
    assert nearest_key("XYZ") == ""


def test_every_setting_has_help_and_a_unique_env_key() -> None:
    assert len(by_env_key()) == len(specs())
    for spec in specs():
        assert spec.help.strip().endswith((".", ")")), spec.name
        assert spec.env_key.startswith("DYNAMO_")


def test_env_example_lists_every_setting_and_is_committed() -> None:
    text = env_example()
    for spec in specs():
        assert f"# {spec.env_key}=" in text
    assert (PROJECT / ".env.example").read_text() == text + "\n", (
        "run: invoke config --env-example > .env.example"
    )


def test_the_stand_in_profile_helper_is_the_env_file_as_the_tool_reads_it(tmp_path: Path) -> None:
    """tests.helpers.standin_profile, the one stand-in description of every test tier, says what
    `--env-file tests/fixtures/stand-in.env` says (paths taken from the file's folder)."""
    from dataclasses import asdict

    from tests.helpers import STANDIN_CHECKOUT, STANDIN_ENV_FILE, STANDIN_FAMILY, standin_profile

    profile = standin_profile()
    from_file = load_config(PROJECT, environ={}, flags={}, env_file=str(STANDIN_ENV_FILE), cwd=tmp_path)
    from_helper = load_config(PROJECT, environ=profile, flags={}, cwd=tmp_path)
    assert asdict(from_helper.s) == asdict(from_file.s)
    from_the_file = {
        spec.env_key for spec in specs() if from_file.source(spec.name).startswith(f"{STANDIN_ENV_FILE}:")
    }
    assert from_the_file == set(profile)  # every line of the file, nothing else
    assert profile["DYNAMO_CONTAINER_DIR"] == str(STANDIN_FAMILY)
    assert profile["DYNAMO_CONTEXT"] == str(STANDIN_CHECKOUT)
