"""One line under every chart: how to read it (issue #18).

Keyed by the chart builder's name; :func:`pmo_nb.charts.base.reads` attaches the
line to the chart as its Vega-Lite ``description`` and :func:`pmo_nb.charts.show`
prints it under the chart in reports and apps. Kept in one place so the
wording reads as one voice and a test can check that every builder has one.
"""

HOW_TO_READ = {
    "burnup_chart": (
        'Each panel is one benefit: grey is the plan, black the measurements, blue the '
        'trend carried to the target date with its 80% band; a black line under the grey '
        'is behind plan.'),
    "rollup_chart": (
        'One bar per group: the realised share of the committed improvement against the '
        'planned share by now; a bar short of its tick is behind plan.'),
    "capacity_heatmap": (
        'Rows are teams, columns months; darker blue is busier, red is over capacity and '
        'outlined cells are over-allocated team-months.'),
    "overload_chart": (
        'Total over-allocation per month before and after the proposed start shifts; the '
        'lower the after line, the more the leveling helps.'),
    "overrun_chart": (
        "Each bar is a project's chance of overrunning its budget; bars past the dashed "
        'threshold are the likely overruns.'),
    "project_history_chart": (
        "The project's cost to date against its budget (dashed), with the forecast band "
        'of its final cost at the right.'),
    "rag_trend_chart": (
        'How many live projects reported each RAG month by month; a growing red band is a'
        ' worsening portfolio.'),
    "top_risks_chart": (
        'Open risks by expected cost (probability x mean cost if it occurs), largest '
        'first.'),
    "drivers_chart": (
        'Each line is a multiplier of the cost or duration ratio with its 80% (thick) and'
        ' 95% (thin) interval; right of 1 means overruns, left means underruns.'),
    "fan_chart": (
        'Each panel is one project: the cone runs from the cost to date to the P10-P90 '
        'final cost, the bar is the P10-P90 finish, dashed lines are the budget and '
        'planned finish.'),
    "predictive_chart": (
        'Grey is what the completed projects did, blue what the model simulates for them;'
        ' the closer the shapes, the better the model fits.'),
    "scorecard_chart": (
        "Each bar is a forecasting method's score at a point of the projects' life; "
        'compare the Bayesian forecast with BAC/CPI and the category uplift.'),
    "drift_chart": (
        "Each bar is how far approved changes moved a project's budget from its original "
        'baseline, largest first.'),
    "growth_chart": (
        "Each bar is a project's scope growth against its baseline; bars past the alert "
        'line have grown too much.'),
    "scope_burnup_chart": (
        'Each panel is one project: blue is the scope, grey dashed the baseline scope, '
        'green the work done; a widening gap between blue and green is scope outrunning '
        'delivery.'),
    "network_chart": (
        'Prerequisites on the left; red projects slip, amber ones are pushed by a '
        'prerequisite, and the critical chain is drawn in bold. Nodes show project ids; '
        'hover one for its name.'),
    "budget_chart": (
        'One bar per category: its share of the total budget, largest first.'),
    "cpi_spi_chart": (
        'Each dot is a project: left of 1 is over cost (CPI), below 1 is behind schedule '
        '(SPI); the bottom-left corner needs attention.'),
    "rag_chart": (
        'Live projects counted by the RAG of their latest status update; grey have not '
        'reported.'),
    "stage_chart": (
        'One bar per lifecycle stage, in order: how many projects are in each.'),
    "finish_curve_chart": (
        'The chance of having finished by each date; read across at 50% and 80% for the '
        'P50 and P80 finish, and compare with the planned finish.'),
    "gantt_chart": (
        'Each bar is a task from early start to early finish; red tasks are critical (no '
        'float), grey is done, dashed lines are the planned and simulated finishes.'),
    "tornado_chart": (
        'Tasks by how often they are critical in the late futures; the longest bars drive'
        ' the P80 finish.'),
    "confidence_chart": (
        'Each bar is the share of redrawn weights and scores in which a candidate is '
        'funded: near 100% is a safe bet, near 50% a coin flip.'),
    "frontier_chart": (
        'The best total score reachable at each budget; the dashed line is a simple cut-'
        'line down the ranking and the marked point is this plan.'),
    "ranking_chart": (
        'Candidates by score, best first; blue bars are in the optimal selection.'),
    "weights_chart": (
        "Each bar is an objective's weight; the weights sum to 100%."),
    "mitigation_chart": (
        "Each pair of bars is a project's risk cost before and after mitigation; a large "
        'drop is mitigation that pays.'),
    "s_curve_chart": (
        'The chance (up) that the total stays below each amount (across); read across at '
        '80% for the P80.'),
    "tail_drivers_chart": (
        'Risks by how much of the worst 20% of futures they make; the longest bars are '
        'the ones to mitigate first.'),
    "alignment_chart": (
        'For each objective, its weight against its share of the committed money; a money'
        ' bar longer than the weight bar is over-funded.'),
    "cost_band_chart": (
        "The project's cost: spent so far, the forecast P10-P90 of its final cost and the"
        ' budget line.'),
    "importance_chart": (
        'Insights by importance (money at stake x probability x strategic weight), '
        'largest first.'),
}
