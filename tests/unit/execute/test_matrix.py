"""Matrix execution: how many combinations run at once."""

from __future__ import annotations

from dynamo_container.execute.matrix import default_jobs


def test_default_jobs_is_bounded() -> None:
    import os

    assert 1 <= default_jobs() <= (os.cpu_count() or 1)
