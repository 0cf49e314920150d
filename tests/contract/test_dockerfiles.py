"""Contract tests: the real and the stand-in Dockerfile families agree with each other and the planner."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from dynamo_container.buildcontext.dockerfiles import Dockerfile, load
from dynamo_container.buildcontext.git import VersionInfo
from dynamo_container.config import load_config
from dynamo_container.model import catalog
from dynamo_container.model.secrets import SECRET_ENV_VARS, looks_like_credential
from dynamo_container.plan.model import BuildPlan
from tests.helpers import PROJECT, STANDIN_FAMILY, make_repo, plan_of

REAL = PROJECT / "container"
STANDIN = STANDIN_FAMILY
FILES = sorted(
    {catalog.BASE_DOCKERFILE, catalog.LOCAL_DEV_DOCKERFILE, catalog.EFA_DOCKERFILE}
    | {catalog.framework(f).dockerfile for f in catalog.FRAMEWORKS}
)
FAMILIES = {"real": REAL, "stand-in": STANDIN}


def dockerfile(family: str, name: str) -> Dockerfile:
    return load(FAMILIES[family] / name)


@pytest.mark.parametrize("name", FILES)
def test_both_families_have_the_same_stages_and_args(name: str) -> None:
    real, standin = dockerfile("real", name), dockerfile("stand-in", name)
    assert real.stage_names == standin.stage_names
    only_real = real.declared_args() - standin.declared_args()
    only_standin = standin.declared_args() - real.declared_args()
    assert not only_real and not only_standin, (
        f"{name}: ARGs only in container/: {sorted(only_real)}; only in the stand-in: {sorted(only_standin)}"
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_the_stages_are_the_ones_the_matrix_lists(family: str) -> None:
    for fw in catalog.FRAMEWORKS:
        spec = catalog.framework(fw)
        assert dockerfile(family, spec.dockerfile).stage_names == spec.stages
    assert dockerfile(family, catalog.LOCAL_DEV_DOCKERFILE).stage_names == (catalog.LOCAL_DEV_STAGE,)
    assert dockerfile(family, catalog.EFA_DOCKERFILE).stage_names == catalog.EFA_STAGES


@pytest.fixture(scope="module")
def release_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean checkout whose HEAD carries a version tag: what --release-build asks for."""
    return make_repo(tmp_path_factory.mktemp("release"), tag="v1.0.0", commits_after=0)


def plans(family_dir: Path, context: Path) -> Iterator[BuildPlan]:
    """A plan for every matrix row, target and platform, with every option that adds build args."""
    version = VersionInfo("v1.0.0", "1.0.0", "0" * 40, "0000000", True)
    for variant in catalog.VARIANTS:
        for target in ("runtime", "dev", "local-dev"):
            for platform in ("linux/amd64", "linux/arm64"):
                flags = {
                    "framework": variant.framework,
                    "cuda_version": variant.cuda,
                    "target": target,
                    "platform": platform,
                    "container_dir": str(family_dir),
                    "make_efa": target != "local-dev",
                    "use_sccache": True,
                    "sccache_bucket": "b",
                    "sccache_region": "r",
                    "vllm_max_jobs": "4" if variant.framework == "vllm" else None,
                    "release_build": True,
                    "context": str(context),
                    "trtllm_use_nixl_kvcache_experimental": variant.framework == "trtllm",
                }
                cfg = load_config(
                    PROJECT, environ={}, flags={k: v for k, v in flags.items() if v is not None}
                )
                yield plan_of(cfg, version)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_build_arg_the_planner_passes_is_declared(family: str, release_checkout: Path) -> None:
    checked = 0
    for plan in plans(FAMILIES[family], release_checkout):
        for step in plan.steps:
            declared = load(Path(step.dockerfile or "")).declared_args()
            unused = [k for k, _ in step.build_args if k not in declared]
            assert not unused, f"{step.dockerfile} does not declare {unused} ({plan.framework} {plan.cuda})"
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("family", FAMILIES)
def test_every_target_the_planner_builds_is_a_stage(family: str, release_checkout: Path) -> None:
    for plan in plans(FAMILIES[family], release_checkout):
        for step in plan.steps:
            assert step.target in load(Path(step.dockerfile or "")).stage_names, step.argv


