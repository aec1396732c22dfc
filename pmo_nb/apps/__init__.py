"""Interactive dashboard apps (ipywidgets), one module per app, used by ``dashboards/``."""
