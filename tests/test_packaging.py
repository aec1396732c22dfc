"""environment.yml must say what pyproject.toml says, and the layout must be complete."""

from __future__ import annotations

import re
import tomllib

import yaml

from pmo_nb.config import project_root

ROOT = project_root()


def _normalise(requirement: str) -> tuple[str, str]:
    """('psycopg', '>=3.1') from 'psycopg[binary]>=3.1' or 'psycopg >=3.1'."""
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)", requirement)
    name = match.group(1).lower().replace("_", "-")
    spec = ",".join(sorted(s.strip() for s in match.group(3).split(",") if s.strip()))
    return name, spec


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = project["dependencies"] + extras["test"] + extras["bench"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in conda
    conda = [d for d in conda if not d.startswith(("python=", "pip"))]
    assert sorted(map(_normalise, conda)) == sorted(map(_normalise, wanted))


def test_top_level_layout_exists():
    for name in ("notebooks", "pmo_nb", "templates", "tests", "bench", "environment.yml",
                 "pyproject.toml", "Makefile", "README.md", ".ci/run"):
        assert (ROOT / name).exists(), name


def test_readme_opens_with_the_two_setup_commands():
    head = (ROOT / "README.md").read_text().split("\n## ")[0]
    assert "make demo" in head and "make test" in head
