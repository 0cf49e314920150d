"""The planners: resolved requests to frozen plans of steps (docker invocations and host commands).

Pure: nothing here reads the configuration, the engine or git; a dry run prints exactly these steps.
"""

from .build import plan_build
from .efa import plan_efa
from .matrix import MatrixPlan, plan_matrix
from .model import BuildPlan, Secret, Step, TaskPlan
from .run import RunPlan, plan_run
from .wheel import plan_steps as plan_wheel

__all__ = [
    "BuildPlan",
    "MatrixPlan",
    "RunPlan",
    "Secret",
    "Step",
    "TaskPlan",
    "plan_build",
    "plan_efa",
    "plan_matrix",
    "plan_run",
    "plan_wheel",
]
