"""The safe forms of changes to tables that already exist, for migration files: a plan as
steps, each ``(statements, no_transaction)``, that keep a busy database serving.

PostgreSQL: an index is built ``CONCURRENTLY`` in a step of its own, outside a transaction;
a UNIQUE constraint is a concurrent unique index, then ``ADD CONSTRAINT ... USING INDEX``;
foreign keys and named CHECKs are added ``NOT VALID`` and validated in the next step (its own
transaction, which takes no lock that blocks writes); a new foreign key column carries its
``REFERENCES`` inline; SET NOT NULL goes through ``CHECK (c IS NOT NULL) NOT VALID``,
``VALIDATE``, ``SET NOT NULL`` (which uses the validated check instead of a scan), then the
check is dropped. MySQL/MariaDB: ``CREATE INDEX``, ``ADD UNIQUE`` and plain ``ADD
COLUMN`` carry the traits' online clauses, so the server refuses instead of copying the table;
foreign keys, CHECKs and ``MODIFY`` stay plain (the server cannot do them online), and so
does ``DROP INDEX`` (metadata only; MariaDB's takes no ALGORITHM clause).

Tables the same plan creates, and everything on SQLite, render exactly as :func:`render.render`.
"""

from __future__ import annotations

import copy
import re

from alembic.operations import ops
from sqlalchemy.engine import Dialect

from vertz_engine.dialects import Traits, traits
from vertz_engine.plan import render
from vertz_engine.plan.model import Change, Plan, TableGroup
from vertz_engine.schema import constraint_names

SqlStep = tuple[list[str], bool]  # statements, no_transaction

_CREATE_INDEX = re.compile(r"^CREATE (UNIQUE )?INDEX (?!CONCURRENTLY)", re.I)
_FK_TAIL = re.compile(
    r"^ALTER TABLE .*? ADD (CONSTRAINT .+? )?FOREIGN KEY\s*\(.*?\) (REFERENCES .*)$", re.S
)


class _Steps:
    def __init__(self) -> None:
        self.steps: list[SqlStep] = [([], False)]

    def plain(self, statements: list[str]) -> None:
        if statements:
            if self.steps[-1][1]:
                self.steps.append(([], False))
            self.steps[-1][0].extend(statements)

    def step(self, statements: list[str], *, no_transaction: bool = False) -> None:
        self.steps.append((statements, no_transaction))
        self.steps.append(([], False))


def steps(plan: Plan, dialect: Dialect) -> list[SqlStep]:
    """``plan`` as steps of SQL for a migration file on ``dialect``."""
    db = traits(dialect)
    if not (db.concurrent_indexes or db.online_index or db.online_add_column):
        return [(render.render(plan, dialect), False)]
    out = _Steps()
    for step in plan.steps:
        if not isinstance(step, TableGroup):
            out.plain(_render(plan, step, dialect))
            continue
        inline = _inline_fks(step) if db.concurrent_indexes else {}
        for change in step.changes:
            if change in inline.values():
                continue
            if db.concurrent_indexes:
                _postgresql(out, plan, change, dialect, inline)
            else:
                out.plain(_mysql(db, _render(plan, change, dialect), change))
    return [s for s in out.steps if s[0]]


def _render(plan: Plan, change: Change, dialect: Dialect) -> list[str]:
    return render.render(Plan(plan.old, plan.new, [change]), dialect)


def _q(dialect: Dialect, name: object, schema: str | None = None) -> str:
    q = dialect.identifier_preparer
    return (q.quote_schema(schema) + "." if schema else "") + str(q.quote(str(name)))


def _bare(statement: str) -> str:
    return statement.rstrip().rstrip(";").rstrip()


def _inline_fks(group: TableGroup) -> dict[str, Change]:
    """Foreign keys on one column this group adds, nullable and without a default: the
    column carries them inline (``ADD COLUMN ... REFERENCES``), no separate statement."""
    added = {
        c.op.column.name: c.op.column for c in group.changes if isinstance(c.op, ops.AddColumnOp)
    }
    out: dict[str, Change] = {}
    for c in group.changes:
        if isinstance(c.op, ops.CreateForeignKeyOp) and len(c.op.local_cols) == 1:
            col = added.get(c.op.local_cols[0])
            if col is not None and col.nullable and col.server_default is None:
                out[col.name] = c
    return out


