"""``pmo mcp --http``: 127.0.0.1 only, the bearer token required, only /mcp reachable."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx2
import pytest
from mcp_support import command, result, run_in_own_loop, server_env, sha256

TOKEN = "test-token-9f8e7d6c5b4a3210"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def http_server(mcp_store, reports_dir, tmp_path_factory):
    """``pmo mcp --http`` on a free port, token in the environment; yields (url, logs)."""
    port = _free_port()
    logs = tmp_path_factory.mktemp("http") / "server.log"
    with open(logs, "w") as log:
        proc = subprocess.Popen(command(mcp_store, reports_dir, "--http", "--port", str(port)),
                                env=server_env({"PMO_MCP_TOKEN": TOKEN}), stdout=log,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx2.get(url + "/mcp", timeout=1)
            break
        except httpx2.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"server did not start: {logs.read_text()[-2000:]}")
            time.sleep(0.3)
    yield url, logs
    proc.terminate()
    proc.wait(timeout=20)


PING = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def test_without_the_token_or_with_a_wrong_one_it_is_refused(http_server):
    url, _ = http_server
    for auth in (None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN):
        headers = HEADERS | ({"authorization": auth} if auth else {})
        answer = httpx2.post(url + "/mcp", json=PING, headers=headers, timeout=10)
        assert answer.status_code == 401, auth
        assert TOKEN not in answer.text
        assert answer.headers["www-authenticate"].startswith("Bearer")


def test_nothing_but_the_mcp_endpoint_is_reachable(http_server):
    url, _ = http_server
    auth = HEADERS | {"authorization": f"Bearer {TOKEN}"}
    for path in ("/", "/health", "/docs", "/.well-known/oauth-protected-resource", "/sse",
                 "/messages/", "/mcp/../etc/passwd"):
        for method in ("GET", "POST"):
            answer = httpx2.request(method, url + path, headers=auth, json=PING, timeout=10)
            assert answer.status_code == 404, (method, path)


def test_the_sdk_client_with_the_token_calls_the_tools(http_server, mcp_store):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from pmo_nb.delivery import kpis
    from pmo_nb.store import Store

    url, logs = http_server
    before = sha256(mcp_store)
    got = {}

    async def run():
        client = httpx2.AsyncClient(headers={"authorization": f"Bearer {TOKEN}"}, timeout=120)
        async with client, streamable_http_client(url + "/mcp", http_client=client) as (r, w):
            async with ClientSession(r, w) as s:
                await s.initialize()
                got["tools"] = {t.name for t in (await s.list_tools()).tools}
                got["summary"] = result(await s.call_tool("portfolio_summary", {}))
                got["status"] = result(await s.call_tool("project_status",
                                                         {"project_id": "P0026"}))
                bad = await s.call_tool("what_if_selection", {"weights": "{not json"})
                got["bad"] = (bad.is_error, bad.content[0].text)

    run_in_own_loop(run)
    portfolio = Store(mcp_store).load()
    assert len(got["tools"]) == 10
    assert got["summary"]["kpis"] == pytest.approx(kpis(portfolio, "2026-06-30"))
    assert got["summary"]["data_checksum"] == portfolio.checksum()
    assert got["status"]["forecast"]["name"] == "2026-06-30"
    assert got["bad"][0] and "weights" in got["bad"][1]
    assert sha256(mcp_store) == before
    assert TOKEN not in logs.read_text()


def test_http_needs_a_token(mcp_store, reports_dir):
    run = subprocess.run(command(mcp_store, reports_dir, "--http", "--port", "1"),
                         env=server_env(), capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "PMO_MCP_TOKEN" in run.stderr
