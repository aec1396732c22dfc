"""The risk register's results in plain words, each sentence with its numbers.

The risk and forecast report shows these under its charts; they are written
here, not in the notebook, so other pages (and tests) say the same thing.
"""

from __future__ import annotations

import pandas as pd

from pmo_nb.formatting import md_text
from pmo_nb.formatting import whole_money as money
from pmo_nb.risks.adjusted import DOUBLE_COUNTING
from pmo_nb.risks.model import TOTAL
from pmo_nb.risks.register import RiskSimulation


def describe_register(simulation: RiskSimulation, confidence: float = 0.8) -> str:
    """Exposure, P50/P80/P90 and the pooled contingency of a simulated register."""
    total = simulation.summary().loc[TOTAL]
    cont = simulation.contingency(confidence)
    level = f"P{confidence * 100:.0f}"
    return (
        f"{int(total['open_risks'])} open risks, {simulation.draws:,} simulated futures (each "
        f"risk occurs or not with its probability; impacts drawn from its low/likely/high). "
        f"Expected exposure {money(total['expected_cost'])}; P50 {money(total['cost_p50'])}, "
        f"P80 {money(total['cost_p80'])}, P90 {money(total['cost_p90'])}.\n\n"
        f"**Contingency at {level}:** {money(cont.loc[TOTAL, 'contingency'])} held centrally, "
        f"against {money(cont.attrs['sum_of_parts'])} if every project held its own {level} "
        f"(pooling saves {money(cont.attrs['pooling_benefit'])}).")


def largest_projects(simulation: RiskSimulation, n: int = 15) -> pd.DataFrame:
    """The ``n`` projects with the largest P80 risk cost (the register summary's rows)."""
    summary = simulation.summary().drop(index=TOTAL)
    return summary.sort_values("cost_p80", ascending=False).head(n)


def describe_tail(tail: pd.DataFrame, n: int = 5) -> str:
    """Which risks make the worst futures (``RiskSimulation.drivers`` output)."""
    lead = tail.head(n)
    named = ", ".join(f"{md_text(r.risk_id)} {md_text(r.title)} ({r.share:.0%})"
                      for r in lead.itertuples())
    return (f"In the worst 20% of futures (total risk cost above "
            f"{money(tail.attrs['threshold'])}, mean {money(tail.attrs['tail_mean'])}), the "
            f"{len(lead)} largest drivers make {lead['share'].sum():.0%} of the tail: {named}.")


def describe_mitigation(comparison: pd.DataFrame) -> str:
    """What the register's mitigations save (``RiskSimulation.compare`` output)."""
    t = comparison.loc[TOTAL]
    return (f"Mitigation (the register's mitigated probabilities, same random numbers): P80 "
            f"{money(t['cost_p80_pre'])} -> {money(t['cost_p80_post'])} (saves "
            f"{money(t['cost_p80_saving'])}); expected exposure "
            f"{money(t['expected_cost_pre'])} -> {money(t['expected_cost_post'])}.")


def describe_risk_adjusted(adjusted: pd.DataFrame, scope: str) -> list[str]:
    """What the risk-adjusted view counts, and its totals (``risk_adjusted`` output)."""
    t = adjusted.loc[TOTAL]
    return [
        f"**What is and is not double counted.** {DOUBLE_COUNTING}\n\n"
        f"The register simulated here is the {scope}, so `forecast_plus_register` counts the "
        "typical risks twice: read it as an upper view, and the forecast alone as the "
        "central one.",
        f"Active projects in total: forecast p50 {money(t['forecast_p50'])} (p90 "
        f"{money(t['forecast_p90'])}); forecast plus register p50 "
        f"{money(t['forecast_plus_register_p50'])} (p90 "
        f"{money(t['forecast_plus_register_p90'])}).",
    ]
