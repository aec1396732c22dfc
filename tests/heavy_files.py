"""Which test files run first (read by tests/conftest.py and checked by tests/test_lint.py)."""

#: The files that take a minute or more of one worker, longest first (``--durations`` of
#: whole runs, 2026-12-03). ``make test`` hands whole files to its two workers in
#: collection order (``--no-loadscope-reorder``), so one of these collected last kept
#: one worker busy alone at the end; collected first, they leave the short files to even
#: out the finish.
HEAVY_FIRST = (
    # first and third: the demo's run of every report (tests/reports/conftest.py) is
    # built by the first one at the start, ready before the third asks for it
    "tests/reports/test_browser_first_screen.py",
    "tests/security/test_payload_pages.py",
    "tests/reports/test_notebooks.py",
    "tests/apps/test_serve_hardening.py",
    "tests/forecast/test_reuse.py",
    "tests/forecast/test_calibration.py",
    "tests/forecast/test_laplace_start.py",
    "tests/reports/test_suite.py",
    "tests/store/test_store.py",
    "tests/apps/test_browser_app_first_screen.py",
    "tests/forecast/test_forecast.py",
    "tests/watch/test_fast_path.py",
    "tests/security/test_payload_dashboards.py",
    "tests/reports/test_cluster.py",
    "tests/test_cli.py",
    "tests/store/test_partial_reads.py",
    "tests/apps/test_browser_executive.py",
    "tests/forecast/test_compile_cache.py",
)
