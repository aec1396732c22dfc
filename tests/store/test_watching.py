"""Store.data_version: the one cheap question a live dashboard asks every few seconds.

It changes exactly when an import or a saved result lands, answers in a
single SELECT (counted with SQLAlchemy's cursor events), and works on the
read-only URL the dashboards get, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
import store_fixtures
from store_worker import make_portfolio

from pmo_nb.store.core import Store, read_only_url
from pmo_nb.store.watching import DataVersion

pg, db, store = store_fixtures.pg, store_fixtures.db, store_fixtures.store  # fixtures


def statements(store: Store, call) -> tuple[object, list[str]]:
    """``call()``'s result and the SQL statements it sent (BEGIN/COMMIT not counted)."""
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        sent.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        result = call()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    return result, [s for s in sent if not s.strip().upper().startswith(("BEGIN", "COMMIT",
                                                                          "PRAGMA"))]


def test_version_moves_with_each_import_and_result(store, db):
    assert store.data_version() == DataVersion(None, None)  # nothing written yet
    first = store.import_portfolio(make_portfolio(4, 1), source="a.xlsx", file_checksums={})
    reader = Store(read_only_url(db))
    assert reader.read_only
    assert reader.data_version() == DataVersion(first.import_id, None)
    store.save_result("forecast", "2026-06-30", attrs={})
    after_forecast = reader.data_version()
    assert after_forecast.import_id == first.import_id and after_forecast.result_id is not None
    store.save_result("scenario", "what if", attrs={})
    # a scenario moves the version, unless only forecasts are watched
    assert reader.data_version().result_id > after_forecast.result_id
    assert reader.data_version(kinds=("forecast",)) == after_forecast
    second = store.import_portfolio(make_portfolio(4, 1, "B"), source="b.xlsx",
                                    file_checksums={})
    assert reader.data_version(kinds=("forecast",)) == DataVersion(
        second.import_id, after_forecast.result_id)
    assert reader.data_version() == reader.data_version()  # nothing landed: equal
    record = reader.import_record(second.import_id)
    assert (record.import_id, record.source) == (second.import_id, "b.xlsx")
    assert record.started_at == second.started
    assert reader.import_record(999) is None
    reader.close()


def test_version_is_one_select(store, db):
    store.import_portfolio(make_portfolio(4, 1), source="a", file_checksums={})
    reader = Store(read_only_url(db))
    reader.data_version()  # the pool's first connection set up
    version, sent = statements(reader, lambda: reader.data_version(kinds=("forecast",)))
    assert version.import_id == 1
    assert len(sent) == 1 and sent[0].lstrip().upper().startswith("SELECT")
    reader.close()


def test_a_store_file_never_written_has_no_version(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()  # an empty SQLite file: no tables
    assert Store(read_only_url(path)).data_version() == DataVersion(None, None)
    assert Store(tmp_path / "absent.db").data_version() == DataVersion(None, None)
