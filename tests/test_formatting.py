"""Formatting for people: money, URLs, and store text escaped for HTML and Markdown."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pmo_nb.formatting import (
    html_text,
    labelled,
    labelled_list,
    md_text,
    money,
    redact_url,
    whole_money,
)


def test_money_short_and_whole_and_never_inf():
    assert money(950) == "950" and money(12_300) == "12.3 k" and money(2.5e9) == "2.5 bn"
    assert whole_money(1_234_567.4) == "1,234,567"
    assert money(math.inf) == "n/a" and whole_money(math.nan) == "n/a"


def test_redact_url_hides_the_password_only():
    assert redact_url("postgresql+psycopg://ann:s3cret@db/pmo") == \
        "postgresql+psycopg://ann:***@db/pmo"
    assert redact_url("sqlite:////srv/pmo.db") == "sqlite:////srv/pmo.db"


def test_redact_url_without_path_hides_a_webhook_secret():
    assert redact_url("https://hooks.slack.com/services/T0/B0/XyZ", path=False) == \
        "https://hooks.slack.com/***"
    assert redact_url("https://u:pw@h.example.org:8443/webhookb2/abc?sig=1", path=False) == \
        "https://u:***@h.example.org:8443/***"
    assert redact_url("https://h.example.org", path=False) == "https://h.example.org"


def test_html_text_escapes_markup_and_quotes():
    assert html_text('<img src=x onerror="a">') == "&lt;img src=x onerror=&#34;a&#34;&gt;"
    assert html_text(None) == ""


def test_md_text_kills_links_emphasis_and_tags_but_reads_the_same():
    text = md_text("[x](javascript:alert(1)) *b* <i>")
    assert text == r"\[x\]\(javascript:alert\(1\)\) \*b\* &lt;i&gt;"
    assert md_text("P-001 Data platform") == "P-001 Data platform"
    # quotes become entities whose "#" is left alone, so the page reads O'Brien
    assert md_text("Priya O'Brien \"#1\"") == "Priya O&#39;Brien &#34;\\#1&#34;"
    assert md_text(None) == ""


def test_labelled_puts_the_name_beside_the_id_and_leaves_a_nameless_id_alone():
    names = {"P1": "Payments hub", "P2": None, "P3": float("nan"), "P4": "  "}
    assert labelled("P1", names) == "P1 Payments hub"
    assert [labelled(p, names) for p in ("P2", "P3", "P4", "P5")] == ["P2", "P3", "P4", "P5"]
    assert labelled(42, pd.Series({"42": "Ledger"})) == "42 Ledger"
    assert labelled("P1") == "P1"
    # raw text: escaping is the page's job, so a payload stays as it was written
    assert labelled("P6", {"P6": "<b>x</b>"}) == "P6 <b>x</b>"


def test_labelled_list_names_the_first_few_with_their_numbers_and_counts_the_rest():
    names = {"P1": "Payments hub", "P2": "Ledger", "P3": "CRM", "P4": "Data"}
    got = labelled_list(["P1", "P2", "P3", "P4", "P9"], names,
                        ["+85%", "+60%", "+41%", "+30%", "+22%"])
    assert got == "P1 Payments hub (+85%), P2 Ledger (+60%), P3 CRM (+41%) and 2 more"
    assert labelled_list(["P1", "P2"], names) == "P1 Payments hub, P2 Ledger"
    assert labelled_list(["P1", "P2", "P3", "P4"], names, limit=None).endswith("P4 Data")
    assert labelled_list([], names) == ""
    with pytest.raises(ValueError, match="1 details for 2 ids"):
        labelled_list(["P1", "P2"], names, ["+1%"])
