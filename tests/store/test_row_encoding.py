"""Row hashes are persisted: the encoding must give the same keys and hashes forever.

The hashes below were computed by the row-by-row encoder that wrote the stores
in the field, before the encoder was vectorised; a store written then must
see an unchanged workbook as unchanged. They change only with a store
migration that rewrites every stored hash.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import store_fixtures
from pandas.testing import assert_frame_equal

from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import coerce_types
from pmo_nb.store.rows import encode

pg, db, store = store_fixtures.pg, store_fixtures.db, store_fixtures.store  # fixtures


def tricky_risks() -> pd.DataFrame:
    """Every canonical form of a number (-0.0, subnormal, 1e16, empty), a late-added
    column (task_id) filled and empty, the separator inside a text, an extra column."""
    frame = pd.DataFrame({
        "risk_id": ["R1", "R2", "R3", "R4"],
        "project_id": ["P1", None, "P2", "P1"],
        "task_id": ["T1", None, None, "T9"],
        "title": ["a\x1fb", "ünïcode", "", "x"],
        "probability": [0.1, 0.30000000000000004, 1.0, 0.0],
        "cost_low": [-0.0, 0.0, 1e16, np.nan],
        "cost_likely": [5e-324, 1e-05, 1e16, np.nan],
        "cost_high": [123456789.125, 2.0 ** 53, 1.5e300, np.nan],
        "owner_note": ["kept", None, "", "x"],
    })
    return coerce_types("risks", frame)


def tricky_projects() -> pd.DataFrame:
    """Dates at both ends of the accepted years, an empty date, booleans and an empty one."""
    frame = pd.DataFrame({
        "project_id": ["P1", "P2", "P3"],
        "name": ["One", 'Two, "quoted"', "Three\nlines"],
        "start_date": pd.to_datetime(["2026-01-01", "1700-02-28", "2199-12-31"]),
        "finish_date": pd.to_datetime(["2026-06-30", None, "2199-12-31"]),
        "budget": [1000.0, 2.5e6, np.nan],
        "mandatory": pd.array([True, False, None], dtype="boolean"),
    })
    return coerce_types("projects", frame)


def test_hashes_are_those_the_stores_hold():
    _, keys, hashes = encode("risks", tricky_risks())
    assert keys == ["R1", "R2", "R3", "R4"]
    assert hashes == ["3297c3bfe66eabbbe3e8f2a4de61282f", "1f0cb7e1ff41dbaa52c3fbfe6e9e4c56",
                      "d28e4df6e2575d66b01001108562f808", "09668b0b7bcd06575b813484ca9f1aec"]
    _, _, hashes = encode("projects", tricky_projects())
    assert hashes == ["ae634c9ece161c4bc1330ad768ad9038", "7000fc700d3316b74690f7023a8cf445",
                      "edcb3d14eed7de866b366e11cce4b930"]


def test_driver_values_keep_types_and_missing_cells():
    columns, _, _ = encode("projects", tricky_projects())
    assert [str(d) for d in columns["start_date"]] == ["2026-01-01", "1700-02-28", "2199-12-31"]
    assert columns["finish_date"][1] is None
    assert columns["mandatory"] == [True, False, None]
    assert columns["budget"] == [1000.0, 2.5e6, None]
    columns, _, _ = encode("risks", tricky_risks())
    assert [np.copysign(1, v) for v in columns["cost_low"][:2]] == [-1.0, 1.0]
    assert columns["task_id"] == ["T1", None, None, "T9"]


def test_a_fresh_store_logs_the_checksum_of_what_it_reads_back(store):
    """An import into an empty store checks the rows it wrote without reading them back:
    what it checked must be exactly what a load returns, on both backends."""
    risks = tricky_risks().assign(task_id=pd.Series([None] * 4, dtype="str"))
    portfolio = Portfolio(projects=tricky_projects(), risks=risks)
    summary = store.import_portfolio(portfolio, source="tricky", file_checksums={})
    loaded = store.load()
    assert summary.data_checksum == loaded.checksum()  # SQLite reads -0.0 as 0.0: not ==
    assert_frame_equal(loaded.projects, portfolio.projects)
    assert_frame_equal(loaded.risks, risks)
    again = store.import_portfolio(portfolio, source="tricky", file_checksums={})
    assert again.totals()["unchanged"] == 7 and again.data_checksum == summary.data_checksum


def test_decode_orders_by_key_whether_or_not_the_rows_came_sorted():
    from pmo_nb.store.rows import decode

    frame = tricky_projects()
    columns, _, _ = encode("projects", frame)
    names = list(columns)
    want = decode("projects", [columns[c] for c in names], names)
    assert want["project_id"].tolist() == ["P1", "P2", "P3"]
    backwards = decode("projects", [columns[c][::-1] for c in names], names)
    assert_frame_equal(backwards, want)
    assert isinstance(want.index, pd.RangeIndex) and isinstance(backwards.index, pd.RangeIndex)
