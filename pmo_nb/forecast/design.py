"""How project attributes become the forecast model's inputs, and the data checksum.

The design (categories, covariates, their centring and scaling) is saved with
every fit, so a stored model predicts new projects exactly as it was trained.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Design:
    """How project attributes become model inputs (kept with the fit)."""

    categories: list[str]
    covariates: list[str]  # model names: log_budget, log_planned_days, extras...
    center: list[float]
    spread: list[float]

    @classmethod
    def from_outcomes(cls, outcome: pd.DataFrame, extras: list[str]) -> Design:
        raw = _raw_covariates(outcome, extras)
        center = raw.mean().fillna(0.0)
        spread = raw.std().fillna(1.0)
        for name in raw:
            if name == "mandatory":  # a 0/1 flag keeps its units
                center[name], spread[name] = 0.0, 1.0
        spread[spread <= 0] = 1.0
        return cls(sorted(outcome["category"].astype(str).unique()), list(raw.columns),
                   center.tolist(), spread.tolist())

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Standardised covariates (missing values at the centre, i.e. 0)."""
        extras = [c for c in self.covariates if c not in ("log_budget", "log_planned_days")]
        raw = _raw_covariates(frame, extras).reindex(columns=self.covariates)
        x = (raw.to_numpy("float64") - np.array(self.center)) / np.array(self.spread)
        return np.nan_to_num(x, nan=0.0)

    def category_index(self, frame: pd.DataFrame) -> np.ndarray:
        """Index of each row's category; -1 for a category never seen in training."""
        lookup = {c: i for i, c in enumerate(self.categories)}
        return np.array([lookup.get(str(c), -1) for c in frame["category"]], dtype=int)


def _raw_covariates(frame: pd.DataFrame, extras: list[str]) -> pd.DataFrame:
    raw = pd.DataFrame({"log_budget": np.log(frame["budget"].astype("float64").where(
                            frame["budget"] > 0)),
                        "log_planned_days": np.log(frame["planned_days"].astype("float64"))},
                       index=frame.index)
    for name in extras:
        raw[name] = (frame[name].astype("float64") if name in frame
                     else pd.Series(np.nan, index=frame.index))
    return raw


def data_checksum(*frames: pd.DataFrame) -> str:
    """SHA-256 (16 hex digits) of the training frames' contents."""
    digest = hashlib.sha256()
    for frame in frames:
        digest.update(frame.to_csv(date_format="%Y-%m-%d", float_format="%.10g").encode())
    return digest.hexdigest()[:16]
