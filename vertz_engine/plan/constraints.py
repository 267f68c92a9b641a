"""SQLAlchemy constraints built from snapshot entries (for Alembic's operations), and the
change that drops one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from vertz_engine.dialects import Traits
from vertz_engine.plan import constraint_lookup, dialect_sql
from vertz_engine.plan.model import DROP, Change, ConstraintKind
from vertz_engine.schema import snapshot as snap_mod


def unique(item: dict[str, Any], table: sa.Table) -> sa.UniqueConstraint:
    uq = sa.UniqueConstraint(*item["columns"], name=item.get("name"))
    sa.Table(
        table.name,
        sa.MetaData(),
        *[c._copy() for c in table.columns if c.name in item["columns"]],
        uq,
        schema=table.schema,
    )
    return uq


def check(item: dict[str, Any], table: sa.Table) -> sa.CheckConstraint:
    ck = sa.CheckConstraint(sa.text(item["sqltext"]), name=item.get("name"))
    sa.Table(table.name, sa.MetaData(), ck, schema=table.schema)
    return ck


def foreign_key(item: dict[str, Any], table: sa.Table) -> sa.ForeignKeyConstraint:
    md = sa.MetaData()
    fk = snap_mod.fk_from(item)
    ref = item["referred_table"]
    self_ref = ref == (f"{table.schema}.{table.name}" if table.schema else table.name)
    wanted = set(item["columns"]) | (set(item["referred_columns"]) if self_ref else set())
    cols = [c._copy() for c in table.columns if c.name in wanted]
    sa.Table(table.name, md, *cols, fk, schema=table.schema)
    schema, _, rname = ref.rpartition(".")
    if not self_ref:
        sa.Table(
            rname,
            md,
            *[sa.Column(c, sa.Integer) for c in item["referred_columns"]],
            schema=schema or None,
        )
    return fk


BUILD: dict[ConstraintKind, Callable[[dict[str, Any], sa.Table], sa.Constraint]] = {
    "unique": unique,
    "check": check,
    "foreign_key": foreign_key,
}


def drop(
    db: Traits,
    table: str,
    kind: ConstraintKind,
    item: dict[str, Any],
    data: dict[str, Any],
    sa_table: sa.Table,
    keep_fk_index: bool = False,
) -> Change:
    """Dropping constraint ``item`` of ``table``: by the name the models give it; where they
    give none, by the name the database gave it, looked up at apply time (a database that
    names no constraints rebuilds the table, names are not needed there)."""
    drop_fk_index = kind == "foreign_key" and db.keeps_foreign_key_index and not keep_fk_index
    extra: list[ops.MigrateOperation] = []
    if item.get("name") or not db.names_constraints:
        op: ops.MigrateOperation = ops.DropConstraintOp.from_constraint(
            BUILD[kind](dialect_sql.named(table, kind, item), sa_table)
        )
        if drop_fk_index:
            index_op = dialect_sql.mysql_fk_index(table, data, item)
            extra += [index_op] if index_op is not None else []
    else:
        op, *extra = constraint_lookup.drop(db, table, kind, item, data)
        if drop_fk_index and dialect_sql.mysql_fk_index(table, data, item) is not None:
            extra += constraint_lookup.mysql_drop_fk_index(db, table, item["columns"], data)
    return Change(op, DROP[kind], table, dialect_sql.label(item), extra=extra)
