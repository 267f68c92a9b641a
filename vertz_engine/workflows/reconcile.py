"""Reconciling a database that no record describes with the models (boot or ``push`` when
``_vertz_state`` is unknown), without ever losing data.

Alembic's comparator says what differs. Only what is missing is made: tables, columns,
indexes, constraints, and column changes where the database can make them in place. What
the database has and the models do not (a column, an index, a constraint) is left as it
is and reported: the database may hold it for a reason no record explains (a hand-written
migration). A dropped and an added column of the same shape are a rename, as in
:func:`~vertz_engine.diff.diff`, so values survive. On SQLite nothing is rebuilt (a
rebuild would touch triggers and views that no snapshot knows): a change that needs one is
reported instead. The statements run through the runner, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations
from alembic.operations import ops
from sqlalchemy.engine import Connection, Dialect

from vertz_engine.db.introspect import _change, _context, _describe
from vertz_engine.db.runner import execute
from vertz_engine.dialects import traits
from vertz_engine.plan import render
from vertz_engine.plan.model import Change
from vertz_engine.plan.renames import RenameCandidate, candidate, decide, default_questioner, pairs
from vertz_engine.remedies import Hint, Remedy, Text
from vertz_engine.schema import canonical
from vertz_engine.schema.snapshot import RESERVED_PREFIX

_DROPS = (ops.DropColumnOp, ops.DropIndexOp, ops.DropConstraintOp, ops.DropTableOp)


@dataclass
class Reconciliation:
    changes: list[Change] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    renames: list[tuple[RenameCandidate, bool]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # tables the models do not know
    kept: list[str | Text] = field(default_factory=list)  # what a full sync would drop or rebuild


def reconcile(
    conn: Connection,
    metadata: sa.MetaData,
    *,
    renames: Mapping[str, str] | None = None,
    dry_run: bool = False,
) -> Reconciliation:
    """Make what the models have and the database lacks; leave and report the rest."""
    ctx = _context(conn, metadata)
    script = produce_migrations(ctx, metadata)
    out = Reconciliation()
    existing = set(sa.inspect(conn).get_table_names())
    out.skipped = sorted(
        t for t in existing - set(metadata.tables) if not t.startswith(RESERVED_PREFIX)
    )
    dialect = conn.dialect.name
    run: list[ops.MigrateOperation] = []
    assert script.upgrade_ops is not None
    for op in script.upgrade_ops.ops:
        table = getattr(op, "table_name", "")
        subs = list(op.ops) if isinstance(op, ops.ModifyTableOps) else [op]
        if isinstance(op, ops.ModifyTableOps):
            subs = _with_renames(table, subs, renames or {}, conn.dialect, out)
        for sub in subs:
            why = _left_because(sub, dialect)
            if why:
                out.kept.append(Text(_what(sub), ": ", why, "; left as it is"))
                continue
            run.append(sub)
            out.changes.append(_change(sub, table))
    out.statements = _render(run, conn)
    if not dry_run and out.statements:
        execute(conn, out.statements, name="model changes")
    return out


def _what(op: ops.MigrateOperation) -> str:
    try:
        return _describe(op.to_diff_tuple())
    except (AttributeError, ValueError, NotImplementedError):
        return type(op).__name__


def _left_because(op: ops.MigrateOperation, dialect: str) -> str | Text:
    if isinstance(op, _DROPS):
        return "no record says the database should not have it (drop it in a migration)"
    if not traits(dialect).rebuilds_tables or isinstance(op, (ops.CreateTableOp, ops.CreateIndexOp)):
        return ""
    if isinstance(op, ops.AlterColumnOp) and render._is_rename(op):
        return ""
    if isinstance(op, ops.AddColumnOp) and render._add_in_place(op.column):
        return ""
    return Text(
        "SQLite would have to rebuild the table; capture the change in a migration (`",
        Hint(Remedy.MIGRATE_DEV),
        "`), whose rebuild keeps triggers and views",
    )


def _with_renames(
    table: str,
    subs: list[ops.MigrateOperation],
    explicit: Mapping[str, str],
    dialect: Dialect,
    out: Reconciliation,
) -> list[ops.MigrateOperation]:
    """A dropped and an added column of the same shape become one rename."""
    added = {s.column.name: s for s in subs if isinstance(s, ops.AddColumnOp)}
    dropped = {s.column_name: s for s in subs if isinstance(s, ops.DropColumnOp)}
    if not added or not dropped:
        return subs
    old_cols = {name: op.to_column() for name, op in dropped.items()}

    def shape(col: sa.Column[Any]) -> tuple[str, bool]:
        kind = col.type.compile(dialect=dialect)
        return canonical.sql_type(kind, dialect.name), bool(col.nullable)

    def same_shape(old: str, new: str) -> bool:
        try:
            return shape(old_cols[old]) == shape(added[new].column)
        except sa.exc.CompileError:
            return False

    cands = pairs(dropped, added, same_shape, lambda old, new: candidate(table, old, new), explicit)
    chosen = decide(cands, explicit, default_questioner, out.renames)
    if not chosen:
        return subs
    result: list[ops.MigrateOperation] = []
    for sub in subs:
        if isinstance(sub, ops.DropColumnOp) and sub.column_name in chosen:
            old = old_cols[sub.column_name]
            result.append(
                ops.AlterColumnOp(
                    table,
                    sub.column_name,
                    modify_name=chosen[sub.column_name],
                    existing_type=old.type,
                    existing_nullable=old.nullable,
                    existing_server_default=old.server_default,
                    existing_comment=old.comment,
                )
            )
        elif isinstance(sub, ops.AddColumnOp) and sub.column.name in chosen.values():
            continue
        else:
            result.append(sub)
    return result


def _render(run: list[ops.MigrateOperation], conn: Connection) -> list[str]:
    buffer = render._Statements()
    operations = render._context(conn.dialect, buffer)
    for op in run:
        operations.invoke(op)
    return buffer.statements
