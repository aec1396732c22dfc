"""The demo portfolio: seeded, valid under the format's rules, and shaped as promised."""

from __future__ import annotations

import re
from collections import defaultdict, deque

import numpy as np
import pandas as pd
import pytest

from pmo_nb.demo.generator import OUTCOME_RHO, OUTCOME_TRUTH, SIZE_EFFECT, demo_portfolio
from pmo_nb.schema import TABLES

AS_OF = pd.Timestamp("2026-06-30")
LIVE = ("proposed", "approved", "active", "on_hold")


@pytest.fixture(scope="module")
def demo():
    return demo_portfolio(n_projects=600, seed=0, as_of=AS_OF)


@pytest.fixture(scope="module")
def big():
    """The 10,000-project demo (its build time is measured by bench/, not asserted here)."""
    return demo_portfolio(n_projects=10_000, seed=3, as_of=AS_OF), None


def _problems(port, as_of) -> list[str]:
    """Every rule of the format the portfolio breaks, checked from schema.TABLES.

    Independent of pmo_nb.io.validation so the demo is checked even before that
    module exists (and the two can be compared).
    """
    out = []
    tables = port.tables()
    for name, spec in TABLES.items():
        frame = tables[name]
        if list(frame.columns) != spec.column_names:
            out.append(f"{name}: columns {list(frame.columns)}")
            continue
        if frame.duplicated(list(spec.key)).any():
            out.append(f"{name}: duplicate key {spec.key}")
        for col in spec.columns:
            values = frame[col.name]
            if col.required and values.isna().any():
                out.append(f"{name}.{col.name}: empty required cell")
            present = values.dropna()
            if col.choices and not present.isin(col.choices).all():
                out.append(f"{name}.{col.name}: value outside {col.choices}")
            if col.ge is not None and (present < col.ge).any():
                out.append(f"{name}.{col.name}: < {col.ge}")
            if col.le is not None and (present > col.le).any():
                out.append(f"{name}.{col.name}: > {col.le}")
            if col.gt is not None and (present <= col.gt).any():
                out.append(f"{name}.{col.name}: <= {col.gt}")
            if col.references:
                ref_table, ref_col = col.references
                if not present.isin(tables[ref_table][ref_col]).all():
                    out.append(f"{name}.{col.name}: dangling reference to {ref_table}")
            if col.kind == "month" and not present.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").all():
                out.append(f"{name}.{col.name}: not YYYY-MM")
    pr = port.projects
    if not (port.objectives["weight"] > 0).any():
        out.append("objectives: no positive weight")
    if (pr["finish_date"] < pr["start_date"]).any():
        out.append("projects: finish before start")
    done = pr[pr["stage"] == "completed"]
    if done[["actual_finish_date", "actual_cost"]].isna().any().any():
        out.append("projects: completed without actual finish/cost")
    if (pr["actual_finish_date"] < pr["start_date"]).any():
        out.append("projects: actual finish before start")
    for kind in ("cost", "delay"):
        tri = port.risks[[f"{kind}_low", f"{kind}_likely", f"{kind}_high"]]
        if (tri.isna().any(axis=1) & tri.notna().any(axis=1)).any():
            out.append(f"risks: partial {kind} three-point")
        if ((tri.iloc[:, 0] > tri.iloc[:, 1]) | (tri.iloc[:, 1] > tri.iloc[:, 2])).any():
            out.append(f"risks: {kind} not low <= likely <= high")
    b = port.benefits
    good = np.where(b["direction"] == "increase", b["target"] > b["baseline"],
                    b["target"] < b["baseline"])
    if not good.all():
        out.append("benefits: target not on the good side")
    dep = port.dependencies
    if (dep["project_id"] == dep["depends_on"]).any():
        out.append("dependencies: self-dependency")
    if _has_cycle(dep):
        out.append("dependencies: cycle")
    if (port.status_updates["as_of"] > as_of).any():
        out.append("status_updates after as_of")
    if (port.benefit_measurements["date"] > as_of).any():
        out.append("benefit_measurements after as_of")
    return out


