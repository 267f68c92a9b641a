"""The live database compared with the models, through Alembic's autogenerate comparator.

Used where no snapshot describes the database: adopting an existing database on boot or
``push`` (see reconcile.py), and drift reports.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from vertz_engine.db.check_drift import check_drift
from vertz_engine.plan.model import DESTRUCTIVE, SAFE, Change, Kind


def _context(conn: Connection, metadata: sa.MetaData) -> MigrationContext:
    known = set(metadata.tables)

    def include_name(name: str | None, type_: str, parent: Any) -> bool:
        # Only the models' tables: a table the models do not know is never dropped here.
        return name in known if type_ == "table" else True

    return MigrationContext.configure(
        connection=conn,
        opts={"compare_type": True, "include_name": include_name, "target_metadata": metadata},
    )


def drift(conn: Connection, metadata: sa.MetaData) -> list[str]:
    """Differences between the live database and ``metadata``, one line each."""
    from vertz_engine.db import drift_features

    ctx = _context(conn, metadata)
    return (
        [_describe(d) for d in compare_metadata(ctx, metadata)]
        + check_drift(conn, metadata)
        + drift_features.drift(conn, metadata)
    )


def _describe(diff: Any) -> str:
    """One of Alembic's difference tuples, from the database's point of view."""
    if isinstance(diff, list):
        return "; ".join(_describe(d) for d in diff)
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        where = (
            "is missing from the database"
            if kind == "add_table"
            else "is in the database but not expected"
        )
        return f"table {diff[1].name} {where}"
    if kind in ("add_column", "remove_column"):
        where = (
            "is missing from the database"
            if kind == "add_column"
            else "is in the database but not expected"
        )
        return f"column {diff[2]}.{diff[3].name} {where}"
    if kind.startswith("modify_"):
        what = kind.removeprefix("modify_")
        table, column, current, expected = diff[2], diff[3], diff[5], diff[6]
        return f"column {table}.{column}: {what} is {_text(current)}, expected {_text(expected)}"
    if kind in (
        "add_index",
        "remove_index",
        "add_constraint",
        "remove_constraint",
        "add_fk",
        "remove_fk",
    ):
        obj = diff[1]
        label = {"index": "index", "constraint": "constraint", "fk": "foreign key"}[
            kind.split("_", 1)[1]
        ]
        table = getattr(getattr(obj, "table", None), "name", "?")
        if isinstance(obj, sa.UniqueConstraint):
            label = "unique constraint"
        cols = "(" + ", ".join(_columns(obj)) + ")"
        name = f"{obj.name} {cols}" if isinstance(obj.name, str) and obj.name else cols
        where = (
            "is missing from the database"
            if kind.startswith("add")
            else "is in the database but not expected"
        )
        return f"{label} {name} on {table} {where}"
    return f"{kind.replace('_', ' ')}"


def _columns(obj: Any) -> list[str]:
    """The columns of an unnamed constraint or index: how it is told apart."""
    keys = getattr(obj, "column_keys", None)  # a foreign key
    if keys:
        return [str(k) for k in keys]
    return [str(getattr(c, "name", c)) for c in getattr(obj, "columns", [])]


def _text(value: Any) -> str:
    if value is None:
        return "none"
    arg = getattr(value, "arg", value)
    return str(getattr(arg, "text", arg))


def _change(op: ops.MigrateOperation, table: str) -> Change:
    kind = type(op).__name__.removesuffix("Op")
    kind = "".join("_" + c.lower() if c.isupper() else c for c in kind).lstrip("_")
    column = getattr(op, "column_name", None) or getattr(getattr(op, "column", None), "name", None)
    level = DESTRUCTIVE if kind.startswith("drop_") and kind != "drop_index" else SAFE
    return Change(op, cast(Kind, kind), table, column, level)  # Alembic's operation name
