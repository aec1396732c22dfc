"""Check a raw workbook against the format's rules and build a typed Portfolio.

Validation runs in two pandera passes per table, both lazy so that every
problem is collected, not only the first:

1. on the raw text: required columns present, required cells non-empty,
   each cell parses as its kind (number, date, month, bool, enum; the
   parsers are in :mod:`pmo_nb.io.cell_parsers`);
2. on the typed frame (after :func:`pmo_nb.schema.coerce_types`): bounds,
   unique keys and the cross-column rules of each table.

Both passes keep the spreadsheet row number as the index, so each pandera
failure maps back to the row a user sees. Cross-table references and
dependency cycles are checked by :func:`check_references`, which the store
also calls on a merged portfolio.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from pmo_nb.errors import ValidationError
from pmo_nb.gcpause import gc_paused
from pmo_nb.io.cell_parsers import parse_bools, parse_dates, parse_enum, parse_months, parse_numbers
from pmo_nb.io.cell_rules import cell_rules
from pmo_nb.io.notices import early_measurements
from pmo_nb.io.problems import Rules, problem, problem_frame
from pmo_nb.io.reading import EXCEL_SUFFIXES, RawTable, Workbook, strip_cells
from pmo_nb.io.references import check_references as check_references  # re-exported
from pmo_nb.io.references import reference_problems
from pmo_nb.io.row_rules import ok_or_na as _ok_or_na
from pmo_nb.io.row_rules import plan_row_rules
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import TABLE_NAMES, TABLES, Column, coerce_types

#: How each key reads in "one row per ..." (tables with a composite key).
_KEY_PHRASES = {
    "alignment": "one row per project and objective",
    "status_updates": "one row per project and date",
    "benefit_measurements": "one row per benefit and date",
    "demand": "one row per project, team and month",
    "dependencies": "one row per project and the project it depends on",
    "task_links": "one row per pair of tasks (predecessor and successor)",
}

_KIND_RULES = {
    "number": "must be a number",
    "date": "must be a date YYYY-MM-DD",
    "month": "must be a month YYYY-MM",
    "bool": "must be true/false, yes/no or 1/0",
}


@gc_paused
def validate(workbook: Workbook) -> Portfolio:
    """Check every rule of the format and return the typed Portfolio.

    Defaults are applied to empty optional cells (``mandatory`` false, risk
    ``status`` open, ``lag_days`` 0, ``realisation_start`` = the project's
    ``finish_date``). Extra columns are kept as text, each reported once in
    :attr:`Portfolio.notices`.

    Raises
    ------
    pmo_nb.ValidationError
        Listing every problem found, with file, table, row, column, value, rule.
    """
    problems: list[dict] = []
    portfolio = Portfolio(source=workbook.source, notices=list(workbook.notices))
    rows: dict[str, pd.Index] = {}
    locations: dict[str, str] = {}
    if "projects" not in workbook.tables:
        where = Path(workbook.source).name
        is_excel = Path(workbook.source).suffix.lower() in EXCEL_SUFFIXES
        problems.append(problem(
            f"{where}[projects]" if is_excel else "projects.csv", "projects",
            rule="missing required table projects (a projects.csv file or a projects sheet)",
        ))
    for name in TABLE_NAMES:
        raw = workbook.tables.get(name)
        if raw is None:
            continue
        typed, table_problems, extras = _validate_table(raw)
        problems += table_problems
        portfolio.notices += [
            f"{raw.location}: extra column {c!r} kept as an attribute" for c in extras
        ]
        rows[name], locations[name] = typed.index, raw.location
        setattr(portfolio, name, typed.reset_index(drop=True))
    refs = reference_problems(portfolio, rows, locations)
    if problems or len(refs):
        found = problem_frame(problems)
        found = pd.concat([found, refs], ignore_index=True) if len(refs) else found
        raise ValidationError(_sorted(found), workbook.source)
    _default_realisation_start(portfolio)
    portfolio.notices += early_measurements(portfolio, rows, locations)
    return portfolio


def _sorted(problems: pd.DataFrame) -> pd.DataFrame:
    """Table by table in spec order, then row by row, then left to right."""
    table = problems["table"].map({t: i for i, t in enumerate(TABLE_NAMES)})
    def position(table_name, label):
        names = TABLES[table_name].column_names
        first = label.split(",")[0] if isinstance(label, str) else None
        return names.index(first) if first in names else len(names)

    column = [position(t, c) for t, c in zip(problems["table"], problems["column"], strict=True)]
    return (
        problems.assign(_t=table, _c=column)
        .sort_values(["_t", "row", "_c"], kind="stable", na_position="first")
        .drop(columns=["_t", "_c"])
        .reset_index(drop=True)
    )


def _clean_header(raw: RawTable, problems: list[dict]) -> pd.DataFrame:
    """Drop unnamed and repeated columns (each a problem); blank cells -> None."""
    frame, keep, seen = raw.frame, [], set()
    for pos, name in enumerate(frame.columns):
        if name == "":
            first = frame.iloc[:, pos].dropna()
            problems.append(problem(
                raw.location, raw.name, int(first.index[0]), f"(column {pos + 1})",
                first.iloc[0], "column has values but no header: name it or delete it",
            ))
        elif name in seen:
            problems.append(problem(raw.location, raw.name, column=name,
                                     rule="column appears twice: keep one"))
        else:
            seen.add(name)
            keep.append(pos)
    frame = frame.iloc[:, keep].astype(object)
    if raw.stripped:  # read_workbook already stripped every cell and blanked empty ones
        return frame
    for name in frame.columns:
        values = frame[name].to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            frame[name] = pd.Series(strip_cells(values), index=frame.index, dtype=object)
            continue
        text = frame[name].map(lambda v: v.strip() if isinstance(v, str) else v)
        frame[name] = text.where(text.notna() & (text != ""), None).astype(object)
    return frame


def _validate_table(raw: RawTable) -> tuple[pd.DataFrame, list[dict], list[str]]:
    """Both pandera passes for one table; returns (typed frame, problems, extras)."""
    spec = TABLES[raw.name]
    problems: list[dict] = []
    text = _clean_header(raw, problems)
    parsers = {c.name: _parser(c, raw.decimal_comma) for c in spec.columns}
    # Each column is parsed once: the text pass checks these results and the
    # typed frame is built from them.
    values_of = {c.name: parsers[c.name](text[c.name]) for c in spec.columns if c.name in text}
    # which cells are filled, found once per column: four rules below ask
    filled = {name: text[name].notna() for name in text.columns}

    rules = Rules()
    text_schema = pa.DataFrameSchema(
        {c.name: _text_column(c, _parsed_or_empty(values_of.get(c.name), filled.get(c.name)),
                              rules, cell_rules(c, values_of.get(c.name), text.get(c.name)),
                              filled.get(c.name))
         for c in spec.columns},
        strict=False,
    )
    bad_cells = _run(text_schema, text, rules, raw, problems)

    parsed = pd.DataFrame(index=text.index)
    for c in spec.columns:
        if c.name in text:
            values = values_of[c.name]
            if c.default is not None:
                values = values.where(filled[c.name], c.default)
            parsed[c.name] = values
    extras = [c for c in text.columns if c not in spec.column_names]
    for c in extras:
        parsed[c] = text[c].astype("str").where(filled[c], None).astype("str")
    typed = coerce_types(raw.name, parsed).set_axis(text.index)

    rules = Rules()
    typed_schema = pa.DataFrameSchema(
        {c.name: pa.Column(checks=_bound_checks(c, rules), nullable=True)
         for c in spec.columns if c.ge is not None or c.le is not None or c.gt is not None},
        checks=_table_checks(raw.name, rules),
        strict=False,
    )
    _run(typed_schema, typed, rules, raw, problems, skip=bad_cells, source=text)
    return typed, problems, extras


def _parser(column: Column, decimal_comma: bool):
    """The function that turns this column's text into values (None/NaN = unparseable)."""
    if column.kind == "number":
        return lambda s: parse_numbers(s, decimal_comma)
    if column.kind == "enum":
        return lambda s: parse_enum(s, column.choices)
    return {"date": parse_dates, "month": parse_months, "bool": parse_bools}.get(
        column.kind, lambda s: s
    )


