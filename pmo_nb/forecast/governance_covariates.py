"""Scope growth and approved changes as covariates of the reference class.

Where the portfolio keeps a requirements list, each project's scope growth
(:mod:`pmo_nb.delivery.scope`) becomes a covariate; where it keeps change
requests, so does the number of changes approved (:mod:`pmo_nb.delivery.changes`).
A portfolio with neither fits exactly as without this module: same columns,
same numbers.

Both are measured *as of a date* and never later: a forecast made at
``as_of`` sees the requirements and decisions recorded by then, and the
backtest measures a training project at its epoch's cut-off and a
re-forecast project at its snapshot date. A completed project's growth at
``as_of`` is its whole life's growth while a running one's is growth so far:
early in a project's life the covariate understates what is still to come,
and where growth drives overruns its forecast leans towards "no growth yet"
(optimistic). The backtest re-forecasts closed projects with exactly this
information at 25/50/75 % of their lives and says whether the covariates
helped there (:func:`pmo_nb.forecast.calibration.governance_effect`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.delivery.changes import approved_count_at
from pmo_nb.delivery.scope import growth_at
from pmo_nb.portfolio import Portfolio

#: The governance covariates, in the order the design uses them.
GOVERNANCE_COVARIATES = ("scope_growth", "approved_changes")


def governance_columns(portfolio: Portfolio) -> list[str]:
    """The governance covariates this portfolio's data has (none without the tables)."""
    have = {"scope_growth": len(portfolio.requirements) > 0,
            "approved_changes": len(portfolio.change_requests) > 0}
    return [name for name in GOVERNANCE_COVARIATES if have[name]]


def with_governance(frame: pd.DataFrame, portfolio: Portfolio, when,
                    columns: list[str] | None = None) -> pd.DataFrame:
    """``frame`` (indexed by ``project_id``) with its governance covariates at ``when``.

    ``when`` is one date or one date per row of ``frame`` (then each row is
    measured at its own date). ``columns`` default to :func:`governance_columns`;
    with none, ``frame`` comes back unchanged (not even copied).
    """
    columns = governance_columns(portfolio) if columns is None else list(columns)
    if not columns:
        return frame
    ids = frame.index.to_numpy()
    dates = np.broadcast_to(np.asarray(pd.Timestamp(when).to_datetime64()
                                       if np.ndim(when) == 0 else pd.to_datetime(when)),
                            (len(frame),))
    out = frame.copy()
    if "scope_growth" in columns:
        out["scope_growth"] = growth_at(portfolio.requirements, ids, dates)
    if "approved_changes" in columns:
        out["approved_changes"] = approved_count_at(portfolio.change_requests, ids,
                                                    dates).astype("float64")
    return out
