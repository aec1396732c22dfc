"""The Voila command line and environment that ``pmo serve`` uses (no server started)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pmo_nb.apps.serve import dashboard_url, voila_command, voila_env
from pmo_nb.config import dashboards_dir, templates_dir


def test_command_serves_only_dashboards_with_safe_defaults():
    argv = voila_command(port=9001)
    assert argv[:4] == [sys.executable, "-m", "voila", str(dashboards_dir())]
    for option in ("--port=9001", "--no-browser", "--Voila.ip=127.0.0.1",
                   "--strip_sources=True", "--show_tracebacks=False", "--template=pmo"):
        assert option in argv
    assert not any(a.startswith("--Voila.token") for a in argv)
    assert "--Voila.token=s3cret" in voila_command(token="s3cret")
    assert "--Voila.ip=0.0.0.0" in voila_command(host="0.0.0.0")


def test_command_rejects_bad_ports():
    with pytest.raises(ValueError, match="port"):
        voila_command(port=70000)


def test_environment_names_the_store_and_isolates_jupyter_config(tmp_path, monkeypatch):
    monkeypatch.setenv("PMO_RENDER", "static")
    monkeypatch.setenv("JUPYTER_PATH", "/elsewhere")
    env = voila_env(tmp_path / "p.db", config_dir=tmp_path / "cfg")
    assert env["PMO_DB"] == f"sqlite:///file:{(tmp_path / 'p.db').resolve()}?mode=ro&uri=true"
    assert env["JUPYTER_CONFIG_DIR"] == str(tmp_path / "cfg")
    assert env["JUPYTER_PATH"].split(":") == [str(templates_dir()), "/elsewhere"]
    assert "PMO_RENDER" not in env
    assert (templates_dir() / "voila" / "templates" / "pmo" / "index.html.j2").is_file()
    made = Path(voila_env("x.db")["JUPYTER_CONFIG_DIR"])
    assert made.is_dir() and list(made.iterdir()) == []
    made.rmdir()


def test_voila_template_drops_every_cdn_link():
    template = templates_dir() / "voila" / "templates" / "pmo"
    page = (template / "page.html").read_text()
    assert "https://" not in page
    index = (template / "index.html.j2").read_text()
    assert index.count("replace('<link rel=\"stylesheet\" href=\"https://cdn.jsdelivr.net") == 2


def test_dashboard_url():
    assert dashboard_url(8866) == "http://127.0.0.1:8866/voila/render/executive.ipynb"
    assert dashboard_url(8866, name="intake").endswith("/voila/render/intake.ipynb")
    assert dashboard_url(1, token="t").endswith("?token=t")
