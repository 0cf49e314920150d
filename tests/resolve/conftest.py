"""Resolution tests need PyPI: they run only when selected (`pytest -m resolve`, as `nox -s resolve` does),
so the default run stays independent of the network."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "resolve" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="needs PyPI: run with -m resolve (nox -s resolve)")
    for item in items:
        if item.get_closest_marker("resolve"):
            item.add_marker(skip)
