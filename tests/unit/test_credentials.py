"""Credentials by value (class 2): refused in every setting from every layer, masked in every text.

A credential is known by its variable (the BuildKit secret variables and any variable named like a
credential) from the environment, `.env`, `.env.local` or `--env-file`, including values interpolated
from one (`X=${HF_TOKEN}`); by its format (hf_, ghp_, AKIA...); or as the password of a URL. Any setting
whose value carries one is refused where it enters; every text leaving the tool masks all three.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamo_container.config import HOST_ONLY_URLS, load_config
from dynamo_container.errors import ConfigError
from dynamo_container.model.secrets import MASK, mask_text, redact, remember
from dynamo_container.settings import specs
from tests.helpers import make_repo

SECRET = "s3cr3t-Value-1234"
CREDENTIAL_VARIABLES = ["HF_TOKEN", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "NGC_API_KEY", "DOCKER_PASSWORD"]
TOKENS = [
    "hf_" + "aB3" * 11,
    "ghp_" + "x9Y" * 12,
    "github_pat_" + "A1_" * 15,
    "glpat-" + "abc_-1" * 4,
    "AKIA" + "ABCDEFGH12345678",
    "sk-" + "q" * 40,
]
# How a value can carry a known credential.
CARRIERS = ["{s}", "{s} ", " {s}", "prefix{s}", "{s}suffix", "a={s}", "https://h.example/{s}/x", "x{s}y z"]
TEXT_SETTINGS = [
    s.name for s in specs() if s.kind in ("str", "list") and not s.choices and s.name not in HOST_ONLY_URLS
]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("repo"))


def _flag_value(name: str, text: str) -> object:
    kind = next(s.kind for s in specs() if s.name == name)
    return (text,) if kind == "list" else text


@pytest.mark.parametrize("name", TEXT_SETTINGS)
def test_no_text_setting_takes_a_known_credential_value(root: Path, name: str) -> None:
    for variable in CREDENTIAL_VARIABLES:
        for carrier in CARRIERS:
            value = carrier.format(s=SECRET)
            with pytest.raises(ConfigError, match=f"carries the value of {variable}") as err:
                load_config(
                    root, environ={variable: SECRET}, flags={name: _flag_value(name, value)}, cwd=root
                )
            assert SECRET not in str(err.value)


@pytest.mark.parametrize("name", TEXT_SETTINGS)
def test_no_text_setting_takes_a_token_or_a_url_password(root: Path, name: str) -> None:
    for token in TOKENS:
        with pytest.raises(ConfigError, match="holds a value in a token format"):
            load_config(root, environ={}, flags={name: _flag_value(name, f"x={token}")}, cwd=root)
    with pytest.raises(ConfigError, match="holds a URL with a password"):
        url = "https://user:pa55word@registry.example/x"
        load_config(root, environ={}, flags={name: _flag_value(name, url)}, cwd=root)


@pytest.mark.parametrize("layer", [".env", ".env.local", "ci.env"])
def test_credentials_from_every_env_file_layer_and_interpolation(root: Path, layer: str) -> None:
    lines = [f"HF_TOKEN={SECRET}", 'DYNAMO_BUILD_ARGS="NIXL_REF=${HF_TOKEN} "']
    (root / layer).write_text("\n".join(lines) + "\n")
    try:
        env_file = "ci.env" if layer == "ci.env" else None
        with pytest.raises(ConfigError, match=rf"{layer}:2: DYNAMO_BUILD_ARGS carries the value of HF_TOKEN"):
            load_config(root, env_file=env_file, environ={}, cwd=root)
    finally:
        (root / layer).unlink()


def test_a_credential_in_one_layer_is_refused_in_a_setting_of_another(root: Path) -> None:
    (root / ".env.local").write_text(f"NGC_API_KEY={SECRET}\n")
    try:
        with pytest.raises(ConfigError, match=r"--tag carries the value of NGC_API_KEY"):
            load_config(root, environ={}, flags={"tag": f"r.example/x:{SECRET}"}, cwd=root)
    finally:
        (root / ".env.local").unlink()


def test_short_or_flag_like_values_of_credential_named_variables_are_not_credentials(root: Path) -> None:
    # NPM_TOKEN=true or DEPLOY_KEY=1 must not make every "true" a credential
    cfg = load_config(
        root, environ={"NPM_TOKEN": "true", "DEPLOY_KEY": "1"}, flags={"tag": "x:true"}, cwd=root
    )
    assert cfg.s.tag == "x:true"


def test_host_only_urls_may_carry_user_info_which_output_masks(root: Path) -> None:
    url = "https://user:pa55word-xyz@mirror.example/sccache"
    cfg = load_config(root, environ={}, flags={"sccache_base_url": url}, cwd=root)
    assert cfg.s.sccache_base_url == url
    assert mask_text(f"fetching {url}") == f"fetching https://user:{MASK}@mirror.example/sccache"


@pytest.mark.parametrize(
    "text",
    [
        f"docker login -p {SECRET}",
        f"{SECRET}\n{SECRET}",
        f"KEY={SECRET}suffix",
        *(f"token: {t}." for t in TOKENS),
        "git clone https://oauth2:glpat-abcdefghij0123456789@gitlab.example/x.git",
        "ssh://deploy:hunter2hunter2@git.example/r",
    ],
)
def test_mask_text_hides_known_values_tokens_and_url_passwords(text: str) -> None:
    masked = mask_text(text, [SECRET])
    assert SECRET not in masked
    assert not any(t in masked for t in TOKENS)
    assert "hunter2" not in masked and "glpat-abc" not in masked
    assert MASK in masked


def test_remembered_values_are_masked_everywhere_afterwards() -> None:
    value = "remembered-credential-9876"
    remember([value])
    assert mask_text(f"a {value} b") == f"a {MASK} b"
    assert redact({"k": [value, {"n": f"x{value}"}]}) == {"k": [MASK, {"n": f"x{MASK}"}]}


def test_ordinary_text_is_left_alone() -> None:
    for text in ["dynamo:v0.8.0-vllm-runtime", "https://pypi.nvidia.com/simple", "user@host:path", "a:b@c"]:
        assert mask_text(text) == text
