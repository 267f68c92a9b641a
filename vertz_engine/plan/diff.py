"""Snapshot -> snapshot differences as Alembic operation objects, in an order that works.

No database is touched here. Renames are decided by a *questioner*: a callable that is
shown each probable rename and answers yes or no (the default answers from the evidence,
so nothing here ever waits for a terminal).

:func:`diff` is its own table of contents: one phase per kind of step, in the order the
steps must run (each phase reads what the phases before it found, on a :class:`DiffContext`).
"""

from __future__ import annotations

from collections.abc import Mapping

from alembic.operations import ops

from vertz_engine.dialects import traits
from vertz_engine.plan import constraints, dialect_sql, order, pairing
from vertz_engine.plan.context import DiffContext
from vertz_engine.plan.diff_table import diff_table
from vertz_engine.plan.model import DESTRUCTIVE, SAFE, Change, Level, Plan
from vertz_engine.plan.renames import Questioner, default_questioner
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot


def diff(
    old: Snapshot,
    new: Snapshot,
    *,
    renames: Mapping[str, str] | None = None,
    questioner: Questioner = default_questioner,
    fill_not_null: bool = False,
) -> Plan:
    """The plan that turns ``old`` into ``new``.

    ``fill_not_null`` (rollbacks): a NOT NULL column without a server default that comes
    back gets a placeholder value in existing rows, so the schema can be restored.

    ``renames`` holds explicit decisions: ``{"table.old_col": "new_col", "old_table":
    "new_table"}`` (an empty value refuses that rename); they win over the questioner.
    """
    db = traits(new["dialect"])
    ctx = DiffContext(old, new, db, dict(renames or {}), questioner, fill_not_null)
    pairing.rename_tables(ctx)
    _rename_tables(ctx)
    _create_enum_types(ctx)
    _alter_enum_types(ctx)
    _load_changed_tables(ctx)
    _create_tables(ctx)
    _add_deferred_foreign_keys(ctx)
    _change_tables(ctx)
    _drop_tables(ctx)
    _drop_enum_types(ctx)
    return Plan(old, new, ctx.steps, ctx.decisions)


def _rename_tables(ctx: DiffContext) -> None:
    """Renamed tables first: every later step names the tables by their new names."""
    for o, n in sorted(ctx.renamed_tables.items()):
        extra: list[ops.MigrateOperation] = []
        if ctx.db.table_rename_keeps_derived_names:
            extra = list(dialect_sql.pg_rename_extras(o, n, ctx.old_tables[o]))
        op = ops.RenameTableOp(o, n)
        ctx.steps.append(Change(op, "rename_table", o, reason=f"to {n}, rows kept", extra=extra))


def _create_enum_types(ctx: DiffContext) -> None:
    """Enum types (PostgreSQL) before the tables whose columns use them."""
    ctx.old_enums, ctx.new_enums = dialect_sql.enum_types(ctx.old), dialect_sql.enum_types(ctx.new)
    for name in sorted(set(ctx.new_enums) - set(ctx.old_enums)):
        op = dialect_sql.create_enum(name, ctx.new_enums[name])
        ctx.steps.append(Change(op, "add_enum_type", name))


def _alter_enum_types(ctx: DiffContext) -> None:
    """Enum types whose values change, with the columns (renamed tables' too) that use them."""
    old_enums, new_enums = ctx.old_enums, ctx.new_enums
    for name in sorted(set(new_enums) & set(old_enums)):
        if old_enums[name] == new_enums[name]:
            continue
        users = []
        for t, col in dialect_sql.enum_users(ctx.old, name):
            table = ctx.renamed_tables.get(t, t)
            if table in ctx.new_tables:
                cols = ctx.new_tables[table]["columns"]
                users.append(
                    (table, col, next((c for c in cols if c["name"] == col["name"]), None))
                )
        sql = dialect_sql.alter_enum(name, old_enums[name], new_enums[name], users)
        removed = [v for v in old_enums[name] if v not in new_enums[name]]
        level: Level = SAFE
        reason = "values " + ", ".join(new_enums[name])
        if removed:
            level = DESTRUCTIVE
            reason = f"drops value(s) {', '.join(removed)}; fails if rows use them"
        extra = list(sql[1:])
        ctx.steps.append(
            Change(sql[0], "alter_enum_type", name, level=level, reason=reason, extra=extra)
        )


