"""Matrix builds: one ordinary plan per framework x CUDA combination (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..resolve.matrix import MatrixRequest
from .build import plan_build
from .model import BuildPlan


@dataclass(frozen=True)
class MatrixPlan:
    plans: tuple[BuildPlan, ...]
    warnings: tuple[str, ...] = ()

    @property
    def steps(self) -> tuple[Any, ...]:
        return tuple(step for plan in self.plans for step in plan.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "combinations": [{"key": p.key, **p.to_json()} for p in self.plans],
            "warnings": list(self.warnings),
        }


def plan_matrix(request: MatrixRequest) -> MatrixPlan:
    return MatrixPlan(tuple(plan_build(r) for r in request.requests), request.warnings)
