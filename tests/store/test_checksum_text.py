"""The checksum's text must stay what ``to_csv`` writes: stores log checksums made by it.

:func:`pmo_nb.portfolio.csv_text` formats each distinct value once instead of
calling ``to_csv``; these frames hold every shape of value the typed tables
take (and some they do not, which go to ``to_csv`` itself).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmo_nb.portfolio import _column_texts, csv_text, float_texts


def to_csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, date_format="%Y-%m-%d")


TEXTS = ["plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "crlf\r\n", "", " pad ",
         "nul\x00", "ünïcode", "\x1f", '"', ",", "x" * 300, None]
NUMBERS = [0.0, -0.0, 1.0, 0.1, 0.30000000000000004, 1e16, 9999999999999998.0, 1e-05,
           1e-4, 5e-324, 1.7976931348623157e308, -2.5e-300, np.inf, -np.inf, np.nan,
           123456789.125, 2.0 ** 53]


def tricky_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.to_datetime(rng.integers(-99_000, 83_000, n), unit="D")
    days = days + pd.to_timedelta(rng.integers(0, 86_400, n) * (rng.random(n) < 0.3), unit="s")
    return pd.DataFrame({
        "b_number": rng.choice(np.array(NUMBERS), n),
        "a_random": rng.integers(0, 2 ** 64, n, dtype=np.uint64).view(np.float64),
        "text": pd.Series(rng.choice(np.array(TEXTS, dtype=object), n), dtype="str"),
        "day": pd.Series(days).where(rng.random(n) > 0.2).astype("datetime64[ns]"),
        "flag": pd.array(rng.choice(np.array([True, False, None], dtype=object), n),
                         dtype="boolean"),
        "name, with comma": pd.Series(rng.choice(np.array(TEXTS[:5], dtype=object), n),
                                      dtype="str"),
    })


@pytest.mark.parametrize("seed", range(5))
def test_the_text_is_to_csvs(seed):
    frame = tricky_frame(2_000, seed)
    assert all(_column_texts(frame[c]) is not None for c in frame)  # none left to to_csv
    assert csv_text(frame) == to_csv(frame)


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"a": [1.0, np.nan]}),  # one column: an empty row is quoted
    pd.DataFrame({"a": pd.Series([], dtype="str"), "b": pd.Series([], dtype="float64")}),
    pd.DataFrame({"a": [1, 2], "b": ["x", None]}),  # int64 and object: left to to_csv
    pd.DataFrame({"a": pd.Series(["", None], dtype="str"), "b": [np.nan, np.nan]}),
    pd.DataFrame({"a": pd.Series(["x", "y z", None], dtype="str"),  # nothing to quote
                  "b": pd.Series(["p;q", "x", "a,b"], dtype="str")}),
    pd.DataFrame({"a": pd.to_datetime(["0999-01-02", "2026-01-01"], format="%Y-%m-%d"),
                  "b": [1.0, 2.0]}),  # a year pandas writes unpadded
])
def test_the_text_is_to_csvs_for_other_shapes(frame):
    assert csv_text(frame) == to_csv(frame)


def test_float_texts_are_repr_and_astype_str():
    """Whole numbers take a faster path: it must write what both slow paths write."""
    rng = np.random.default_rng(7)
    whole = rng.integers(-10 ** 16, 10 ** 16, 20_000).astype(np.float64)
    small = rng.integers(-1000, 1000, 5_000).astype(np.float64)
    edges = np.array([*NUMBERS, 1e16 - 2, -(1e16 - 2), 1e16 + 2, 2.0 ** 63, -2.0 ** 63, 2.0 ** 64,
                      0.5, -1.0, 1e15, 999999999999999.9])
    bits = rng.integers(0, 2 ** 64, 20_000, dtype=np.uint64).view(np.float64)
    values = np.concatenate([whole, small, edges, bits])
    reprs = [repr(v) for v in values.tolist()]
    assert float_texts(values, lambda v: map(repr, v.tolist())) == reprs
    assert float_texts(values, lambda v: v.astype(str).tolist()) == values.astype(str).tolist()


def reference_checksum(portfolio) -> str:
    """The checksum as stores logged it: every table sorted by key, then ``to_csv``."""
    import hashlib

    from pmo_nb.schema import TABLES

    digest = hashlib.sha256()
    for name, frame in portfolio.tables().items():
        key = list(TABLES[name].key)
        canon = frame.sort_values(key).reset_index(drop=True) if len(frame) else frame
        digest.update(name.encode())
        digest.update(to_csv(canon[sorted(canon.columns)]).encode())
    return digest.hexdigest()[:16]


def test_checksum_skips_the_sort_only_where_it_changes_nothing():
    from store_worker import make_portfolio

    from pmo_nb.portfolio import Portfolio

    p = make_portfolio(40, 3)
    tables = p.tables()
    sorted_ = Portfolio(**{n: f.sort_values(f.columns[0], kind="stable") if len(f) else f
                           for n, f in tables.items()})
    shuffled = Portfolio(**{n: f.sample(frac=1, random_state=1) for n, f in tables.items()})
    dup = tables["status_updates"]
    doubled = Portfolio(**{**tables, "status_updates": pd.concat([dup, dup.assign(
        commentary="other")]).sort_values(["project_id", "as_of"], kind="stable")})
    for portfolio in (p, sorted_, shuffled, doubled):
        assert portfolio.checksum() == reference_checksum(portfolio)
    assert p.checksum() == shuffled.checksum() == sorted_.checksum()
