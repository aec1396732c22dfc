"""Widgets the dashboards share: KPI tiles, filter dropdowns and form fields (money,
a choice with "other", a name that may be new), with stable CSS hooks.

Every app names its widgets with ``pmo-...`` classes so browser tests (and
people reading the page source) find them; keeping the builders here keeps
those names and the tiles' look the same in every app.
"""

from __future__ import annotations

import ipywidgets as w

from pmo_nb.formatting import html_text, whole_money
from pmo_nb.io.form_cells import MONEY_HELP, parse_money

#: The look of KPI tiles (a ``<style>`` block; apps add their own rules after it).
KPI_STYLE = """<style>
.pmo-kpi { border: 1px solid #cfd8dc; border-radius: 6px; padding: 6px 14px; margin: 4px;
           min-width: 130px; background: #fafafa; }
.pmo-kpi-label { font-size: 12px; color: #546e7a; }
.pmo-kpi-value { font-size: 24px; font-weight: bold; color: #263238; }
.pmo-kpi-red .pmo-kpi-value { color: #c62828; }
</style>"""


def kpi_tile(key: str) -> w.HTML:
    """An empty KPI tile with classes ``pmo-kpi`` and ``pmo-kpi-<key>``."""
    widget = w.HTML()
    widget.add_class("pmo-kpi")
    widget.add_class(f"pmo-kpi-{key}")
    return widget


def filter_dropdown(name: str, options: list, all_value: str = "") -> w.Dropdown:
    """A filter offering "All" then ``options`` (values or (label, value) pairs).

    Its classes ``pmo-filter`` and ``pmo-filter-<name>`` name it for tests.
    """
    widget = w.Dropdown(options=_choices(options, all_value), value=all_value,
                        description=name.capitalize())
    widget.add_class("pmo-filter")
    widget.add_class(f"pmo-filter-{name}")
    return widget


#: The hint a money field shows until something is typed.
MONEY_PLACEHOLDER = "e.g. 2.5m, 2,500,000 or 250k"
#: The dropdown value that stands for "a name not in the list".
OTHER = "\x00other"


def _hint(key: str) -> w.HTML:
    widget = w.HTML(layout=w.Layout(margin="0 0 0 8px"))
    widget.add_class(f"{key}-hint")
    return widget


def _warning(text: str) -> str:
    return f'<span style="color:#e65100">{html_text(text)}</span>'


class _HintedField:
    """An input widget with a hint beside it (class ``<key>-hint``), redrawn as it changes."""

    def __init__(self, field: w.ValueWidget, key: str):
        field.add_class(key)
        self.field = field
        self.hint = _hint(key)
        self.widget = w.HBox([field, self.hint])
        field.observe(lambda _c: self._show(), names="value")

    @property
    def value(self) -> str:
        return self.field.value

    @value.setter
    def value(self, text: str) -> None:
        self.field.value = text

    def _show(self) -> None:
        raise NotImplementedError


class MoneyField(_HintedField):
    """A money text field that shows what it read (``= 2,500,000``) or that it read nothing.

    ``value`` is the text as typed: :func:`pmo_nb.io.form_cells.money_text`
    turns it into the cell the importer checks, so the hint and the saved
    number always agree. ``key`` is the field's CSS class (the text box has
    it, the hint ``<key>-hint``).
    """

    def __init__(self, key: str, description: str, *, style: dict, width: str = "360px",
                 value: str = ""):
        self.text = w.Text(value=value, description=description, placeholder=MONEY_PLACEHOLDER,
                           style=style, layout=w.Layout(width=width))
        super().__init__(self.text, key)
        self._show()

    def _show(self) -> None:
        typed = self.text.value.strip()
        amount = parse_money(typed)
        if not typed:
            self.hint.value = ""
        elif amount is None:
            self.hint.value = _warning(f"not an amount: type {MONEY_HELP}")
        else:
            self.hint.value = f"= {whole_money(amount)}"