def _parsed_or_empty(values: pd.Series | None, filled: pd.Series | None) -> pd.Series | None:
    """Per cell: it parsed or it is empty (None when the column is absent)."""
    return None if values is None else values.notna() | ~filled


def _text_column(column: Column, parsed_ok: pd.Series | None, rules: Rules,
                 extra: list[tuple[str, pd.Series]] = (),
                 filled: pd.Series | None = None) -> pa.Column:
    """The text pass for one column: required cells present, cells parse as the kind.

    ``parsed_ok`` is the precomputed per-cell result (parsed, or empty); the
    check returns it whole, so pandera reports the cells where it is False.
    ``extra`` holds further (rule text, per-cell ok) pairs
    (:func:`pmo_nb.io.cell_rules.cell_rules`); ``filled`` the column's filled cells
    (None: the check finds them).
    """
    checks = []
    if column.required:
        checks.append(rules.check((lambda s: s.notna()) if filled is None else
                                  (lambda s, ok=filled: ok), "required: must not be empty",
                                  column.name, ignore_na=False))
    if (column.kind in _KIND_RULES or column.kind == "enum") and parsed_ok is not None:
        text = _KIND_RULES.get(column.kind) or f"must be one of: {', '.join(column.choices)}"
        checks.append(rules.check(lambda s, ok=parsed_ok: ok, text, column.name,
                                  ignore_na=False))
    for text, ok in extra:
        checks.append(rules.check(lambda s, ok=ok: ok, text, column.name, ignore_na=False))
    return pa.Column(checks=checks, nullable=True, required=column.required)


