"""What an import does to the versioned rows of one table.

:func:`plan_table` compares the incoming rows (encoded by
:mod:`pmo_nb.store.rows`) with the current versions and decides, without
writing, which rows are new, changed, retired, kept or in conflict with a
later import; :func:`apply_plan` then closes and inserts versions. Splitting
the two lets an import check every table for conflicts before it writes any.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa

from pmo_nb.errors import ValidationError
from pmo_nb.portfolio import Portfolio
from pmo_nb.schema import TABLES
from pmo_nb.store.rows import COUNT_KINDS, SEP, canon, decode
from pmo_nb.store.sql import executemany, fetch_columns
from pmo_nb.store.tables import DATA_TABLES


def key_texts(name: str, key_columns: list[list]) -> list[str]:
    """Canonical key text of fetched rows (as :func:`~pmo_nb.store.rows.encode` makes it)."""
    spec = TABLES[name]
    parts = [canon(spec.column(k).kind, v) for k, v in zip(spec.key, key_columns, strict=True)]
    return [SEP.join(p) for p in zip(*parts, strict=True)]


def owner_context(conn: sa.Connection, name: str,
                  encoded: dict[str, tuple]) -> tuple[dict, set] | None:
    """For a "plan" table owned through another (``Table.owner_via``): who owns what.

    Returns ``(project of each owner value, projects the workbook brings)``:
    for ``task_links``, each task's project (the store's tasks, overridden by
    the workbook's) and the projects of the workbook's tasks, whose links the
    workbook then replaces. None for other tables.
    """
    spec = TABLES[name]
    if spec.owner_via is None:
        return None
    via, via_col = spec.owner_via
    via_key = TABLES[via].key[0]
    table = DATA_TABLES[via]
    query = sa.select(table.c[via_key], table.c[via_col]).where(table.c._valid_to.is_(None))
    ids, owners = fetch_columns(conn, query, 2)
    owner_of = dict(zip(ids, owners, strict=True))
    incoming = encoded[via][0]
    owner_of.update(zip(incoming[via_key], incoming[via_col], strict=True))
    return owner_of, set(incoming[via_col])


def _positions(current: list[str], keys: list[str]) -> np.ndarray:
    """Position of each key in ``current`` (-1 where absent); a hash lookup per key."""
    if not current:
        return np.full(len(keys), -1, dtype=np.int64)
    index = pd.Index(current, dtype=object)
    if index.is_unique:
        return index.get_indexer(keys)
    # never in a sound store (one current version per key): the last wins, as in a dict
    last = np.flatnonzero(~index.duplicated(keep="last"))
    found = index[last].get_indexer(keys)
    return np.where(found >= 0, last[found], -1)


def plan_table(conn: sa.Connection, name: str, columns: dict[str, list], keys: list[str],
               hashes: list[str], *, later: dict[str, tuple[int, str | None]],
               owned: tuple[dict, set] | None = None) -> dict:
    """Decide what one incoming table does to the current versions (nothing written yet).

    ``later`` maps keys that imports after the workbook's base changed to
    ``(import_id, hash at the base or None)``: such a row is kept as it is
    when the workbook holds it as it was at the base, and is a conflict when
    the workbook changed it too. ``owned`` is :func:`owner_context`'s answer.
    """
    spec, table = TABLES[name], DATA_TABLES[name]
    plan = {"counts": dict.fromkeys(COUNT_KINDS, 0), "kept": 0, "conflicts": [],
            "insert": [], "close": [], "current": None}
    owner_of, owners = owned if owned is not None else (None, set())
    if spec.history == "plan":
        owners = owners | (set(columns[spec.owner]) if owner_of is None else
                           {owner_of.get(v) for v in columns[spec.owner]})
    if not keys and not owners:
        return plan
    counts = plan["counts"]
    extra = [spec.owner] if spec.history == "plan" and spec.owner not in spec.key else []
    query = sa.select(table.c._rowid, table.c._row_hash,
                      *(table.c[k] for k in [*spec.key, *extra])).where(
                          table.c._valid_to.is_(None))
    current = fetch_columns(conn, query, 2 + len(spec.key) + len(extra))
    rowids, cur_hashes = current[0], current[1]
    plan["current"] = len(rowids)
    cur_keys = key_texts(name, current[2:2 + len(spec.key)])
    # where each incoming key stands among the current versions (-1: new), by hash lookup
    found_at = _positions(cur_keys, keys)
    cur_hash = np.asarray(cur_hashes + [None], dtype=object)  # slot -1: a new key
    same = cur_hash[found_at] == np.asarray(hashes, dtype=object)
    pending = np.flatnonzero(~same)  # rows that are not unchanged versions of current ones
    counts["unchanged"] += len(keys) - len(pending)
    if later:
        is_later = np.fromiter((keys[i] in later for i in pending), dtype=bool,
                               count=len(pending))
        for i in pending[is_later]:
            k, h = keys[i], hashes[i]
            if later[k][1] == h:  # as at the base: the workbook did not change it
                counts["unchanged"] += 1
                plan["kept"] += 1
            else:
                plan["conflicts"].append((k, later[k][0]))
        pending = pending[~is_later]
    new_key = found_at[pending] < 0
    counts["inserted"] += int(new_key.sum())
    counts["changed"] += int((~new_key).sum())
    plan["close"] = [rowids[j] for j in found_at[pending[~new_key]]]
    plan["insert"] = pending.tolist()
    if spec.history == "plan":
        incoming = set(keys)
        cur_owner = current[2 + [*spec.key, *extra].index(spec.owner)]
        if owner_of is not None:
            cur_owner = [owner_of.get(v) for v in cur_owner]
        for k, owner, rowid in zip(cur_keys, cur_owner, rowids, strict=True):
            if owner not in owners or k in incoming:
                continue
            if k in later:  # added after the base: not the workbook's to drop
                if later[k][1] is None:
                    plan["kept"] += 1
                else:
                    plan["conflicts"].append((k, later[k][0]))
                continue
            counts["retired"] += 1
            plan["close"].append(rowid)
    return plan


def apply_plan(conn: sa.Connection, name: str, encoded: tuple, plan: dict, *,
               now: dt.datetime, import_id: int) -> dict[str, list]:
    """Write what :func:`plan_table` decided: close versions, insert new ones.

    Returns the inserted rows as the driver took them (column -> values).
    """
    columns, keys, hashes = encoded
    table = DATA_TABLES[name]
    if plan["close"]:
        close = table.update().where(table.c._rowid == sa.bindparam("rid", type_=sa.Integer))
        close = close.values(_valid_to=sa.bindparam("closed", type_=sa.DateTime))
        executemany(conn, close, {"rid": plan["close"]}, {"closed": now})
    to_insert = plan["insert"]
    if to_insert:
        every = len(to_insert) == len(keys)
        picked = {c: v if every else [v[i] for i in to_insert] for c, v in columns.items()}
        picked["_row_hash"] = hashes if every else [hashes[i] for i in to_insert]
        constants = {"_valid_from": now, "_valid_to": None, "_import_id": import_id}
        if all(v is None for v in picked["_extra"]):  # no extra columns: NULL, not bound
            constants["_extra"] = picked.pop("_extra")[0]
        return executemany(conn, table.insert(), picked, constants)
    return {}


def fresh_portfolio(conn: sa.Connection, plans: dict[str, dict],
                    written: dict[str, dict[str, list]]) -> Portfolio | None:
    """The store's portfolio after an import into a store that held no current rows.

    Then the current versions are exactly the rows just inserted, so they are
    decoded from the values handed to the driver (what a read would fetch)
    instead of read back; None when the store held current rows before (the
    caller reads the merged portfolio then). A table :func:`plan_table` did
    not look at (nothing incoming) is checked with one cheap query.
    """
    for name, plan in plans.items():
        if plan["current"] is None:
            table = DATA_TABLES[name]
            held = conn.execute(sa.select(table.c._rowid).where(
                table.c._valid_to.is_(None)).limit(1)).first()
            if held is not None:
                return None
        elif plan["current"]:
            return None
    tables = {}
    for name, spec in TABLES.items():
        columns = [*spec.column_names, "_extra"]
        values = written.get(name) or {}
        frame = decode(name, [values.get(c, []) for c in columns], columns)
        if conn.dialect.name == "sqlite":  # SQLite keeps a whole REAL as an integer: -0.0 reads 0.0
            for c in spec.columns:
                if c.kind == "number":
                    frame[c.name] = frame[c.name] + 0.0  # -0.0 + 0.0 is 0.0; all else unchanged
        tables[name] = frame
    return Portfolio(**tables, source=str(conn.engine.url))


def check_merged_references(merged: Portfolio, source: str) -> None:
    """Raise the import's ValidationError if ``merged`` breaks a reference of the format."""
    from pmo_nb.io.validation import (
        check_references,  # lazy: pandera loads only when an import is checked
    )

    problems = check_references(merged)
    if len(problems):
        raise ValidationError(problems, source)
