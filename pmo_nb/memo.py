"""Run-wide caches for report kernels: portfolio-wide work done once, not once a page.

A fan-out of a hundred status pages used to load the same store, and compute the
same portfolio-wide tables (earned value, benefits, knock-on, the calibration of
task estimates, the data checksum), a hundred times: about 9 s of a page's 10.
When :data:`ENV` is set (the report runner sets it in the kernels it keeps, see
:mod:`pmo_nb.reports.kernels`), :func:`per_portfolio` remembers such a function's
result for the very Portfolio object it was given and the same other arguments,
and :func:`cached` remembers values under a key (the store keeps each load under
its data version). Outside a report kernel nothing is cached: a dashboard that
edits a portfolio in place must see its edit.

Why our own: ``functools.cache`` cannot key on an unhashable Portfolio or
DataFrame argument, and must not hold a portfolio alive once its page is done.
Results are returned as deep copies, so a caller that changes one cannot change
what the next page gets.
"""

from __future__ import annotations

import copy
import functools
import os
import weakref

#: Environment variable that turns the caches on (``"1"``).
ENV = "PMO_RUN_CACHE"
#: Values kept by :func:`cached` (a run reads one store, at one or two dates).
MAX_VALUES = 8

_by_portfolio: dict[int, dict] = {}
_values: dict = {}


def enabled() -> bool:
    """True inside a report kernel that asked for run-wide caches."""
    return os.environ.get(ENV) == "1"


def _arg_key(value):
    """A hashable stand-in for an argument (DataFrames and Series by content)."""
    if hasattr(value, "to_numpy") and hasattr(value, "index"):
        import pandas as pd  # lazy: only for a DataFrame argument, which means pandas is loaded

        hashed = pd.util.hash_pandas_object(value, index=True)
        return ("frame", tuple(getattr(value, "columns", ())), len(value),
                int(hashed.sum()), int((hashed * 31).sum()))
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return value


def per_portfolio(func):
    """Decorate ``func(portfolio, *args, **kwargs)`` to run once per portfolio and arguments."""

    @functools.wraps(func)
    def wrapper(portfolio, *args, **kwargs):
        if not enabled():
            return func(portfolio, *args, **kwargs)
        key = (func.__module__, func.__qualname__, tuple(map(_arg_key, args)),
               tuple(sorted((k, _arg_key(v)) for k, v in kwargs.items())))
        slot = _by_portfolio.get(id(portfolio))
        if slot is None:
            slot = _by_portfolio[id(portfolio)] = {}
            weakref.finalize(portfolio, _by_portfolio.pop, id(portfolio), None)
        if key not in slot:
            slot[key] = func(portfolio, *args, **kwargs)
        return copy.deepcopy(slot[key])

    return wrapper


def cached(key, compute):
    """``compute()``, remembered under ``key`` while caches are on (the same object back)."""
    if not enabled():
        return compute()
    if key not in _values:
        if len(_values) >= MAX_VALUES:
            _values.pop(next(iter(_values)))
        _values[key] = compute()
    return _values[key]
