"""`invoke sccache-install` and `invoke sccache-stats` as a user types them."""

from __future__ import annotations

from pathlib import Path

from dynamo_container.model import pins
from tests.helpers import PROJECT
from tests.unit.tasks.shell import run


def test_install_dry_run_names_the_pinned_release_and_downloads_nothing(tmp_path: Path) -> None:
    r = run(PROJECT, "sccache-install", "--dry-run", "--sccache-install-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert f"sccache {pins.value('SCCACHE_VERSION')}" in r.stdout and "(pinned)" in r.stdout
    assert f"destination   {tmp_path / 'sccache'}" in r.stdout
    assert "Dry run: nothing was downloaded or written." in r.stdout
    assert list(tmp_path.iterdir()) == []


def test_stats_without_sccache_say_how_to_get_it(tmp_path: Path) -> None:
    r = run(PROJECT, "sccache-stats", "--sccache-install-dir", str(tmp_path), env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 1
    assert r.stderr.startswith("error: sccache is not installed") and "invoke sccache-install" in r.stderr
