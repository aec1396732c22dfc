"""The one reader of persisted results, and stores written before the domain packages.

``tests/data/store_before_packages.db`` was written by pmo_nb at commit 1cb3803
(flat modules): an 80-project demo (seed 3, as of 2026-06-30) imported, then
``forecast(..., draws=100, seed=1)`` with the fit and its table saved.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pmo_nb.briefings.executive import persisted_forecast
from pmo_nb.forecast import ForecastModel, forecasting, latest, stored_backtest, stored_forecast
from pmo_nb.forecast.stored import NO_FORECAST, restore_forecast
from pmo_nb.store import Store

OLD_STORE = Path(__file__).parents[1] / "data" / "store_before_packages.db"


@pytest.fixture()
def old_store(tmp_path) -> Store:
    path = tmp_path / "portfolio.db"
    shutil.copy(OLD_STORE, path)
    return Store(path)


def test_a_store_written_before_the_packages_loads(old_store):
    portfolio = old_store.load()
    assert len(portfolio.projects) == 80
    assert old_store.history()["source"].tolist() == ["demo"]


def test_its_persisted_forecast_reads_in_the_one_shape(old_store):
    found = stored_forecast(old_store, "2026-06-30")
    assert found.available and found.name == "2026-06-30"
    table = found.table
    assert table.index.name == "project_id" and table.index.is_unique and len(table) > 0
    assert str(table["finish_p50"].dtype) == "datetime64[ns]"
    assert found.attrs["fitted_at"]
    # the dashboard reads the same table through the same reader
    dashboard, note = persisted_forecast(old_store, "2026-07-15")
    pd.testing.assert_frame_equal(dashboard, table)
    assert note.startswith("forecast as of 2026-06-30 (model fitted ")


def test_its_fitted_model_loads_but_is_refitted_because_its_version_is_unknown(old_store,
                                                                                monkeypatch):
    _, payload, attrs = old_store.load_result("forecast_model", "reference_class")
    model = ForecastModel.from_bytes(payload)  # the named classes still resolve
    assert model.design.categories
    assert "model_version" not in attrs

    def no_sampling(*args, **kwargs):
        raise AssertionError("sampled again")

    monkeypatch.setattr(ForecastModel, "fit", no_sampling)
    with pytest.raises(AssertionError, match="sampled again"):
        forecasting.fit_reference_class(old_store.load(), "2026-06-30", draws=100, seed=1,
                                        store=old_store,
                                        sampler_config={"tune": 150, "chains": 2, "cores": 1})


def test_latest_never_looks_past_the_reporting_date(tmp_path):
    store = Store(tmp_path / "p.db")
    frame = pd.DataFrame({"project_id": ["A"], "finish_p50": ["2027-01-01"], "cost_p50": [1.0]})
    for name in ("2026-05-31", "2026-06-30", "manual"):
        store.save_result("forecast", name, frame=frame, attrs={"fitted_at": name})
    assert latest(store, "forecast", "2026-06-15").name == "2026-05-31"
    assert latest(store, "forecast", "2026-06-30").name == "2026-06-30"
    assert latest(store, "forecast", None).name == "2026-06-30"
    # an undated name counts only when no dated one qualifies
    assert latest(store, "forecast", "2026-01-01").name == "manual"
    assert not stored_backtest(store, "2026-06-30").available
    empty = latest(Store(tmp_path / "empty.db"), "forecast", "2026-06-30")
    assert not empty.available and empty.describe() == NO_FORECAST


def test_both_saved_shapes_of_a_forecast_table_restore_alike():
    column = pd.DataFrame({"project_id": ["A", "B"], "finish_p10": ["2027-01-01T00:00:00Z"] * 2,
                           "cost_p50": [1.0, 2.0]})
    indexed = column.set_index("project_id")
    pd.testing.assert_frame_equal(restore_forecast(column), restore_forecast(indexed))
    assert str(restore_forecast(column)["finish_p10"].dtype) == "datetime64[ns]"
