"""The Voila command line and environment that ``pmo serve`` uses (no server started)."""

from __future__ import annotations

import asyncio
import json
import shutil
import stat
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmo_nb.apps.foreground import exit_status
from pmo_nb.apps.serve import (
    IOPUB_WAIT_SECONDS,
    KERNEL_MANAGER,
    LATE_OUTPUT_MESSAGE,
    MAX_KERNELS,
    dashboard_url,
    executor_options,
    kernel_options,
    preheat_options,
    voila_command,
    voila_env,
)
from pmo_nb.apps.serve_auth import (
    ARGV_WARNING,
    TOKEN_ENV,
    check_bind,
    elide,
    resolve_token,
    write_log_config,
    write_token_config,
)
from pmo_nb.cli import main
from pmo_nb.config import dashboards_dir, templates_dir


def test_command_serves_only_dashboards_with_safe_defaults():
    argv = voila_command(port=9001)
    assert argv[:4] == [sys.executable, "-m", "voila", str(dashboards_dir())]
    for option in ("--port=9001", "--no-browser", "--Voila.ip=127.0.0.1",
                   "--strip_sources=True", "--show_tracebacks=False", "--template=pmo"):
        assert option in argv
    assert not any("token" in a.lower() for a in argv)  # argv is public: see serve_auth
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
    shared = tmp_path / "cfg" / "data"
    assert env["JUPYTER_PATH"].split(":") == [str(templates_dir()), str(shared), "/elsewhere"]
    # where Voila serves the pmo template's static files from, and the kernels write
    assert env["PMO_VEGA_STATIC_DIR"] == str(shared / "voila" / "templates" / "pmo" / "static")
    assert Path(env["PMO_VEGA_STATIC_DIR"]).is_dir()
    assert "PMO_RENDER" not in env
    assert (templates_dir() / "voila" / "templates" / "pmo" / "index.html.j2").is_file()
    made = Path(voila_env("x.db")["JUPYTER_CONFIG_DIR"])
    # no configuration in it: only the (empty) folder of shared static files
    assert made.is_dir() and [p.name for p in made.iterdir()] == ["data"]
    assert not [p for p in made.rglob("*") if p.is_file()]
    shutil.rmtree(made)


def test_environment_carries_the_refresh_interval(tmp_path, monkeypatch):
    monkeypatch.delenv("PMO_REFRESH_SECONDS", raising=False)
    assert "PMO_REFRESH_SECONDS" not in voila_env(tmp_path / "p.db", config_dir=tmp_path)
    assert voila_env(tmp_path / "p.db", tmp_path, refresh=1.5)["PMO_REFRESH_SECONDS"] == "1.5"
    assert voila_env(tmp_path / "p.db", tmp_path, refresh=0)["PMO_REFRESH_SECONDS"] == "0"
    with pytest.raises(ValueError, match="refresh interval must be a number of seconds"):
        voila_env(tmp_path / "p.db", tmp_path, refresh=-2)


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


def test_command_bounds_and_culls_kernels():
    argv = voila_command(max_kernels=5, cull_idle=60, cull_interval=10)
    assert f"--VoilaConfiguration.multi_kernel_manager_class={KERNEL_MANAGER}" in argv
    for option in ("--BoundedKernelManager.max_kernels=5",
                   "--BoundedKernelManager.cull_idle_timeout=60",
                   "--BoundedKernelManager.cull_interval=10",
                   "--BoundedKernelManager.cull_connected=False",
                   "--BoundedKernelManager.cull_busy=False"):
        assert option in argv
    assert f"--BoundedKernelManager.max_kernels={MAX_KERNELS}" in voila_command()
    with pytest.raises(ValueError, match="max_kernels"):
        kernel_options(max_kernels=0)


def test_voila_waits_for_late_output_and_says_busy_past_the_wait():
    import nbformat  # lazy: Voila's executor, only for this check
    from traitlets.config.loader import KVArgParseConfigLoader  # lazy: as above
    from voila.execute import VoilaExecutor  # lazy: as above

    options = [part for part in voila_command() if part.startswith("--VoilaExecutor.")]
    config = KVArgParseConfigLoader(argv=options).load_config()  # as Voila parses argv
    executor = VoilaExecutor(nbformat.v4.new_notebook(), config=config)
    assert executor.iopub_timeout == IOPUB_WAIT_SECONDS > 4  # nbclient's 4 s blanked pages
    assert executor.raise_on_iopub_timeout is True
    assert executor.cell_timeout_instruction == LATE_OUTPUT_MESSAGE
    with pytest.raises(ValueError, match="iopub_wait"):
        executor_options(iopub_wait=0)


def test_environment_never_carries_a_token(tmp_path, monkeypatch):
    for name in ("PMO_SERVE_TOKEN", "JUPYTER_TOKEN", "JUPYTER_TOKEN_FILE"):
        monkeypatch.setenv(name, "s3cret")
    env = voila_env(tmp_path / "p.db", config_dir=tmp_path)
    assert "s3cret" not in env.values()


