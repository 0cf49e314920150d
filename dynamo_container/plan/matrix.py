"""Matrix builds: one ordinary plan per framework x CUDA combination (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dynamo_container.plan.model import BuildPlan
from dynamo_container.plan.platforms import plan_any
from dynamo_container.resolve.matrix import MatrixRequest


@dataclass(frozen=True)
class MatrixPlan:
    plans: tuple[BuildPlan, ...]
    warnings: tuple[str, ...] = ()

    @classmethod
    def of(cls, plan: BuildPlan | MatrixPlan) -> MatrixPlan:
        """A matrix plan as it is; one build as a matrix of one combination."""
        return plan if isinstance(plan, MatrixPlan) else cls((plan,))

    @property
    def steps(self) -> tuple[Any, ...]:
        return tuple(step for plan in self.plans for step in plan.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "combinations": [{"key": p.key, **p.to_json()} for p in self.plans],
            "warnings": list(self.warnings),
        }


def plan_matrix(request: MatrixRequest) -> MatrixPlan:
    return MatrixPlan(tuple(plan_any(r) for r in request.requests), request.warnings)
