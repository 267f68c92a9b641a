"""Plans -> SQL statements for one dialect, through Alembic's offline (``as_sql``) mode.

On SQLite, changes that ``ALTER TABLE`` cannot express go through Alembic's batch mode,
which rebuilds the table (create new, copy rows, drop old, rename, recreate indexes) from
the table as the snapshot describes it, so nothing is reflected.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations, ops
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Dialect

from vertz_engine.dialects import traits
from vertz_engine.plan.model import Change, Plan, TableGroup
from vertz_engine.schema import snapshot as snap_mod


class _Statements:
    """An output buffer that keeps each statement Alembic writes as one string."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def write(self, text: str) -> None:
        text = text.strip()
        if text:
            self.statements.append(text)

    def flush(self) -> None:
        pass


def _context(dialect: Dialect, out: _Statements) -> Operations:
    ctx = MigrationContext.configure(
        dialect=dialect,
        opts={
            "as_sql": True,
            "output_buffer": out,
            "literal_binds": True,
            "transactional_ddl": False,
        },
    )
    return Operations(ctx)


def render(plan: Plan, dialect: Dialect) -> list[str]:
    """The SQL statements (each ending in ``;``) that carry out ``plan`` on ``dialect``."""
    out = _Statements()
    operations = _context(dialect, out)
    for step in plan.steps:
        if isinstance(step, TableGroup):
            _render_group(operations, step, dialect)
        else:
            _invoke(operations, step)
    return out.statements


def _render_group(operations: Operations, group: TableGroup, dialect: Dialect) -> None:
    if not traits(dialect).rebuilds_tables or (
        all(_sqlite_in_place(c, group.before) for c in group.changes) and _adds_at_end(group)
    ):
        for change in group.changes:
            _invoke(operations, change)
        return
    # Rebuild through Alembic's batch mode, told that the table it starts from is the
    # table as it must end up (``copy_from=after``): the new table then has exactly the
    # columns, constraints and indexes the models ask for. Columns the change adds are
    # marked as new so their values are not copied; columns it drops are simply absent.
    # Column renames run in place first (SQLite's RENAME COLUMN also rewrites indexes,
    # triggers and views), so the copy reads them under their new names.
    added: list[str] = []
    for change in group.changes:
        op = change.op
        if _is_rename(op):
            operations.invoke(op)
        elif isinstance(op, ops.AddColumnOp):
            if _add_in_place(op.column):
                operations.invoke(op)  # it then exists, and the rebuild copies it
            else:
                added.append(op.column.name)
    after = snap_mod.add_table(sa.MetaData(), group.table, group.after)
    _add_referred_stubs(after, group.after)
    # computed columns are never copied (SQLite refuses writes to them): the new table
    # computes them from the copied columns
    added += [c.name for c in after.columns if c.computed is not None and c.name not in added]
    order = tuple(c.name for c in after.columns)
    with operations.batch_alter_table(
        group.table, copy_from=after, recreate="always", partial_reordering=[order]
    ) as batch:
        for name in added:
            batch.drop_column(name)
            batch.add_column(after.c[name]._copy())


def _adds_at_end(group: TableGroup) -> bool:
    """SQLite appends an added column; where the models put it elsewhere, rebuild instead
    so the column order is the one ``create_all`` gives."""
    added = {c.op.column.name for c in group.changes if isinstance(c.op, ops.AddColumnOp)}
    names = [c["name"] for c in group.after["columns"]]
    return all(n in added for n in names[len(names) - len(added) :]) if added else True


def _invoke(operations: Operations, change: Change) -> None:
    operations.invoke(change.op)
    for op in change.extra:
        operations.invoke(op)


def _is_rename(op: ops.MigrateOperation) -> bool:
    return isinstance(op, ops.AlterColumnOp) and op.modify_name is not None


def _sqlite_in_place(change: Change, before: dict[str, Any]) -> bool:
    op = change.op
    if change.kind == "table_options":
        return False  # sqlite_autoincrement, sqlite_with_rowid: only CREATE TABLE sets them
    if isinstance(op, ops.DropColumnOp):
        return _drop_in_place(op.column_name, before)
    if isinstance(op, (ops.CreateIndexOp, ops.DropIndexOp)):
        return True
    if _is_rename(op):
        return True  # renames carry nothing else: other changes are separate operations
    return isinstance(op, ops.AddColumnOp) and _add_in_place(op.column)


def _drop_in_place(column: str, table: dict[str, Any]) -> bool:
    """SQLite (3.35+) drops a column in place unless something else refers to it."""
    if sqlite3.sqlite_version_info < (3, 35, 0):
        return False
    if column in table["primary_key"]["columns"]:
        return False
    if any(c.get("computed") for c in table["columns"]):
        return False  # a generated column may read it, or be it
    for key in ("indexes", "unique_constraints", "foreign_keys"):
        if any(column in item["columns"] for item in table.get(key, [])):
            return False
    return not any(column in ck["sqltext"] for ck in table.get("check_constraints", []))


def _add_in_place(col: sa.Column[Any]) -> bool:
    """Whether SQLite's ``ALTER TABLE ADD COLUMN`` can add ``col`` (else: rebuild)."""
    if col.primary_key or col.unique or col.foreign_keys or col.computed is not None:
        return False
    sd = col.server_default
    if sd is None:
        return bool(col.nullable)
    arg = getattr(sd, "arg", None)
    if isinstance(arg, str):
        return True
    return isinstance(arg, sa.sql.elements.TextClause) and _is_constant(arg.text)


def _is_constant(text: str) -> bool:
    t = text.strip()
    while t.startswith("(") and t.endswith(")"):
        t = t[1:-1].strip()
    if t.upper() in ("NULL", "TRUE", "FALSE") or (t.startswith("'") and t.endswith("'")):
        return True
    try:
        float(t)
    except ValueError:
        return False
    return True


def _add_referred_stubs(table: sa.Table, data: dict[str, Any]) -> None:
    """Give foreign keys of a rebuilt table something to point at in its own metadata."""
    md = table.metadata
    for fk in data.get("foreign_keys", []):
        ref = fk["referred_table"]
        if ref in md.tables:
            continue
        schema, _, name = ref.rpartition(".")
        sa.Table(
            name,
            md,
            *[sa.Column(c, sa.Integer) for c in fk["referred_columns"]],
            schema=schema or None,
        )
