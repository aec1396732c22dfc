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
