"""Live dashboards: the watcher reloads only when the store's version moved, and says so.

A real SQLite store read through the read-only URL the dashboards get;
reloads are counted, so "nothing changed, nothing loaded" is asserted, not
assumed. The executive dashboard keeps the viewer's filter and project
across a refresh and its "data as of" line names the new import.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import threading

import pytest

from pmo_nb.apps import executive as app_executive
from pmo_nb.apps.live import StoreWatcher, data_as_of, error_line, refresh_seconds
from pmo_nb.briefings import executive
from pmo_nb.formatting import money
from pmo_nb.store.core import Store, read_only_url
from pmo_nb.store.watching import ImportRecord

AS_OF = "2026-06-30"


@pytest.fixture
def writer(demo_small, tmp_path) -> Store:
    store = Store(tmp_path / "portfolio.db")
    store.import_portfolio(demo_small, source="/data/first.xlsx", file_checksums={})
    yield store
    store.close()


class Counting:
    """A reload that counts its calls and a show/report that keep what they got."""

    def __init__(self, store: Store):
        self.store, self.loads, self.shown, self.lines = store, 0, [], []

    def reload(self, version):
        self.loads += 1
        return version

    def watcher(self, **kwargs) -> StoreWatcher:
        return StoreWatcher(self.store.data_version, self.reload, self.shown.append,
                            self.lines.append, self.store.data_version(),
                            url=self.store.url, **kwargs)


def test_no_reload_while_nothing_changes_one_per_change(writer, demo_small):
    reader = Store(read_only_url(writer.engine.url.database))
    counting = Counting(reader)
    watcher = counting.watcher()
    assert [watcher.check() for _ in range(5)] == [False] * 5
    assert counting.loads == 0
    writer.import_portfolio(demo_small, source="again.xlsx", file_checksums={})
    assert watcher.check() is True and watcher.check() is False
    assert counting.loads == 1 and counting.shown[-1].import_id == 2
    writer.save_result("forecast", AS_OF, attrs={})
    assert watcher.check() is True and counting.loads == 2
    assert counting.shown[-1].result_id is not None and counting.lines == []


def test_a_failed_read_keeps_the_view_and_says_why(writer, tmp_path):
    path = tmp_path / "portfolio.db"
    reader = Store(read_only_url(path))
    counting = Counting(reader)
    watcher = counting.watcher()
    writer.close()
    reader.close()
    files = [path.with_name(path.name + end) for end in ("", "-wal", "-shm")]
    away = tmp_path / "away"
    away.mkdir()
    for file in files:
        if file.exists():
            shutil.move(file, away / file.name)
    path.write_bytes(b"not a database at all" * 200)
    assert watcher.check() is False
    assert counting.loads == 0 and counting.shown == []
    assert len(counting.lines) == 1 and counting.lines[0].startswith("could not refresh: ")
    assert counting.lines[0].startswith(
        "could not refresh: the store is not a readable pmo_nb store (file is not a database)")
    assert str(tmp_path) not in counting.lines[0]
    assert "\n" not in counting.lines[0] and len(counting.lines[0]) < 250
    watcher.check()  # still failing: said once, not repeated
    assert len(counting.lines) == 1
    reader.close()
    for file in away.iterdir():
        shutil.move(file, tmp_path / file.name)
    assert watcher.check() is False  # the same version as shown: nothing to reload
    assert counting.lines[-1] is None and counting.loads == 0  # the line cleared


def test_a_failed_reload_keeps_the_version_so_the_next_tick_retries(writer, demo_small):
    counting = Counting(writer)
    watcher = counting.watcher()
    shown = watcher.version
    writer.import_portfolio(demo_small, source="b", file_checksums={})
    watcher.reload = lambda version: 1 / 0
    assert watcher.check() is False and watcher.version == shown
    assert counting.lines == ["could not refresh: division by zero"]
    watcher.reload = counting.reload
    assert watcher.check() is True and counting.lines[-1] is None


def test_ticks_on_the_running_loop_and_reloads_in_a_thread(writer, demo_small):
    counting = Counting(writer)

    async def scenario():
        watcher = counting.watcher(interval=0.02).start()
        assert watcher.running
        await asyncio.sleep(0.2)
        assert counting.loads == 0
        writer.import_portfolio(demo_small, source="b", file_checksums={})
        for _ in range(200):
            if counting.shown:
                break
            await asyncio.sleep(0.02)
        watcher.stop()
        assert not watcher.running

    in_thread(lambda: asyncio.run(scenario()))
    assert counting.loads == 1 and counting.shown[0].import_id == 2


def in_thread(call):
    """``call()`` in a new thread (no event loop of the test process's, e.g. Playwright's)."""
    out, errors = [], []

    def run():
        try:
            out.append(call())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    if errors:
        raise errors[0]
    return out[0]


def test_no_loop_or_interval_zero_means_no_ticking(writer):
    # no loop runs in a fresh thread: nothing to tick on
    assert not in_thread(lambda: Counting(writer).watcher(interval=5).start().running)
    assert not Counting(writer).watcher(interval=0).start().running


def test_refresh_interval_option(monkeypatch):
    monkeypatch.delenv("PMO_REFRESH_SECONDS", raising=False)
    assert refresh_seconds() == 5.0 and refresh_seconds("2.5") == 2.5
    monkeypatch.setenv("PMO_REFRESH_SECONDS", "0")
    assert refresh_seconds() == 0.0 and refresh_seconds(1) == 1.0
    for bad in ("soon", "-1", "nan"):
        with pytest.raises(ValueError, match="refresh interval must be a number of seconds"):
            refresh_seconds(bad)


def test_the_data_as_of_line_names_import_and_forecast_escaped():
    import datetime as dt

    from pmo_nb.forecast.stored import Persisted

    record = ImportRecord(7, dt.datetime(2026, 7, 1, 9, 30), "/in/<script>Q3 & co.xlsx")
    found = Persisted(object(), "2026-06-30", {}, version=3,
                      saved_at=dt.datetime(2026, 7, 1, 10))
    assert data_as_of(record, found) == (
        '<span class="pmo-data-as-of">Data as of import 7 (2026-07-01 09:30:00 UTC, from '
        "&lt;script&gt;Q3 &amp; co.xlsx); forecast as of 2026-06-30, version 3 "
        "(saved 2026-07-01 10:00:00 UTC)</span>")
    assert "forecast: forecasts not yet run" in data_as_of(record, Persisted(None, None))
    assert error_line(ValueError("a\nb")) == "could not refresh: a"


def _category_budget_raised(portfolio, category: str, by: float):
    """The portfolio with one project of ``category`` given ``by`` more budget."""
    projects = portfolio.projects.copy()
    first = projects.index[projects["category"] == category][0]
    projects.loc[first, "budget"] += by
    return dataclasses.replace(portfolio, projects=projects), projects.loc[first, "project_id"]


def test_executive_refresh_keeps_filter_and_project(writer, demo_small):
    reader_url = read_only_url(writer.engine.url.database)
    dashboard = app_executive.app(reader_url, AS_OF, refresh=0)
    category = str(demo_small.projects["category"].value_counts().index[-1])
    dashboard.filters["category"].value = category
    changed, project = _category_budget_raised(demo_small, category, 1_000_000)
    dashboard.project.value = project
    loads = []
    dashboard.watcher.reload = lambda v: loads.append(v) or app_executive.ExecutiveSource(
        reader_url, AS_OF).read(v)
    assert dashboard.watcher.check() is False and loads == []

    writer.import_portfolio(changed, source="/in/second.xlsx", file_checksums={})
    assert dashboard.watcher.check() is True and len(loads) == 1
    data = executive.prepare(changed, AS_OF)
    want = executive.view(data, executive.select(data, category=category))["kpis"]["budget"]
    assert money(want) in dashboard.tiles["budget"].value
    assert dashboard.filters["category"].value == category
    assert dashboard.project.value == project
    assert money(float(changed.projects.set_index("project_id").at[project, "budget"])) in (
        dashboard.panel.children[0].value)
    assert "Data as of import 2 (" in dashboard.header.value
    assert "from second.xlsx" in dashboard.header.value
    assert dashboard.refresh_error.value == ""


def test_health_refresh_keeps_filter_and_names_the_import(writer, demo_small):
    from pmo_nb.apps import health
    from pmo_nb.delivery import overview

    dashboard = health.app(read_only_url(writer.engine.url.database), AS_OF, refresh=0)
    category = str(demo_small.projects["category"].value_counts().index[-1])
    dashboard.filters["category"].value = category
    writer.save_result("scenario", "what if", attrs={})  # not the health page's business
    assert dashboard.watcher.check() is False
    changed, _ = _category_budget_raised(demo_small, category, 2_000_000)
    writer.import_portfolio(changed, source="/in/third.xlsx", file_checksums={})
    assert dashboard.watcher.check() is True
    want = overview.kpis(overview.filter(changed, category=category), AS_OF)["budget"]
    assert money(want) in dashboard.tiles["budget"].value
    assert dashboard.filters["category"].value == category
    assert "Data as of import 2 (" in dashboard.header.value
    assert "from third.xlsx" in dashboard.header.value


def test_scenario_explorer_announces_a_new_import_and_keeps_its_sliders(writer, demo_small):
    from pmo_nb.apps.scenario_explorer import explorer

    app = explorer(read_only_url(writer.engine.url.database), AS_OF, refresh=0,
                   frontier_points=2)
    assert "Data as of import 1 (" in app.as_of_line.value
    slider = next(iter(app.weight_sliders.values()))
    slider.value = 0.0
    shown = app.portfolio
    writer.save_result("scenario", "what if", attrs={})
    assert app.watcher.check() is False and app.newer.value == ""
    writer.import_portfolio(demo_small, source="/in/<fourth>.xlsx", file_checksums={})
    assert app.watcher.check() is True
    assert "Newer data landed: import 2 (" in app.newer.value
    assert "from &lt;fourth&gt;.xlsx). Reload the page to explore it" in app.newer.value
    assert app.portfolio is shown and slider.value == 0.0  # nothing redrawn under the sliders
    assert "Data as of import 1 (" in app.as_of_line.value


def test_the_portfolio_read_is_the_import_named_even_after_a_later_one(writer, demo_small):
    from pmo_nb.apps.live import read_portfolio_at

    first = writer.data_version()
    changed, _ = _category_budget_raised(demo_small, "IT", 5.0)
    writer.import_portfolio(changed, source="later.xlsx", file_checksums={})
    portfolio, record = read_portfolio_at(writer, first)
    assert record.import_id == 1 and portfolio.checksum() == demo_small.checksum()
    portfolio, record = read_portfolio_at(writer, writer.data_version())
    assert record.import_id == 2 and portfolio.checksum() == changed.checksum()


def test_a_filter_choice_seen_before_is_shown_again_without_recomputing(
        writer, demo_small, monkeypatch):
    dashboard = app_executive.app(read_only_url(writer.engine.url.database), AS_OF, refresh=0)
    views = []
    real_view = executive.view
    monkeypatch.setattr(executive, "view", lambda *a: views.append(a) or real_view(*a))
    shown = lambda: ([t.value for t in dashboard.tiles.values()],  # noqa: E731
                     {k: v.spec for k, v in dashboard.views.items()}, dashboard.project.options)
    everything = shown()
    category = str(demo_small.projects["category"].value_counts().index[-1])
    dashboard.filters["category"].value = category
    filtered = shown()
    assert len(views) == 1 and filtered != everything
    dashboard.filters["category"].value = ""
    dashboard.filters["category"].value = category
    assert len(views) == 1  # both choices were seen: no analysis ran again
    assert shown() == filtered
    dashboard.filters["category"].value = ""
    assert shown() == everything


def test_when_viewed_does_nothing_outside_a_preheated_kernel(writer, monkeypatch):
    from pmo_nb.apps.live import PREHEAT_ENV, when_viewed

    monkeypatch.delenv(PREHEAT_ENV, raising=False)
    dashboard = app_executive.app(read_only_url(writer.engine.url.database), AS_OF, refresh=0)
    ahead = []
    assert when_viewed(dashboard.watcher, ahead=lambda: ahead.append(1)) is False
    assert when_viewed(None) is False
    assert ahead == []  # nothing prepared where no page waits to be asked for


def test_a_preheated_kernel_warms_every_one_filter_choice_before_the_request(
        writer, demo_small, monkeypatch):
    import voila.utils

    from pmo_nb.apps.live import PREHEAT_ENV, when_viewed

    url = read_only_url(writer.engine.url.database)
    monkeypatch.setenv(PREHEAT_ENV, "True")
    order = []
    monkeypatch.setattr(voila.utils, "wait_for_request", lambda: order.append("request"))
    dashboard = app_executive.app(url, AS_OF, refresh=0)
    warm = dashboard.warm_choices
    monkeypatch.setattr(dashboard, "warm_choices", lambda: order.append(warm()))
    assert when_viewed(dashboard.watcher, ahead=dashboard.warm_choices) is False
    choices = dashboard.data.choices()
    count = sum(len(choices[name]) for name in app_executive.FILTERS)
    assert order == [count, "request"]  # warmed first, then the request was awaited
    assert warm() == 0  # all there already

    views = []
    real_view = executive.view
    monkeypatch.setattr(executive, "view", lambda *a: views.append(a) or real_view(*a))
    fresh = app_executive.app(url, AS_OF, refresh=0)  # not warmed: the reference
    for name in app_executive.FILTERS:
        _label, value = choices[name][-1]
        for board in (dashboard, fresh):
            board.filters[name].value = value
        assert [t.value for t in dashboard.tiles.values()] == [
            t.value for t in fresh.tiles.values()]
        assert {k: v.spec for k, v in dashboard.views.items()} == {
            k: v.spec for k, v in fresh.views.items()}
        assert dashboard.project.options == fresh.project.options
        for board in (dashboard, fresh):
            board.filters[name].value = ""
    assert len(views) == 1 + len(app_executive.FILTERS)  # the fresh one's only


def test_with_no_reporting_date_the_page_moves_to_the_new_day(writer, monkeypatch):
    # a kernel pre-heated (or a page left open) before midnight shows the new day after it
    import pandas as pd

    monkeypatch.setattr(app_executive, "today", lambda: pd.Timestamp("2026-06-30"))
    dashboard = app_executive.app(read_only_url(writer.engine.url.database), "", refresh=0)
    assert dashboard.data.as_of == pd.Timestamp("2026-06-30")
    assert dashboard.watcher.check() is False  # same day, same data: nothing reloads
    monkeypatch.setattr(app_executive, "today", lambda: pd.Timestamp("2026-07-01"))
    assert dashboard.watcher.check() is True
    assert dashboard.data.as_of == pd.Timestamp("2026-07-01")
    assert "2026-07-01" in dashboard.header.value
    # a reporting date given stays put whatever the day
    fixed = app_executive.app(read_only_url(writer.engine.url.database), AS_OF, refresh=0)
    monkeypatch.setattr(app_executive, "today", lambda: pd.Timestamp("2026-07-02"))
    assert fixed.watcher.check() is False and fixed.data.as_of == pd.Timestamp(AS_OF)
