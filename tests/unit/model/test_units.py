"""model/units.py: sizes in the decimal units docker prints."""

from __future__ import annotations

import pytest

from dynamo_container.model.units import human_size


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (196_640, "196.6 kB"), (2.5e9, "2.5 GB")]
)
def test_human_size(n: float, text: str) -> None:
    assert human_size(n) == text
