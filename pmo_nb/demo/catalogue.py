"""The fixed vocabulary of the demo portfolio: objectives, categories, people, KPIs.

Plain data, kept apart from the generators so the demo reads as "what" here
and "how" in :mod:`pmo_nb.demo.generator`, :mod:`pmo_nb.demo.history` and
:mod:`pmo_nb.demo.registers`.
"""

from __future__ import annotations

import numpy as np

#: (objective_id, name, weight, description)
OBJECTIVES = (
    ("OBJ-01", "Grow digital revenue", 30.0, "Double online revenue within five years."),
    ("OBJ-02", "Reduce cost to serve", 25.0, "Lower the unit cost of every customer interaction."),
    ("OBJ-03", "Regulatory compliance", 20.0, "Meet every regulatory obligation on time."),
    ("OBJ-04", "Customer experience", 15.0, "Be the easiest firm in the sector to deal with."),
    ("OBJ-05", "Operational resilience", 8.0, "Keep critical services running through disruption."),
    ("OBJ-06", "Sustainable operations", 2.0, "Cut energy use and waste towards net zero."),
)

CATEGORIES = ("IT", "Infrastructure", "Product", "Compliance", "Marketing")
#: Share of projects in each category.
CATEGORY_SHARE = np.array([0.30, 0.20, 0.22, 0.15, 0.13])
#: Chance a project of each category is mandatory (regulatory / must-do).
MANDATORY_RATE = np.array([0.04, 0.06, 0.01, 0.70, 0.0])

#: How much each category serves each objective (rows: CATEGORIES, columns: OBJECTIVES).
AFFINITY = np.array([
    [0.5, 0.7, 0.2, 0.4, 0.6, 0.1],   # IT
    [0.1, 0.5, 0.2, 0.1, 0.9, 0.5],   # Infrastructure
    [0.9, 0.2, 0.05, 0.7, 0.2, 0.1],  # Product
    [0.0, 0.1, 1.0, 0.1, 0.4, 0.2],   # Compliance
    [0.8, 0.1, 0.0, 0.8, 0.0, 0.1],   # Marketing
])

#: Project name parts per category: (subjects, actions).
NAME_PARTS = {
    "IT": (
        ("CRM", "ERP", "Data platform", "Identity and access", "Service desk", "Payments gateway",
         "Analytics warehouse", "HR system", "Billing engine", "Document management"),
        ("migration", "upgrade", "replatforming", "consolidation", "modernisation", "rollout"),
    ),
    "Infrastructure": (
        ("Data centre", "Network", "Cloud landing zone", "Distribution centre", "Branch estate",
         "Backup and recovery", "Telephony", "Fleet", "Workplace"),
        ("refresh", "expansion", "upgrade", "consolidation", "relocation", "resilience programme"),
    ),
    "Product": (
        ("Self-service portal", "Subscription tier", "Loyalty programme", "Mobile app",
         "Partner API", "Checkout", "Recommendation engine", "Dynamic pricing"),
        ("launch", "redesign", "version 2", "pilot", "international rollout", "enhancements"),
    ),
    "Compliance": (
        ("GDPR", "SOX controls", "Anti-money-laundering", "Accessibility (WCAG)",
         "Cyber essentials", "Records retention", "DORA", "ESG reporting"),
        ("remediation", "programme", "readiness", "audit response", "controls uplift",
         "implementation"),
    ),
    "Marketing": (
        ("Brand", "Lifecycle campaign", "Website", "Customer insight", "Events", "Content hub"),
        ("refresh", "platform", "relaunch", "programme", "automation", "personalisation"),
    ),
}
REGIONS = ("UK", "EMEA", "North America", "APAC", "Group")

SPONSORS = (
    "Amelia Hart", "Daniel Okafor", "Priya Raman", "Tom Lindqvist",
    "Sofia Marquez", "James Whitfield", "Hannah Cole", "Wei Zhang",
)
_FIRST = ("Alex", "Sam", "Jordan", "Chris", "Maria", "Olu", "Nina", "Ravi")
_LAST = ("Patel", "Smith", "Nowak", "Kim", "Silva", "Murphy", "Adeyemi", "Jensen")
#: Project managers (also risk owners).
MANAGERS = tuple(f"{f} {s}" for i, f in enumerate(_FIRST) for j, s in enumerate(_LAST)
                 if (i + j) % 2 == 0)

