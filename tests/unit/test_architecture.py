"""The shape of the code: packages point one way, no import cycles, no lazy attributes, small modules.

The sources are parsed, never imported, so every import counts: module-level, inside functions and
under ``if TYPE_CHECKING:``, since each of those can hide a cycle that a plain import would reveal.
"""

from __future__ import annotations

import ast
import itertools
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[2]
# The project's own top-level packages and modules, as pyproject.toml ships them; tests/ and bench/ are clients.
_SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
SHIPPED = tuple(sorted({*_SETUPTOOLS.get("packages", []), *_SETUPTOOLS.get("py-modules", [])}))
# What each top-level package may import from the project besides itself: each layer only those below it.
# The CLI is two names (cli.py and its commands' package); the entry points reach the rest through `ledger`,
# and `ledger serve` starts the HTTP entry point.
ALLOWED = {
    "commands": set(),
    "projections": {"commands"},
    "ledger": {"commands", "projections"},
    "cli": {"ledger", "cli_commands"},
    "cli_commands": {"ledger", "cli", "http_api"},
    "http_api": {"ledger"},
}
LAYERED = tuple(sorted({*ALLOWED, *SHIPPED}))
MAX_MODULE_LINES = 300
SIZED = (*LAYERED, "bench")


@dataclass(frozen=True)
class Import:
    """One import statement of a project module, resolved to the absolute name it imports."""

    source: str
    path: Path
    line: int
    target: str

    def where(self) -> str:
        """Say where the import is and what it imports, for failure messages."""
        return f"{self.path.relative_to(ROOT)}:{self.line} imports {self.target}"


def module_files(tops: tuple[str, ...]) -> dict[str, Path]:
    """Map each dotted module name under the given top-level names to its source file."""
    modules: dict[str, Path] = {}
    for name in tops:
        if (ROOT / f"{name}.py").is_file():
            modules[name] = ROOT / f"{name}.py"
        if (ROOT / name / "__init__.py").is_file():
            for path in sorted((ROOT / name).rglob("*.py")):
                parts = path.relative_to(ROOT).with_suffix("").parts
                modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = module_files(LAYERED)


def resolve_from(module: str, node: ast.ImportFrom) -> str:
    """Return the absolute module named by a ``from ... import`` statement, relative levels resolved."""
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imported_names(module: str, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Yield (line, absolute name) for every import in the module, wherever it is written."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = resolve_from(module, node)
            for alias in node.names:
                # `from package import name` imports the submodule when there is one, else the package.
                submodule = f"{base}.{alias.name}" if base else alias.name
                yield node.lineno, submodule if submodule in MODULES else base
        elif isinstance(node, ast.Call) and is_dynamic_import(node):
            yield node.lineno, node.args[0].value  # type: ignore[attr-defined]


def is_dynamic_import(call: ast.Call) -> bool:
    """Tell whether a call is ``importlib.import_module("...")`` or ``__import__("...")`` with a literal name."""
    function = call.func
    named = (isinstance(function, ast.Attribute) and function.attr == "import_module") or (
        isinstance(function, ast.Name) and function.id in ("import_module", "__import__")
    )
    return named and bool(call.args) and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)


def project_target(name: str) -> str | None:
    """Return the project module an imported name refers to (the longest known prefix), or None if foreign."""
    parts = name.split(".")
    if parts[0] not in LAYERED:
        return None
    while len(parts) > 1 and ".".join(parts) not in MODULES:
        parts.pop()
    return ".".join(parts)


def project_imports() -> list[Import]:
    """Parse every project module and return its imports of other project modules."""
    found: dict[Import, None] = {}  # ordered and without the repeats of `from x import a, b`
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, name in imported_names(module, tree):
            target = project_target(name)
            if target is not None and target != module:
                found[Import(module, path, line, target)] = None
    return list(found)


IMPORTS = project_imports()


def top(module: str) -> str:
    """Return the top-level package of a dotted module name."""
    return module.split(".")[0]


def test_every_shipped_package_has_a_layer():
    assert not set(SHIPPED) - set(ALLOWED), f"give {sorted(set(SHIPPED) - set(ALLOWED))} a place in ALLOWED"


def test_the_walk_sees_every_layer_and_their_imports():
    assert {"cli", "ledger", "ledger.application", "commands.events", "projections.registry"} <= set(MODULES)
    edges = {(i.source, i.target) for i in IMPORTS}
    assert any(source == "cli" and top(target) == "ledger" for source, target in edges)
    assert ("ledger", "ledger.application") in edges


