"""Report tables whose text is always escaped: ``styled(frame)`` instead of ``frame.style``.

pandas' Styler escapes nothing unless told, and a later ``.format(...)`` call
resets the escaping of the columns it formats; index labels and column
headers are never escaped by the ``styler.format.escape`` option. A project
named ``<img src=x onerror=...>`` would become live markup in a report page.
:class:`SafeStyler` makes HTML escaping the default of every ``format`` and
``format_index`` call, and escapes the index and the column labels from the
start, so a notebook cannot forget.
"""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from pmo_nb.formatting import html_text


class SafeStyler(Styler):
    """A :class:`pandas.io.formats.style.Styler` that escapes HTML by default."""

    def __init__(self, data, *args, **kwargs):
        kwargs.setdefault("escape", "html")
        super().__init__(data, *args, **kwargs)
        super().format_index(escape="html", axis=0)
        super().format_index(escape="html", axis=1)

    def format(self, formatter=None, subset=None, na_rep=None, precision=None, decimal=".",
               thousands=None, escape="html", hyperlinks=None):
        return super().format(formatter, subset=subset, na_rep=na_rep, precision=precision,
                              decimal=decimal, thousands=thousands, escape=escape,
                              hyperlinks=hyperlinks)

    def format_index(self, formatter=None, axis=0, level=None, na_rep=None, precision=None,
                     decimal=".", thousands=None, escape="html", hyperlinks=None):
        return super().format_index(formatter, axis=axis, level=level, na_rep=na_rep,
                                    precision=precision, decimal=decimal, thousands=thousands,
                                    escape=escape, hyperlinks=hyperlinks)


def styled(frame: pd.DataFrame | pd.Series) -> SafeStyler:
    """``frame.style``, with every value, index label and column label HTML-escaped.

    The index and column *names* (which Styler prints unformatted) are escaped
    on a shallow copy; the data itself is not touched.
    """
    frame = frame.to_frame() if isinstance(frame, pd.Series) else frame.copy(deep=False)
    frame.index = frame.index.set_names(_escaped(frame.index.names))
    frame.columns = frame.columns.set_names(_escaped(frame.columns.names))
    return SafeStyler(frame)


def _escaped(names) -> list:
    return [None if n is None else html_text(n) for n in names]

