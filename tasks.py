"""dynamo-container tasks. `invoke --list` shows them; `invoke <task> --help` shows every flag.

Every configuration key is declared once, in `dynamo_container.settings.Settings`; each task's flags
and the DYNAMO_* env-file keys are generated from that declaration.
"""

from importlib import import_module
from pathlib import Path

from invoke import Collection

ROOT = Path(__file__).resolve().parent
TASK_MODULES = (
    "build_tasks",
    "config_tasks",
    "context_tasks",
    "doctor_tasks",
    "lint_tasks",
    "receipts_tasks",
    "run_tasks",
    "sccache_tasks",
    "smoke_tasks",
    "trtllm_tasks",
)

ns = Collection()
for name in TASK_MODULES:
    for task in import_module(f"dynamo_container.{name}").tasks(ROOT):
        ns.add_task(task)
