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
import re
from dataclasses import dataclass
from pathlib import Path

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
NAME_PATTERN = r"[A-Za-z0-9_\-]+"


class AlertsError(ValueError):
    """``alerts.yml`` broke one or more rules; ``problems`` lists every one.

    ``problems`` is a DataFrame with columns ``file``, ``rule`` (rule name or
    ``#<position>``), ``key``, ``value`` and ``why``.
    """

    def __init__(self, problems: list[dict], source: str = ""):
        import pandas as pd  # lazy: keeps `pmo --help` fast

        self.problems = pd.DataFrame(problems, columns=PROBLEM_COLUMNS, dtype=object)
        self.source = source
        n = len(self.problems)
        lines = [f"{source}: {n} problem{'s' if n != 1 else ''} in the alert rules"]
        for p in self.problems.itertuples(index=False):
            where = ", ".join(f"{k} {v}" for k, v in (("rule", p.rule), ("key", p.key))
                              if v not in ("", None))
            value = "" if p.value in ("", None) else f", value {p.value!r}"
            lines.append(f"  {p.file}{': ' + where if where else ''}{value}: {p.why}")
        super().__init__("\n".join(lines))


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


def _problem(problems, file, rule, key, value, why) -> None:
    problems.append({"file": file, "rule": rule, "key": key,
                     "value": None if value is None else str(value), "why": why})


def _names(problems, source, label, entry, key) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(
            isinstance(v, str) and v.strip() for v in value):
        _problem(problems, source, label, key, value, "a name or a non-empty list of names")
        return ()
    return tuple(v.strip() for v in value)


def _rule(problems: list, source: str, label: str, entry: dict) -> AlertRule | None:
    before = len(problems)
    for key in sorted(set(entry) - set(RULE_KEYS), key=str):
        _problem(problems, source, label, key, None,
                 f"unknown key; allowed: {', '.join(RULE_KEYS)}")
    metric = entry.get("metric")
    if metric is None:
        _problem(problems, source, label, "metric", None, f"required: one of {', '.join(METRICS)}")
    elif metric not in METRICS:
        _problem(problems, source, label, "metric", metric, f"one of {', '.join(METRICS)}")
    comparison = entry.get("comparison")
    if comparison not in COMPARISONS:
        _problem(problems, source, label, "comparison", comparison,
                 ("required: " if comparison is None else "") + f"one of {' '.join(COMPARISONS)}")
    threshold = entry.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) \
            or not math.isfinite(threshold):
        _problem(problems, source, label, "threshold", threshold,
                 ("required: " if threshold is None else "") + "a number")
    severity = entry.get("severity", "warning")
    if severity not in SEVERITIES:
        _problem(problems, source, label, "severity", severity, f"one of {', '.join(SEVERITIES)}")
    filters = {k: _names(problems, source, label, entry, k)
               for k in ("projects", "owners", "categories", "teams")}
    if metric in METRICS:
        kind = METRICS[metric][0]
        for key, names in filters.items():
            if names and key not in FILTERS[kind]:
                _problem(problems, source, label, key, ", ".join(names),
                         f"{metric} is measured per {kind}; filters allowed: "
                         f"{', '.join(FILTERS[kind])}")
    description = entry.get("description", "")
    if not isinstance(description, str):
        _problem(problems, source, label, "description", description, "text")
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
    if data is None:
        data = {"alerts": []}
    if not isinstance(data, dict):
        raise AlertsError([{"file": source, "rule": "", "key": "", "value": type(data).__name__,
                            "why": "the file must be a mapping with an 'alerts' list"}], source)
    for key in sorted(set(data) - {"alerts"}, key=str):
        _problem(problems, source, "", key, None, "unknown top-level key; only 'alerts' is read")
    entries = data.get("alerts") or []
    if not isinstance(entries, list):
        _problem(problems, source, "", "alerts", type(entries).__name__,
                 "must be a list of rules")
        entries = []
    rules, seen = [], set()
    for position, entry in enumerate(entries, start=1):
        label = f"#{position}"
        if not isinstance(entry, dict):
            _problem(problems, source, label, "", type(entry).__name__,
                     "each rule must be a mapping (name, metric, comparison, threshold, ...)")
            continue
        name = entry.get("name")
        if name is None:
            _problem(problems, source, label, "name", None, "required")
        elif not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name):
            _problem(problems, source, label, "name", name,
                     "letters, digits, '_' or '-' only (it names the alert in the log)")
        elif name in seen:
            _problem(problems, source, name, "name", name, "duplicate rule name")
        else:
            label = name
            seen.add(name)
        rule = _rule(problems, source, label, entry)
        if rule is not None and label == name:
            rules.append(rule)
    if problems:
        raise AlertsError(problems, source)
    return rules


def load_rules(path: str | os.PathLike) -> list[AlertRule]:
    """Read and check an ``alerts.yml`` (see :func:`parse_rules`)."""
    import yaml  # lazy: PyYAML loads only when rules are read

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AlertsError([{"file": str(path), "rule": "", "key": "", "value": None,
                            "why": "file not found"}], str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AlertsError([{"file": str(path), "rule": "", "key": "", "value": None,
                            "why": f"cannot read it: {exc}"}], str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise AlertsError([{"file": str(path), "rule": "", "key": "", "value": None,
                            "why": f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"}],
                          str(path)) from None
    return parse_rules(data, str(path))
