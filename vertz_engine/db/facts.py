"""Facts from the live database about what a plan would do to its rows: rows a drop loses,
NULLs a NOT NULL would reject, duplicates a UNIQUE would reject, values a narrower type
would not hold, rows a new foreign key would find pointing nowhere."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vertz_engine.dialects import traits
from vertz_engine.errors import VertzError
from vertz_engine.plan.model import BLOCKING, Change, Plan
from vertz_engine.remedies import Text


class BlockingChange(VertzError):
    """A change that would fail on the rows the database has."""

    def __init__(self, message: str | Text, *, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


class _Counter:
    """Counts rows; a query that fails (a table or column not there yet) is no fact. Where a
    failed query aborts the open transaction (PostgreSQL) it runs inside a savepoint."""

    def __init__(self, conn: Connection, *, in_transaction: bool) -> None:
        self.conn = conn
        self.guard = in_transaction and traits(conn).error_aborts_transaction
        self.char_length = traits(conn).char_length

    def __call__(self, sql: str) -> int | None:
        conn, guard = self.conn, self.guard
        if guard:
            conn.exec_driver_sql("SAVEPOINT vertz_fact")
        try:
            value = int(conn.exec_driver_sql(sql).scalar() or 0)
        except sa.exc.DBAPIError:  # the table or column is not there (yet): no fact
            if guard:
                conn.exec_driver_sql("ROLLBACK TO SAVEPOINT vertz_fact")
            return None
        if guard:
            conn.exec_driver_sql("RELEASE SAVEPOINT vertz_fact")
        return value


def annotate(
    conn: Connection, plan: Plan, existing: set[str], *, in_transaction: bool = False
) -> list[str]:
    """Set ``change.fact`` where the rows say something; return the blocking problems (what
    the blocking changes of ``plan`` would hit). ``in_transaction``: ``conn`` is inside a
    :func:`~vertz_engine.db.database.transaction` that a failed count must not abort."""
    q = conn.dialect.identifier_preparer
    count = _Counter(conn, in_transaction=in_transaction)
    problems: list[str] = []
    for change in plan.changes():
        if change.table not in existing:
            continue
        fact, blocking = _fact(count, change, q.quote, plan)
        if fact:
            change.fact = fact
            if blocking and change.level == BLOCKING:
                problems.append(f"{change.describe()}: {fact}{_advice(change)}")
    return problems


def _advice(change: Change) -> str:
    if change.kind == "add_column":
        return (
            ". Give the column a server_default (or make it nullable, fill it, then make it "
            "NOT NULL)."
        )
    if change.kind == "alter_column":
        return f". Fill them first (UPDATE ... SET {change.column} = ...)."
    if change.kind in ("add_unique", "add_index"):
        return ". Remove the duplicates first."
    if change.kind == "add_foreign_key":
        return ". Fix or delete those rows first."
    return ""


def _fact(count: _Counter, change: Change, quote: Any, plan: Plan) -> tuple[str, bool]:
    t = quote(change.table)
    op = change.op
    if change.kind == "drop_table":
        n = count(f"SELECT COUNT(*) FROM {t}")
        return (f"{n} row(s) are lost", False) if n else ("", False)
    if change.kind == "drop_column" and change.column:
        c = quote(change.column)
        n = count(f"SELECT COUNT(*) FROM {t} WHERE {c} IS NOT NULL")
        return (f"{n} value(s) are lost", False) if n else ("", False)
    if change.kind == "add_column":
        if change.level != BLOCKING:
            return "", False
        n = count(f"SELECT COUNT(*) FROM {t}")
        return (f"the table has {n} row(s)", True) if n else ("", False)
    if change.kind == "alter_column" and change.column:
        c = quote(change.column)
        if getattr(op, "modify_nullable", None) is False:
            n = count(f"SELECT COUNT(*) FROM {t} WHERE {c} IS NULL")
            if n:
                return f"{n} row(s) hold NULL", True
        length = getattr(getattr(op, "modify_type", None), "length", None)
        if isinstance(length, int):
            fn = count.char_length
            n = count(f"SELECT COUNT(*) FROM {t} WHERE {fn}({c}) > {length}")
            if n:
                return f"{n} value(s) are longer than {length}", True
        return "", False
    cols = _unique_columns(change)
    if cols:
        joined = ", ".join(quote(c) for c in cols)
        not_null = " AND ".join(f"{quote(c)} IS NOT NULL" for c in cols)
        n = count(
            f"SELECT COUNT(*) FROM (SELECT {joined} FROM {t} WHERE {not_null} "
            f"GROUP BY {joined} HAVING COUNT(*) > 1) dup",
        )
        return (f"{n} duplicated value(s)", True) if n else ("", False)
    if change.kind == "add_foreign_key":
        fk = _fk_of(op)
        if fk is None or len(fk["columns"]) != 1:
            return "", False
        c, r = quote(fk["columns"][0]), quote(fk["referred_columns"][0])
        ref = quote(fk["referred_table"])
        n = count(
            f"SELECT COUNT(*) FROM {t} WHERE {c} IS NOT NULL AND {c} NOT IN (SELECT {r} FROM {ref})",
        )
        return (f"{n} row(s) point nowhere", True) if n else ("", False)
    return "", False


def _unique_columns(change: Change) -> list[str] | None:
    op = change.op
    if change.kind == "add_index" and getattr(op, "unique", False):
        return [str(c) for c in op.columns if isinstance(c, str)] or [  # type: ignore[attr-defined]
            getattr(c, "name", str(c))
            for c in op.columns  # type: ignore[attr-defined]
        ]
    if change.kind == "add_unique":
        cols = getattr(op, "columns", None)
        if cols:
            return [getattr(c, "name", str(c)) for c in cols]
    return None


def _fk_of(op: Any) -> dict[str, Any] | None:
    try:
        return {
            "columns": list(op.local_cols),
            "referred_table": op.referent_table,
            "referred_columns": list(op.remote_cols),
        }
    except AttributeError:
        return None
