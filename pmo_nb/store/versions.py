"""What an import does to the versioned rows of one table.

:func:`plan_table` compares the incoming rows (encoded by
:mod:`pmo_nb.store.rows`) with the current versions and decides, without
writing, which rows are new, changed, retired, kept or in conflict with a
later import; :func:`apply_plan` then closes and inserts versions. Splitting
the two lets an import check every table for conflicts before it writes any.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from pmo_nb.schema import TABLES
from pmo_nb.store.rows import COUNT_KINDS, SEP, canon
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
            "insert": [], "close": []}
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
    cur_keys = key_texts(name, current[2:2 + len(spec.key)])
    by_key = dict(zip(cur_keys, zip(rowids, cur_hashes, strict=True), strict=True))
    for i, (k, h) in enumerate(zip(keys, hashes, strict=True)):
        found = by_key.get(k)
        if found is not None and found[1] == h:
            counts["unchanged"] += 1
        elif k in later:
            if later[k][1] == h:  # as at the base: the workbook did not change it
                counts["unchanged"] += 1
                plan["kept"] += 1
            else:
                plan["conflicts"].append((k, later[k][0]))
        elif found is None:
            counts["inserted"] += 1
            plan["insert"].append(i)
        else:
            counts["changed"] += 1
            plan["close"].append(found[0])
            plan["insert"].append(i)
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
               now: dt.datetime, import_id: int) -> None:
    """Write what :func:`plan_table` decided: close versions, insert new ones."""
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
        executemany(conn, table.insert(), picked,
                     {"_valid_from": now, "_valid_to": None, "_import_id": import_id})
