"""Money fields of the forms: what people type, read exactly, or not read at all."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmo_nb.io.form_cells import form_text, money_text, parse_money


@pytest.mark.parametrize(("text", "amount"), [
    ("2.5m", 2_500_000), ("2.5M", 2_500_000), ("2,500,000", 2_500_000),
    ("€2.5M", 2_500_000), ("250k", 250_000), ("2500000", 2_500_000),
    ("1.1m", 1_100_000),  # decimal arithmetic: not 1100000.0000000002
    ("0.3m", 300_000), (".5m", 500_000), ("1.2bn", 1_200_000_000), ("3mn", 3_000_000),
    ("$1,250.50", 1250.5), ("£40K", 40_000), ("EUR 3m", 3_000_000), ("3m EUR", 3_000_000),
    (" € 2.5 m ", 2_500_000), ("2.5m€", 2_500_000),
    ("-40k", -40_000), ("- 40k", -40_000), ("\u221240k", -40_000), ("€-2m", -2_000_000),
    ("+15k", 15_000), ("0", 0),
])
def test_accepted_amounts(text, amount):
    assert parse_money(text) == amount
    assert money_text(text) == (str(int(amount)) if float(amount).is_integer()
                                else repr(float(amount)))


@pytest.mark.parametrize("text", [
    "", "   ", "lots", "k", "m", "2,5m", "1,23", "2,50,000", "2 500 000", "2 5", "2.5 mio",
    "2.5mm", "2.5.5m", "1e6", "nan", "inf", "--5", "€$5", "EUR 3m USD", "5x", "m5", "1,000.",
    "2.5m€€",
])
def test_rejected_texts_are_not_read(text):
    assert parse_money(text) is None


def test_unreadable_text_goes_to_validation_as_typed():
    # the importer's rules then report it (field, value, rule), as for a workbook cell
    assert money_text(" 2,5m ") == "2,5m"
    assert money_text("") is None and money_text(None) is None
    assert money_text(1_500_000.0) == "1500000" == form_text(1_500_000)
    assert form_text(dt.date(2027, 1, 4)) == "2027-01-04"


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_every_grouped_integer_reads_back(n):
    assert parse_money(f"{n:,}") == n
    assert parse_money(f"€{n}") == n


@given(st.text(max_size=12))
def test_any_text_is_read_or_refused_never_raises(text):
    amount = parse_money(text)
    assert amount is None or isinstance(amount, float)