def _always_passed(name: str) -> set[str]:
    """Build args every step building Dockerfile `name` passes, in plans without optional features."""
    version = VersionInfo("v1.0.0", "1.0.0", "0" * 40, "0000000", True)
    passed: list[set[str]] = []
    for variant in catalog.VARIANTS:
        for target, efa, on in (("runtime", True, True), ("dev", True, False), ("local-dev", False, True)):
            flags = {"framework": variant.framework, "cuda_version": variant.cuda, "target": target}
            switches = {"enable_kvbm": on, "enable_gpu_memory_service": on}
            cfg = load_config(PROJECT, environ={}, flags={**flags, **switches, "make_efa": efa})
            for step in plan_of(cfg, version).steps:
                if Path(step.dockerfile or "").name == name:
                    passed.append({k for k, _ in step.build_args})
    return set.intersection(*passed) if passed else set()


_SET_U = re.compile(r"^\s*set\s+-[a-z]*u", re.M)
# $NAME or ${NAME...} without a default (${NAME:-x}, ${NAME-x}, ${NAME:+x} tolerate an unset NAME)
_PLAIN_REF = re.compile(r"\$(?:\{([A-Z][A-Z0-9_]*)(?!:?[-=+?])|([A-Z][A-Z0-9_]*))")


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", FILES)
def test_scripts_with_set_u_tolerate_args_that_may_be_unset(family: str, name: str) -> None:
    """`set -u` fails on an ARG declared without a default that the planner does not always pass."""
    df = dockerfile(family, name)
    defaults = df.arg_defaults
    maybe_unset = {a for a in df.declared_args() if a not in defaults} - _always_passed(name)
    for script in df.run_scripts():
        if not _SET_U.search(script.text):
            continue
        refs = {m.group(1) or m.group(2) for m in _PLAIN_REF.finditer(script.text)}
        bad = sorted(refs & maybe_unset)
        assert not bad, f"{name}:{script.line} reads {bad} under set -u; write ${{NAME:-}}"


# Switches a hand build (docker build without the tool) leaves unset: unset means off, as upstream.
_SWITCHES = (
    "ENABLE_KVBM",
    "ENABLE_GPU_MEMORY_SERVICE",
    "ENABLE_MEDIA_NIXL",
    "ENABLE_MEDIA_FFMPEG",
    "USE_SCCACHE",
)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", FILES)
def test_an_unset_switch_means_off_under_set_u(family: str, name: str) -> None:
    """Whatever the planner passes: a RUN under `set -u` reads a switch only as ${NAME:-}."""
    for script in dockerfile(family, name).run_scripts():
        if not _SET_U.search(script.text):
            continue
        refs = {m.group(1) or m.group(2) for m in _PLAIN_REF.finditer(script.text)}
        bad = sorted(refs & set(_SWITCHES))
        assert not bad, f"{name}:{script.line} reads {bad} under set -u; write ${{NAME:-}}"


@pytest.mark.parametrize("family", FAMILIES)
def test_local_dev_runs_in_a_login_shell(family: str) -> None:
    """As upstream's local-dev (it inherits dev's `bash -l`): the umask 002 profile applies."""
    (stage,) = dockerfile(family, catalog.LOCAL_DEV_DOCKERFILE).stages
    shells = [ins.value for ins in stage.instructions if ins.keyword == "SHELL"]
    assert shells and all("-l" in shell for shell in shells), shells


