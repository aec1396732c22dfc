"""No text from the store becomes live markup in any dashboard, in a real browser.

The poisoned portfolio of ``tests/payloads.py`` (payloads in every text and
id column of every table) is served as ``pmo serve`` serves it; each app is
opened in Chromium, driven to the views that show names (the executive
dashboard's project page), and its DOM is checked with the HTML parser. Any
``alert`` the page tries to open fails the test too.
"""

from __future__ import annotations

import pytest
from browser_util import (
    BROWSER_MARKS,
    LOAD_TIMEOUT_MS,
    WAIT_MS,
    recording_page,
    screenshot_on_failure,
    serving,
)
from payloads import MARK, live_payloads, poisoned_store

from pmo_nb.forecast import forecast
from pmo_nb.store import Store

AS_OF = "2026-06-30"
pytestmark = BROWSER_MARKS

#: app -> a selector that is there once the app has drawn what it shows
APPS = {
    "executive": ".pmo-kpi-value",
    "portfolio_health": ".pmo-kpi-value",
    "scenario_explorer": ".pmo-selected-count",
    "intake": ".pmo-intake-save",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("payload-apps")
    db = poisoned_store(root, AS_OF)
    store = Store(db)
    forecast(store.load(), AS_OF, draws=100, seed=1, store=store,
             sampler_config={"tune": 100, "chains": 2, "cores": 1})
    with serving(db, root / "jupyter-config", intake_db=db) as voila:
        yield voila


@pytest.mark.parametrize("app", sorted(APPS))
def test_every_app_shows_the_payloads_as_text(server, browser, app):
    with recording_page(browser, 1400, 1600) as page:
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        with screenshot_on_failure(page, f"payload-{app}"):
            page.goto(f"{server.base}/voila/render/{app}.ipynb")
            page.wait_for_selector(APPS[app], state="visible", timeout=LOAD_TIMEOUT_MS)
            if app == "executive":  # the project page shows name, sponsor, risks, benefits
                page.select_option(".pmo-project select", index=1)
                page.wait_for_selector(".pmo-project-name", timeout=WAIT_MS)
                assert MARK in page.inner_text(".pmo-project-name")  # shown, as text
            page.wait_for_timeout(500)  # let late widget messages render
            live = live_payloads(page.content())
            assert not live, live[:20]
            assert not dialogs
