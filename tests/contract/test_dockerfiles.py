"""Contract tests: the real and the stand-in Dockerfile families agree with each other and the planner."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dynamo_container import matrix
from dynamo_container.config import load_config
from dynamo_container.plan import Frontend, looks_like_credential, plan_build
from dynamo_container.settings import SECRET_ENV_VARS
from dynamo_container.version import VersionInfo
from tests.contract.dockerfiles import Dockerfile, blank_heredocs, parse
from tests.helpers import PROJECT

REAL = PROJECT / "container"
STANDIN = PROJECT / "tests/fixtures/container"
FILES = sorted(
    {matrix.BASE_DOCKERFILE, matrix.LOCAL_DEV_DOCKERFILE, matrix.EFA_DOCKERFILE}
    | {matrix.framework(f).dockerfile for f in matrix.FRAMEWORKS}
)
FAMILIES = {"real": REAL, "stand-in": STANDIN}


def dockerfile(family: str, name: str) -> Dockerfile:
    return parse(FAMILIES[family] / name)


@pytest.mark.parametrize("name", FILES)
def test_both_families_have_the_same_stages_and_args(name: str) -> None:
    real, standin = dockerfile("real", name), dockerfile("stand-in", name)
    assert real.stage_names == standin.stage_names
    missing_in_standin = real.arg_names - standin.arg_names
    missing_in_real = standin.arg_names - real.arg_names
    assert not missing_in_standin and not missing_in_real, (
        f"{name}: ARGs only in container/: {sorted(missing_in_standin)}; "
        f"only in the stand-in: {sorted(missing_in_real)}"
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_the_stages_the_planner_targets_exist(family: str) -> None:
    assert dockerfile(family, matrix.BASE_DOCKERFILE).stage_names == list(matrix.BASE_STAGES)
    for fw in matrix.FRAMEWORKS:
        if fw != "none":
            assert dockerfile(family, matrix.framework(fw).dockerfile).stage_names == list(
                matrix.FRAMEWORK_STAGES
            )
    assert dockerfile(family, matrix.LOCAL_DEV_DOCKERFILE).stage_names == [matrix.LOCAL_DEV_STAGE]
    assert dockerfile(family, matrix.EFA_DOCKERFILE).stage_names == [matrix.EFA_STAGE]


def _plans(family_dir: Path):  # type: ignore[no-untyped-def]
    """A plan for every matrix row and target, with every optional feature that adds build args."""
    version = VersionInfo("v1.0.0", "1.0.0", "0" * 40, "0000000", True)
    for variant in matrix.VARIANTS:
        fw = matrix.framework(variant.framework)
        for target in ("runtime", "local-dev"):
            for platform in ("linux/amd64", "linux/arm64"):
                cfg = load_config(
                    PROJECT,
                    environ={},
                    flags={
                        "framework": fw.name,
                        "cuda_version": variant.cuda,
                        "target": target,
                        "platform": platform,
                        "container_dir": str(family_dir),
                        "make_efa": target == "runtime",
                        "use_sccache": True,
                        "sccache_bucket": "b",
                        "sccache_region": "r",
                    },
                )
                yield plan_build(cfg, version, Frontend())


@pytest.mark.parametrize("family", FAMILIES)
def test_every_build_arg_the_planner_passes_is_declared(family: str) -> None:
    checked = 0
    for plan in _plans(FAMILIES[family]):
        for step in plan.steps:
            if step.kind != "build":
                continue
            declared = parse(Path(step.dockerfile or "")).arg_names
            unused = [k for k, _ in step.build_args if k not in declared]
            assert not unused, f"{step.dockerfile} does not declare {unused} ({plan.framework} {plan.cuda})"
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("name", FILES)
def test_real_pins_match_the_matrix(name: str) -> None:
    defaults = dockerfile("real", name).arg_defaults()
    for arg, pin in matrix.PINS.items():
        if arg in defaults:
            assert defaults[arg] == {pin}, f"{name}: {arg} defaults to {defaults[arg]}, the matrix says {pin}"


def test_every_pin_is_declared_somewhere() -> None:
    declared = set().union(*(dockerfile("real", n).arg_names for n in FILES))
    assert set(matrix.PINS) <= declared


_SECRET_REF = re.compile(r"\$\{?(" + "|".join(SECRET_ENV_VARS.values()) + r")\b")


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", FILES)
def test_no_instruction_can_carry_a_secret(family: str, name: str) -> None:
    df = dockerfile(family, name)
    for ins in df.instructions:
        kind, value = str(ins["instruction"]).upper(), str(ins["value"])
        if kind not in ("ARG", "ENV", "LABEL"):
            continue
        keys = (
            [value.split("=", 1)[0].split()[0]] if kind == "ARG" else re.findall(r"([A-Za-z_.\-]+)=", value)
        )
        for key in keys:
            assert not looks_like_credential(key.replace(".", "_").replace("-", "_")), f"{name}: {kind} {key}"
        assert not _SECRET_REF.search(value), f"{name}: {kind} {value!r} reads a credential"


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", FILES)
def test_no_syntax_directive(family: str, name: str) -> None:
    first = (FAMILIES[family] / name).read_text().lstrip().splitlines()[0]
    assert not re.match(r"#\s*syntax\s*=", first), "a syntax directive makes BuildKit pull a frontend image"


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", FILES)
def test_args_used_in_from_are_declared_globally(family: str, name: str) -> None:
    df = dockerfile(family, name)
    stage_names = set(df.stage_names)
    for stage in df.stages:
        for ref in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", stage.base):
            assert ref in df.global_args, (
                f"{name}: FROM {stage.base} uses {ref}, not declared before the first FROM"
            )
        if not stage.base.startswith("$"):
            assert (
                stage.base in stage_names or ":" in stage.base or "/" in stage.base or stage.base == "scratch"
            )


def test_heredoc_bodies_are_not_instructions() -> None:
    text = "FROM a AS b\nRUN <<'EOF'\nARG NOT_AN_ARG=1\nEOF\nARG REAL=2\n"
    assert blank_heredocs(text).splitlines() == ["FROM a AS b", "RUN <<'EOF'", "", "", "ARG REAL=2"]


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
