"""Dashboards that update themselves: watch the store, redraw when an import or forecast lands.

A :class:`StoreWatcher` asks the store for its
:class:`~pmo_nb.store.watching.DataVersion` every ``interval`` seconds (one
``SELECT`` of two maxima, fine on the read-only URL the dashboards get) and
only when it changed reloads the data and hands it to the dashboard, which
redraws in place and keeps the viewer's filters. In a Voila kernel the ticks
are a tornado ``PeriodicCallback`` on the kernel's own running loop (the
loop ipykernel runs on, so widget messages go out as from any callback) and
the reload runs in a worker thread, so filters stay responsive meanwhile.
Ticks stop when the kernel's process exits (Voila shuts a dashboard's kernel
down when its page is left). A failed read keeps the last good view and says
"could not refresh: ..." in one line; the next good tick clears it.

The "data as of" line (:func:`data_as_of`) names what is shown: the import
(id, start time, source file name) and the forecast (as-of date, stored
version, save time), escaped, since both come from the store.
"""

from __future__ import annotations

import asyncio
import atexit
import os
from collections.abc import Callable
from pathlib import PurePath

import pandas as pd
from tornado.ioloop import IOLoop, PeriodicCallback

from pmo_nb.formatting import html_text

#: Environment variable with the seconds between two looks at the store (0 = never).
REFRESH_ENV = "PMO_REFRESH_SECONDS"
#: Default seconds between two looks at the store.
DEFAULT_REFRESH_SECONDS = 5.0
#: Set to "True" by Voila in the kernels it pre-heats.
PREHEAT_ENV = "VOILA_PREHEAT"
#: Longest error text shown in the "could not refresh" line.
ERROR_CHARS = 200


def refresh_seconds(value=None) -> float:
    """Seconds between two looks at the store: ``value``, else ``$PMO_REFRESH_SECONDS``, else 5.

    ``0`` turns watching off.

    Raises
    ------
    ValueError
        When the value is not a number of seconds >= 0.
    """
    given = value if value not in (None, "") else os.environ.get(REFRESH_ENV, "")
    if given in (None, ""):
        return DEFAULT_REFRESH_SECONDS
    try:
        seconds = float(given)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds >= 0:  # also refuses NaN
        raise ValueError(f"refresh interval must be a number of seconds >= 0 (0 = off), "
                         f"got {given!r} ({REFRESH_ENV} or the dashboard's refresh parameter)")
    return seconds


def error_line(exc: BaseException, url: str | None = None) -> str:
    """The one line a failed refresh shows (first line of the error, shortened).

    The store's ``url``, which store errors start with, is said as "the
    store": viewers need not learn where it lives.
    """
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if url:
        text = text.replace(url, "the store")
    if len(text) > ERROR_CHARS:
        text = text[:ERROR_CHARS - 3] + "..."
    return f"could not refresh: {text}"


def _utc(value) -> str:
    return "unknown time" if value is None else f"{value:%Y-%m-%d %H:%M:%S} UTC"


def import_text(record) -> str:
    """Plain text naming an import: ``import 3 (2026-07-01 09:30:00 UTC, from q3.xlsx)``."""
    name = PurePath(record.source).name or record.source
    return f"import {record.import_id} ({_utc(record.started_at)}, from {name})"


def data_as_of(record, forecast=None) -> str:
    """HTML of the "data as of" line: which import and, if given, which forecast is shown.

    Parameters
    ----------
    record : pmo_nb.store.watching.ImportRecord or None
        The import the portfolio was read at (None: the store has none).
    forecast : pmo_nb.forecast.stored.Persisted, optional
        The forecast shown; omitted for dashboards that show none.
    """
    text = "Data as of: no import yet" if record is None else f"Data as of {import_text(record)}"
    if forecast is not None:
        if forecast.available:
            text += (f"; forecast as of {forecast.name}, version {forecast.version} "
                     f"(saved {_utc(forecast.saved_at)})")
        else:
            text += f"; forecast: {forecast.describe()}"
    return f'<span class="pmo-data-as-of">{html_text(text)}</span>'


def read_portfolio_at(store, version):
    """The portfolio exactly as import ``version.import_id`` left it, and that import.

    Read at the import's start time (every row it wrote is stamped with it,
    later imports start later), so an import landing meanwhile cannot make
    the line name one import while the page shows another.

    Raises
    ------
    pmo_nb.StoreError
        When the store holds no portfolio yet.
    """
    record = None if version.import_id is None else store.import_record(version.import_id)
    if record is None:
        return store.load(), None  # says plainly that nothing was imported
    return store.load(as_of=pd.Timestamp(record.started_at, tz="UTC")), record


