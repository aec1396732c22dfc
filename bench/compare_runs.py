"""Check two report run folders hold the same pages and records, timings aside.

Used to show a faster runner changed nothing users see: every ``.html`` page and
``.json`` run record of OLD must exist in NEW (and no more) and be equal once the
fields that differ between any two runs are masked: timestamps, durations, and the
paths of the store, the notebooks and the output folder (give them as OLD=NEW
pairs with ``--same``). The indexes (``index.html``) are left out: they list
timings and generation times only. Prints each difference and exits 1 if any.

``--chart-frames`` also masks the numbers of each inline SVG chart's frame (the
``<svg>`` element's size, its background and the offset of the plot in it),
which move when labels are measured with other fonts; everything inside the
frame (marks, axes, texts) is still compared. It says how many pages differed
only there.

Run: ``python bench/compare_runs.py OLD/<as_of> NEW/<as_of> --same /old/db=/new/db
[--chart-frames]``
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

#: Record fields that differ between any two runs of the same report.
VOLATILE = {"start", "finish", "duration_s", "expected_s", "pid"}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")
#: Ids that are random in every run: pandas Styler's table ids, papermill's new cell's id.
RANDOM_IDS = re.compile(r"(?<![0-9A-Za-z])T_[0-9a-f]{5}|cell-id=[0-9a-f]{8}")
#: An inline chart's frame: its <svg> element, the background rect and the plot's group.
CHART_FRAME = re.compile(r'<svg [^>]*class="marks"[^>]*>(?:<rect [^>]*(?:/>|></rect>))?<g [^>]*>')
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _mask_frames(text: str) -> str:
    return CHART_FRAME.sub(lambda m: NUMBER.sub("#", m.group(0)), text)


def _mask(text: str, same: list[tuple[str, str]]) -> str:
    for old, new in same:
        text = text.replace(old, new)
    return RANDOM_IDS.sub("<id>", TIMESTAMP.sub("<time>", text))


def _record(path: Path, same) -> str:
    record = json.loads(path.read_text(encoding="utf-8"))
    for key in VOLATILE:
        record.pop(key, None)
    for item in record.get("instances", []):
        item.pop("duration_s", None)
    return _mask(json.dumps(record, indent=1, sort_keys=True), same)


def compare(old: Path, new: Path, same: list[tuple[str, str]],
            chart_frames: bool = False) -> tuple[list[str], int]:
    """Differences between the pages and records of two run folders (empty: the same).

    Also returns how many pages differed only in their charts' frames (masked
    when ``chart_frames``).
    """
    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*")
                if p.suffix in (".html", ".json") and p.name != "index.html"}

    found, wanted = files(new), files(old)
    problems = [f"only in {old}: {n}" for n in sorted(wanted - found)]
    problems += [f"only in {new}: {n}" for n in sorted(found - wanted)]
    same = [*same, (str(old.parent), str(new.parent))]
    frames_only = 0
    for name in sorted(wanted & found):
        if name.endswith(".json"):
            a, b = _record(old / name, same), _record(new / name, same)
        else:
            a = _mask((old / name).read_text(encoding="utf-8"), same)
            b = _mask((new / name).read_text(encoding="utf-8"), same)
            if chart_frames and a != b and _mask_frames(a) == _mask_frames(b):
                frames_only += 1
                continue
        if a != b:
            diff = list(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0))
            problems.append(f"{name} differs:\n  " + "\n  ".join(d[:200] for d in diff[2:12]))
    return problems, frames_only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--same", action="append", default=[], metavar="OLD=NEW",
                        help="a path that differs between the runs only by where it was")
    parser.add_argument("--chart-frames", action="store_true",
                        help="mask the numbers of each chart's frame (size, plot offset)")
    args = parser.parse_args()
    pairs = [tuple(p.split("=", 1)) for p in args.same]
    problems, frames_only = compare(args.old, args.new, pairs, args.chart_frames)
    for problem in problems:
        print(problem)
    n = len([p for p in args.old.rglob("*") if p.suffix in (".html", ".json")])
    print(f"{n} files compared: {'the same' if not problems else f'{len(problems)} differ'}"
          + (f"; {frames_only} pages differed only in their charts' frames"
             if args.chart_frames else ""))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