#: Risk templates: (title, category, mitigation).
RISKS = (
    ("Integration with legacy systems harder than estimated", "Technical",
     "Early integration spike and automated test harness"),
    ("Performance below non-functional requirements", "Technical",
     "Load testing from the third sprint"),
    ("Data migration quality issues", "Technical", "Data cleansing workstream and trial loads"),
    ("Key supplier misses delivery dates", "Supplier",
     "Contractual penalties and weekly supplier reviews"),
    ("Vendor licence costs rise at renewal", "Supplier", "Negotiate a multi-year price cap"),
    ("Regulator changes requirements mid-project", "Regulatory",
     "Monthly regulatory horizon scanning"),
    ("Regulatory approval delayed", "Regulatory", "Early engagement with the regulator"),
    ("Specialist staff unavailable when needed", "Resource",
     "Book resources early; contractor framework"),
    ("Loss of key team members", "Resource", "Knowledge sharing and succession plan"),
    ("Currency movement raises import costs", "Financial", "Hedge the exposure with treasury"),
    ("Benefits lower than the business case forecast", "Financial",
     "Benefit review at each stage gate"),
)
#: Portfolio-level risk templates (no project).
PORTFOLIO_RISKS = (
    ("Enterprise-wide shortage of data engineers", "Resource",
     "Graduate academy and partner bench"),
    ("Cyber incident disrupts delivery", "Technical",
     "Incident playbooks and isolated build chain"),
    ("Change budget cut next financial year", "Financial", "Quarterly re-prioritisation"),
    ("New regulation forces re-prioritisation", "Regulatory", "Regulatory contingency in plan"),
    ("Strategic supplier insolvency", "Supplier", "Supplier financial health monitoring"),
)

#: KPI templates per objective: (name, unit, direction, baseline low, baseline high,
#: gain low, gain high, decimals). The target moves baseline by the gain share.
KPIS = {
    "OBJ-01": (("Digital revenue", "GBP k per month", "increase", 200, 3000, 0.05, 0.30, 0),
               ("Online conversion rate", "%", "increase", 1.5, 4.0, 0.05, 0.25, 2)),
    "OBJ-02": (("Cost per transaction", "GBP", "decrease", 2, 20, 0.05, 0.25, 2),
               ("Average handling time", "minutes", "decrease", 4, 15, 0.10, 0.30, 1)),
    "OBJ-03": (("Open audit findings", "count", "decrease", 10, 60, 0.30, 0.80, 0),
               ("Controls passing testing", "%", "increase", 60, 85, 0.05, 0.15, 1)),
    "OBJ-04": (("Net promoter score", "points", "increase", 10, 40, 0.10, 0.50, 0),
               ("Customer satisfaction (CSAT)", "%", "increase", 60, 82, 0.03, 0.10, 1)),
    "OBJ-05": (("Unplanned downtime", "hours per month", "decrease", 5, 60, 0.20, 0.60, 1),
               ("Mean time to recover", "hours", "decrease", 2, 12, 0.20, 0.50, 1)),
    "OBJ-06": (("Energy use", "MWh per month", "decrease", 100, 1000, 0.05, 0.20, 0),
               ("Waste to landfill", "tonnes per month", "decrease", 5, 50, 0.10, 0.40, 1)),
}

#: (team_id, name)
TEAMS = (
    ("T01", "Application Development"), ("T02", "Data and Analytics"),
    ("T03", "Infrastructure and Cloud"), ("T04", "Cyber Security"), ("T05", "Product Design"),
    ("T06", "Business Analysis"), ("T07", "Change and Training"),
    ("T08", "Marketing Operations"), ("T09", "Legal and Compliance"),
)
#: Which teams each category draws on (rows: CATEGORIES, columns: TEAMS).
TEAM_AFFINITY = np.array([
    [5, 3, 2, 2, 1, 3, 2, 0, 1],   # IT
    [1, 1, 6, 3, 0, 1, 1, 0, 0],   # Infrastructure
    [4, 2, 1, 1, 5, 2, 1, 2, 0],   # Product
    [1, 2, 1, 3, 0, 3, 2, 0, 5],   # Compliance
    [1, 2, 0, 0, 3, 1, 1, 6, 0],   # Marketing
], dtype=float)
#: Teams planned tight: their capacity is below their busiest months' demand.
STRETCHED_TEAMS = ("T02", "T04", "T09")
