"""Credentials: what looks like one, which BuildKit secret a variable feeds, masking in output and records."""

from __future__ import annotations

from dynamo_container.model.secrets import MASK, looks_like_credential, masker, redact, secret_id_of


def test_credential_heuristic() -> None:
    assert not looks_like_credential("SCCACHE_S3_KEY_PREFIX")
    assert not looks_like_credential("ENABLE_KVBM")
    assert looks_like_credential("SSH_KEY") and looks_like_credential("NPM_TOKEN")
    assert looks_like_credential("aws-access-key-id") and looks_like_credential("db.password")


def test_secret_ids_are_known_by_their_variable() -> None:
    assert secret_id_of("HF_TOKEN") == "hf-token"
    assert secret_id_of("github_token") == "github-token"
    assert secret_id_of("NPM_TOKEN") == ""


def test_masker_hides_every_value_longest_first() -> None:
    mask = masker(["hf_abcdef", "hf_abc", "abc"])  # "abc" is too short to mask safely
    assert mask("token hf_abcdef and hf_abc and abc") == f"token {MASK} and {MASK} and abc"
    assert masker([])("nothing to hide") == "nothing to hide"


def test_redact_reaches_nested_values_and_json_escapes() -> None:
    data = {"argv": ["--x", 'say "s3cr3t"'], "env": {"K": "s3cr3t"}, "n": 3}
    assert redact(data, ["s3cr3t"]) == {"argv": ["--x", f'say "{MASK}"'], "env": {"K": MASK}, "n": 3}
    quoted = 'pa"ss\\word'
    assert redact({"v": quoted}, [quoted]) == {"v": MASK}
