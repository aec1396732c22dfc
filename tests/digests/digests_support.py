"""A hand-made portfolio with two people of different ownership, and local receivers.

``Ana Sponsor`` sponsors P1 and P2 and owns benefit B1 (on Dee's P3);
``Ben Manager`` manages P2, owns risk R1 (on P3) and owes decisions D1 and D2.
The alert log and the changes are hand-made frames in the watch layer's
columns, so the digests can be tested before and apart from that layer.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd

from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types

AS_OF = pd.Timestamp("2026-06-30")
ANA, BEN = "Ana Sponsor", "Ben Manager"
ALERT_COLUMNS = ["alert_id", "rule", "subject", "metric", "severity", "value", "threshold",
                 "message", "raised_at", "raised_as_of", "last_value", "cleared_at",
                 "cleared_as_of"]
CHANGE_COLUMNS = ["kind", "project_id", "subject", "owner", "before", "after", "delta",
                  "sentence", "source"]


def _project(pid, sponsor, manager, budget, name=None):
    return {"project_id": pid, "name": name or f"Project {pid}", "category": "IT",
            "stage": "active", "start_date": "2026-01-01", "finish_date": "2026-12-31",
            "budget": budget, "sponsor": sponsor, "manager": manager}


def portfolio(p1_name: str | None = None, email_ana: str = "ana@example.org") -> Portfolio:
    """The two-person case (module docstring); ``p1_name`` renames P1 (XSS tests)."""
    tables = {
        "projects": [_project("P1", ANA, "Cy Lead", 1_000_000, p1_name),
                     _project("P2", ANA, BEN, 2_000_000),
                     _project("P3", "Dee Owner", "Dee Owner", 500_000)],
        "status_updates": [
            {"project_id": p, "as_of": "2026-06-15", "percent_complete": 50,
             "actual_cost": 100_000, "rag": rag}
            for p, rag in (("P1", "green"), ("P2", "red"), ("P3", "amber"))],
        "risks": [
            {"risk_id": "R1", "project_id": "P3", "title": "Supplier fails", "probability": 0.5,
             "cost_low": 200_000, "cost_likely": 200_000, "cost_high": 200_000, "owner": BEN},
            {"risk_id": "R2", "project_id": "P2", "title": "Licence costs rise",
             "probability": 0.1, "cost_low": 100_000, "cost_likely": 100_000,
             "cost_high": 100_000, "owner": "Cy Lead"},
            {"risk_id": "R3", "project_id": "P3", "title": "Key person leaves",
             "probability": 0.9, "cost_low": 900_000, "cost_likely": 900_000,
             "cost_high": 900_000, "owner": "Dee Owner"}],
        "benefits": [{"benefit_id": "B1", "project_id": "P3", "name": "Handling time",
                      "direction": "increase", "baseline": 0, "target": 100,
                      "realisation_start": "2026-01-01", "target_date": "2026-05-31",
                      "owner": ANA}],
        "benefit_measurements": [{"benefit_id": "B1", "date": "2026-06-15", "value": 50}],
        "teams": [{"team_id": "T1", "name": "Data", "capacity_fte": 1}],
        "demand": [{"project_id": "P2", "team_id": "T1", "month": "2026-07", "fte": 2}],
        "decisions": [
            {"decision_id": d, "date": "2026-05-01", "forum": "Board", "title": t,
             "project_id": "P2", "kind": "funding", "owner": o, "due_date": due,
             "status": "open"}
            for d, t, o, due in (("D1", "Fund phase 2", BEN, "2026-06-01"),
                                 ("D2", "Approve vendor", BEN, "2026-06-20"),
                                 ("D3", "Extend scope", ANA, "2026-07-15"))],
        "people": [{"name": ANA, "email": email_ana, "role": "sponsor", "digest": "weekly"},
                   {"name": BEN, "email": "ben@example.org", "role": "project manager",
                    "digest": "daily"},
                   {"name": "Cy Lead", "email": "cy@example.org", "digest": "none"},
                   {"name": "Dee Owner", "digest": "weekly"}],
    }
    return Portfolio(**{t: coerce_types(t, pd.DataFrame(rows)) for t, rows in tables.items()})


def forecast() -> pd.DataFrame:
    """P1 green but 80% likely over budget; P2 red but both chances under 20%."""
    rows = [("P1", 1_000_000, 0.8, 0.3, 1.5), ("P2", 2_000_000, 0.1, 0.15, 1.05),
            ("P3", 500_000, 0.4, 0.4, 1.2)]
    return pd.DataFrame([{"project_id": p, "budget": b, "p_over_budget": po, "p_late": pl,
                          "cost_p90": b * r90} for p, b, po, pl, r90 in rows]
                        ).set_index("project_id")


def alerts() -> pd.DataFrame:
    """Open alerts on P1, on Ben, on P3, on team T1 in July; one on P2 already cleared."""
    def alert(i, subject, severity, raised, cleared=None):
        return {"alert_id": i, "rule": f"rule{i}", "subject": subject, "metric": "spi",
                "severity": severity, "value": 0.7, "threshold": 0.8,
                "message": f"{subject} crossed rule{i}", "raised_at": pd.Timestamp(raised),
                "raised_as_of": pd.Timestamp(raised), "last_value": 0.7,
                "cleared_at": pd.Timestamp(cleared) if cleared else pd.NaT,
                "cleared_as_of": pd.Timestamp(cleared) if cleared else pd.NaT}
    return pd.DataFrame([alert(1, "P1", "warning", "2026-06-20"),
                         alert(2, BEN, "critical", "2026-06-10"),
                         alert(3, "P3", "critical", "2026-06-10"),
                         alert(4, "P2", "critical", "2026-06-01", cleared="2026-06-05"),
                         alert(5, "T1:2026-07", "critical", "2026-06-25")], columns=ALERT_COLUMNS)


def changes(since=None) -> pd.DataFrame:
    """A change on P1 (Ana's), one naming Ben as owner, one on Dee's P3."""
    rows = [("rag", "P1", "P1", None, "green", "amber", None, "P1 turned amber (status)"),
            ("risk_new", "P3", "R1", BEN, None, "open", None, "R1 opened on P3 (risks)"),
            ("risk_new", "P3", "R3", "Dee Owner", None, "open", None, "R3 opened (risks)")]
    return pd.DataFrame([(*r, "import 2") for r in rows], columns=CHANGE_COLUMNS)


# -- receivers on 127.0.0.1 -------------------------------------------------------------

class Inbox:
    """An aiosmtpd handler keeping every message it receives (envelope and bytes)."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              bytes(envelope.original_content or envelope.content)))
        return "250 OK"


class Hooks:
    """A local incoming-webhook receiver: every POST's path, headers and JSON body."""

    def __init__(self, status: int = 200):
        self.posts: list = []
        received, answer = self.posts, status

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(answer)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



# -- a store holding the case, and the CLI -----------------------------------------------

def case_store(path, p1_name: str | None = None, email_ana: str = "ana@example.org"):
    """An SQLite store of the case with its forecast and open alerts on P1 and on Ben."""
    from pmo_nb.store.core import Store

    store = Store(path)
    store.import_portfolio(portfolio(p1_name, email_ana), source="case", file_checksums={})
    store.save_result("forecast", "2026-06-30", frame=forecast().reset_index())
    raised = alerts()
    raised = raised[raised["subject"].isin(["P1", BEN])]
    store.record_alerts(raised[["rule", "subject", "metric", "severity", "value", "threshold",
                                "message"]], rules=raised["rule"], as_of="2026-06-20")
    return store


def run_cli(args, env=None):
    """``pmo ARGS`` in this process, with ``env`` set (and no SMTP from the machine)."""
    from click.testing import CliRunner

    from pmo_nb.cli import main

    clean = {k: None for k in ("PMO_SMTP", "PMO_SMTP_USER", "PMO_SMTP_PASSWORD",
                               "PMO_SMTP_FROM", "PMO_SMTP_STARTTLS", "PMO_SMTP_CAFILE")}
    return CliRunner().invoke(main, list(args), env=clean | (env or {}))


def self_signed(folder):
    """(cert, key) for 127.0.0.1 made by openssl, valid one day."""
    import subprocess

    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                   capture_output=True)
    return cert, key
