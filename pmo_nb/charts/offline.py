"""The offline Vega bundle of Altair's ``JupyterChart``: built once, cached, shared.

Dashboards must draw charts with no internet access, so the widgets carry Vega
themselves (vl-convert's JavaScript bundle, about 0.9 MB) instead of loading it
from a CDN. Two costs are kept out of every dashboard kernel and page: the
bundle is built once per Altair / vl-convert version and then read from a
cache file (:func:`enable_offline`), and under ``pmo serve`` the page fetches
it once from the server instead of receiving a copy inside every chart's state
(:func:`shared_stub`). Imported by :mod:`pmo_nb.charts.display` after its
import-time deferrals (the package imports that module first).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

import altair as alt

from pmo_nb.atomic import write_atomic
from pmo_nb.config import STATIC_DIR_ENV

#: Environment variable naming the cache folder (default: the user cache dir).
CACHE_ENV = "PMO_CACHE_DIR"
_CHECK = "// sha256:"


def cache_dir() -> Path:
    """Where derived files (the offline Vega bundle) are cached.

    ``$PMO_CACHE_DIR`` if set, else the user cache folder for ``pmo_nb``
    (``$XDG_CACHE_HOME/pmo_nb`` or ``~/.cache/pmo_nb`` on Linux).
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    try:
        import platformdirs  # lazy: only when the bundle cache is located
    except ImportError:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(base) / "pmo_nb"
    return Path(platformdirs.user_cache_dir("pmo_nb", appauthor=False))


def _bundle_path() -> Path:
    """The cache file for the offline bundle of the installed Altair and vl-convert."""
    from importlib.metadata import version  # lazy: only when versions are compared

    from altair.utils._importers import (
        vl_version_for_vl_convert,  # lazy: Altair internals only when needed
    )

    key = "-".join((f"altair{alt.__version__}", f"vlc{version('vl-convert-python')}",
                    vl_version_for_vl_convert()))
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in key)
    return cache_dir() / f"vega-bundle-{safe}.js"


def _read_bundle(path: Path) -> str | None:
    """The cached bundle, or None when missing or not intact (checksum header)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    head, sep, body = text.partition("\n")
    if not sep or head != _CHECK + hashlib.sha256(body.encode("utf-8")).hexdigest():
        return None
    return body


def _write_bundle(path: Path, bundle: str) -> None:
    """Write the bundle atomically (:func:`pmo_nb.atomic.write_atomic`); errors are ignored."""
    text = _CHECK + hashlib.sha256(bundle.encode("utf-8")).hexdigest() + "\n" + bundle
    with contextlib.suppress(OSError):  # not caching is only slower: the next kernel builds it
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)


def enable_offline() -> None:
    """Make :class:`altair.JupyterChart` serve Vega from vl-convert, not a CDN.

    ``alt.JupyterChart.enable_offline()`` builds the JavaScript bundle with
    ``vl_convert.javascript_bundle`` in every new kernel (about 2 s); here it is
    built once and kept in :func:`cache_dir`, keyed by the Altair, vl-convert
    and Vega-Lite versions. A missing or damaged cache file is rebuilt; when
    Altair's private ``_esm`` / ``_is_offline`` attributes are not what this
    relies on, or the cache cannot be read or written, Altair's own
    ``enable_offline()`` is used as is. Under ``pmo serve`` the widgets then
    carry :func:`shared_stub` instead of the bundle itself.
    """
    cls = alt.JupyterChart
    offline = getattr(cls, "_is_offline", None)
    if offline is True:
        return
    if not isinstance(offline, bool) or not isinstance(getattr(cls, "_esm", None), str):
        cls.enable_offline()
        return
    try:
        path = _bundle_path()
    except Exception:  # noqa: BLE001  (any trouble naming the cache: no cache)
        path = None
    bundle = _read_bundle(path) if path is not None else None
    if bundle is None:
        cls.enable_offline()
        if cls._is_offline is not True or not isinstance(cls._esm, str):
            return
        bundle = cls._esm
        if path is not None:
            _write_bundle(path, bundle)
    # What enable_offline() itself sets, with the bundle it would build (or its stub).
    cls._esm = shared_stub(bundle) or bundle
    cls._is_offline = True


#: Where Voila serves the folder named by STATIC_DIR_ENV, below the server's base URL.
SHARED_URL_PATH = "voila/templates/pmo/static/"
#: The ES module a chart widget carries instead of the bundle: it imports the
#: bundle from the server the page came from (its base URL is in the page's
#: Jupyter config), so every chart on the page shares one download and one parse.
_STUB = """// pmo_nb: the offline Vega bundle, fetched once per page from this dashboard server
const config = document.getElementById("jupyter-config-data");
const base = (config && JSON.parse(config.textContent).baseUrl) || "/";
const bundle = await import(new URL(base.replace(/\\/*$/, "/") + %s, window.location.href).href);
export default bundle.default;
"""


def shared_stub(bundle: str) -> str | None:
    """A small ES module that loads ``bundle`` by URL, or None to embed it as before.

    anywidget sends a widget's ``_esm`` text with the widget's state, so a
    dashboard of six charts sent six copies of the bundle in one 4.8 MB
    websocket frame, and the browser parsed each. anywidget shares a module
    only when ``_esm`` is an absolute http(s) URL, which a kernel cannot know
    (the page may be reached by any host name or proxy), so the stub resolves
    the URL in the browser. The bundle is written (atomically, checked like the
    cache file) into the folder named by :data:`pmo_nb.config.STATIC_DIR_ENV`,
    which the server serves; its address carries the bundle's checksum, so a
    browser may keep it for good.
    None when the variable is unset (JupyterLab, reports) or the folder cannot
    be written: the widgets then embed the bundle, as before.
    """
    folder = os.environ.get(STATIC_DIR_ENV, "").strip()
    if not folder:
        return None
    digest = hashlib.sha256(bundle.encode("utf-8")).hexdigest()
    path = Path(folder) / f"vega-bundle-{digest[:16]}.js"
    if _read_bundle(path) != bundle:
        _write_bundle(path, bundle)
        if _read_bundle(path) != bundle:
            return None
    return _STUB % json.dumps(f"{SHARED_URL_PATH}{path.name}?v={digest[:16]}")