_SECRET_REF = re.compile(r"\$\{?(" + "|".join(SECRET_ENV_VARS.values()) + r")\b")


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", FILES)
def test_no_instruction_can_carry_a_secret(family: str, name: str) -> None:
    df = dockerfile(family, name)
    instructions = [ins for stage in df.stages for ins in stage.instructions]
    for ins in instructions:
        if ins.keyword not in ("ARG", "ENV", "LABEL"):
            continue
        keys = [v.split("=", 1)[0] for v in ins.value] if ins.keyword == "ARG" else ins.value[::2]
        for key in keys:
            assert not looks_like_credential(key.replace(".", "_").replace("-", "_")), f"{name}: {ins}"
        assert not _SECRET_REF.search(" ".join(ins.value)), f"{name}: {ins} reads a credential"
    for arg in df.global_args:
        assert not looks_like_credential(arg), f"{name}: ARG {arg}"


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", FILES)
def test_only_the_builtin_frontends_syntax(family: str, name: str) -> None:
    text = (FAMILIES[family] / name).read_text()
    first = text.lstrip().splitlines()[0]
    assert not re.match(r"#\s*syntax\s*=", first), "a syntax directive makes BuildKit pull a frontend image"
    df = dockerfile(family, name)
    for stage in df.stages:
        for ins in stage.instructions:
            assert not {"--exclude", "--parents"} & {f.partition("=")[0] for f in ins.flags}, ins
            assert not any("type=secret" in m and "env=" in m for m in ins.flag_values("mount")), ins


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", FILES)
def test_args_used_in_from_are_declared_globally(family: str, name: str) -> None:
    df = dockerfile(family, name)
    stage_names = set(df.stage_names)
    for stage in df.stages:
        for ref in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", stage.base):
            assert ref in df.global_args, (
                f"{name}: FROM {stage.base} uses {ref}, not declared before any FROM"
            )
        if not stage.base.startswith("$"):
            assert (
                stage.base in stage_names or ":" in stage.base or "/" in stage.base or stage.base == "scratch"
            )


@pytest.mark.parametrize("family", FAMILIES)
def test_framework_dockerfiles_share_one_allowlist(family: str) -> None:
    """Each Dockerfile carries its ignore file; the framework ones are copies of Dockerfile's."""
    folder = FAMILIES[family]
    shared = (folder / "Dockerfile.dockerignore").read_text()
    for fw in catalog.FRAMEWORKS:
        assert (folder / f"{catalog.framework(fw).dockerfile}.dockerignore").read_text() == shared
    for name in (catalog.LOCAL_DEV_DOCKERFILE, catalog.EFA_DOCKERFILE):
        lines = [ln for ln in (folder / f"{name}.dockerignore").read_text().splitlines() if ln[:1] not in "#"]
        assert [ln for ln in lines if ln.strip()] == ["*"], f"{name} reads nothing from the context"


def test_every_ignored_hadolint_rule_has_a_reason() -> None:
    """In container/.hadolint.yaml each group of ignored rules is preceded by a comment saying why."""
    lines = (REAL / ".hadolint.yaml").read_text().splitlines()
    start = lines.index("ignored:")
    reason_seen = False
    checked = 0
    for line in lines[start + 1 :]:
        text = line.strip()
        if not text:
            reason_seen = False
            continue
        if text.startswith("#"):
            reason_seen = True
        elif text.startswith("- "):
            assert reason_seen, f"hadolint rule {text[2:]} is ignored without a reason"
            checked += 1
        else:
            break
    assert checked > 0


def test_inline_hadolint_ignores_have_a_reason() -> None:
    for family in FAMILIES.values():
        for path in family.glob("Dockerfile*"):
            lines = path.read_text().splitlines()
            for i, line in enumerate(lines):
                if "hadolint ignore=" in line:
                    before = lines[i - 1].strip() if i else ""
                    assert before.startswith("#") and "hadolint" not in before, (
                        f"{path.name}:{i + 1} gives no reason"
                    )