def test_relative_imports_resolve_against_the_importing_package():
    statement = ast.parse("from ..storage import store\nfrom . import chain\n").body
    assert isinstance(statement[0], ast.ImportFrom) and isinstance(statement[1], ast.ImportFrom)
    assert resolve_from("ledger.audit.verify", statement[0]) == "ledger.storage"
    assert resolve_from("ledger.audit.verify", statement[1]) == "ledger.audit"
    assert resolve_from("ledger.audit", statement[1]) == "ledger.audit"


def test_imports_under_type_checking_and_in_functions_are_counted():
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\ndef f():\n    from b import c\n"
    assert [name for _, name in imported_names("cli", ast.parse(source))] == ["typing", "a", "b"]


def test_each_package_imports_only_the_layers_below_it():
    violations = [
        f"{i.where()}: {top(i.source)} may import only {sorted(ALLOWED[top(i.source)]) or 'nothing'} of the project"
        for i in IMPORTS
        if top(i.target) != top(i.source) and top(i.target) not in ALLOWED[top(i.source)]
    ]
    assert not violations, "imports of a higher or sibling layer:\n" + "\n".join(violations)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the groups of modules that import each other, directly or through others (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def shortest_cycle(start: str, group: list[str], graph: dict[str, set[str]]) -> list[str]:
    """Return one shortest import cycle through a module of a group, in import order, first module repeated."""
    members = set(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph[node] & members):
                if successor == start:
                    return [*paths[node], start]
                if successor not in paths:
                    paths[successor] = [*paths[node], successor]
                    following.append(successor)
        frontier = following
    raise AssertionError(f"no cycle through {start} in {group}")


def cycles_of(group: list[str], graph: dict[str, set[str]]) -> list[list[str]]:
    """Return a shortest cycle through each module of a group, each distinct cycle once."""
    distinct: dict[frozenset[tuple[str, str]], list[str]] = {}
    for start in group:
        cycle = shortest_cycle(start, group, graph)
        distinct.setdefault(frozenset(itertools.pairwise(cycle)), cycle)
    return list(distinct.values())


def describe_cycle(cycle: list[str]) -> str:
    """Spell out a cycle with the file and line of each import that closes it."""
    steps = []
    for source, target in itertools.pairwise(cycle):
        step = next(i for i in IMPORTS if i.source == source and i.target == target)
        steps.append(f"  {step.where()}")
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


def test_modules_import_each_other_without_cycles():
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for i in IMPORTS:
        graph[i.source].add(i.target)
    cycles = [
        f"modules {', '.join(group)} import each other:\n" + "\n".join(describe_cycle(cycle) for cycle in cycles_of(group, graph))
        for group in strongly_connected(graph)
    ]
    assert not cycles, "import cycles (TYPE_CHECKING and function-level imports count):\n" + "\n".join(cycles)


def test_cycle_finder_reports_the_modules_of_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    groups = strongly_connected(graph)
    assert groups == [["a", "b", "c"]]
    assert cycles_of(groups[0], graph) == [["a", "b", "c", "a"]]
    assert cycles_of(["a", "b", "c"], {"a": {"b", "c"}, "b": {"a"}, "c": {"a"}}) == [["a", "b", "a"], ["c", "a", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def module_level_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Yield the statements that run at import time, including those inside module-level if/try/with blocks."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from module_level_statements(getattr(statement, field, []))
        for handler in getattr(statement, "handlers", []):
            yield from module_level_statements(handler.body)


def lazy_getattr_lines(tree: ast.Module) -> list[int]:
    """Return the lines where a module defines ``__getattr__`` for itself (PEP 562), which can hide an import."""
    return [
        statement.lineno
        for statement in module_level_statements(tree.body)
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and statement.name == "__getattr__"
    ]


def test_a_lazy_getattr_is_found_at_module_level_only():
    source = "class A:\n    def __getattr__(self, n): ...\ntry:\n    pass\nexcept ImportError:\n    def __getattr__(n): ...\n"
    assert lazy_getattr_lines(ast.parse(source)) == [6]


def test_no_module_defines_a_lazy_getattr():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} defines a module-level __getattr__"
        for path in MODULES.values()
        for line in lazy_getattr_lines(ast.parse(path.read_text()))
    ]
    assert not offenders, "lazy module attributes hide imports:\n" + "\n".join(offenders)


def test_project_modules_stay_small():
    offenders = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in module_files(SIZED).values()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not offenders, f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(offenders)