def _bound_checks(column: Column, rules: Rules) -> list[pa.Check]:
    ge, le, gt = column.ge, column.le, column.gt
    checks = []
    if ge is not None and le is not None:
        checks.append(rules.check(lambda s: s.between(ge, le), f"must be between {ge:g} and {le:g}",
                                  column.name))
    elif ge is not None:
        checks.append(rules.check(lambda s: s >= ge, f"must be >= {ge:g}", column.name))
    elif le is not None:
        checks.append(rules.check(lambda s: s <= le, f"must be <= {le:g}", column.name))
    if gt is not None:
        checks.append(rules.check(lambda s: s > gt, f"must be > {gt:g}", column.name))
    return checks


def _table_checks(table: str, rules: Rules) -> list[pa.Check]:
    """Uniqueness of the key plus the table's cross-column rules (row-wise)."""
    key = list(TABLES[table].key)
    label = ", ".join(key)
    if table == "tasks":
        text = "duplicate task_id: each task_id must be unique across the workbook"
    elif len(key) == 1:
        text = f"duplicate {key[0]}: each {key[0]} must be unique"
    else:
        text = f"duplicate key ({label}): {_KEY_PHRASES[table]}"
    checks = [rules.check(
        lambda df: ~(df[key].notna().all(axis=1) & df.duplicated(key, keep="first")),
        text, label, key, ignore_na=False,
    )]

    def row_rule(fn, text, column, cells=None):
        checks.append(rules.check(fn, text, column, cells, ignore_na=False))

    if table == "objectives":
        row_rule(lambda df: bool(df.empty or (df["weight"] > 0).any()),
                 "at least one objective weight must be > 0", "weight")
    elif table == "projects":
        row_rule(lambda df: _ok_or_na(df["finish_date"] >= df["start_date"],
                                      df["finish_date"], df["start_date"]),
                 "finish_date must be >= start_date", "finish_date",
                 ("finish_date", "start_date"))
        for col in ("actual_finish_date", "actual_cost"):
            row_rule(lambda df, col=col: (df["stage"] != "completed").fillna(True)
                     | df[col].notna(),
                     "required when stage = completed", col, (col, "stage"))
        row_rule(lambda df: _ok_or_na(df["actual_finish_date"] >= df["start_date"],
                                      df["actual_finish_date"], df["start_date"]),
                 "actual_finish_date must be >= start_date", "actual_finish_date",
                 ("actual_finish_date", "start_date"))
    elif table == "risks":
        for part in ("cost", "delay"):
            cols = [f"{part}_{x}" for x in ("low", "likely", "high")]
            label = ", ".join(cols)
            row_rule(lambda df, cols=cols: df[cols].notna().sum(axis=1).isin([0, 3]),
                     f"{label}: give all three or none", label, cols)
            row_rule(lambda df, cols=cols: _ok_or_na(
                         (df[cols[0]] <= df[cols[1]]) & (df[cols[1]] <= df[cols[2]]),
                         *(df[c] for c in cols)),
                     f"must satisfy {cols[0]} <= {cols[1]} <= {cols[2]}", label, cols)
    elif table == "benefits":
        for direction, op, word in (("increase", "gt", "above"), ("decrease", "lt", "below")):
            row_rule(lambda df, d=direction, op=op: _ok_or_na(
                         (df["direction"] != d) | getattr(df["target"], op)(df["baseline"]),
                         df["direction"], df["target"], df["baseline"]),
                     f"target must be {word} baseline when direction = {direction}",
                     "target", ("target", "baseline", "direction"))
    elif table == "dependencies":
        row_rule(lambda df: (df["project_id"] != df["depends_on"]).fillna(True),
                 "a project cannot depend on itself", "depends_on",
                 ("depends_on", "project_id"))
    else:
        plan_row_rules(table, row_rule)
    return checks


