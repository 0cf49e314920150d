"""dynamo-container tasks. `invoke --list` shows them; `invoke <task> --help` shows every flag.

Every configuration key is declared once, in `dynamo_container.settings.Settings`; each task's flags
and the DYNAMO_* env-file keys are generated from that declaration.
"""

from pathlib import Path

from invoke import Collection

from dynamo_container import (
    build_tasks,
    config_tasks,
    context_tasks,
    doctor_tasks,
    lint_tasks,
    receipts_tasks,
    run_tasks,
    sccache_tasks,
    smoke_tasks,
    trtllm_tasks,
)

ROOT = Path(__file__).resolve().parent

ns = Collection()
for module in (
    build_tasks,
    config_tasks,
    context_tasks,
    doctor_tasks,
    lint_tasks,
    receipts_tasks,
    run_tasks,
    sccache_tasks,
    smoke_tasks,
    trtllm_tasks,
):
    for task in module.tasks(ROOT):
        ns.add_task(task)
