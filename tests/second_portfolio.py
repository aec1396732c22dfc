"""A second portfolio for the tests: another size and seed, and nobody's demo names."""

from __future__ import annotations


def renamed_portfolio(n_projects: int = 150, seed: int = 11):
    """A second portfolio nobody here wrote: other size, seed, categories, people and names.

    Built from the demo generator, then every category, person, team and
    project name is replaced (consistently in every table), with characters
    that need escaping, so a report that only works on the demo's words fails.
    """
    import pandas as pd

    from pmo_nb.demo.generator import demo_portfolio

    p = demo_portfolio(n_projects=n_projects, seed=seed, as_of=pd.Timestamp("2026-06-30"))
    categories = {c: f"Line {i} & <Ops>" for i, c in
                  enumerate(sorted(p.projects["category"].unique()), 1)}
    people = {n: f"{n.split()[-1]} O'{n.split()[0]}" for n in p.people["name"]}
    p.projects["category"] = p.projects["category"].map(categories)
    p.projects["name"] = "Initiative " + p.projects["name"].astype(str) + " (2nd)"
    p.teams["name"] = "Crew " + p.teams["name"].astype(str)
    for table, columns in (("projects", ["sponsor", "manager"]), ("risks", ["owner"]),
                           ("benefits", ["owner"]), ("change_requests", ["decided_by"]),
                           ("decisions", ["owner"]), ("people", ["name"])):
        frame = getattr(p, table)
        for column in columns:
            frame[column] = frame[column].map(lambda v: people.get(v, v))
    return p

