"""The import rules of docs/architecture.md, checked on every module of src/multiclass with `ast`.

Each module belongs to a layer (its package, or the ground); a layer may import only the layers `ALLOWED` names
below it. Besides: no import cycle; no `_private` name imported from another module (a package may share its
private *modules* inside itself); no ``from multiclass import X`` inside the package (the face is for users);
only `jobs/` chooses how work runs (streamed or distributed). The checker is tested on a small fake package with
one violation of each rule, so a rule that silently stops firing fails too.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"

GROUND = {"_version", "exceptions", "lazy", "atomic", "native", "classes", "functional", "models", "devices",
          "distributed", "launch", "language", "membudget", "modelfile", "modelschema", "savedstate", "safetext",
          "skew"}
# layer -> the layers it may import (every layer may import itself and the ground).
ALLOWED = {
    "ground": set(),
    "data": set(),
    "metrics": set(),
    "engine": set(),
    "decisions": {"metrics", "conformal"},
    "conformal": {"metrics"},
    "training": {"data", "metrics", "engine"},
    "predictions": {"data"},
    "runtime": {"data", "decisions", "conformal"},
    "export": {"runtime"},
    "serve": {"runtime", "export", "conformal"},
    "sweep": {"metrics", "engine", "training"},
    "trained": {"decisions", "conformal", "training"},
    "report": {"metrics", "decisions", "conformal"},
    "persistence": {"data", "decisions", "conformal", "trained", "training", "runtime"},
    "jobs": {"data", "metrics", "engine", "decisions", "conformal", "training", "predictions", "sweep", "trained",
             "report", "persistence", "runtime", "export", "audit"},
    "audit": {"data", "metrics", "training", "sweep", "report"},
    "estimator": {"data", "decisions", "conformal", "metrics", "training", "trained", "jobs"},
    "cli": {"data", "decisions", "conformal", "engine", "metrics", "training", "sweep", "trained", "report",
            "persistence", "jobs", "predictions", "runtime", "export", "serve", "audit"},
    "face": set(),
    "main": {"cli"},
}
# Names that choose how work runs: streamed or in memory, one process or many. Only jobs/ may import them.
MODE_CHOOSERS = {"should_stream", "distributed_env", "init_distributed", "wants_stream"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str, package: str) -> str:
    parts = module.split(".")
    if module == package:
        return "face"
    first = parts[1]
    if first == "__main__":
        return "main"
    return "ground" if first in GROUND else first


def imports_of(path: Path, module: str, is_package: bool):
    """(imported module, names, line) for every import statement of the file, wherever it stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target, [alias.name for alias in node.names], node.lineno


def graph(root: Path, package: str):
    """Every module of `package` under `root`, and its imports of modules of the package."""
    modules, edges = {}, defaultdict(list)
    for path in sorted((root / package).rglob("*.py")):
        name = module_name(path, root)
        modules[name] = path
    for name, path in modules.items():
        for target, names, line in imports_of(path, name, path.name == "__init__.py"):
            if target != package and not target.startswith(package + "."):
                continue
            # `from pkg import sub` imports the module pkg.sub when it exists (pkg only runs first)
            pointed = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            depends = pointed if names and len(pointed) == len(names) else [target, *pointed]
            edges[name].append((target, names, line, depends))
    return modules, edges


def violations(root: Path, package: str = "multiclass") -> dict[str, list[str]]:
    modules, edges = graph(root, package)
    found: dict[str, list[str]] = defaultdict(list)
    for module, entries in edges.items():
        layer = layer_of(module, package)
        where = f"{modules[module].relative_to(root)}"
        for target, names, line, depends in entries:
            for imported in depends:
                if imported not in modules:
                    continue
                other = layer_of(imported, package)
                if other not in (layer, "ground") and other not in ALLOWED[layer] and layer not in ("face", "main"):
                    found["layers"].append(f"{where}:{line}: {layer} imports {imported} ({other})")
            if target == package and layer not in ("face", "main"):
                found["face"].append(f"{where}:{line}: from {package} import {', '.join(names)}")
            for name in names:
                private = name.startswith("_") and not name.startswith("__")
                own_submodule = f"{target}.{name}" in modules and module.startswith(target + ".")
                if private and not own_submodule and target != module:
                    found["private"].append(f"{where}:{line}: imports {name} from {target}")
                defining = target.rsplit(".", 1)[0] if target.endswith(".__init__") else target
                if name in MODE_CHOOSERS and layer != "jobs" and not module.startswith(defining.rsplit(".", 1)[0]):
                    found["mode"].append(f"{where}:{line}: {layer} imports {name}")
    found["cycles"] = [" -> ".join(cycle) for cycle in _cycles(modules, edges)]
    return found


def _cycles(modules, edges) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    targets = {m: sorted({t for _, _, _, depends in edges.get(m, ()) for t in depends if t in modules and t != m})
               for m in modules}
    index, low, stack, on_stack, result = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in targets[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return result


@pytest.fixture(scope="module")
def found():
    return violations(SOURCE)


@pytest.mark.parametrize("rule", ["layers", "cycles", "private", "face", "mode"])
def test_the_package_keeps_the_rule(found, rule):
    assert not found[rule], "\n".join(found[rule])


def test_the_checker_finds_one_violation_of_each_rule(tmp_path):
    package = tmp_path / "demo"
    files = {
        "__init__.py": "",
        "exceptions.py": "",
        "metrics/__init__.py": "",
        "metrics/score.py": "from demo.training.loop import fit\n",  # layers: metrics may not import training
        "training/__init__.py": "",
        "training/loop.py": "from demo.metrics import score\nfrom demo.data.stream import should_stream\n",  # mode
        "data/__init__.py": "",
        "data/stream.py": "def should_stream(path): ...\n",
        "data/table.py": "from demo.data.text import _tokens\nfrom demo import exceptions\n",  # private, face
        "data/text.py": "from demo.data.table import read\n_tokens = 1\n",
        "decisions/__init__.py": "",
        "decisions/cost.py": "from demo.decisions.offsets import x\n",  # cycle with offsets
        "decisions/offsets.py": "from demo.decisions.cost import y\n",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    found = violations(tmp_path, "demo")
    assert [v.split(": ", 1)[1] for v in found["layers"]] == ["metrics imports demo.training.loop (training)"]
    assert [v.split(": ", 1)[1] for v in found["private"]] == ["imports _tokens from demo.data.text"]
    assert [v.split(": ", 1)[1] for v in found["face"]] == ["from demo import exceptions"]
    assert [v.split(": ", 1)[1] for v in found["mode"]] == ["training imports should_stream"]
    assert sorted(found["cycles"]) == ["demo.data.table -> demo.data.text",
                                       "demo.decisions.cost -> demo.decisions.offsets",
                                       "demo.metrics.score -> demo.training.loop"]
