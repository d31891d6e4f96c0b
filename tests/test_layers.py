"""The package's layers: every import under src/mlgate goes down, never up, never round.

The order is written once, here. A module may import from its own package and from the
rows below its own; packages in one row are peers and import none of each other. Lazy
imports inside functions count too: a circle that only closes at run time is a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "mlgate"

# lowest first
LAYERS: list[tuple[str, ...]] = [
    ("errors", "__init__"),
    ("plumbing",),
    ("config",),
    ("registry",),
    ("evaluation",),
    ("gates",),
    ("monitor",),
    ("promote", "pullrequest", "audit", "deploy", "adopt"),
    ("render",),
    ("commands",),
    ("cli",),
    ("__main__",),
]
RANK = {name: i for i, row in enumerate(LAYERS) for name in row}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The mlgate modules ``path`` imports (a name imported from a package counts as the
    submodule when there is one)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("mlgate"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "mlgate":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return {m for m in found if m != "mlgate"}


FILES = sorted(SRC.rglob("*.py"))
MODULES = {module_name(p): p for p in FILES}


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_package_has_a_layer() -> None:
    packages = {top(m) for m in MODULES}
    assert packages - set(RANK) == set(), "add the new package to LAYERS"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down(module: str) -> None:
    own = top(module)
    upward = []
    for target in sorted(imports(MODULES[module])):
        other = top(target)
        if other == own:
            continue
        if RANK[other] >= RANK[own]:
            upward.append(f"{target} ({'a peer' if RANK[other] == RANK[own] else 'above'})")
    assert upward == [], f"{module} imports upward or sideways: {', '.join(upward)}"


def test_no_import_circles() -> None:
    graph = {m: {t for t in imports(p) if t in MODULES} for m, p in MODULES.items()}
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> None:
        if node in path:
            circle = [*path[path.index(node):], node]
            raise AssertionError("import circle: " + " -> ".join(circle))
        if node in done:
            return
        path.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        path.pop()
        done.add(node)

    for module in sorted(graph):
        visit(module)


def test_commands_import_no_other_command() -> None:
    for path in (SRC / "commands").glob("*.py"):
        own = module_name(path)
        others = {t for t in imports(path)
                  if t.startswith("mlgate.commands.") and t != own}
        assert others == set(), f"{own} imports {others}"


def test_no_two_modules_share_a_name() -> None:
    """A name says where to look: one module per name (packages and the command of the same
    verb aside, as `mlgate.audit` and `mlgate.commands.audit`)."""
    seen: dict[str, str] = {}
    for module, path in MODULES.items():
        if path.name == "__init__.py" or module.count(".") < 1:
            continue
        leaf = module.rsplit(".", 1)[1]
        assert leaf not in seen, f"{seen[leaf]} and {module} share the name {leaf!r}"
        seen[leaf] = module


def test_no_two_classes_share_a_name() -> None:
    seen: dict[str, str] = {}
    for module, path in MODULES.items():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                assert node.name not in seen, \
                    f"{seen[node.name]} and {module} both define a class {node.name}"
                seen[node.name] = module
