"""Benchmark the digests: every person's "what needs you" on the demo portfolio.

Run: ``.venv/bin/python bench/bench_digests.py [--projects 2000]``.
Prints the machine, then the portfolio-wide facts computed once
(:func:`pmo_nb.digests.digest_facts`), building every person's digest from
them and rendering its text and HTML parts, and, as the peer measured in the
same run, building each digest on its own (every analysis recomputed per
person, which is what a digest builder without shared facts does), with the
ratio of the two.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import pandas as pd

from pmo_nb.demo import demo_portfolio
from pmo_nb.digests import build_digest, digest_facts, to_html, to_text

AS_OF = pd.Timestamp("2026-06-30")


def timed(label: str, fn):
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<56s} {wall:7.2f} s wall {cpu:7.2f} s cpu")
    return result, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--peer-people", type=int, default=10,
                        help="people the per-person peer is timed on (it is slow)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
    portfolio = demo_portfolio(n_projects=args.projects, seed=0, as_of=AS_OF)
    people = portfolio.people["name"].tolist()
    print(f"{len(portfolio.projects)} projects, {len(people)} people")
    facts, t_facts = timed("facts, once", lambda: digest_facts(portfolio, AS_OF))

    def shared():
        digests = [build_digest(portfolio, p, alerts=None, changes=None, facts=facts)
                   for p in people]
        for d in digests:
            to_text(d, "2026-W27")
            to_html(d, "2026-W27")
        return digests

    digests, t_shared = timed(f"{len(people)} digests from the facts, text + HTML", shared)
    peers = people[:args.peer_people]
    _, t_peer = timed(f"peer: {len(peers)} digests each on its own",
                      lambda: [build_digest(portfolio, p, alerts=None, changes=None, as_of=AS_OF)
                               for p in peers])
    per_shared = (t_facts + t_shared) / len(people)
    per_peer = t_peer / len(peers)
    print(f"per person: {per_shared * 1000:.0f} ms shared facts (facts included) vs "
          f"{per_peer * 1000:.0f} ms on its own: ratio {per_shared / per_peer:.3f}")
    print(f"items per digest: median {pd.Series([len(d.items) for d in digests]).median():.0f}")


if __name__ == "__main__":
    main()
