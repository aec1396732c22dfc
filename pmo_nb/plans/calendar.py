"""The working-day calendar of a plan: day offsets from day 0 and back to dates.

Working days are Monday to Friday less the holidays. A plan's day 0 is its
project's start date, or the next working day; offset ``k`` is the k-th
working day after it. A task starting at offset ``s`` with duration ``d``
works days ``s .. s + d - 1`` and its early finish is the offset ``s + d``.
NumPy's business-day functions do the counting (no calendar code of our own).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class WorkCalendar:
    """Offsets <-> dates for one plan.

    Parameters
    ----------
    start : date-like
        The project's start date (day 0 is it or the next working day).
    holidays : iterable of date-like
        Non-working days besides weekends.
    """

    def __init__(self, start, holidays=()):
        days = pd.to_datetime(pd.Series(list(holidays), dtype="object"), errors="coerce")
        self.holidays = np.array(sorted(set(days.dropna().dt.normalize())),
                                 dtype="datetime64[D]")
        first = np.datetime64(pd.Timestamp(start).normalize().date(), "D")
        self.day0 = np.busday_offset(first, 0, roll="forward", holidays=self.holidays)

    def offset(self, dates) -> np.ndarray:
        """Working-day offsets of ``dates`` (a non-working date counts as the next working day)."""
        values = pd.to_datetime(pd.Series(np.atleast_1d(dates))).dt.normalize()
        days = values.to_numpy().astype("datetime64[D]")
        rolled = np.busday_offset(days, 0, roll="forward", holidays=self.holidays)
        return np.busday_count(self.day0, rolled, holidays=self.holidays).astype("float64")

    def date(self, offsets) -> pd.DatetimeIndex:
        """The working day at each offset (fractions round down; negative is before day 0)."""
        whole = np.floor(np.asarray(offsets, dtype="float64")).astype("int64")
        days = np.busday_offset(self.day0, whole, roll="forward", holidays=self.holidays)
        return pd.DatetimeIndex(days.astype("datetime64[ns]"))

    def finish_date(self, early_finish, duration) -> pd.DatetimeIndex:
        """The last working day of a task ending at offset ``early_finish`` (its start for a
        milestone)."""
        ef = np.asarray(early_finish, dtype="float64")
        d = np.asarray(duration, dtype="float64")
        return self.date(np.where(d > 0, np.ceil(ef) - 1, ef))

    def worked_days(self, start, finish) -> np.ndarray:
        """Working days from ``start`` to ``finish``, both counted (a same-day task took 1)."""
        return self.offset(finish) - self.offset(start) + 1.0