class ChoiceWithOther:
    """A dropdown of the known values plus "other", which opens a text box and a warning.

    For a category: a typo in free text would start a new reference class, so
    the known ones are chosen and a new one is typed only on purpose, with
    ``warning`` (``{}`` is the new value) shown beside it.
    """

    def __init__(self, key: str, description: str, known: list[str], *, warning: str,
                 style: dict, other_label: str = "other (new)"):
        self.known = list(known)
        self.warning_text = warning
        self.dropdown = w.Dropdown(description=description, style=style,
                                   options=[("(choose)", ""), *((k, k) for k in self.known),
                                            (other_label, OTHER)], value="")
        self.dropdown.add_class(key)
        self.other = w.Text(placeholder="the new one", layout=w.Layout(width="180px",
                                                                        display="none"))
        self.other.add_class(f"{key}-other")
        self.hint = _hint(key)
        self.widget = w.HBox([self.dropdown, self.other, self.hint])
        self.dropdown.observe(lambda _c: self._show(), names="value")
        self.other.observe(lambda _c: self._show(), names="value")

    @property
    def value(self) -> str:
        return self.other.value if self.dropdown.value == OTHER else self.dropdown.value

    @value.setter
    def value(self, text: str) -> None:
        if text in self.known or text == "":
            self.dropdown.value = text
        else:
            self.other.value = text
            self.dropdown.value = OTHER

    def _show(self) -> None:
        chose_other = self.dropdown.value == OTHER
        self.other.layout.display = None if chose_other else "none"
        typed = self.other.value.strip()
        same = [k for k in self.known if k.casefold() == typed.casefold()]
        if not chose_other or not typed:
            self.hint.value = ""
        elif same:
            self.hint.value = _warning(f"{same[0]} exists already: choose it in the list")
        else:
            self.hint.value = _warning(self.warning_text.format(typed))


class NameField(_HintedField):
    """A combobox of known names that also takes a new one, with ``warning`` beside it.

    For people: choosing a listed name keeps one spelling per person; a name
    not in the list is allowed (a new sponsor) but said so, since a typo
    would otherwise make a second person.
    """

    def __init__(self, key: str, description: str, known: list[str], *, warning: str,
                 style: dict, width: str = "360px"):
        self.known = sorted(set(known))
        self.warning_text = warning
        self.combobox = w.Combobox(description=description, options=self.known,
                                   ensure_option=False, style=style,
                                   layout=w.Layout(width=width))
        super().__init__(self.combobox, key)

    def _show(self) -> None:
        typed = self.combobox.value.strip()
        self.hint.value = ("" if not typed or typed in self.known
                           else _warning(self.warning_text.format(typed)))


def _choices(options: list, all_value: str) -> tuple:
    pairs = [o if isinstance(o, tuple) else (str(o), o) for o in options]
    return (("All", all_value), *pairs)


def set_choices(widget: w.Dropdown, options: list, all_value: str = "") -> None:
    """Give a :func:`filter_dropdown` new ``options``, keeping its value while offered.

    A value the new options lack falls back to "All". Unchanged options are
    not sent to the page again.
    """
    choices = _choices(options, all_value)
    keep = widget.value if widget.value in {v for _, v in choices} else all_value
    if tuple(widget.options) != choices:
        widget.options = choices
    if widget.value != keep:
        widget.value = keep


def refresh_note() -> w.HTML:
    """The (empty) line where a live dashboard says "could not refresh: ...".

    Its class ``pmo-refresh-error`` names it for tests.
    """
    widget = w.HTML()
    widget.add_class("pmo-refresh-error")
    return widget


def show_refresh(widget: w.HTML, line: str | None) -> None:
    """Put a "could not refresh" ``line`` in a :func:`refresh_note` (None clears it)."""
    widget.value = "" if line is None else (
        f'<div class="pmo-note">{html_text(line)}</div>')


def chart_box(key: str, view, chart) -> w.VBox:
    """A dashboard chart with its "how to read this" line under it (class ``pmo-chart-<key>``)."""
    from pmo_nb.charts import reading_html  # lazy: the charts load with the first dashboard

    box = w.VBox([view, w.HTML(reading_html(chart))])
    box.add_class(f"pmo-chart-{key}")
    return box


def what_to_know_widget() -> w.HTML:
    """The HTML widget a dashboard fills with :func:`pmo_nb.briefings.what_to_know.to_html`."""
    widget = w.HTML()
    widget.add_class("pmo-what-to-know-box")
    return widget
