"""plan/steps.py: one build step's command line and Step record, for each kind of builder."""

from __future__ import annotations

from pathlib import Path

from dynamo_container.model.frontend import Frontend
from dynamo_container.plan.model import Secret
from dynamo_container.plan.steps import BuildSpec, StepMaker, merge_args
from dynamo_container.resolve.build import Cache

CONTEXT = Path("/ctx")
LOGS = Path("/logs")


def spec(**fields: object) -> BuildSpec:
    base: dict[str, object] = dict(
        name="framework",
        title="the framework image",
        dockerfile=Path("/ctx/container/Dockerfile.vllm"),
        target="runtime",
        tags=("dynamo:x-vllm-runtime",),
        args=(("A", "1"), ("B", "2")),
    )
    base.update(fields)
    return BuildSpec(**base)  # type: ignore[arg-type]


def maker(frontend: Frontend | None = None, **fields: object) -> StepMaker:
    return StepMaker(frontend or Frontend(), "linux/amd64", CONTEXT, LOGS, **fields)  # type: ignore[arg-type]


def words_after(argv: tuple[str, ...], flag: str) -> list[str]:
    return [argv[i + 1] for i, w in enumerate(argv) if w == flag]


def test_a_user_arg_replaces_a_derived_one_of_the_same_name_and_comes_last() -> None:
    assert merge_args([("A", "1"), ("B", "2")], [("A", "9"), ("C", "3")]) == [
        ("B", "2"),
        ("A", "9"),
        ("C", "3"),
    ]


def test_the_local_engine_loads_the_image_and_the_context_follows_the_end_of_options() -> None:
    step = maker(user_args=(("B", "user"),)).build(spec())
    assert step.argv[:4] == ("docker", "buildx", "build", "--load")
    assert step.argv[-2:] == ("--", "/ctx")
    assert words_after(step.argv, "--build-arg") == ["A=1", "B=user"]
    assert words_after(step.argv, "--metadata-file") == ["/logs/framework.metadata.json"]
    assert (step.log, step.platform, step.tags) == (
        "/logs/framework.log",
        "linux/amd64",
        ("dynamo:x-vllm-runtime",),
    )


def test_a_builder_without_the_engine_store_pushes_only_what_the_next_step_builds_on() -> None:
    remote = Frontend(builder="cluster", shares_image_store=False, driver="kubernetes")
    assert "--push" in maker(remote).build(spec(feeds_next=True)).argv
    assert "--load" in maker(remote).build(spec(feeds_next=False)).argv


def test_a_builder_of_another_engine_pushes_every_image() -> None:
    elsewhere = Frontend(builder="b", loads_here=False, builder_host="tcp://10.0.0.2:2375")
    assert "--push" in maker(elsewhere).build(spec()).argv


def test_no_load_leaves_the_last_image_in_the_build_cache_but_still_loads_a_base() -> None:
    last = maker(load_final=False).build(spec())
    assert "--load" not in last.argv and "--push" not in last.argv
    assert "--load" in maker(load_final=False).build(spec(feeds_next=True)).argv


def test_the_classic_builder_has_no_metadata_file_and_turns_buildkit_on() -> None:
    step = maker(Frontend(buildx=False)).build(spec())
    assert step.argv[:2] == ("docker", "build") and "--metadata-file" not in step.argv
    assert step.env == (("DOCKER_BUILDKIT", "1"),) and step.metadata == ""


def test_cache_flags_point_at_the_steps_own_entry_unless_the_step_opts_out() -> None:
    cache = Cache(("type=registry,ref=r:5000/c",), ("type=registry,ref=r:5000/c,mode=max",))
    step = maker(cache=cache, combination="vllm-cuda12.9").build(spec())
    assert step.cache_from == ("type=registry,ref=r:5000/c:cache-vllm-cuda12.9-framework-runtime",)
    assert words_after(step.argv, "--cache-to") == list(step.cache_to)
    bare = maker(cache=cache).build(spec(cache=False))
    assert (bare.cache_from, bare.cache_to) == ((), ()) and "--cache-from" not in bare.argv


def test_secrets_contexts_and_network_reach_the_command_line() -> None:
    step = maker(network="host").build(
        spec(secrets=(Secret("hf-token", "HF_TOKEN"),), contexts=(("wheel", "/w"),))
    )
    assert words_after(step.argv, "--network") == ["host"]
    assert words_after(step.argv, "--secret") == ["id=hf-token,env=HF_TOKEN"]
    assert words_after(step.argv, "--build-context") == ["wheel=/w"]
