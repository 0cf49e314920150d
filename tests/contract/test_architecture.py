"""The package's layers, read from its source: imports run one way and every piece stays readable.

The library (everything but `dynamo_container/tasks/`) never imports the task layer or invoke, no
two modules import each other (directly or round a loop), and no module or function outgrows one read.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.helpers import PROJECT

PACKAGE = PROJECT / "dynamo_container"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _absolute(importer: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str) -> set[str]:
    """Every module `name` imports, at any depth of its code (deferred imports count too)."""
    path = MODULES[name]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(name, path, node)
            submodules = {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES}
            found.update(submodules)
            if len(submodules) < len(node.names):  # names from the module itself
                found.add(target)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def _is_task_layer(name: str) -> bool:
    return name == "dynamo_container.tasks" or name.startswith("dynamo_container.tasks.")


def test_the_library_never_imports_the_task_layer_or_invoke() -> None:
    offenders = {
        name: sorted(d for d in deps if _is_task_layer(d) or d == "invoke" or d.startswith("invoke."))
        for name, deps in GRAPH.items()
        if not _is_task_layer(name)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str]:
    """A path of imports from `start` back to itself, or [] (depth-first)."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in graph[node]:
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return []


def test_no_import_cycles() -> None:
    graph = {name: {d for d in deps if d in MODULES and d != name} for name, deps in GRAPH.items()}
    cycles = [c for name in graph if (c := _cycle_from(name, graph))]
    assert cycles == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle_from("a", {"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle_from("a", {"a": {"b"}, "b": set()}) == []


def test_modules_and_functions_fit_one_read() -> None:
    too_long = []
    for name, path in MODULES.items():
        text = path.read_text()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}.{node.name}: {length} lines")
    assert too_long == []


# What starts a process or talks to the engine: these modules, and these functions of `os`.
PROCESS_MODULES = ("subprocess", "multiprocessing", "docker", "pty")
PROCESS_CALLS = re.compile(r"system|popen|exec.*|spawn.*|fork.*|posix_spawn.*")


def _starts_processes(name: str) -> list[str]:
    """Why module `name` may start a process: the process modules it imports, the os calls it makes."""
    why = sorted(d for d in GRAPH[name] if d.split(".")[0] in PROCESS_MODULES)
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            if PROCESS_CALLS.fullmatch(node.attr):
                why.append(f"os.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            why += [f"os.{a.name}" for a in node.names if PROCESS_CALLS.fullmatch(a.name)]
    return why


def _reached(start: str) -> set[str]:
    """Every module of the package `start` imports, directly or through others (deferred ones too)."""
    seen, todo = {start}, [start]
    while todo:
        for dep in GRAPH[todo.pop()]:
            if dep in MODULES and dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def test_planners_import_nothing_that_starts_a_process() -> None:
    """plan/ is pure: its modules reach no module that runs git, docker or any other program."""
    planners = [name for name in MODULES if name.startswith("dynamo_container.plan.")]
    assert len(planners) > 5  # the package's planners are all found
    offenders = {
        planner: {m: why for m in sorted(_reached(planner)) if (why := _starts_processes(m))}
        for planner in planners
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_process_finder_finds_what_starts_processes() -> None:
    assert _starts_processes("dynamo_container.buildcontext.git") == ["subprocess"]
    assert "subprocess" in _starts_processes("dynamo_container.docker.engine")
    assert _starts_processes("dynamo_container.model.version") == []
    # the pipeline reaches git (resolve/checkout.py reads the checkout's facts), the planners do not
    assert "dynamo_container.buildcontext.git" in _reached("dynamo_container.pipeline")
