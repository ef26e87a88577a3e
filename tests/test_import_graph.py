"""The library's import graph has no cycle, counting imports inside functions too (they only
hide a cycle, they do not remove it), and the library never imports a stage."""

import ast

from conftest import ROOT

LIB = ROOT / "colorization"


def imports_of(path) -> set:
    """The library modules a file imports, at any depth of the file."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                out.add(node.module.split(".")[0])
            elif node.level == 1:
                out.update(a.name for a in node.names)
            elif node.module and node.module.startswith("colorization."):
                out.add(node.module.split(".")[1])
            elif node.module and node.module.startswith("stages"):
                out.add("stages")
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("colorization."))
            out.update("stages" for a in node.names if a.name.startswith("stages"))
    return out


def graph() -> dict:
    modules = {p.stem: p for p in LIB.glob("*.py")}
    return {m: {i for i in imports_of(p) if i in modules or i == "stages"} - {m} for m, p in modules.items()}


def test_the_library_imports_no_stage():
    assert not [m for m, deps in graph().items() if "stages" in deps]


def test_the_library_has_no_import_cycle():
    g = graph()
    state, cycles = {}, []

    def visit(m, path):
        state[m] = "open"
        for d in sorted(g.get(m, ())):
            if state.get(d) == "open":
                cycles.append(path[path.index(d):] + [d] if d in path else [m, d])
            elif d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in sorted(g):
        if m not in state:
            visit(m, [m])
    assert not cycles, f"import cycles: {cycles}"


def test_the_graph_sees_imports_inside_functions():
    assert "checkpoint" in graph()["training"] and "training" in graph()["signatures"]


def test_the_package_docstring_names_every_module():
    import colorization

    missing = [p.stem for p in LIB.glob("*.py") if not p.stem.startswith("_") and f"``{p.stem}``"
               not in colorization.__doc__]
    assert not missing, f"colorization/__init__.py does not name: {missing}"
