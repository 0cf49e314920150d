"""Build keys (no engine): every variable or CLI setting that changes BuildKit's result is in the key,
display-only ones are not, and no credential value ever is (not even hashed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynamo_container.buildkeys.environment import key_environment, keyed_variables
from dynamo_container.buildkeys.keys import BuildKeys
from dynamo_container.model import secrets
from tests.unit.buildkeys.test_race import BUILT_ID, Build, make_build

# Variables that change what BuildKit makes or where the result goes, with two values each.
CHANGING: dict[str, tuple[str, str]] = {
    "SOURCE_DATE_EPOCH": ("0", "1700000000"),
    "DOCKER_HOST": ("unix:///var/run/docker.sock", "tcp://10.0.0.2:2376"),
    "DOCKER_CONTEXT": ("default", "remote"),
    "DOCKER_CONFIG": ("/etc/docker-a", "/etc/docker-b"),
    "DOCKER_API_VERSION": ("1.44", "1.45"),
    "DOCKER_TLS_VERIFY": ("", "1"),
    "DOCKER_CERT_PATH": ("/certs/a", "/certs/b"),
    "DOCKER_BUILDKIT": ("0", "1"),
    "DOCKER_DEFAULT_PLATFORM": ("linux/amd64", "linux/arm64"),
    "DOCKER_CLI_EXPERIMENTAL": ("disabled", "enabled"),
    "BUILDX_BUILDER": ("default", "farm"),
    "BUILDX_CONFIG": ("/var/buildx-a", "/var/buildx-b"),
    "BUILDX_EXPERIMENTAL": ("0", "1"),
    "BUILDX_NO_DEFAULT_ATTESTATIONS": ("0", "1"),
    "BUILDX_NO_DEFAULT_LOAD": ("false", "true"),
    "BUILDX_GIT_INFO": ("true", "false"),
    "BUILDX_GIT_LABELS": ("1", "full"),
    "BUILDX_GIT_CHECK_DIRTY": ("0", "1"),
    "BUILDX_METADATA_PROVENANCE": ("min", "max"),
    "BUILDX_METADATA_WARNINGS": ("0", "1"),
    "BUILDKIT_HOST": ("tcp://a:1234", "tcp://b:1234"),
    "BUILDKIT_FUTURE_SETTING": ("a", "b"),  # unknown to us: kept (a needless rebuild beats a wrong skip)
    "DOCKER_FUTURE_SETTING": ("a", "b"),
    "HOME": ("/home/a", "/home/b"),  # where ~/.docker is, without DOCKER_CONFIG
}
# Variables that change only how progress looks or how the CLI reaches the network.
NOT_CHANGING: dict[str, tuple[str, str]] = {
    "BUILDKIT_PROGRESS": ("plain", "tty"),
    "BUILDKIT_COLORS": ("run=green", "run=blue"),
    "BUILDKIT_TTY_LOG_LINES": ("6", "20"),
    "BUILDX_NO_COLOR": ("0", "1"),
    "DOCKER_CLI_HINTS": ("true", "false"),
    "NO_COLOR": ("", "1"),
    "TERM": ("dumb", "xterm"),
    "PATH": ("/usr/bin", "/usr/local/bin:/usr/bin"),
    "HTTP_PROXY": ("http://a:3128", "http://b:3128"),
    "https_proxy": ("http://a:3128", "http://b:3128"),
    "NO_PROXY": ("localhost", "example.com"),
    "CI": ("", "true"),
    "LANG": ("C", "C.UTF-8"),
    "TMPDIR": ("/tmp", "/var/tmp"),
}
# Credentials: only whether they are set counts (DOCKER_AUTH_CONFIG holds registry logins as JSON).
CREDENTIALS = (
    "DOCKER_PASSWORD",
    "DOCKER_AUTH_CONFIG",
    "DOCKER_TOKEN",
    "BUILDX_CACHE_S3_SECRET",
    "BUILDKIT_REGISTRY_PASS",
    "DOCKER_API_KEY",
)


@pytest.fixture
def build(tmp_path: Path) -> Build:
    return make_build(tmp_path)


def key(build: Build, environ: dict[str, str]) -> str:
    keys = BuildKeys(build.engine, build.logs, "frontend", environ=environ)  # type: ignore[arg-type]
    return keys.key(build.step).key


@pytest.mark.parametrize("name", CHANGING)
def test_a_variable_that_changes_the_result_changes_the_key(build: Build, name: str) -> None:
    one, two = CHANGING[name]
    base = {"HOME": "/home/user"}
    keys = {key(build, base), key(build, {**base, name: one}), key(build, {**base, name: two})}
    assert len(keys) == 3


@pytest.mark.parametrize("name", NOT_CHANGING)
def test_a_display_or_network_variable_does_not(build: Build, name: str) -> None:
    one, two = NOT_CHANGING[name]
    base = {"HOME": "/home/user"}
    assert key(build, base) == key(build, {**base, name: one}) == key(build, {**base, name: two})


def test_the_step_s_own_variables_count_and_win(build: Build) -> None:
    step_env = (("DOCKER_BUILDKIT", "1"),)
    assert keyed_variables({"DOCKER_BUILDKIT": "0"}, step_env) == {"DOCKER_BUILDKIT": "1"}
    assert keyed_variables({}, step_env) == {"DOCKER_BUILDKIT": "1"}


@pytest.mark.parametrize("name", CREDENTIALS)
def test_a_credential_counts_only_as_set_and_never_enters_a_key(build: Build, name: str) -> None:
    first, second = "s3cr3t-value-number-one", "s3cr3t-value-number-two"
    base = {"HOME": "/home/user"}
    unset, one, two = key(build, base), key(build, {**base, name: first}), key(build, {**base, name: second})
    assert one == two != unset  # the value is no input at all, so no hash can carry it
    assert first not in json.dumps(key_environment({**base, name: first}))


def test_secret_values_are_masked_before_they_enter_a_key(build: Build) -> None:
    remembered = "remembered-credential-0f3a9c"  # e.g. read from .env as HF_TOKEN
    secrets.remember([remembered])
    environ = {
        "HOME": "/home/user",
        "DOCKER_HOST": "tcp://admin:hunter2hunter2@10.0.0.2:2376",
        "BUILDX_GIT_LABELS": remembered,
        "BUILDKIT_NOTE": "hf_" + "a1B2" * 9,  # a token format, whatever the name
    }
    text = json.dumps(key_environment(environ))
    for value in ("hunter2hunter2", remembered, "a1B2a1B2"):
        assert value not in text
    assert "tcp://admin:****@10.0.0.2:2376" in text
    other_password = {**environ, "DOCKER_HOST": "tcp://admin:other-password@10.0.0.2:2376"}
    other_host = {**environ, "DOCKER_HOST": "tcp://admin:hunter2hunter2@10.0.0.3:2376"}
    assert key(build, environ) == key(build, other_password) != key(build, other_host)


def test_nothing_under_keys_holds_a_credential(build: Build) -> None:
    secret = "s3cr3t-" + "9" * 20
    environ = {"HOME": "/nonexistent", "DOCKER_PASSWORD": secret, "DOCKER_HOST": f"tcp://u:{secret}@h:1"}
    keys = BuildKeys(build.engine, build.logs, "frontend", environ=environ)  # type: ignore[arg-type]
    verdict = keys.up_to_date(build.step)
    assert build.built(keys, verdict.key)
    keys.save()
    files = [p for p in (build.logs / "keys").rglob("*") if p.is_file()]  # also what each step was built from
    assert any(p.parent.name == "steps" for p in files)
    assert files and all(secret not in p.read_text() and secret not in p.name for p in files)


def write_docker_config(folder: Path, config: object, current: object = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    if current is not None:
        (folder / "buildx").mkdir(exist_ok=True)
        (folder / "buildx" / "current").write_text(json.dumps(current))


def test_the_cli_s_current_context_builder_and_proxies_count_its_logins_do_not(
    build: Build, tmp_path: Path
) -> None:
    folder = tmp_path / "docker-config"
    environ = {"DOCKER_CONFIG": str(folder)}
    proxy = {"default": {"httpProxy": "http://user:pass-one-1234@proxy:3128"}}
    current = {"Key": "unix:///var/run/docker.sock", "Name": "", "Global": False}
    config = {"auths": {"r.example": {"auth": "dXNlcjpwYXNzLW9uZQ=="}}, "proxies": proxy}
    write_docker_config(folder, config, current)
    first = key(build, environ)
    write_docker_config(folder, {**config, "auths": {"r.example": {"auth": "b3RoZXI6bG9naW4="}}}, current)
    assert key(build, environ) == first  # a login decides access, not content
    other_password = {"default": {"httpProxy": "http://user:pass-two-5678@proxy:3128"}}
    write_docker_config(folder, {**config, "proxies": other_password}, current)
    assert key(build, environ) == first
    settings = json.dumps(key_environment(environ))
    assert "pass-two-5678" not in settings and "dXNlcjpwYXNzLW9uZQ" not in settings
    write_docker_config(
        folder, {**config, "proxies": {"default": {"httpProxy": "http://other:3128"}}}, current
    )
    changed = {key(build, environ)}
    write_docker_config(folder, {**config, "currentContext": "remote"}, current)
    changed.add(key(build, environ))
    write_docker_config(folder, config, {**current, "Name": "farm"})  # docker buildx use farm
    changed.add(key(build, environ))
    assert first not in changed and len(changed) == 3


@pytest.mark.parametrize(
    "text",
    ["", "{", "[]", "null", "[" * 100_000 + "]" * 100_000, "9" * 5000, '{"proxies": ' * 5000],
    ids=["empty", "cut", "list", "null", "nested", "long number", "nested object"],
)
def test_a_malformed_cli_config_is_a_key_input_never_a_crash(build: Build, tmp_path: Path, text: str) -> None:
    folder = tmp_path / "docker-config"
    folder.mkdir()
    (folder / "config.json").write_text(text)
    (folder / "buildx").mkdir()
    (folder / "buildx" / "current").write_text(text)
    assert key(build, {"DOCKER_CONFIG": str(folder)})


def test_a_recorded_key_is_up_to_date_only_under_the_same_environment(build: Build) -> None:
    environ = {"HOME": "/home/user", "SOURCE_DATE_EPOCH": "1700000000"}
    keys = BuildKeys(build.engine, build.logs, "frontend", environ=environ)  # type: ignore[arg-type]
    assert build.built(keys, keys.up_to_date(build.step).key)
    same = BuildKeys(build.engine, build.logs, "frontend", environ=dict(environ))  # type: ignore[arg-type]
    assert same.up_to_date(build.step).image == BUILT_ID
    later = {**environ, "SOURCE_DATE_EPOCH": "1700000001"}
    other = BuildKeys(build.engine, build.logs, "frontend", environ=later)  # type: ignore[arg-type]
    assert other.up_to_date(build.step).image == ""
