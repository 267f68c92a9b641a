"""Facts from the live database about what a plan would do to its rows."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from .diff import BLOCKING, Change, Plan
from .errors import VertzError


class BlockingChange(VertzError):
    """A change that would fail on the rows the database has."""

    def __init__(self, message: str, *, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


def _count(conn: Connection, sql: str) -> int:
    return int(conn.exec_driver_sql(sql).scalar() or 0)


def problems(conn: Connection, plan: Plan, existing: set[str]) -> list[str]:
    """What the blocking changes of ``plan`` would hit in ``conn``'s rows."""
    q = conn.dialect.identifier_preparer
    out: list[str] = []
    for change in plan.changes():
        if change.level != BLOCKING or change.table not in existing:
            continue
        table = q.quote(change.table)
        text = _problem(conn, change, table, q.quote(change.column) if change.column else "")
        if text:
            out.append(text)
    return out


def _problem(conn: Connection, change: Change, table: str, column: str) -> str | None:
    if change.kind == "add_column":
        rows = _count(conn, f"SELECT COUNT(*) FROM {table}")
        if rows:
            return (
                f"add column {change.table}.{change.column}: NOT NULL without a server default, "
                f"but {change.table} has {rows} row(s). Give the column a server_default "
                f"(or make it nullable, fill it, then make it NOT NULL)."
            )
    elif change.kind == "alter_column" and "NOT NULL" in change.reason:
        nulls = _count(conn, f"SELECT COUNT(*) FROM {table} WHERE {column} IS NULL")
        if nulls:
            return (
                f"alter column {change.table}.{change.column} to NOT NULL: {nulls} row(s) hold "
                f"NULL. Fill them first (UPDATE ... SET {change.column} = ...)."
            )
    return None