def _run(schema, frame, rules: Rules, raw: RawTable, problems: list[dict],
         skip: set | None = None, source: pd.DataFrame | None = None) -> set:
    """Validate lazily; turn failure cases into problems; return the bad cells.

    ``source`` is the text frame whose cells a problem shows as its value;
    rows whose cells already failed to parse (``skip``) are not reported again.
    """
    source = frame if source is None else source
    bad: set = set()
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as err:
        cases = err.failure_cases
        missing = cases["check"] == "column_in_dataframe"
        for column in cases.loc[missing, "failure_case"]:
            problems.append(problem(raw.location, raw.name, column=column,
                                     rule="missing required column"))
        # a row-wise check fails once per column of the frame: report it once
        for case in cases[~missing].drop_duplicates(["check", "index"]).itertuples(index=False):
            rule = rules.by_id.get(case.check)
            if rule is None:  # a check that crashed: report it rather than hide it
                problems.append(problem(raw.location, raw.name, column=case.column,
                                         rule=f"{case.check}: {case.failure_case}"))
                continue
            row = None if pd.isna(case.index) else int(case.index)
            if row is not None and skip and any((row, c) in skip for c in rule.cells):
                continue
            value = None
            if row is not None:
                shown = rule.cells[: len(rule.cells) if "," in rule.column else 1]
                texts = [source.at[row, c] if c in source else None for c in shown]
                value = texts[0] if len(texts) == 1 else ", ".join(t or "" for t in texts)
                bad.add((row, rule.column))
            problems.append(problem(raw.location, raw.name, row, rule.column, value, rule.text))
    return bad


def _default_realisation_start(portfolio: Portfolio) -> None:
    """Empty ``benefits.realisation_start`` = the project's planned finish."""
    benefits = portfolio.benefits
    if benefits.empty:  # Series.map with an empty mapper of dates raises (pandas 2)
        return
    finish = portfolio.projects.drop_duplicates("project_id").set_index("project_id")
    fill = benefits["project_id"].map(finish["finish_date"])
    benefits["realisation_start"] = benefits["realisation_start"].fillna(fill).astype(
        "datetime64[ns]"
    )
