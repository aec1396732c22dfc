"""Fixtures of the MCP server tests: a small store with a persisted forecast, and clients."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import pandas as pd
import pytest

from pmo_nb.config import project_root

AS_OF = pd.Timestamp("2026-06-30")


def sha256(path) -> str:
    """The file's SHA-256 (the store must stay byte-for-byte the same)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def server_env(extra: dict | None = None) -> dict:
    """Environment for a server subprocess: this checkout's code first, no stray token."""
    env = {k: v for k, v in os.environ.items() if k != "PMO_MCP_TOKEN"}
    env["PYTHONPATH"] = os.pathsep.join([str(project_root()), env.get("PYTHONPATH", "")])
    return env | (extra or {})


def command(db, reports, *more) -> list[str]:
    return [sys.executable, "-m", "pmo_nb.cli", "mcp", "--db", str(db), "--reports",
            str(reports), *more]


@pytest.fixture(scope="session")
def mcp_store(tmp_path_factory) -> Path:
    """An SQLite store: 40 demo projects and a persisted forecast (fitted model too)."""
    import pmo_nb.forecast as fc
    from pmo_nb.demo import demo_portfolio
    from pmo_nb.store import Store

    path = tmp_path_factory.mktemp("mcp") / "portfolio.db"
    store = Store(path)
    store.import_portfolio(demo_portfolio(n_projects=40, seed=7, as_of=AS_OF), source="demo",
                           file_checksums={})
    fc.forecast(store.load(), "2026-06-30", draws=100, store=store,
                sampler_config={"tune": 100, "chains": 2, "cores": 1})
    store.close()
    return path


@pytest.fixture(scope="session")
def bare_store(tmp_path_factory) -> Path:
    """A store holding the portfolio but no forecast and no fitted model."""
    from pmo_nb.demo import demo_portfolio
    from pmo_nb.store import Store

    path = tmp_path_factory.mktemp("bare") / "portfolio.db"
    Store(path).import_portfolio(demo_portfolio(n_projects=40, seed=7, as_of=AS_OF),
                                 source="demo", file_checksums={})
    return path


@pytest.fixture(scope="session")
def reports_dir(tmp_path_factory) -> Path:
    """A reports folder with two run folders; the newest holds portfolio_overview.html."""
    out = tmp_path_factory.mktemp("reports")
    for run, text in (("2026-05-31", "old page"), ("2026-06-30", "<h1>Overview June</h1>")):
        (out / run).mkdir()
        (out / run / "portfolio_overview.html").write_text(text)
        (out / run / "index.html").write_text("index")
    (out / "secret.html").write_text("outside any run folder")
    return out


def result(call) -> dict:
    """The structured JSON of a successful tool call."""
    assert not call.is_error, call.content[0].text
    data = call.structured_content
    assert data == json.loads(call.content[0].text)
    return data


@asynccontextmanager
async def stdio_session(db, reports):
    """An initialised SDK client session with ``pmo mcp --db`` over stdio."""
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=command(db, reports)[1:],
                                   env=server_env())
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


def run_in_own_loop(fn) -> None:
    """``anyio.run(fn)`` in a thread of its own.

    The session's Playwright browser (sync API) keeps an asyncio loop running
    on the main thread, so a test later in the same session cannot start one there.
    """
    from concurrent.futures import ThreadPoolExecutor

    import anyio

    with ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, fn).result()
