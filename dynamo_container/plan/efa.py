"""`invoke efa`: the EFA layer on top of an existing runtime, dev or local-dev image (pure)."""

from __future__ import annotations

from dynamo_container.plan.build import efa_spec
from dynamo_container.plan.model import TaskPlan
from dynamo_container.plan.steps import StepMaker
from dynamo_container.resolve.efa import EfaRequest


def plan_efa(req: EfaRequest) -> TaskPlan:
    make = StepMaker(
        req.frontend, req.platform, req.context, req.log_dir, req.network, user_args=req.user_args
    )
    step = make.build(efa_spec([req.image], req.efa_version, req.container))
    summary = (
        ("image", req.image),
        ("EFA installer", req.efa_version),
        ("platform", req.platform),
        ("result", step.tags[0]),
    )
    return TaskPlan((step,), summary, step.tags, req.warnings, f"run --image {step.tags[0]}")