def test_token_comes_from_flag_file_or_environment(tmp_path):
    assert resolve_token(environ={}) == (None, [])
    assert resolve_token(environ={TOKEN_ENV: " env-token \n"}) == ("env-token", [])
    path = tmp_path / "token"
    path.write_text("file-token\n")
    assert resolve_token(token_file=path, environ={TOKEN_ENV: "x"}) == ("file-token", [])
    assert resolve_token("flag", path, environ={}) == ("flag", [ARGV_WARNING])
    path.write_text("\n")
    with pytest.raises(ValueError, match="empty"):
        resolve_token(token_file=path, environ={})


def test_binding_beyond_loopback_needs_a_token_or_insecure():
    for host in ("127.0.0.1", "localhost", "::1"):
        check_bind(host, None)
    check_bind("0.0.0.0", "t")
    check_bind("0.0.0.0", None, insecure=True)
    with pytest.raises(ValueError, match="without a token"):
        check_bind("0.0.0.0", None)


def test_cli_refuses_public_bind_without_token(monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to bind 0.0.0.0 without a token" in result.output


def test_printed_token_is_elided():
    assert elide(None) is None
    assert elide("abcdefghijklmnopqrstuvwxyz") == "abcd…"
    assert elide("short") == "…"


def test_token_config_is_private(tmp_path):
    path = write_token_config(tmp_path, "s3cret")
    assert json.loads(path.read_text()) == {"Voila": {"token": "s3cret"}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_exit_status_of_a_signalled_child():
    assert exit_status(0) == 0
    assert exit_status(3) == 3
    assert exit_status(-15) == 143


def test_request_log_config_scrubs_tokens(tmp_path):
    text = write_log_config(tmp_path).read_text()
    assert "jupyter_server.log import log_request" in text
    assert "c.Voila.tornado_settings" in text


def test_kernel_manager_refuses_above_its_maximum_without_starting_one():
    from tornado.web import HTTPError

    from pmo_nb.apps.kernels import BUSY_REASON, BoundedKernelManager

    manager = BoundedKernelManager(max_kernels=2)
    manager._reserved.update({"a", "b"})  # two kernels being started
    assert manager.kernel_count() == 2
    with pytest.raises(HTTPError) as refused:
        # in a thread of its own: an earlier test may leave this thread's event loop running
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, manager.start_kernel(kernel_name="python3")).result()
    assert refused.value.status_code == 503 and refused.value.reason == BUSY_REASON
    assert manager.kernel_count() == 2


def test_executive_dashboard_alone_is_preheated_within_the_kernel_limit():
    from traitlets.config.loader import KVArgParseConfigLoader  # lazy: as Voila parses argv
    from voila.configuration import VoilaConfiguration  # lazy: Voila, only for this check
    from voila.voila_kernel_manager import voila_kernel_manager_factory  # lazy: as above

    from pmo_nb.apps.kernels import BoundedKernelManager

    argv = voila_command(max_kernels=5)
    config = KVArgParseConfigLoader(argv=[a for a in argv if a.startswith("--Voila")]
                                    ).load_config()
    assert VoilaConfiguration(config=config).preheat_kernel is True
    manager = voila_kernel_manager_factory(BoundedKernelManager, True, 1)
    pools = manager.class_traits()["kernel_pools_config"]
    loaded = config.VoilaKernelManager.kernel_pools_config.get_value(pools)
    assert loaded == {"default": {"pool_size": 0}, "executive.ipynb": {"pool_size": 1}}
    assert preheat_options(preheat=3, max_kernels=2) == preheat_options(preheat=1)  # one kept
    assert preheat_options(preheat=1, max_kernels=1) == []  # the only kernel is the viewer's
    assert preheat_options(preheat=0) == []
    assert not any("preheat" in a for a in voila_command(preheat=0))
    with pytest.raises(ValueError, match="preheat"):
        preheat_options(preheat=-1)


def test_serve_passes_preheat_and_the_shared_folder_to_voila(tmp_path, monkeypatch):
    import pmo_nb.apps.serve as serve_module

    seen = []
    monkeypatch.setattr(serve_module, "run_foreground",
                        lambda argv, env: seen.append((argv, dict(env))) or 0)
    assert serve_module.serve(db=tmp_path / "p.db", preheat=0) == 0
    assert serve_module.serve(db=tmp_path / "p.db", preheat=2) == 0
    (off, _), (on, env) = seen
    assert not any("preheat" in part for part in off)  # `pmo serve --preheat 0`
    assert any('"executive.ipynb": {"pool_size": 2}' in part for part in on)
    assert env["PMO_VEGA_STATIC_DIR"].startswith(env["JUPYTER_CONFIG_DIR"])
