"""The package, tests, benchmarks and notebooks pass ruff (configured in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pmo_nb.config import project_root


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[test]' brings it)")
    done = subprocess.run([ruff, "check", "pmo_nb", "tests", "bench", "notebooks", "dashboards"],
                          cwd=project_root(), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_heavy_files_run_first_and_still_exist():
    """A renamed heavy file would quietly go back to the end of the run."""
    from heavy_files import HEAVY_FIRST

    missing = [name for name in HEAVY_FIRST if not (project_root() / name).is_file()]
    assert not missing, f"tests/conftest.py HEAVY_FIRST names files that are gone: {missing}"
