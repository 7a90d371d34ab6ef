"""The architecture page is a rule: layers import only downward, errors have one root.

The layer table is read from ``docs/architecture.md`` itself, so the picture there and
the imports here cannot drift apart.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import seawitness
from seawitness.errors import SeawitnessError, SeawitnessWarning

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "seawitness"
DOC = ROOT / "docs" / "architecture.md"

#: Third-party packages only some layers may use.
ONLY_IN = {
    "click": {"cli"},
    "rich": {"cli"},
    "fastapi": {"api", "web", "app"},
    "starlette": {"api", "web", "app"},
    "uvicorn": {"cli"},
}


def layers_from_doc(text: str) -> dict[str, int]:
    """``package → layer`` from the rows ``| n | `a`, `b` | ... |`` of the layer table."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|([^|]*)\|", line)
        if m:
            for name in re.findall(r"`([^`]+)`", m.group(2)):
                out[name] = int(m.group(1))
    return out


def unit_of(module: str) -> str:
    """The layer unit of a module: its first package under ``seawitness``, or the root
    module's own name (``seawitness.app`` → ``app``, ``seawitness`` → ``__init__``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import in a file, lazy ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            if target == "seawitness":  # from seawitness import x: x may be a package
                for alias in node.names:
                    yield node.lineno, f"seawitness.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def module_files(src: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if "migrations" in parts:
            continue  # Alembic's own files, loaded by Alembic
        yield path, ".".join(parts)


def violations(src: Path, layers: dict[str, int]) -> list[str]:
    """Every import that goes up or sideways, or uses a library outside its layers."""
    found = []
    for path, module in module_files(src):
        unit = unit_of(module)
        if unit not in layers:
            found.append(f"{path.relative_to(src.parent)}: {unit!r} is in no layer of the table")
            continue
        for line, target in imports_of(path, module):
            where = f"{path.relative_to(src.parent)}:{line}"
            top = target.split(".")[0]
            if top in ONLY_IN and unit not in ONLY_IN[top]:
                found.append(f"{where}: {unit} imports {top} (only {sorted(ONLY_IN[top])})")
            if top != "seawitness" or target == "seawitness":
                continue
            other = unit_of(target)
            if other == unit:
                continue
            if other not in layers:
                continue  # a name imported from the root package, e.g. __version__
            if layers[other] >= layers[unit]:
                found.append(
                    f"{where}: {unit} (layer {layers[unit]}) imports {target} "
                    f"(layer {layers[other]})"
                )
    return found


def test_no_layer_imports_upward() -> None:
    layers = layers_from_doc(DOC.read_text(encoding="utf-8"))
    assert {"model", "tlog", "store", "service", "cli"} <= set(layers)
    assert violations(SRC, layers) == []


def test_the_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    """The rule is real: a model module that imports the store, or analysis that imports
    click, is reported with its file and line."""
    pkg = tmp_path / "seawitness"
    for sub in ("model", "store", "analysis"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "model" / "bad.py").write_text("import os\nfrom seawitness.store import db\n")
    (pkg / "analysis" / "loud.py").write_text("import click\n")
    (pkg / "store" / "ok.py").write_text("from seawitness.model import bad\n")
    found = violations(pkg, {"__init__": 0, "model": 1, "store": 4, "analysis": 6})
    assert found == [
        "seawitness/analysis/loud.py:1: analysis imports click (only ['cli'])",
        "seawitness/model/bad.py:2: model (layer 1) imports seawitness.store (layer 4)",
    ]


def test_no_import_error_fallbacks_around_our_modules() -> None:
    """A missing module of ours is a bug to see, not a feature to skip quietly."""
    bad = []
    for path, _module in module_files(SRC):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Try):
                continue
            catches = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
            if not catches & {"ImportError", "ModuleNotFoundError"}:
                continue
            for stmt in ast.walk(ast.Module(body=node.body, type_ignores=[])):
                ours = (
                    isinstance(stmt, ast.ImportFrom)
                    and (stmt.level > 0 or (stmt.module or "").startswith("seawitness"))
                ) or (
                    isinstance(stmt, ast.Import)
                    and any(a.name.startswith("seawitness") for a in stmt.names)
                )
                if ours:
                    bad.append(f"{path.relative_to(SRC.parent)}:{stmt.lineno}")
    assert bad == []


def all_modules() -> list[str]:
    names = ["seawitness"]
    for info in pkgutil.walk_packages(seawitness.__path__, "seawitness."):
        if ".migrations" not in info.name:
            names.append(info.name)
    return names


SUBPACKAGES = [
    f"seawitness.{info.name}" for info in pkgutil.iter_modules(seawitness.__path__) if info.ispkg
]


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_each_subpackage_states_its_public_names(name: str) -> None:
    mod = importlib.import_module(name)
    assert hasattr(mod, "__all__"), f"{name}/__init__.py has no __all__"
    for public in mod.__all__:
        assert hasattr(mod, public) or importlib.util.find_spec(f"{name}.{public}"), (
            f"{name}.__all__ names {public!r}, which it does not define"
        )


def test_every_exception_class_derives_from_the_root() -> None:
    strays = []
    for name in all_modules():
        mod = importlib.import_module(name)
        for attr, obj in vars(mod).items():
            if not (inspect.isclass(obj) and issubclass(obj, BaseException)):
                continue
            if obj.__module__ != name:
                continue  # imported here, checked where it is defined
            if issubclass(obj, Warning):
                if not issubclass(obj, SeawitnessWarning):
                    strays.append(f"{name}.{attr}")
            elif not issubclass(obj, SeawitnessError):
                strays.append(f"{name}.{attr}")
    assert strays == []
