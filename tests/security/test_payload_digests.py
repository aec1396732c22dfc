"""No text from a workbook becomes live markup, a header or a new line in any digest.

The demo portfolio with the payloads of ``tests/payloads.py`` in every text and
id cell; every person's digest rendered as the HTML part, the full page, the
plain text and both chat payloads, each checked as its reader would see it.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from payloads import MARK, TEXT_PAYLOAD, live_payloads, poison, poisoned_store

from pmo_nb.demo import demo_portfolio
from pmo_nb.digests import build_digest, digest_facts, slack_payload, teams_payload, to_html
from pmo_nb.digests.render import to_text

AS_OF = pd.Timestamp("2026-06-30")


@pytest.fixture(scope="module")
def poisoned():
    return poison(demo_portfolio(n_projects=40, seed=11, as_of=AS_OF))


def _alerts_and_changes(portfolio):
    pid = portfolio.projects["project_id"].iloc[0]
    alerts = pd.DataFrame([{"alert_id": 1, "rule": "r" + TEXT_PAYLOAD, "subject": pid,
                            "metric": "cpi", "severity": "warning", "value": 0.5,
                            "threshold": 0.9, "message": "m\r\nBcc: x@evil.org" + TEXT_PAYLOAD,
                            "raised_at": AS_OF, "raised_as_of": AS_OF, "last_value": 0.5,
                            "cleared_at": pd.NaT, "cleared_as_of": pd.NaT}])
    changes = pd.DataFrame([{"kind": "rag", "project_id": pid, "subject": pid, "owner": None,
                             "before": "green", "after": "red", "delta": None,
                             "sentence": "s\nBcc: x@evil.org" + TEXT_PAYLOAD, "source": "i"}])
    return alerts, changes


def test_every_digest_shows_the_payloads_as_text(poisoned):
    alerts, changes = _alerts_and_changes(poisoned)
    facts = digest_facts(poisoned, AS_OF)
    seen = 0
    for person in poisoned.people["name"]:
        d = build_digest(poisoned, person, alerts=alerts, changes=changes, facts=facts)
        seen += len(d.items)
        for page in (to_html(d, "2026-W27", base_url="https://x.example.org/r"),
                     to_html(d, "2026-W27", limit=None, base_url="../..")):
            assert live_payloads(page) == [], person
        text = to_text(d, "2026-W27")
        assert not any(line.startswith("Bcc:") for line in text.splitlines())
        slack = slack_payload(d, "2026-W27")["text"]
        assert "<img" not in slack and f"<b class=\"{MARK}4\">" not in slack
        assert not any(line.startswith("Bcc:") for line in slack.split("\n"))
        card = json.dumps(teams_payload(d, "2026-W27"))
        assert f"[{MARK}3](javascript" not in card  # the markdown link is backslashed
    assert seen > 0  # the payloads were in items to be shown


@pytest.mark.slow
def test_digest_send_on_a_poisoned_store_writes_no_live_markup(tmp_path):
    from click.testing import CliRunner

    from pmo_nb.cli import main as pmo

    db = poisoned_store(tmp_path)
    reports = tmp_path / "reports"
    result = CliRunner().invoke(pmo, ["digest", "send", "--db", db, "--as-of", "2026-06-30",
                                      "--reports", str(reports)])
    assert isinstance(result.exception, SystemExit) and result.exit_code in (0, 1), result.output
    # the poisoned addresses (x@example.org<img/src=...>) are refused by the header
    # registry, one digest at a time; the full pages are still written and inert
    assert "cannot build the message" in result.output
    pages = list((reports / "digests" / "2026-06-30").glob("*.html"))
    assert pages and all(live_payloads(p.read_text()) == [] for p in pages)
