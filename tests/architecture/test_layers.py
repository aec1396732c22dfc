"""The package's shape: the one-way flow, package roots, lazy imports only where they say why."""

from __future__ import annotations

import ast
import importlib
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pmo_nb
from pmo_nb.config import project_root

ROOT = project_root()
PACKAGE = ROOT / "pmo_nb"
DOMAINS = ["io", "store", "demo", "delivery", "benefits", "capacity", "risks", "forecast", "plans",
           "governance", "prioritise", "briefings", "reports", "apps", "charts"]


def _lint_imports() -> list[str]:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("lint-imports is missing: it is a test dependency (pip install -e '.[test]')")
    return [found]


def test_the_import_contracts_in_pyproject_hold():
    run = subprocess.run(_lint_imports(), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout
    for contract in ("base -> io -> store", "Only the store knows SQL", "Only charts know Altair",
                     "Only apps know widgets", "Only the report runner knows papermill"):
        assert f"{contract}" in run.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    """The contract is not decorative: a domain importing the report runner fails it."""
    copy = tmp_path / "tree"
    shutil.copytree(PACKAGE, copy / "pmo_nb", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    target = copy / "pmo_nb" / "delivery" / "evm.py"
    target.write_text(target.read_text() + "\nfrom pmo_nb.reports.runner import record  # noqa\n")
    env = {"PYTHONPATH": str(copy), "PATH": str(Path(sys.executable).parent)}
    run = subprocess.run(_lint_imports(), cwd=copy, capture_output=True, text=True, env=env,
                         timeout=300)
    assert run.returncode != 0
    assert "pmo_nb.delivery.evm -> pmo_nb.reports.runner" in run.stdout


def _function_level_imports():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = path.read_text()
        lines = source.splitlines()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node not in tree.body:
                text = "\n".join(lines[node.lineno - 1:node.end_lineno])
                yield f"{path.relative_to(ROOT)}:{node.lineno}", text


def test_function_level_imports_are_lazy_loads_that_say_so():
    unexplained = [where for where, text in _function_level_imports() if "# lazy" not in text]
    assert not unexplained, f"function-level imports without a '# lazy: why' comment: {unexplained}"


@pytest.mark.parametrize("name", DOMAINS)
def test_every_domain_package_names_its_public_api(name):
    package = importlib.import_module(f"pmo_nb.{name}")
    exported = getattr(package, "__all__", None)
    assert exported, f"pmo_nb.{name} has no __all__"
    for public in exported:
        assert getattr(package, public) is not None


def test_every_public_name_of_the_root_still_resolves():
    for name in pmo_nb.__all__:
        assert getattr(pmo_nb, name) is not None, name
    # names that are also packages keep working as the functions they were
    assert inspect.signature(pmo_nb.capacity) == inspect.signature(
        importlib.import_module("pmo_nb.capacity.demand").capacity)
    assert inspect.signature(pmo_nb.forecast) == inspect.signature(
        importlib.import_module("pmo_nb.forecast.forecasting").forecast)


def test_notebooks_and_dashboards_import_from_package_roots():
    import json

    deep = []
    for book in sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("dashboards/*.ipynb")]):
        for cell in json.loads(book.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            tree = ast.parse("".join(cell["source"]))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").count(".") > 1 \
                        and node.module.startswith("pmo_nb.") \
                        and not node.module.startswith(("pmo_nb.charts.", "pmo_nb.apps.")):
                    deep.append(f"{book.name}: from {node.module}")
    assert not deep, deep


def test_modules_stay_small():
    big = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
           if (n := len(p.read_text().splitlines())) > 450}
    assert not big, f"modules over 450 lines (split them along their seams): {big}"
