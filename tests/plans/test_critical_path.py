"""The critical path: known answers by hand and from Microsoft Project's own figures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pmo_nb.io.mspdi import read_mspdi
from pmo_nb.plans.schedule import build_plan, critical_path_of

MSPDI = Path(__file__).parents[1] / "data" / "mspdi"
NS = {"p": "http://schemas.microsoft.com/project"}


def _tasks(rows):
    out = pd.DataFrame(rows, columns=["task_id", "duration_likely"])
    return out.assign(project_id="P", name=out["task_id"], percent_complete=0.0,
                      actual_start=pd.NaT, actual_finish=pd.NaT)


def _links(rows):
    return pd.DataFrame(rows, columns=["predecessor", "successor", "type", "lag"])


def test_every_link_type_with_lags_and_a_lead_by_hand():
    """A(3) -FS+1-> B(2); A -SS+1-> C(4); B -FF-1-> D(2) (a lead); C -SF+2-> E(1);
    D and E -FS-> F(0), a milestone."""
    tasks = _tasks([("A", 3), ("B", 2), ("C", 4), ("D", 2), ("E", 1), ("F", 0)])
    links = _links([("A", "B", "FS", 1), ("A", "C", "SS", 1), ("B", "D", "FF", -1),
                    ("C", "E", "SF", 2), ("D", "F", "FS", 0), ("E", "F", "FS", 0)])
    cp = critical_path_of(build_plan("P", tasks, links, "2026-03-02")).loc[list("ABCDEF")]
    # forward: A 0-3; B >= 3+1 -> 4-6; C >= 0+1 -> 1-5; D: EF >= 6-1 -> 3-5;
    # E: EF >= ES(C)+2 = 3 -> 2-3; F >= max(5, 3) -> 5-5 (finish 6? no: F at 5, the plan ends at 6)
    assert cp["es"].tolist() == [0, 4, 1, 3, 2, 5]
    assert cp["ef"].tolist() == [3, 6, 5, 5, 3, 5]
    # backward against the finish 6: F 6-6; D: LF <= 6 -> 4-6... E: LF <= 6 -> 5-6;
    # C: SF, LF(C) <= LF(E) - 2 + 4 = 8 -> capped at 6 -> 2-6; B: FF, LF(B) <= LF(D) + 1 = 7
    # -> 6 -> 4-6; A: FS to B, LF <= LS(B) - 1 = 3; SS to C, LF <= LS(C) - 1 + 3 = 4 -> 0-3
    assert cp["lf"].tolist() == [3, 6, 6, 6, 6, 6]
    assert cp["ls"].tolist() == [0, 4, 2, 4, 5, 6]
    assert cp["total_float"].tolist() == [0, 0, 1, 1, 3, 1]
    # free: A: min(4-1-3, 1-1-0) = 0; B: EF(D) + 1 - EF(B) = 0; C: EF(E) - 2 - ES(C) = 0;
    # D: ES(F) - EF(D) = 0; E: 5 - 3 = 2; F: 6 - 5 = 1
    assert cp["free_float"].tolist() == [0, 0, 0, 0, 2, 1]
    assert cp["critical"].tolist() == [True, True, False, False, False, False]
    assert cp.attrs["finish_offset"] == 6
    # day 0 is Monday 2 March 2026; B runs days 4-5: Friday 6 and Monday 9 March
    assert cp.loc["B", "start"] == pd.Timestamp("2026-03-06")
    assert cp.loc["B", "finish"] == pd.Timestamp("2026-03-09")
    assert cp.loc["F", "finish"] == cp.loc["F", "start"] == pd.Timestamp("2026-03-09")


def _ms_project_figures(path: Path, project_id: str, per_day: float = 480.0) -> pd.DataFrame:
    root = ET.parse(path).getroot()
    start = pd.Timestamp(root.findtext("p:StartDate", namespaces=NS)[:10])
    rows = {}
    for task in root.findall("p:Tasks/p:Task", NS):
        uid = task.findtext("p:UID", namespaces=NS)
        if uid == "0":
            continue
        rows[f"{project_id}-{uid}"] = {
            "early_start": pd.Timestamp(task.findtext("p:EarlyStart", namespaces=NS)[:10]),
            "late_start": pd.Timestamp(task.findtext("p:LateStart", namespaces=NS)[:10]),
            "total_float": float(task.findtext("p:TotalSlack", namespaces=NS)) / 10 / per_day,
            "free_float": float(task.findtext("p:FreeSlack", namespaces=NS)) / 10 / per_day,
            "critical": task.findtext("p:Critical", namespaces=NS) == "1",
        }
    return pd.DataFrame.from_dict(rows, orient="index"), start


@pytest.mark.parametrize("name", ["task-links-project2003-mspdi.xml",
                                  "task-links-project2010-mspdi.xml"])
def test_the_critical_path_agrees_with_microsoft_project_task_by_task(name):
    tasks, links = read_mspdi(MSPDI / name, "P")
    expected, start = _ms_project_figures(MSPDI / name, "P")
    assert len(tasks) == 16 and len(links) == 8
    assert sorted(links["type"].unique()) == ["FF", "FS", "SF", "SS"]
    cp = critical_path_of(build_plan("P", tasks, links, start)).loc[expected.index]
    assert (cp["start"] == expected["early_start"]).all()
    assert (cp["ls"].map(lambda o: o) == cp["ls"]).all()
    late = build_plan("P", tasks, links, start).calendar.date(cp["ls"].to_numpy())
    assert (pd.Series(late, index=cp.index) == expected["late_start"]).all()
    np.testing.assert_allclose(cp["total_float"], expected["total_float"])
    np.testing.assert_allclose(cp["free_float"], expected["free_float"])
    assert (cp["critical"] == expected["critical"]).all()
