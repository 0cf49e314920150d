"""Values as the config layers take them in (class 5 and 8): one line of printable text, whole numbers
in ASCII digits and range, and a key that was probably meant as a setting named."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.config import MAX_INT, load_config
from dynamo_container.errors import ConfigError
from dynamo_container.settings import specs
from tests.helpers import make_repo

CONTROL = ["\x00", "\n", "\r", "\x1b[31m", "\t", "\x7f", "\x85", "\x9b"]
TEXT_SETTINGS = [s for s in specs() if s.kind in ("str", "list") and not s.choices]
INT_SETTINGS = [s for s in specs() if s.kind == "int"]
NOT_WHOLE_NUMBERS = ["²", "١٠٠٠", "٣", "0", "-3", "1.5", "1e3", "0x10", str(MAX_INT + 1), "10 000", "+5"]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("repo"))


@pytest.mark.parametrize("spec", TEXT_SETTINGS, ids=lambda s: s.name)
def test_no_text_setting_takes_a_control_character_from_a_flag_or_the_environment(
    root: Path, spec: object
) -> None:
    name, env_key = spec.name, spec.env_key  # type: ignore[attr-defined]
    for char in CONTROL:
        value = f"a{char}b"
        flag_value = (value,) if spec.kind == "list" else value  # type: ignore[attr-defined]
        with pytest.raises(ConfigError, match="holds the control character"):
            load_config(root, environ={}, flags={name: flag_value}, cwd=root)
        if spec.kind == "list" and char in " \t\r\n":  # an env-file list is split at (shell) whitespace
            assert getattr(load_config(root, environ={env_key: value}, cwd=root).s, name) == ("a", "b")
            continue
        with pytest.raises(ConfigError, match=f"{env_key}.* holds the control character"):
            load_config(root, environ={env_key: value}, cwd=root)


def test_a_nul_byte_in_an_env_file_value_is_named_with_its_line(root: Path) -> None:
    (root / "bad.env").write_bytes(b"DYNAMO_FRAMEWORK=vllm\nDYNAMO_TAG=a\x00b\n")
    with pytest.raises(ConfigError, match=r"bad\.env:2: DYNAMO_TAG 'a\\x00b' holds the control character"):
        load_config(root, env_file="bad.env", environ={}, cwd=root)


@pytest.mark.parametrize("spec", INT_SETTINGS, ids=lambda s: s.name)
def test_whole_numbers_are_ascii_digits_in_range(root: Path, spec: object) -> None:
    name, env_key = spec.name, spec.env_key  # type: ignore[attr-defined]
    for text in NOT_WHOLE_NUMBERS:
        with pytest.raises(ConfigError, match="must be a whole number from 1 to"):
            load_config(root, environ={}, flags={name: text}, cwd=root)
        with pytest.raises(ConfigError, match=f"{env_key} must be a whole number"):
            load_config(root, environ={env_key: text}, cwd=root)
    assert getattr(load_config(root, environ={}, flags={name: "12"}, cwd=root).s, name) == 12


def test_an_empty_flag_value_is_refused(root: Path) -> None:
    with pytest.raises(ConfigError, match="--tag: empty value"):
        load_config(root, environ={}, flags={"tag": "  "}, cwd=root)


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("DYANMO_TARGET", "DYNAMO_TARGET"),
        ("DYNMO_FRAMEWORK", "DYNAMO_FRAMEWORK"),
        ("DINAMO_CUDA_VERSION", "DYNAMO_CUDA_VERSION"),
        ("DYNAM_TAG", "DYNAMO_TAG"),
    ],
)
def test_a_near_miss_of_a_setting_is_warned_with_the_key_meant(root: Path, key: str, meant: str) -> None:
    (root / "near.env").write_text(f"{key}=x\n")
    cfg = load_config(root, env_file="near.env", environ={}, cwd=root)
    assert f"near.env:1: {key} is not a setting and is ignored; did you mean {meant}?" in cfg.warnings
    env_cfg = load_config(root, environ={key: "x"}, cwd=root)
    assert any(f"environment: {key} is not a setting" in w for w in env_cfg.warnings)


def test_a_lower_case_setting_key_is_refused_with_the_key_meant(root: Path) -> None:
    (root / "lower.env").write_text("dynamo_push=true\n")
    with pytest.raises(ConfigError, match=r"lower\.env:1: dynamo_push: setting keys are upper case"):
        load_config(root, env_file="lower.env", environ={}, cwd=root)


@pytest.mark.parametrize("key", ["HF_TOKEN", "PATH", "DYNAMIC_LIB", "MY_DYNAMO", "DOCKER_HOST", "CUDA_HOME"])
def test_other_variables_are_not_near_misses(root: Path, key: str) -> None:
    assert not load_config(root, environ={key: "x"}, cwd=root).warnings
