"""dynamo-container tasks. `invoke --list` shows them; `invoke <task> --help` shows every flag.

Every configuration key is declared once, in `dynamo_container.settings.Settings`; each task's flags
and the DYNAMO_* env-file keys are generated from that declaration. The tasks themselves live in
`dynamo_container/tasks/`.
"""

from importlib import import_module
from pathlib import Path

from invoke import Collection

from dynamo_container.tasks import MODULES

ROOT = Path(__file__).resolve().parent

ns = Collection()
for name in MODULES:
    for task in import_module(f"dynamo_container.tasks.{name}").tasks(ROOT):
        ns.add_task(task)