def _has_cycle(dep: pd.DataFrame) -> bool:
    """Kahn's algorithm: a cycle leaves nodes that never reach in-degree 0."""
    children, indegree = defaultdict(list), defaultdict(int)
    for a, b in zip(dep["depends_on"], dep["project_id"], strict=True):
        children[a].append(b)
        indegree[b] += 1
        indegree.setdefault(a, 0)
    queue = deque(n for n, d in indegree.items() if d == 0)
    seen = 0
    while queue:
        node = queue.popleft()
        seen += 1
        for child in children[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                queue.append(child)
    return seen < len(indegree)


def test_cycle_checker_detects_a_cycle():
    dep = pd.DataFrame({"project_id": ["A", "B", "C"], "depends_on": ["B", "C", "A"]})
    assert _has_cycle(dep) and not _has_cycle(dep.iloc[:2])


def test_same_seed_same_portfolio_other_seed_differs():
    a = demo_portfolio(n_projects=60, seed=7, as_of=AS_OF)
    b = demo_portfolio(n_projects=60, seed=7, as_of=AS_OF)
    assert a.checksum() == b.checksum()
    assert demo_portfolio(n_projects=60, seed=8, as_of=AS_OF).checksum() != a.checksum()
    assert demo_portfolio(n_projects=60, seed=7, as_of="2026-01-31").checksum() != a.checksum()


def test_default_as_of_is_today():
    port = demo_portfolio(n_projects=30, seed=1)
    today = pd.Timestamp.today().normalize()
    assert str(today.date()) in port.source
    assert port.status_updates["as_of"].max() <= today


def test_rejects_empty_portfolio():
    with pytest.raises(ValueError, match="at least 1"):
        demo_portfolio(n_projects=0)


def test_dtypes_are_the_specs(demo):
    for name, frame in demo.tables().items():
        expected = TABLES[name].empty_frame().dtypes
        assert frame.dtypes.to_dict() == expected.to_dict(), name


@pytest.mark.parametrize("n, seed", [(600, 0), (60, 7), (12, 2), (1, 0)])
def test_valid_under_every_rule(n, seed):
    port = demo_portfolio(n_projects=n, seed=seed, as_of=AS_OF)
    assert _problems(port, AS_OF) == []


def test_big_demo_is_valid_and_has_300k_updates(big):
    port, _ = big
    assert 255_000 <= len(port.status_updates) <= 345_000
    assert _problems(port, AS_OF) == []


def test_round_trip_through_the_workbook_validates(demo, tmp_path):
    """Written by writing.write_workbook, read back and validated without error."""
    writing = pytest.importorskip("pmo_nb.io.writing")
    reading = pytest.importorskip("pmo_nb.io.reading")
    validation = pytest.importorskip("pmo_nb.io.validation")
    small = demo_portfolio(n_projects=80, seed=4, as_of=AS_OF)
    path = writing.write_workbook(small, tmp_path / "demo")
    back = validation.validate(reading.read_workbook(path))
    for name, frame in small.tables().items():
        assert len(back.tables()[name]) == len(frame), name
    assert back.checksum() == small.checksum()
    assert back.notices == []          # no extra columns: the demo is pure spec


def test_stage_mix(demo):
    stages = demo.projects["stage"].value_counts()
    assert set(stages.index) == {"proposed", "approved", "active", "on_hold", "completed",
                                 "cancelled"}
    live = stages[list(LIVE)].sum()
    assert 180 <= live <= 220                      # about a third of 600
    assert stages["completed"] >= 360              # about two thirds
    assert 5 <= stages["cancelled"] <= 30          # a few
    cats = set(demo.projects["category"])
    assert cats == {"IT", "Infrastructure", "Product", "Compliance", "Marketing"}
    assert demo.projects["budget"].between(50_000, 20_000_000).all()
    months = (demo.projects["finish_date"] - demo.projects["start_date"]).dt.days / 30.44
    assert months.between(2.99, 36.01).all()
    assert 5 <= demo.projects["sponsor"].nunique() <= 8
    assert demo.objectives["weight"].nunique() == len(demo.objectives) >= 5


def test_compliance_projects_are_often_mandatory(demo):
    rate = demo.projects.groupby("category")["mandatory"].mean()
    assert rate["Compliance"] > 0.5 > rate.drop("Compliance").max()


def test_about_thirty_status_updates_per_project(demo):
    per_project = len(demo.status_updates) / len(demo.projects)
    assert 25 <= per_project <= 35
    reporting = set(demo.status_updates["project_id"])
    stage = demo.projects.set_index("project_id")["stage"]
    assert not reporting & set(stage[stage.isin(["proposed", "approved"])].index)
    assert set(stage[stage.isin(["active", "completed", "on_hold"])].index) <= reporting


def test_completed_histories_end_at_the_actual_outcome(demo):
    su = demo.status_updates.sort_values(["project_id", "as_of"])
    pr = demo.projects.set_index("project_id")
    done = pr[pr["stage"] == "completed"]
    last = su.groupby("project_id").tail(1).set_index("project_id").loc[done.index]
    assert (last["as_of"] == done["actual_finish_date"]).all()
    assert (last["percent_complete"] == 100).all()
    assert np.allclose(last["actual_cost"], done["actual_cost"])
    assert np.allclose(last["earned_value"], done["budget"])
    is_last = su.groupby("project_id").cumcount(ascending=False) == 0
    before = su[su["project_id"].isin(done.index) & ~is_last]
    assert before["percent_complete"].max() <= 99
    grouped = su.groupby("project_id")
    assert (grouped["actual_cost"].diff().dropna() >= 0).all()
    assert (grouped["percent_complete"].diff().dropna() >= 0).all()
    assert (su["planned_value"] <= su["project_id"].map(pr["budget"]) + 0.5).all()


def test_progress_is_reported_optimistically(demo):
    # Reported % complete runs ahead of spend share early on: EV/AC (CPI)
    # at 20-40 % reported progress exceeds the final CPI for most projects.
    su = demo.status_updates.merge(demo.projects[["project_id", "stage", "budget",
                                                  "actual_cost"]], on="project_id",
                                   suffixes=("", "_final"))
    done = su[su["stage"] == "completed"]
    early = done[done["percent_complete"].between(20, 40)]
    early_cpi = (early["earned_value"] / early["actual_cost"]).groupby(early["project_id"]).mean()
    final_cpi = (done["budget"] / done["actual_cost_final"]).groupby(done["project_id"]).first()
    assert (early_cpi > final_cpi.loc[early_cpi.index]).mean() > 0.9


def test_live_histories(demo):
    su, pr = demo.status_updates, demo.projects.set_index("project_id")
    last = su.groupby("project_id")["as_of"].max()
    active = pr.index[pr["stage"] == "active"]
    assert (last.loc[active] >= AS_OF - pd.Timedelta(days=31)).all()
    on_hold = pr.index[pr["stage"] == "on_hold"]
    assert (last.loc[on_hold] <= AS_OF - pd.Timedelta(days=40)).all()  # stale
    assert set(su["rag"]) == {"green", "amber", "red"}
    assert su["commentary"].notna().mean() > 0.8


def test_outcomes_follow_category_truth(demo):
    done = demo.projects[demo.projects["stage"] == "completed"]
    ratio = (done["actual_cost"] / done["budget"]).groupby(done["category"]).median()
    assert ratio["IT"] > ratio["Compliance"]
    assert OUTCOME_TRUTH["IT"]["cost_median"] > OUTCOME_TRUTH["Compliance"]["cost_median"]


def test_big_demo_recovers_the_generative_truth(big):
    # Golden check with tolerances: change only if the generative truth changes.
    port, _ = big
    done = port.projects[port.projects["stage"] == "completed"]
    log_cost = np.log(done["actual_cost"] / done["budget"])
    days = lambda a, b: (a - b).dt.days.astype(float)  # noqa: E731
    log_dur = np.log(days(done["actual_finish_date"], done["start_date"])
                     / days(done["finish_date"], done["start_date"]))
    medians = np.exp(log_cost.groupby(done["category"]).median())
    for cat in ("IT", "Compliance"):
        assert medians[cat] == pytest.approx(OUTCOME_TRUTH[cat]["cost_median"], abs=0.04)
    assert medians["IT"] > medians["Infrastructure"] - 0.03 > medians["Compliance"]
    # correlation of what category and size do not explain
    size = np.log(done["budget"]).to_numpy()
    design = np.column_stack([pd.get_dummies(done["category"]).to_numpy(float), size])
    resid = [y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
             for y in (log_cost.to_numpy(), log_dur.to_numpy())]
    assert np.corrcoef(*resid)[0, 1] == pytest.approx(OUTCOME_RHO, abs=0.08)
    slope = np.linalg.lstsq(design, log_cost.to_numpy(), rcond=None)[0][-1]
    assert slope == pytest.approx(SIZE_EFFECT["cost"], abs=0.02)  # bigger overrun more
    kurtosis = pd.Series(log_cost[done["category"] == "IT"]).kurt()
    assert kurtosis > 1.0                                    # heavier tails than normal


def test_alignment_follows_category(demo):
    al = demo.alignment.merge(demo.projects[["project_id", "category"]], on="project_id")
    assert set(al["project_id"]) == set(demo.projects["project_id"])
    assert len(al) < 0.6 * len(demo.projects) * len(demo.objectives)  # sparse
    reg = al[al["objective_id"] == "OBJ-03"].groupby("category")["score"].mean()
    assert reg["Compliance"] == reg.max()
    assert al["score"].isin([0, 1, 2, 3, 4, 5]).all()


def test_risk_register(demo):
    risks = demo.risks
    live = demo.projects.loc[demo.projects["stage"].isin(LIVE), "project_id"]
    project_risks = risks.dropna(subset=["project_id"])
    assert project_risks["project_id"].isin(live).all()
    assert 2.5 <= len(project_risks) / len(live) <= 3.5
    assert risks["project_id"].isna().sum() >= 2                     # portfolio-level
    assert set(risks["category"]) == {"Technical", "Supplier", "Regulatory", "Resource",
                                      "Financial"}
    assert risks["status"].value_counts(normalize=True)["open"] > 0.7
    assert set(risks["status"]) == {"open", "closed", "occurred"}
    mitigated = risks.dropna(subset=["mitigated_probability"])
    assert len(mitigated) > 0.75 * len(risks)
    assert (mitigated["mitigated_probability"] < mitigated["probability"]).mean() > 0.9
    assert risks["owner"].notna().all()


def test_benefits_register(demo):
    b = demo.benefits.merge(demo.projects[["project_id", "stage", "actual_finish_date"]],
                            on="project_id")
    assert set(b["direction"]) == {"increase", "decrease"}
    assert b["stage"].isin(LIVE + ("completed",)).all()
    pr = demo.projects
    recent = (pr["stage"] == "completed") & (
        pr["actual_finish_date"] >= AS_OF - pd.Timedelta(days=730))
    eligible = set(pr.loc[pr["stage"].isin(LIVE) | recent, "project_id"])
    assert set(b["project_id"]) == eligible              # live and recently completed
    assert 1.0 <= len(b) / len(eligible) <= 1.3          # about one each
    done = b[b["stage"] == "completed"]
    assert ((done["realisation_start"] - done["actual_finish_date"]).dt.days.between(0, 30)).all()
    lead = (b["target_date"] - b["realisation_start"]).dt.days
    assert lead.between(183, 365).all()

    m = demo.benefit_measurements.merge(b, on="benefit_id")
    assert (m["stage"] == "completed").all()
    assert (m["date"] >= m["realisation_start"]).all()
    started = done[done["realisation_start"] <= AS_OF - pd.Timedelta(days=31)]
    unmeasured = ~started["benefit_id"].isin(m["benefit_id"])
    assert 0 < unmeasured.sum() < 0.3 * len(started)              # a few none at all
    last = m.sort_values("date").groupby("benefit_id").tail(1)
    sign = np.where(last["direction"] == "increase", 1, -1)
    beyond = sign * (last["value"] - last["target"]) > 0
    assert 0 < beyond.sum() < len(last)                           # some ahead, some behind


def test_some_team_months_over_allocated(demo):
    load = demo.demand.groupby(["team_id", "month"])["fte"].sum().reset_index()
    load = load.merge(demo.teams, on="team_id")
    over = load[load["fte"] > load["capacity_fte"]]
    assert 1 <= over["team_id"].nunique() <= 4                    # a few teams
    assert len(over) <= 0.1 * len(load)                            # in a few months
    assert 8 <= len(demo.teams) <= 10
    stage = demo.projects.set_index("project_id")["stage"]
    assert stage.loc[demo.demand["project_id"].unique()].isin(
        ["active", "approved", "proposed"]).all()


def test_dependencies_form_a_dag_on_earlier_projects(demo):
    dep = demo.dependencies
    start = demo.projects.set_index("project_id")["start_date"]
    assert (start.loc[dep["depends_on"]].to_numpy() < start.loc[dep["project_id"]].to_numpy()).all()
    live = demo.projects["stage"].isin(LIVE).sum()
    assert 0.04 <= dep["project_id"].nunique() / live <= 0.16
    assert dep["lag_days"].between(0, 30).all()
    assert not _has_cycle(dep)


def test_ids_are_in_start_order(demo):
    pr = demo.projects
    assert pr["project_id"].is_monotonic_increasing
    assert pr["start_date"].is_monotonic_increasing
    assert all(re.fullmatch(r"P\d{4}", p) for p in pr["project_id"])


def test_outcomes_follow_published_base_rates(big):
    # about half of the projects end over budget, overruns have a fat right tail, and
    # in-flight projects have mostly spent less than their budget so far
    port, _ = big
    done = port.projects[port.projects["stage"] == "completed"]
    ratio = done["actual_cost"] / done["budget"]
    assert 0.45 < (ratio > 1.0).mean() < 0.58
    p10, p50, p90, p99 = ratio.quantile([0.1, 0.5, 0.9, 0.99])
    assert p90 - p50 > 1.3 * (p50 - p10) and p99 > 1.6
    active = port.projects[port.projects["stage"] == "active"].set_index("project_id")
    last = port.status_updates.sort_values("as_of").groupby("project_id").last()
    spent = last.loc[active.index, "actual_cost"] / active["budget"]
    assert (spent < 1.0).mean() > 0.85
