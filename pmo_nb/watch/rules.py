"""The alert rules (``alerts.yml``): which metric, compared how, for whom, how severe.

Pure: parsing and checking; nothing is evaluated or written here
(:mod:`pmo_nb.watch.alerts` does that). Like ``reports.yml``
(:mod:`pmo_nb.reports.schedule`), a file is checked whole before anything
runs and every problem is listed with file, rule, key, value and why. The
keys and metrics are documented once, in the README ("Alerts: alerts.yml");
:data:`RULE_KEYS` and :data:`METRICS` implement them.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from pmo_nb.config import SettingsFileError, add_problem, read_settings_file, settings_entries

#: metric -> (subject kind, what it measures); subject kinds: project, owner, team
METRICS = {
    "cpi": ("project", "cost performance index EV / AC (latest status update)"),
    "spi": ("project", "schedule performance index EV / PV (latest status update)"),
    "p_over_budget": ("project", "P(over budget) of the persisted forecast, 0 to 1"),
    "p_late": ("project", "P(late) of the persisted forecast, 0 to 1"),
    "plan_p80_slip_days": ("project", "the plan's P80 finish minus the planned finish, "
                                      "in calendar days (projects with tasks)"),
    "benefit_realisation": ("project", "realised share of the project's committed benefits, "
                                       "0 to 1 (benefits measured so far)"),
    "scope_growth": ("project", "scope growth against the baseline, as a fraction"),
    "decisions_overdue": ("owner", "open decisions past their due date, per owner"),
    "capacity_utilisation": ("team", "a team-month's demand / capacity, 1 = 100% "
                                     "(the reporting month onwards)"),
}
COMPARISONS = ("<", "<=", ">", ">=")
SEVERITIES = ("info", "warning", "critical")
#: Keys of one rule.
RULE_KEYS = ("name", "metric", "comparison", "threshold", "severity", "projects", "owners",
             "categories", "teams", "description")
#: Filters each subject kind accepts.
FILTERS = {"project": ("projects", "owners", "categories"), "owner": ("owners",),
           "team": ("teams",)}
#: Columns of :attr:`AlertsError.problems`.
PROBLEM_COLUMNS = ["file", "rule", "key", "value", "why"]


class AlertsError(SettingsFileError):
    """``alerts.yml`` broke one or more rules; ``problems`` lists every one.

    ``problems`` is a DataFrame with columns ``file``, ``rule`` (rule name or
    ``#<position>``), ``key``, ``value`` and ``why``.
    """

    entry, reason, what = "rule", "why", "the alert rules"


@dataclass(frozen=True)
class AlertRule:
    """One checked rule of ``alerts.yml``."""

    name: str
    metric: str
    comparison: str
    threshold: float
    severity: str = "warning"
    projects: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    description: str = ""

    @property
    def subject_kind(self) -> str:
        return METRICS[self.metric][0]

    def holds(self, value: float) -> bool:
        """Whether ``value`` meets the condition (a missing value never does)."""
        if value is None or not math.isfinite(value):
            return False
        return {"<": value < self.threshold, "<=": value <= self.threshold,
                ">": value > self.threshold, ">=": value >= self.threshold}[self.comparison]


def _names(problems, source, label, entry, key) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(
            isinstance(v, str) and v.strip() for v in value):
        add_problem(problems, source, label, key, value, "a name or a non-empty list of names")
        return ()
    return tuple(v.strip() for v in value)


def _rule(problems: list, source: str, label: str, entry: dict) -> AlertRule | None:
    before = len(problems)
    for key in sorted(set(entry) - set(RULE_KEYS), key=str):
        add_problem(problems, source, label, key, None,
                    f"unknown key; allowed: {', '.join(RULE_KEYS)}")
    metric = entry.get("metric")
    if metric is None:
        add_problem(problems, source, label, "metric", None,
                    f"required: one of {', '.join(METRICS)}")
    elif metric not in METRICS:
        add_problem(problems, source, label, "metric", metric, f"one of {', '.join(METRICS)}")
    comparison = entry.get("comparison")
    if comparison not in COMPARISONS:
        add_problem(problems, source, label, "comparison", comparison,
                    ("required: " if comparison is None else "")
                    + f"one of {' '.join(COMPARISONS)}")
    threshold = entry.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) \
            or not math.isfinite(threshold):
        add_problem(problems, source, label, "threshold", threshold,
                    ("required: " if threshold is None else "") + "a number")
    severity = entry.get("severity", "warning")
    if severity not in SEVERITIES:
        add_problem(problems, source, label, "severity", severity,
                    f"one of {', '.join(SEVERITIES)}")
    filters = {k: _names(problems, source, label, entry, k)
               for k in ("projects", "owners", "categories", "teams")}
    if metric in METRICS:
        kind = METRICS[metric][0]
        for key, names in filters.items():
            if names and key not in FILTERS[kind]:
                add_problem(problems, source, label, key, ", ".join(names),
                            f"{metric} is measured per {kind}; filters allowed: "
                            f"{', '.join(FILTERS[kind])}")
    description = entry.get("description", "")
    if not isinstance(description, str):
        add_problem(problems, source, label, "description", description, "text")
    if len(problems) > before:
        return None
    return AlertRule(label, metric, comparison, float(threshold), severity,
                     description=description, **filters)


def parse_rules(data, source: str = "alerts.yml") -> list[AlertRule]:
    """Check parsed YAML ``data`` (``{"alerts": [...]}``) and return its rules in file order.

    Raises
    ------
    AlertsError
        Listing every problem (file, rule, key, value, why).
    """
    problems: list[dict] = []
    rules = []
    for label, entry, before in settings_entries(
            data, source, "alerts", problems, AlertsError, kind="rule",
            entry_help="name, metric, comparison, threshold, ...",
            name_why="it names the alert in the log"):
        rule = _rule(problems, source, label, entry)
        if rule is not None and len(problems) == before:
            rules.append(rule)
    if problems:
        raise AlertsError(problems, source)
    return rules


def load_rules(path: str | os.PathLike) -> list[AlertRule]:
    """Read and check an ``alerts.yml`` (see :func:`parse_rules`)."""
    return parse_rules(read_settings_file(path, AlertsError), str(Path(path)))