def _postgresql(
    out: _Steps, plan: Plan, change: Change, dialect: Dialect, inline: dict[str, Change]
) -> None:
    op = change.op
    table = getattr(op, "table_name", change.table)
    schema = getattr(op, "schema", None)
    t = _q(dialect, table, schema)
    if isinstance(op, ops.CreateIndexOp) and not change.extra:
        first, *rest = _render(plan, change, dialect)
        built = _CREATE_INDEX.sub(r"CREATE \1INDEX CONCURRENTLY IF NOT EXISTS ", first, count=1)
        out.step([built], no_transaction=True)
        out.plain(rest)
    elif isinstance(op, ops.CreateUniqueConstraintOp) and not change.extra:
        name = op.constraint_name or constraint_names.pg_default_name(
            table, "unique", {"columns": list(op.columns)}, []
        )
        n = _q(dialect, name)
        cols = ", ".join(_q(dialect, c) for c in op.columns)
        index = f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {n} ON {t} ({cols});"
        out.step([index], no_transaction=True)
        out.step([f"ALTER TABLE {t} ADD CONSTRAINT {n} UNIQUE USING INDEX {n};"])
    elif isinstance(op, (ops.CreateForeignKeyOp, ops.CreateCheckConstraintOp)) and (
        op.constraint_name or isinstance(op, ops.CreateForeignKeyOp)
    ):
        name = op.constraint_name or constraint_names.pg_default_name(
            table, "foreign_key", {"columns": list(getattr(op, "local_cols", []))}, []
        )
        first, *rest = _render(plan, change, dialect)
        out.plain([f"{_bare(first)} NOT VALID;", *rest])
        out.step([f"ALTER TABLE {t} VALIDATE CONSTRAINT {_q(dialect, name)};"])
    elif isinstance(op, ops.AddColumnOp) and op.column.name in inline:
        first, *rest = _render(plan, change, dialect)
        fk = _FK_TAIL.match(_bare(_render(plan, inline[op.column.name], dialect)[0]))
        assert fk is not None, "a rendered foreign key"
        out.plain([f"{_bare(first)} {fk.group(1) or ''}{fk.group(2)};", *rest])
    elif isinstance(op, ops.AlterColumnOp) and op.modify_nullable is False and op.existing_nullable:
        _set_not_null(out, plan, change, dialect, t)
    else:
        out.plain(_render(plan, change, dialect))


def _set_not_null(out: _Steps, plan: Plan, change: Change, dialect: Dialect, t: str) -> None:
    """SET NOT NULL without a scan under ACCESS EXCLUSIVE: a validated CHECK proves it."""
    op = change.op
    assert isinstance(op, ops.AlterColumnOp)
    rest = copy.copy(op)
    rest.modify_nullable = None
    others = _render(plan, Change(rest, change.kind, change.table, extra=change.extra), dialect)
    column = op.modify_name or op.column_name
    c = _q(dialect, column)
    check = _q(dialect, constraint_names.clip_bytes(f"{op.table_name}_{column}_not_null", 63))
    out.plain(
        [*others, f"ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({c} IS NOT NULL) NOT VALID;"]
    )
    out.step([f"ALTER TABLE {t} VALIDATE CONSTRAINT {check};"])
    out.step(
        [
            f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;",
            f"ALTER TABLE {t} DROP CONSTRAINT {check};",
        ]
    )


def _mysql(db: Traits, statements: list[str], change: Change) -> list[str]:
    """The online clauses on the statements that can take them (see the module docstring)."""
    op = change.op
    out = []
    for s in statements:
        bare = _bare(s)
        if isinstance(op, ops.CreateIndexOp) and _CREATE_INDEX.match(bare):
            s = f"{bare} {' '.join(db.online_index)};"
        elif isinstance(op, ops.CreateUniqueConstraintOp) and bare.upper().startswith("ALTER"):
            s = f"{bare}, {', '.join(db.online_index)};"
        elif (
            isinstance(op, ops.AddColumnOp)
            and _plain_column(op)
            and bare.upper().startswith("ALTER")
        ):
            s = f"{bare}, {', '.join(db.online_add_column)};"
        out.append(s)
    return out


def _plain_column(op: ops.AddColumnOp) -> bool:
    col = op.column
    return not (
        col.primary_key
        or col.unique
        or col.computed is not None
        or col.autoincrement is True
        or col.index
    )
