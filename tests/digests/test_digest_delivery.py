"""Delivery end to end: a real SMTP server (aiosmtpd) and a webhook receiver on 127.0.0.1.

Each test runs ``pmo digest send`` on a store of the two-person case and
asserts what arrived: headers, both parts, the JSON bodies, and that a rerun
sends nothing twice. Marked slow: each starts a server.
"""

from __future__ import annotations

import email
import ssl
from email import policy

import digests_support as case
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from pmo_nb.store.core import Store

pytestmark = pytest.mark.slow
USER, PASSWORD = "digest-bot", "s3cret-pw"
ARGS = ["digest", "send", "--as-of", "2026-06-30"]


def _auth(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=auth_data.login == USER.encode()
                      and auth_data.password == PASSWORD.encode())


@pytest.fixture()
def tls_smtp(tmp_path):
    """An SMTP server that requires STARTTLS and then a login; yields (inbox, port, cafile)."""
    cert, key = case.self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = case.Inbox(), case.free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, authenticator=_auth, auth_require_tls=True)
    controller.start()
    yield inbox, port, str(cert)
    controller.stop()


def _parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def test_smtp_starttls_login_both_parts_and_never_twice(tmp_path, tls_smtp):
    inbox, port, cafile = tls_smtp
    db, reports = tmp_path / "p.db", tmp_path / "reports"
    case.case_store(db)
    env = {"PMO_SMTP_USER": USER, "PMO_SMTP_PASSWORD": PASSWORD, "PMO_SMTP_CAFILE": cafile}
    args = [*ARGS, "--db", str(db), "--reports", str(reports), "--smtp", f"127.0.0.1:{port}",
            "--from", "PMO Office <pmo@example.org>",
            "--reports-url", "https://pmo.example.org/reports"]
    first = case.run_cli(args, env)
    assert first.exit_code == 0, first.output
    assert PASSWORD not in first.output
    assert sorted(rcpt for _, rcpts, _ in inbox.messages for rcpt in rcpts) == [
        "ana@example.org", "ben@example.org"]  # Cy: digest none; Dee: no address
    by_to = {_parse(raw)["To"].addresses[0].addr_spec: _parse(raw) for *_, raw in inbox.messages}
    ana = by_to["ana@example.org"]
    assert str(ana["From"]) == "PMO Office <pmo@example.org>"
    assert str(ana["To"]) == "Ana Sponsor <ana@example.org>"
    assert str(ana["Subject"]) == "5 things need you (2026-W27)"
    assert ana["Auto-Submitted"] == "auto-generated" and ana["Message-ID"]
    assert ana.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in ana.iter_parts()] == ["text/plain", "text/html"]
    text = ana.get_body(("plain",)).get_content()
    assert text.splitlines()[:2] == ["What needs you, Ana Sponsor: 2026-06-30 (2026-W27)", ""]
    assert "1. [warning] P1 crossed rule1 (alert rule1, raised 2026-06-20)" in text
    assert " more" not in text  # five items: all shown
    html = ana.get_body(("html",)).get_content()
    assert "<li>[warning] P1 crossed rule1" in html and "<script" not in html
    ben = by_to["ben@example.org"]
    assert str(ben["Subject"]) == "6 things need you (2026-06-30)"  # daily: the day
    ben_text = ben.get_body(("plain",)).get_content()
    assert "1. [critical] Ben Manager crossed rule2" in ben_text
    rest = "https://pmo.example.org/reports/digests/2026-06-30/Ben_Manager-"
    assert f"and 1 more: {rest}" in ben_text  # six items, five shown
    page = next((reports / "digests" / "2026-06-30").glob("Ben_Manager-*.html")).read_text()
    assert page.count("<li>") == 6  # every item (one import: no changes to list)

    log = Store(db).digest_log()
    assert sorted(zip(log["person"], log["period"], log["status"], log["attempts"],
                      strict=True)) == [("Ana Sponsor", "2026-W27", "sent", 1),
                                        ("Ben Manager", "2026-06-30", "sent", 1)]
    assert set(log["message_id"]) == {str(m["Message-ID"]) for m in by_to.values()}

    again = case.run_cli(args, env)
    assert again.exit_code == 0, again.output
    assert len(inbox.messages) == 2
    assert "already sent for 2026-W27" in again.output and "0 sent" in again.output


def test_refused_connection_is_recorded_and_retried_next_run(tmp_path):
    db, reports, port = tmp_path / "p.db", tmp_path / "reports", case.free_port()
    case.case_store(db)
    args = [*ARGS, "--db", str(db), "--reports", str(reports), "--smtp", f"127.0.0.1:{port}",
            "--from", "pmo@example.org"]
    failed = case.run_cli(args)
    assert failed.exit_code == 1, failed.output
    assert "2 failed" in failed.output and "(retried next run)" in failed.output
    log = Store(db).digest_log()
    assert log["status"].tolist() == ["failed", "failed"]
    assert log["attempts"].tolist() == [1, 1]
    assert log["last_error"].str.contains("refused").all()

    inbox = case.Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        retried = case.run_cli(args)
    finally:
        controller.stop()
    assert retried.exit_code == 0, retried.output
    assert len(inbox.messages) == 2 and "attempt 2" in retried.output
    log = Store(db).digest_log()
    assert log["status"].tolist() == ["sent", "sent"] and log["attempts"].tolist() == [2, 2]
    assert log["last_error"].isna().all()


def test_webhooks_post_json_once_and_never_show_their_url(tmp_path):
    db, reports = tmp_path / "p.db", tmp_path / "reports"
    case.case_store(db)
    hooks = case.Hooks()
    config = tmp_path / "digests.yml"
    config.write_text("webhooks:\n"
                      "  - {name: sponsors, kind: slack, url_env: HOOK_A, people: [Ana Sponsor]}\n"
                      "  - {name: delivery, kind: teams, url_env: HOOK_B, people: [Ben Manager]}\n")
    env = {"HOOK_A": hooks.url + "/services/T0/B0/SECRETA",
           "HOOK_B": hooks.url + "/webhookb2/SECRETB"}
    args = [*ARGS, "--db", str(db), "--reports", str(reports), "--config", str(config), "--send"]
    try:
        first = case.run_cli(args, env)
        again = case.run_cli(args, env)
    finally:
        hooks.close()
    assert first.exit_code == 0, first.output
    assert "SECRET" not in first.output + again.output
    assert f"webhook sponsors ({hooks.url}/***)" in first.output
    assert "no SMTP host configured" in first.output  # e-mail waits for --smtp
    assert len(hooks.posts) == 2, "a rerun posts nothing again"
    posts = {path: (headers, body) for path, headers, body in hooks.posts}
    slack_headers, slack = posts["/services/T0/B0/SECRETA"]
    assert slack_headers["Content-Type"] == "application/json; charset=utf-8"
    lines = slack["text"].split("\n")
    assert lines[0] == "What needs you, Ana Sponsor: 2026-06-30 (2026-W27)"
    assert lines[1] == "1. [warning] P1 crossed rule1 (alert rule1, raised 2026-06-20)"
    _, teams = posts["/webhookb2/SECRETB"]
    card = teams["attachments"][0]["content"]
    assert teams["type"] == "message" and card["type"] == "AdaptiveCard"
    assert card["body"][1]["text"].startswith("1. \\[critical\\] Ben Manager crossed rule2")
    log = Store(db).digest_log()
    assert sorted(zip(log["person"], log["channel"], log["status"], strict=True)) == [
        ("Ana Sponsor", "webhook", "sent"), ("Ben Manager", "webhook", "sent")]
    assert "already sent" in again.output
