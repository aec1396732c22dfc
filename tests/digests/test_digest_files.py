"""Dry runs write .eml files; store text arrives escaped; digests.yml is checked first."""

from __future__ import annotations

import email
from email import policy
from html.parser import HTMLParser

import digests_support as case
import pandas as pd
import pytest

from pmo_nb.schema import coerce_types
from pmo_nb.store.core import Store

ARGS = ["digest", "send", "--as-of", "2026-06-30"]
PAYLOAD = '<script>alert(1)</script><img src=x onerror=alert(2)>"\r\nBcc: evil@example.org'
#: The only elements a digest's HTML part is made of.
ALLOWED = {"html", "head", "meta", "title", "body", "h1", "h2", "p", "ol", "ul", "li", "a"}


class Elements(HTMLParser):
    """Every start tag with its attributes, and all text, as a browser's parser sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _eml(folder, person):
    path = next(folder.glob(f"{person.replace(' ', '_')}-*.eml"))
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def test_dry_run_is_the_default_and_writes_eml_files_only(tmp_path):
    db, reports = tmp_path / "p.db", tmp_path / "reports"
    case.case_store(db)
    done = case.run_cli([*ARGS, "--db", str(db), "--reports", str(reports)])
    assert done.exit_code == 0, done.output
    folder = reports / "digests" / "2026-06-30"
    assert f"dry run: nothing was sent; messages are in {folder}" in done.output
    assert sorted(p.name.split("-")[0] for p in folder.glob("*.eml")) == [
        "Ana_Sponsor", "Ben_Manager"]
    assert [p.name.split("-")[0] for p in folder.glob("*.html")] == ["Ben_Manager"]  # 6 > 5
    msg = _eml(folder, case.BEN)
    assert str(msg["To"]) == "Ben Manager <ben@example.org>"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert Store(db).digest_log().empty  # a dry run changes nothing in the store
    again = case.run_cli([*ARGS, "--db", str(db), "--reports", str(reports)])
    assert "2 dry-run" in again.output  # and so is repeatable


def test_store_text_arrives_escaped_in_html_and_on_one_line_in_text(tmp_path):
    db, reports = tmp_path / "p.db", tmp_path / "reports"
    case.case_store(db, p1_name=PAYLOAD)
    assert case.run_cli([*ARGS, "--db", str(db), "--reports", str(reports)]).exit_code == 0
    msg = _eml(reports / "digests" / "2026-06-30", case.ANA)
    assert msg["Bcc"] is None and "evil" not in str(msg["To"])
    parser = Elements()
    parser.feed(msg.get_body(("html",)).get_content())
    assert {tag for tag, _ in parser.tags} <= ALLOWED
    assert not any(k.startswith("on") for _, attrs in parser.tags for k in attrs)
    shown = "".join(parser.text)
    assert '<script>alert(1)</script><img src=x onerror=alert(2)>"' in shown
    text = msg.get_body(("plain",)).get_content()
    assert not any(line.startswith("Bcc:") for line in text.splitlines())
    line = next(ln for ln in text.splitlines() if "reported green" in ln)
    assert line.startswith("2. Project P1 <script>alert(1)</script>") and "Bcc: evil" in line


def test_an_address_the_header_registry_refuses_fails_alone(tmp_path):
    db, reports = tmp_path / "p.db", tmp_path / "reports"
    case.case_store(db, email_ana="ana@b@example.org")
    done = case.run_cli([*ARGS, "--db", str(db), "--reports", str(reports)])
    assert done.exit_code == 1
    line = next(ln for ln in done.output.splitlines() if ln.startswith("Ana Sponsor"))
    assert "failed" in line and "cannot build the message" in line
    assert [p.name.split("-")[0] for p in (reports / "digests" / "2026-06-30").glob("*.eml")
            ] == ["Ben_Manager"]


def test_changes_between_two_imports_open_the_digest(tmp_path):
    db, reports = tmp_path / "p.db", tmp_path / "reports"
    store = case.case_store(db)
    later = case.portfolio()
    later.status_updates = coerce_types("status_updates", pd.concat([
        later.status_updates, pd.DataFrame([{"project_id": "P1", "as_of": "2026-06-29",
                                             "percent_complete": 55, "actual_cost": 120_000,
                                             "rag": "red"}])], ignore_index=True))
    store.import_portfolio(later, source="case, later", file_checksums={})
    done = case.run_cli(["digest", "send", "--db", str(db), "--reports", str(reports)])
    assert done.exit_code == 0, done.output
    folder = next((reports / "digests").iterdir())
    text = _eml(folder, case.ANA).get_body(("plain",)).get_content().splitlines()
    assert text[2] == "Changes since the previous period:"
    assert text[3].startswith("- ") and "P1" in text[3] and "red" in text[3]
    ben = _eml(folder, case.BEN).get_body(("plain",)).get_content()
    assert "No changes on what you own since the previous period." in ben


def test_a_bad_digests_yml_lists_every_problem_and_sends_nothing(tmp_path):
    db, reports = tmp_path / "p.db", tmp_path / "reports"
    case.case_store(db)
    config = tmp_path / "digests.yml"
    config.write_text("form: x@example.org\n"
                      "webhooks:\n"
                      "  - {name: a, kind: email, url_env: HOOK_A, people: [Ana Sponsor]}\n"
                      "  - {name: a, kind: slack, url_env: https://x, people: [Nobody]}\n"
                      "  - {name: b, kind: teams, url_env: HOOK_B, people: [Ana Sponsor]}\n")
    done = case.run_cli([*ARGS, "--db", str(db), "--reports", str(reports), "--config",
                         str(config)], {"HOOK_A": "http://hooks.example.org/x"})
    assert done.exit_code == 2
    lines = done.output.splitlines()
    assert lines[0] == "8 problems in the digest configuration"
    assert lines[1:] == [
        f"  {config}: key form: unknown key (one of from, reports_url, webhooks)",
        f"  {config}: webhook a, key kind, value 'email': one of slack, teams",
        f"  {config}: webhook a, key url_env, value 'HOOK_A': its URL must be an https:// URL "
        "(plain http only to 127.0.0.1, localhost, ::1)",
        f"  {config}: webhook a, key name, value 'a': is used by an earlier webhook",
        f"  {config}: webhook a, key url_env, value 'https://x': required: the name of an "
        "environment variable holding the URL (the URL itself is a secret and never goes in "
        "this file)",
        f"  {config}: webhook a, key people, value 'Nobody': is not a name in the people table",
        f"  {config}: webhook b, key url_env, value 'HOOK_B': that environment variable is not "
        "set",
        f"  {config}: webhook b, key people, value 'Ana Sponsor': already gets digests through "
        "webhook a",
    ]
    assert not (reports / "digests").exists()


@pytest.mark.parametrize(("extra", "env", "says"), [
    (["--smtp", "mailhost"], {}, "--smtp must be HOST:PORT"),
    (["--smtp", "127.0.0.1:25"], {}, "is required to send e-mail"),
    ([], {"PMO_SMTP": "127.0.0.1:25", "PMO_SMTP_FROM": "not an address"},
     "must be an e-mail address"),
    ([], {"PMO_SMTP": "127.0.0.1:25", "PMO_SMTP_USER": "bot"},
     "$PMO_SMTP_USER is set but $PMO_SMTP_PASSWORD is not"),
])
def test_usage_errors_exit_2_before_anything_is_sent(tmp_path, extra, env, says):
    db, reports = tmp_path / "p.db", tmp_path / "reports"
    case.case_store(db)
    done = case.run_cli([*ARGS, "--db", str(db), "--reports", str(reports), *extra], env)
    assert done.exit_code == 2 and says in done.output
    assert not (reports / "digests").exists() and Store(db).digest_log().empty
