"""dynamo-container tasks. `invoke --list` shows them; `invoke <task> --help` shows every flag.

Every configuration key is declared once, in `dynamo_container.settings.Settings`; each task's flags
and the DYNAMO_* env-file keys are generated from that declaration. The tasks themselves live in
`dynamo_container/tasks/`.
"""

import sys
from pathlib import Path

from dynamo_container.report import guard
from dynamo_container.tasks import collection
from dynamo_container.tasks.cli import last_resort

sys.excepthook = last_resort  # nothing that escapes invoke itself reaches the user as a traceback
guard.install()  # invoke's own output (--list, --help) masked too, and quiet into a closed pipe

ns = collection(Path(__file__).resolve().parent)
