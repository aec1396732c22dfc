"""Interactive dashboard apps (ipywidgets), one module per app, used by ``dashboards/``.

Each app module has a ``main`` or named builder the dashboard notebook calls
(``executive``, ``intake``, ``health``, ``scenario_explorer``); ``serve`` runs
Voila on the dashboards folder (``pmo serve``). Modules load on first use.
"""

from pmo_nb.lazy import lazy_exports

_EXPORTS = {
    "executive": None,
    "health": None,
    "intake": None,
    "scenario_explorer": None,
    "serve": None,
    "widgets": None,
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
