"""Putting back what a backup keeps (see :mod:`vertz_engine.backup`) into the schema the
database has now.

A dropped table's rows are inserted again, except rows whose primary key is already there
(a table without a primary key: rows equal to one already there). A dropped column's values
are written back by primary key, except where the row holds that value already. So running
a restore twice restores once. What is not in the database now (the table or column is
still missing from the models) is reported and nothing else is changed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vertz_engine.db import backup as backups
from vertz_engine.db import database
from vertz_engine.db.backup import Store
from vertz_engine.db.backup_items import Backup, Item, Restored
from vertz_engine.db.history import now
from vertz_engine.dialects import traits
from vertz_engine.errors import VertzError
from vertz_engine.gcpause import gc_paused
from vertz_engine.plan.model import Plan
from vertz_engine.remedies import Hint, Remedy, Text
from vertz_engine.schema import canonical
from vertz_engine.workflows.workspace import ProjectBase


class NoBackup(VertzError):
    """There is no backup to restore, or none with the name asked for."""


@dataclass
class RestoreResult:
    backup: Backup
    outcomes: list[Restored] = field(default_factory=list)


def put_back(conn: Connection, store: Store, backup: Backup, item: Item) -> Restored:
    """Put ``item``'s rows or values back into ``conn``'s current schema."""
    out = Restored(item, backup.name)
    if item.kind == "column" and not item.key:
        out.problem = (
            f"column {item.target}: table {item.table} has no primary key, so the values "
            f"cannot be matched to rows; backup {backup.name} keeps the whole rows "
            f"({backup.location})"
        )
        return out
    insp = sa.inspect(conn)
    again = Text("then run `", Hint(Remedy.RESTORE, backup.name), "` again")
    if not insp.has_table(item.table):
        out.problem = Text(
            f"table {item.table} is not in the database: add its model back (imported before "
            "vertz.init_app), start the app so it is created, ",
            again,
        )
        return out
    current = {str(c["name"]) for c in insp.get_columns(item.table)}
    if item.column and item.column not in current:
        out.problem = Text(
            f"column {item.target} is not in the database: add it back to its model, start "
            "the app so it is created, ",
            again,
        )
        return out
    rows = store.rows(conn, backup, item)
    try:
        if item.kind == "table":
            _insert(conn, item, rows, current, out)
        else:
            _update(conn, item, rows, out)
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise VertzError(
            f"restoring {item.target} from backup {backup.name} failed: {reason}"
        ) from None
    return out


def _marks(conn: Connection, n: int) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * n)


def _insert(
    conn: Connection, item: Item, rows: list[tuple[Any, ...]], current: set[str], out: Restored
) -> None:
    q = conn.dialect.identifier_preparer.quote
    t = q(item.table)
    cols = [c for c in item.columns if c in current]
    pos = [item.columns.index(c) for c in cols]
    key = item.key if item.key and set(item.key) <= current else []
    match = key or cols
    mpos = [item.columns.index(c) for c in match]
    have = Counter(
        tuple(r) for r in conn.exec_driver_sql(f"SELECT {', '.join(q(c) for c in match)} FROM {t}")
    )
    todo = []
    for row in rows:
        k = tuple(row[i] for i in mpos)
        if have[k] > 0:
            if not key:
                have[k] -= 1
            out.present += 1
        else:
            if key:
                have[k] += 1
            todo.append(tuple(row[i] for i in pos))
    if todo:
        names = ", ".join(q(c) for c in cols)
        conn.exec_driver_sql(f"INSERT INTO {t} ({names}) VALUES ({_marks(conn, len(cols))})", todo)
    out.restored = len(todo)
    if todo and traits(conn).serial_sequences:
        for col in key:  # a serial key's sequence moves past the restored ids
            table_lit, col_lit = (_literal(x) for x in (q(item.table), col))
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence({table_lit}, {col_lit}), MAX({q(col)})) "
                f"FROM {t} HAVING MAX({q(col)}) IS NOT NULL"
            )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _update(conn: Connection, item: Item, rows: list[tuple[Any, ...]], out: Restored) -> None:
    q = conn.dialect.identifier_preparer.quote
    t, c = q(item.table), q(str(item.column))
    keys = ", ".join(q(k) for k in item.key)
    have = {tuple(r[:-1]): r[-1] for r in conn.exec_driver_sql(f"SELECT {keys}, {c} FROM {t}")}
    n = len(item.key)
    todo = []
    for row in rows:
        k, value = tuple(row[:n]), row[n]
        if k not in have:
            out.gone += 1
        elif have[k] == value:
            out.present += 1
        else:
            todo.append((value, *k))
    if todo:
        mark = _marks(conn, 1)
        where = " AND ".join(f"{q(k)} = {mark}" for k in item.key)
        conn.exec_driver_sql(f"UPDATE {t} SET {c} = {mark} WHERE {where}", todo)
    out.restored = len(todo)


# -- a boot or push that adds back what a backup dropped --------------------------------------


def _compatible(item: Item, plan: Plan) -> bool:
    dialect = plan.new["dialect"]
    table = plan.new["tables"].get(item.table)
    if table is None:
        return False

    def types(cols: list[dict[str, Any]]) -> dict[str, str]:
        return {c["name"]: canonical.sql_type(c["sql_type"], dialect) for c in cols}

    if item.kind == "table":
        return types(item.spec["columns"]) == types(table["columns"])
    new = types(table["columns"])
    return new.get(str(item.column)) == types([item.spec]).get(str(item.column))


def added_back(conn: Connection, plan: Plan, folder: Path) -> list[Restored]:
    """After ``plan`` ran: the tables and columns it added that the newest backup holding
    them dropped (same name, same types) get their rows or values back, once."""
    added = {
        c.table if c.kind == "add_table" else f"{c.table}.{c.column}"
        for c in plan.changes()
        if c.kind == "add_table" or (c.kind == "add_column" and c.column)
    }
    if not added or not plan.old["tables"]:
        return []  # a new (or emptied) database is built afresh, not refilled
    store = backups.store_for(conn, folder)
    out: list[Restored] = []
    seen: set[str] = set()
    changed: dict[str, Backup] = {}
    for backup, item in backups.iter_items(backups.of_database(conn, store.all(conn))):
        if item.target not in added or item.target in seen:
            continue
        seen.add(item.target)  # only the newest backup that holds it
        if item.restored_at or not item.change.startswith("drop_") or not _compatible(item, plan):
            continue
        done = put_back(conn, store, backup, item)
        if not done.problem:
            item.restored_at = now()
            changed[backup.name] = backup
            out.append(done)
    for backup in changed.values():
        backups.save(store, conn, backup)
    return out


class BackupFlows(ProjectBase):
    """``restore``: list the backups, put one back."""

    @property
    def backups_dir(self) -> Path:
        return backups.folder_for(self.local_snapshot_path)

    def backups(self) -> list[Backup]:
        """The kept backups, oldest first."""
        if not database.exists(self.engine):
            return []
        with self._connect() as conn:
            return backups.store_for(conn, self.backups_dir).all(conn)

    @gc_paused
    def restore(self, name: str | None = None) -> RestoreResult:
        """Put back what backup ``name`` (default: the newest) keeps."""
        with self._connect() as conn:
            with database.lock(conn, timeout=self.lock_timeout):
                with database.transaction(conn, enabled=self.transactional()):
                    store = backups.store_for(conn, self.backups_dir)
                    found = store.all(conn)
                    mine = backups.of_database(conn, found)
                    if not found or (name is None and not mine):
                        raise NoBackup(
                            "there is no backup to restore: a development boot or `push` "
                            "keeps one only when it drops a table or column that holds data"
                        )
                    match = [b for b in found if b.name == name] if name else mine[-1:]
                    if not match:
                        raise NoBackup(
                            Text(
                                f"no backup named {name!r}; `",
                                Hint(Remedy.RESTORE_LIST),
                                f"` shows them ({', '.join(b.name for b in found)})",
                            )
                        )
                    backup = match[0]
                    result = RestoreResult(backup)
                    # parents before children: the drops went children first
                    order = [i for i in reversed(backup.items) if i.kind == "table"] + [
                        i for i in backup.items if i.kind == "column"
                    ]
                    for item in order:
                        done = put_back(conn, store, backup, item)
                        if not done.problem:
                            item.restored_at = now()
                        result.outcomes.append(done)
                    backups.save(store, conn, backup)
        return result
