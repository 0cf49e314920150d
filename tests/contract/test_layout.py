"""The layout holds: every import follows the layer map, every part says what it owns, and the maps in
README.md and docs/architecture.md are the ones the docstrings make."""

from __future__ import annotations

from tests.contract import layout
from tests.contract.test_architecture import GRAPH, MODULES

# Imports the map forbids that are still in the code, each with the work that removes it. The test
# below fails once one of them is gone, so the list cannot outlive its reason.
KNOWN = {
    ("dynamo_container.buildcontext.context", "dynamo_container.config"): "the Config read once (issue 23)",
    ("dynamo_container.plan.model", "dynamo_container.buildcontext.git"): "planners pure (issue 23)",
}


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
    assert violations(GRAPH) - set(KNOWN) == set()


def test_each_known_exception_still_exists() -> None:
    assert set(KNOWN) - violations(GRAPH) == set()


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