def _load_changed_tables(ctx: DiffContext) -> None:
    """The tables that change, as SQLAlchemy tables (a large app's others cost nothing)."""
    old_t, new_t = ctx.old_tables, ctx.new_tables
    back = {n: o for o, n in ctx.renamed_tables.items()}
    ctx.changed = {n for n in set(old_t) & set(new_t) if old_t[n] != new_t[n]}
    ctx.changed |= {n for n, o in back.items() if old_t[o] != new_t[n]}
    ctx.new_md = snap_mod.to_metadata(ctx.new, set(ctx.added) | ctx.changed)
    ctx.old_md = snap_mod.to_metadata(
        ctx.old, set(ctx.dropped) | {back.get(n, n) for n in ctx.changed}
    )


def _create_tables(ctx: DiffContext) -> None:
    """New tables, parents first, each with its indexes; the foreign keys that cannot be
    created with their table wait for ``_add_deferred_foreign_keys``."""
    ctx.deferred_fks = order.deferred_fks(ctx.added, ctx.new_tables, ctx.db)
    create_md = ctx.new_md
    if ctx.deferred_fks:
        create_md = snap_mod.to_metadata(order.without(ctx.new, ctx.deferred_fks), set(ctx.added))
    for name in order.sorted_for_create(ctx.added, ctx.new_tables):
        table = create_md.tables[name]
        ctx.steps.append(Change(ops.CreateTableOp.from_table(table), "add_table", name))
        for idx in sorted(table.indexes, key=lambda i: str(i.name)):
            op = ops.CreateIndexOp.from_index(idx)
            ctx.steps.append(Change(op, "add_index", name, str(idx.name)))


def _add_deferred_foreign_keys(ctx: DiffContext) -> None:
    for name, fks in ctx.deferred_fks.items():
        for fk in fks:
            constraint = constraints.foreign_key(fk, ctx.new_md.tables[name])
            op = ops.AddConstraintOp.from_constraint(constraint)
            ctx.steps.append(Change(op, "add_foreign_key", name, dialect_sql.label(fk)))


def _change_tables(ctx: DiffContext) -> None:
    """Tables in both snapshots: one group of changes each (SQLite may rebuild it)."""
    for name in sorted(ctx.changed):
        group = diff_table(ctx, name)
        if group is not None:
            ctx.steps.append(group)


def _drop_tables(ctx: DiffContext) -> None:
    """Dropped tables, children first; foreign keys around a cycle are dropped before."""
    old_t = ctx.old_tables
    for name, fks in order.deferred_fks(ctx.dropped, old_t, ctx.db).items():
        for fk in fks:
            table = ctx.old_md.tables[name]
            ctx.steps.append(constraints.drop(ctx.db, name, "foreign_key", fk, old_t[name], table))
    for name in reversed(order.sorted_for_create(ctx.dropped, old_t)):
        op = ops.DropTableOp.from_table(ctx.old_md.tables[name])
        ctx.steps.append(
            Change(op, "drop_table", name, level=DESTRUCTIVE, reason="its rows are lost")
        )


def _drop_enum_types(ctx: DiffContext) -> None:
    """Enum types no column uses any more, once their tables are gone."""
    for name in sorted(set(ctx.old_enums) - set(ctx.new_enums)):
        ctx.steps.append(Change(dialect_sql.drop_enum(name), "drop_enum_type", name))


def reverse(plan: Plan) -> Plan:
    """The plan back from ``plan.new`` to ``plan.old`` (the rollback), renames undone."""
    back: dict[str, str] = {}
    for c, ok in plan.renames:
        if not ok:
            continue
        if c.column:
            back[f"{c.table}.{c.new}"] = c.old
        else:
            back[c.new] = c.old
    return diff(plan.new, plan.old, renames=back, questioner=lambda _c: False, fill_not_null=True)
