"""The "What to know" block of the two forms: the proposal intake and the change request.

Someone raising a proposal needs to know what it competes with (the
pipeline's ask against the money left in the funding round), which category
to choose (each is a reference class, and a thin one forecasts poorly) and
how past projects ended against their budgets. Someone raising a change needs
the changes already waiting, the projects whose baselines moved most, the
decisions overdue and how often changes are approved.

Like :mod:`pmo_nb.briefings.what_to_know`, the functions are pure: they take
frames the forms computed (from the same functions the reports use) and
return at most :data:`~pmo_nb.briefings.what_to_know.LIMIT` findings, each led
by its number, in plain text; :func:`pmo_nb.briefings.what_to_know.to_html`
escapes them where they meet HTML.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.briefings.what_to_know import LIMIT, Finding, _plural, names
from pmo_nb.formatting import labelled_list, money
from pmo_nb.governance.baselines import drift_table

#: A category with fewer completed projects than this forecasts from a thin reference class.
FEW_COMPLETED = 10
#: Categories named in a finding at most (then "and N more").
SHOWN = 6


def _signed(amount: float) -> str:
    return ("+" if amount >= 0 else "-") + money(abs(amount))


def intake(portfolio, candidates: pd.DataFrame, budget: float, completed: pd.DataFrame,
           few: int = FEW_COMPLETED) -> list[Finding]:
    """Pipeline and ask, money left, categories, thin reference classes, the overrun base rate.

    Parameters
    ----------
    portfolio : Portfolio
        For the store's categories (``projects.category``).
    candidates : pandas.DataFrame
        :func:`pmo_nb.prioritise.scoring.candidates`: the proposed and
        approved projects competing for money (``stage``, ``budget``).
    budget : float
        The funding round's money (:func:`pmo_nb.prioritise.frontier.default_budget`,
        where the scenario explorer starts).
    completed : pandas.DataFrame
        :func:`pmo_nb.forecast.progress.outcomes`: the completed projects the
        reference classes are fitted on (``category``, ``log_cost_ratio``).
    few : int
        A category with fewer completed projects is called thin.
    """
    proposed = candidates[candidates["stage"] == "proposed"]
    approved = candidates[candidates["stage"] == "approved"]
    left = budget - float(approved["budget"].sum())
    room = (f"{money(left)} left of the {money(budget)} funding round once the "
            f"{len(approved)} approved {_plural(len(approved), 'project is', 'projects are')} "
            "paid for" if left >= 0 else
            f"a {money(budget)} funding round the {len(approved)} approved projects already "
            f"overspend by {money(-left)}")
    out = [Finding(f"proposed {_plural(len(proposed), 'project waits', 'projects wait')} in the "
                   f"pipeline, asking {money(float(proposed['budget'].sum()))} in all, against "
                   f"{room}.", str(len(proposed)), "scenario explorer")]
    counts = completed["category"].value_counts() if len(completed) else pd.Series(dtype=int)
    categories = sorted({str(c) for c in portfolio.projects["category"].dropna()
                         if str(c).strip()})
    if categories:
        listed = labelled_list(categories, limit=SHOWN)
        out.append(Finding(f"{_plural(len(categories), 'category', 'categories')} (reference "
                           f"classes) to choose from: {listed}; a new one starts a "
                           "reference class with no past projects.", str(len(categories)),
                           "Category field"))
        thin = sorted((int(counts.get(c, 0)), c) for c in categories if counts.get(c, 0) < few)
        said = labelled_list([c for _, c in thin], details=[n for n, _ in thin], limit=SHOWN) \
            if thin else ""
        out.append(Finding(
            f"{_plural(len(thin), 'category has', 'categories have')} fewer than {few} completed "
            f"projects to forecast cost from" + (f": {said}; their cost ranges lean on the other "
                                                 "categories." if thin else "."),
            str(len(thin)), "Category field"))
    if len(completed):
        ratio = np.exp(completed["log_cost_ratio"].astype("float64"))
        over = float((ratio > 1).mean())
        out.append(Finding(f"of the {len(completed)} completed projects finished over budget; "
                           f"the median final cost was {ratio.median():.0%} of budget and one in "
                           f"ten ended above {ratio.quantile(0.9):.0%}.", f"{over:.0%}",
                           "Budget field"))
    return out[:LIMIT]


def change_request(portfolio, summary: pd.DataFrame, base: pd.DataFrame, owed: pd.DataFrame
                   ) -> list[Finding]:
    """Changes waiting and their exposure, the largest drift, decisions overdue, approval rate.

    Parameters
    ----------
    portfolio : Portfolio
        For project names.
    summary : pandas.DataFrame
        :func:`pmo_nb.governance.change_summary` at the reporting date.
    base : pandas.DataFrame
        :func:`pmo_nb.governance.baseline` at the reporting date.
    owed : pandas.DataFrame
        :func:`pmo_nb.governance.decisions_owed` at the reporting date.
    """
    waiting = summary.loc["proposed"] if "proposed" in summary.index else None
    n_waiting = int(waiting["changes"]) if waiting is not None else 0
    said = (f", carrying {money(waiting['cost_impact'])} and "
            f"{waiting['schedule_impact_days']:,.0f} days if all are approved"
            if waiting is not None else "")
    exposed = base[base["pending_changes"] > 0].sort_values(
        ["pending_cost", "pending_days"], ascending=False, kind="stable")
    if len(exposed):
        top = exposed.iloc[0]
        said += (f"; the most on {names(portfolio, exposed.index[:1])} "
                 f"({int(top['pending_changes'])} waiting, {_signed(top['pending_cost'])}, "
                 f"{top['pending_days']:+,.0f} days)")
    out = [Finding(f"change {_plural(n_waiting, 'request waits', 'requests wait')} for a "
                   f"decision{said}.", str(n_waiting), "governance report")]
    moved = drift_table(base)
    if len(moved):
        most = "; ".join(f"{names(portfolio, [pid])} ({_signed(moved.at[pid, 'drift_money'])}, "
                         f"{moved.at[pid, 'drift_days']:+,.0f} days)" for pid in moved.index[:3])
        out.append(Finding(f"baseline drift from approved changes across {len(moved)} "
                           f"{_plural(len(moved), 'project', 'projects')}; most on {most}.",
                           _signed(float(moved["drift_money"].sum())), "governance report"))
    if len(owed):
        out.append(Finding(f"{_plural(len(owed), 'decision is', 'decisions are')} overdue, the "
                           f"oldest {int(owed['days_late'].max())} days late, owed by "
                           f"{owed['owner'].nunique()} "
                           f"{_plural(owed['owner'].nunique(), 'person', 'people')}.",
                           str(len(owed)), "governance report"))
    else:
        out.append(Finding("decisions are overdue.", "0", "governance report"))
    decided = summary.reindex(["approved", "rejected"])["changes"].fillna(0)
    if decided.sum():
        out.append(Finding(f"of the {int(decided.sum())} decided change requests were approved "
                           f"({int(decided['rejected'])} rejected).",
                           f"{decided['approved'] / decided.sum():.0%}", "governance report"))
    return out[:LIMIT]
