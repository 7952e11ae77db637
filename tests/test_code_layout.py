"""The code's layout keeps rules where a newcomer looks for them: services never import
each other in a circle, and no module reaches into another's private (`_name`) parts.

Both are read from the source with `ast`, function-level imports included, so a lazy
import written to dodge a cycle is caught as well.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("services", "blueprints")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> set[str]:
    names = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {"tests", "migrations", "bench", "tools", ".venv", ".ci"}:
            continue
        if any(part.startswith(".") for part in relative.parts):
            continue
        names.add(_module_name(path))
    return names


PROJECT = _project_modules()


def _checked_files() -> list[Path]:
    return sorted(path for folder in CHECKED for path in (ROOT / folder).rglob("*.py"))


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _absolute(module: str, node: ast.ImportFrom) -> str:
    """The dotted module an ImportFrom reads from, relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if not (ROOT / Path(*package) / "__init__.py").exists():
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(path: Path):
    """(imported module, name or None, line) for every import in the file, at any depth;
    `from package import module` yields the module itself."""
    module = _module_name(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in PROJECT:
                    yield f"{source}.{alias.name}", None, node.lineno
                else:
                    yield source, alias.name, node.lineno


def _private_reaches(path: Path) -> list[str]:
    """Private names taken from another project module: imported by name, or read as
    an attribute of an imported project module (`tabs._close_tab`)."""
    module = _module_name(path)
    found = []
    for source, name, line in _imports(path):
        if source in PROJECT and source != module and name and _is_private(name):
            found.append(f"{path.relative_to(ROOT)}:{line} imports {name} from {source}")
    tree = ast.parse(path.read_text())
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in PROJECT:
                    aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in PROJECT and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and aliases.get(node.value.id, module) != module
            and _is_private(node.attr)
        ):
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            found.append(f"{where} reads {node.attr} from {aliases[node.value.id]}")
    return found


def _service_graph() -> dict[str, set[str]]:
    graph = {}
    for path in sorted((ROOT / "services").glob("*.py")):
        module = _module_name(path)
        graph[module] = {
            source
            for source, _name, _line in _imports(path)
            if source.startswith("services") and source in PROJECT and source != module
        }
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, done = [], set()

    def visit(node, trail):
        if node in trail:
            cycles.append(trail[trail.index(node) :] + [node])
            return
        if node in done:
            return
        for following in sorted(graph.get(node, ())):
            visit(following, trail + [node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    return cycles


def test_no_services_module_imports_another_in_a_circle():
    assert _cycles(_service_graph()) == []


def test_no_module_in_services_or_blueprints_takes_another_modules_private_names():
    found = [each for path in _checked_files() for each in _private_reaches(path)]
    assert found == []


def test_the_checks_see_a_cycle_and_a_private_import():
    """The checks above would pass vacuously if the parsing found nothing."""
    graph = _service_graph()
    assert {"services.tab_state", "services.tabs"} <= graph["services.payments"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _is_private("_touch_tab") and not _is_private("__all__")
