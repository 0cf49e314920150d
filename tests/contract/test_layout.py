"""The layout holds: every import follows the layer map, every part says what it owns, and the maps in
README.md and docs/architecture.md are the ones the docstrings make."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.contract import layout
from tests.contract.test_architecture import GRAPH, MODULES
from tests.helpers import PROJECT

UNIT = PROJECT / "tests" / "unit"


def violations(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """(importer, imported) pairs of the package whose parts the layer map does not connect."""
    found = set()
    for importer, imported in graph.items():
        for target in imported:
            if not target.startswith("dynamo_container"):
                continue
            source, dest = layout.part_of(importer), layout.part_of(target)
            if source != dest and dest not in layout.LAYERS.get(source, set()):
                found.add((importer, target))
    return found


def test_every_import_follows_the_layer_map() -> None:
    assert violations(GRAPH) == set()


def test_an_import_against_the_map_is_found() -> None:
    graph = {
        "dynamo_container.plan.build": {"dynamo_container.execute.runner", "dynamo_container.model.catalog"},
        "dynamo_container.model.catalog": {"dynamo_container.config", "os"},
        "dynamo_container.tasks.build": {"dynamo_container.pipeline"},
    }
    assert violations(graph) == {
        ("dynamo_container.plan.build", "dynamo_container.execute.runner"),
        ("dynamo_container.model.catalog", "dynamo_container.config"),
    }


def test_the_map_names_every_part_and_only_parts() -> None:
    found = set(layout.parts())
    assert set(layout.LAYERS) == found
    assert set(layout.ORDER) == found - {"__init__"}
    assert all(deps <= found for deps in layout.LAYERS.values())


def test_no_more_than_ten_modules_stand_at_the_top() -> None:
    top = [p for p in layout.parts().values() if p.is_file() and p.name != "__init__.py"]
    assert len(top) <= 10, sorted(p.name for p in top)


def test_every_part_and_module_says_what_it_holds() -> None:
    silent = [name for name, path in MODULES.items() if not layout.docstring(path)]
    assert silent == []


def test_the_maps_in_the_docs_are_made_from_the_docstrings() -> None:
    for path, (name, make) in layout.GENERATED.items():
        shown = layout.block_of(path.read_text(), name)
        assert shown is not None, f"{path.name} lost its {name} markers"
        assert shown == make(), f"{path.name} is stale: run python -m tests.contract.layout --write"


def test_the_package_map_names_every_part() -> None:
    text = layout.package_map()
    for part, path in layout.parts().items():
        if part != "__init__":
            assert f"`{part}/`" in text if path.is_dir() else f"`{part}.py`" in text


# Modules whose tests live in a file named for what they test together (each file checked to import
# the module): the Dockerfile parser and the source manifests on the real Dockerfiles, the stores
# and log folders through their faults, multi-platform requests beside the plans they make.
HOMES = {
    "buildcontext/dockerfiles.py": "tests/contract/test_dockerfiles.py",
    "buildcontext/sources.py": "tests/contract/test_sources.py",
    "buildkeys/store.py": "tests/unit/buildkeys/test_faults.py",
    "deps/resolution.py": "tests/unit/deps/test_sets.py",
    "execute/build.py": "tests/unit/execute/test_runner.py",
    "execute/logfolders.py": "tests/unit/execute/test_faults_leftovers.py",
    "model/pins.py": "tests/contract/test_pins.py",
    "report/board.py": "tests/unit/report/test_views.py",
    "resolve/platforms.py": "tests/unit/plan/test_platforms.py",
    "settings.py": "tests/unit/test_config.py",
    "tools/sccache_stats.py": "tests/unit/tools/test_sccache.py",
}


def _has_logic(path: Path) -> bool:
    return any(
        isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) for n in ast.walk(ast.parse(path.read_text()))
    )


def _own_tests(relative: Path) -> list[Path]:
    """tests/unit/<part>/test_<module>.py (or test_<module>_*.py) for dynamo_container/<part>/<module>.py."""
    folder = UNIT / relative.parent
    return [*folder.glob(f"test_{relative.stem}.py"), *folder.glob(f"test_{relative.stem}_*.py")]


def _imports(test_file: Path, module: str) -> bool:
    parent, _, leaf = module.rpartition(".")
    for node in ast.walk(ast.parse(test_file.read_text())):
        if not isinstance(node, ast.ImportFrom) or node.module not in (module, parent):
            continue
        if node.module == module or any(a.name == leaf for a in node.names):
            return True
    return False


def test_each_module_with_logic_has_tests_of_its_own() -> None:
    missing = []
    for name, path in MODULES.items():
        relative = path.relative_to(layout.PACKAGE)
        if path.name == "__init__.py" or not _has_logic(path) or _own_tests(relative):
            continue
        home = HOMES.get(str(relative))
        if home is None or not _imports(PROJECT / home, name):
            missing.append(str(relative))
    assert missing == []


def test_each_home_is_still_needed() -> None:
    """A module that gets a test file of its own leaves HOMES."""
    assert [m for m in HOMES if _own_tests(Path(m))] == []


# Suites that cross the parts, kept at the top of tests/unit/.
ACROSS = {"test_hostile", "test_injection", "test_credentials", "test_packaging", "test_repository"}


def test_unit_tests_live_in_the_folder_of_their_part() -> None:
    found = layout.parts()
    folders = {p.name for p in UNIT.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders <= {name for name, path in found.items() if path.is_dir()}
    top_modules = {name for name, path in found.items() if path.is_file()}
    strays = [
        p.name
        for p in UNIT.glob("test_*.py")
        if p.stem not in ACROSS and p.stem.removeprefix("test_").split("_")[0] not in top_modules
    ]
    assert strays == []
