"""The Bayesian reference-class forecast: model, training data, backtest, stored results.

Public names are resolved on first use (:mod:`pmo_nb.lazy`).
"""

from pmo_nb.lazy import lazy_exports, make_callable

_EXPORTS = {
    "forecast": "forecasting",
    "fit_reference_class": "forecasting",
    "drivers": "forecasting",
    "describe_drivers": "forecasting",
    "most_at_risk": "forecasting",
    "portfolio_cost_curve": "forecasting",
    "predictive_checks": "forecasting",
    "inflight_frame": "forecasting",
    "MODEL_KIND": "forecasting",
    "MODEL_NAME": "forecasting",
    "TABLE_KIND": "forecasting",
    "ForecastModel": "model",
    "MODEL_VERSION": "model",
    "DEFAULT_MODEL_CONFIG": "model",
    "DEFAULT_SAMPLER_CONFIG": "model",
    "backtest": "calibration",
    "governance_effect": "calibration",
    "WITHOUT_GOVERNANCE": "calibration",
    "GOVERNANCE_COVARIATES": "governance_covariates",
    "clear_effect": "forecasting",
    "persisted_backtest": "calibration",
    "diagnostics": "convergence",
    "Diagnostics": "convergence",
    "MAX_R_HAT": "convergence",
    "MIN_ESS": "convergence",
    "laplace_start": "laplace_start",
    "LaplaceStart": "laplace_start",
    "BACKTEST_KIND": "stored",
    "Persisted": "stored",
    "latest": "stored",
    "stored_forecast": "stored",
    "stored_backtest": "stored",
    "COVERAGE_BAND": "calibration",
    "describe_fit": "describe",
    "describe_scorecard": "describe",
    "describe_governance_effect": "describe",
    "report_scorecard": "describe",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
#: `pmo_nb.forecast(...)` predates this package and still calls the function.
make_callable(__name__, "forecast")
