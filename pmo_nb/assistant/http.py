"""``pmo mcp --http``: the server over streamable HTTP on 127.0.0.1, behind a bearer token.

Only the MCP endpoint (``/mcp``) answers; every request must carry
``Authorization: Bearer <token>`` (compared in constant time), else 401. The
token comes from ``--token`` or ``$PMO_MCP_TOKEN`` and is never printed or
logged: the access log is off and error messages never quote it.
"""

from __future__ import annotations

import hmac
import json
import os

from pmo_nb.assistant.server import build_server

#: Environment variable holding the bearer token.
TOKEN_ENV = "PMO_MCP_TOKEN"
#: The only interface served.
HOST = "127.0.0.1"
#: The MCP endpoint's path.
PATH = "/mcp"


def resolve_token(token: str | None, environ=None) -> str:
    """The bearer token from ``--token`` or ``$PMO_MCP_TOKEN``.

    Raises
    ------
    ValueError
        When neither is set (the message names both, never a value).
    """
    environ = os.environ if environ is None else environ
    found = (token or environ.get(TOKEN_ENV, "")).strip()
    if not found:
        raise ValueError(f"--http needs a bearer token: set ${TOKEN_ENV} (or --token, which "
                         "every user can see in ps)")
    return found


async def _refuse(send, status: int, message: str, extra=()) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def bearer_guard(app, token: str, path: str = PATH):
    """ASGI app passing to ``app`` only requests for ``path`` with the right bearer token."""
    expected = f"Bearer {token}".encode()

    async def guarded(scope, receive, send):
        if scope["type"] == "lifespan":
            return await app(scope, receive, send)
        if scope["type"] != "http":  # websockets: closed unanswered (403)
            return None
        if scope.get("path", "").rstrip("/") != path:
            return await _refuse(send, 404, f"not found: only {path} is served")
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        if not hmac.compare_digest(given, expected):
            return await _refuse(send, 401, "missing or wrong bearer token",
                                 [(b"www-authenticate", b'Bearer realm="pmo"')])
        return await app(scope, receive, send)

    return guarded


def http_app(token: str, db=None, reports=None, source=None):
    """The guarded Starlette app of the server (what :func:`serve_http` runs)."""
    server = build_server(db, reports, source=source)
    app = server.streamable_http_app(streamable_http_path=PATH, host=HOST,
                                     stateless_http=True, json_response=True)
    return bearer_guard(app, token)


def serve_http(port: int, token: str, db=None, reports=None) -> None:
    """Serve on ``http://127.0.0.1:<port>/mcp`` until interrupted."""
    import uvicorn  # lazy: only --http needs the web server

    config = uvicorn.Config(http_app(token, db, reports), host=HOST, port=port,
                            log_level="warning", access_log=False, server_header=False,
                            lifespan="on")
    uvicorn.Server(config).run()
