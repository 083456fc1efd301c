"""Product packages hold product code: they import only each other, the standard library and
the dependencies pyproject.toml declares (not the dev group, not tests/ or tools/)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PRODUCT = [*PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"], "superset_assets"]


def _dist(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_product_packages_import_only_declared_dependencies() -> None:
    declared = {_dist(r) for r in PYPROJECT["project"]["dependencies"]}
    dists = packages_distributions()
    wrong = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            for module in _imports(path):
                if module in sys.stdlib_module_names or module in PRODUCT or module == "__future__":
                    continue
                owners = {d.lower().replace("_", "-") for d in dists.get(module, [])}
                if module in ("tests", "tools") or not owners & declared:
                    wrong.append(f"{path.relative_to(ROOT)}: {module} ({', '.join(sorted(owners)) or 'not installed'})")
    assert wrong == []