class StoreWatcher:
    """Call ``show(reload(version))`` whenever ``read_version()`` returns a new value.

    Parameters
    ----------
    read_version : callable
        ``() -> version``: the cheap question asked every tick
        (e.g. ``store.data_version``).
    reload : callable
        ``(version) -> data``: the expensive read, only on a change.
    show : callable
        ``(data) -> None``: redraw with the new data.
    report : callable
        ``(line or None) -> None``: show a "could not refresh" line, or clear it.
    version :
        The version of the data shown now.
    interval : float
        Seconds between ticks once :meth:`start` ed.
    url : str, optional
        The store's URL, left out of error lines (:func:`error_line`).
    """

    def __init__(self, read_version: Callable, reload: Callable, show: Callable,
                 report: Callable, version, interval: float = DEFAULT_REFRESH_SECONDS,
                 url: str | None = None):
        self.read_version, self.reload, self.show, self.report = (
            read_version, reload, show, report)
        self.version = version
        self.interval, self.url = float(interval), url
        self.failed: str | None = None  # the line shown since the last tick failed
        self.busy = False  # a reload is running in the worker thread
        self._callback: PeriodicCallback | None = None
        self._loop: IOLoop | None = None

    # -- one tick ------------------------------------------------------------------------
    def _new_version(self):
        """The store's version when it differs from the one shown, else None."""
        version = self.read_version()
        if version == self.version:
            self._ok()
            return None
        return version

    def _ok(self) -> None:
        if self.failed is not None:
            self.failed = None
            self.report(None)

    def _fail(self, exc: BaseException) -> None:
        line = error_line(exc, self.url)
        if line != self.failed:  # each new failure said once, not every tick
            self.failed = line
            self.report(line)

    def _apply(self, version, data) -> None:
        self.show(data)
        self.version = version
        self._ok()

    def check(self) -> bool:
        """One tick, done here and now: True when new data was loaded and shown."""
        try:
            version = self._new_version()
            if version is None:
                return False
            self._apply(version, self.reload(version))
            return True
        except Exception as exc:  # noqa: BLE001 - any failure keeps the last good view
            self._fail(exc)
            return False

    def _tick(self) -> None:
        """A tick on the loop: ask the version; a change is loaded in a worker thread."""
        if self.busy:
            return
        try:
            version = self._new_version()
        except Exception as exc:  # noqa: BLE001 - as in check
            self._fail(exc)
            return
        if version is None:
            return
        self.busy = True
        future = self._loop.run_in_executor(None, self.reload, version)
        self._loop.add_future(future, lambda done: self._loaded(version, done))

    def _loaded(self, version, done) -> None:
        """Back on the loop: show what the worker loaded (or say why it could not)."""
        self.busy = False
        try:
            self._apply(version, done.result())
        except Exception as exc:  # noqa: BLE001 - as in check
            self._fail(exc)

    # -- on the kernel's loop --------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._callback is not None and self._callback.is_running()

    def start(self) -> StoreWatcher:
        """Tick every ``interval`` seconds on the running (the kernel's) loop.

        Does nothing with ``interval`` 0, or where no loop runs.
        """
        if self.interval > 0 and not self.running:
            try:
                asyncio.get_running_loop()  # a kernel's cell runs inside its loop
            except RuntimeError:  # no loop runs here (a script): nothing to tick on
                return self
            self._loop = IOLoop.current()
            self._callback = PeriodicCallback(self._tick, self.interval * 1000,
                                              jitter=0.1)
            self._callback.start()
            atexit.register(self.stop)  # the kernel shutting down
        return self

    def stop(self) -> None:
        """Stop ticking (idempotent)."""
        if self._callback is not None:
            self._callback.stop()
            self._callback = None
            atexit.unregister(self.stop)


def when_viewed(watcher: StoreWatcher | None, ahead: Callable[[], object] | None = None
                ) -> bool:
    """In a kernel Voila pre-heated, wait for the page request, then look at the store.

    A pre-heated kernel ran the dashboard when the server filled its pool,
    maybe hours before anyone asks for the page; the watcher's ticks may be
    off (``refresh`` 0) or not yet due. So the dashboard's last cell calls
    this: ``ahead()`` (when given) does what the page may need later while
    nobody waits yet, Voila's ``wait_for_request`` blocks until the page is
    requested, then one :meth:`StoreWatcher.check` shows what the store holds
    now. Elsewhere (no pre-heating, a report, a script) it returns at once,
    without calling ``ahead``.

    Returns
    -------
    bool
        True when newer data was loaded and shown.
    """
    if os.environ.get(PREHEAT_ENV) != "True" or watcher is None:
        return False
    from voila.utils import wait_for_request  # lazy: only in a pre-heated Voila kernel

    if ahead is not None:
        ahead()
    wait_for_request()
    return watcher.check()
