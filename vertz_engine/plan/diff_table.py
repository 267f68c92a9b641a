"""The changes to one table that exists before and after (columns, indexes, constraints).

The phases of :func:`diff_table` fill the change lists of a :class:`TableDiff`; ``_ordered``
puts them in the order the database needs: autoincrement and identity taken away, the old
primary key dropped, indexes and constraints dropped, the columns changed, indexes and
constraints added, the new primary key added, autoincrement and identity given, then the
table's comment and options.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from vertz_engine.plan import (
    columns,
    constraints,
    dialect_sql,
    diff_features,
    enum_checks,
    pairing,
    type_checks,
)
from vertz_engine.plan.context import DiffContext, TableDiff
from vertz_engine.plan.model import (
    ADD,
    BLOCKING,
    CONSTRAINT_KEY,
    DESTRUCTIVE,
    SAFE,
    Change,
    ConstraintKind,
    Level,
    TableGroup,
)
from vertz_engine.schema import canonical, constraint_names
from vertz_engine.schema import snapshot as snap_mod


def diff_table(ctx: DiffContext, name: str) -> TableGroup | None:
    """The changes that turn table ``name`` (its new name) from the old snapshot's into the
    new one's; None when there are none."""
    old_name = ctx.old_name(name)
    t = TableDiff(
        ctx,
        name,
        ctx.old_tables[old_name],
        ctx.new_tables[name],
        ctx.old_md.tables[old_name],
        ctx.new_md.tables[name],
    )
    pairing.rename_columns(t)
    _find_recreated(t)
    _indexes(t)
    _constraints(t)
    _renamed_columns(t)
    _added_columns(t)
    _dropped_columns(t)
    _kept_columns(t)
    changes = _ordered(t)
    return TableGroup(name, changes, t.old, t.new) if changes else None


def _find_recreated(t: TableDiff) -> None:
    """Columns dropped and added again (a computed expression changes)."""
    t.recreated = {
        c
        for c in t.new_cols
        if (o := t.old_name(c)) in t.old_cols
        and diff_features.recreated(t.old_cols[o], t.new_cols[c])
    }


# -- indexes and constraints ------------------------------------------------------------------


def _key(item: dict[str, Any], by_name: bool = True) -> Any:
    if by_name and item.get("name"):
        return ("name", item["name"])
    return ("def", json.dumps({k: v for k, v in item.items() if k != "name"}, sort_keys=True))


def _by_key(items: list[dict[str, Any]], by_name: bool = True) -> dict[Any, dict[str, Any]]:
    return {_key(i, by_name): i for i in items}


def _touches(item: dict[str, Any], columns: set[str]) -> bool:
    return bool(set(item.get("columns", [])) & columns)


def _moved(t: TableDiff) -> set[str]:
    """Columns renamed or made again: their indexes and constraints are made again too."""
    return set(t.renamed) | t.recreated


def _same_index(old: dict[str, Any], new: dict[str, Any], table: str) -> bool:
    return canonical.index(old, table) == canonical.index(new, table)


def _indexes(t: TableDiff) -> None:
    """Indexes (by name) dropped and added; a changed one is dropped and added again."""
    old_ix, new_ix = _by_key(t.old["indexes"]), _by_key(t.new["indexes"])
    moved = _moved(t)
    for key, ix in old_ix.items():
        if key not in new_ix or not _same_index(ix, new_ix[key], t.name) or _touches(ix, moved):
            idx = next(i for i in t.old_table.indexes if i.name == ix["name"])
            t.drops_before_columns.append(
                Change(ops.DropIndexOp.from_index(idx), "drop_index", t.name, ix["name"])
            )
    for key, ix in new_ix.items():
        if (
            key not in old_ix
            or not _same_index(old_ix[key], ix, t.name)
            or _touches(old_ix[key], moved)
        ):
            idx = next(i for i in t.new_table.indexes if i.name == ix["name"])
            level, reason = (BLOCKING, "fails if duplicates exist") if ix["unique"] else (SAFE, "")
            op = ops.CreateIndexOp.from_index(idx)
            t.adds_after_columns.append(Change(op, "add_index", t.name, ix["name"], level, reason))


# what adding each kind of constraint risks on a table with rows
_ADD_FAILS: dict[ConstraintKind, str] = {
    "unique": "fails if duplicates exist",
    "check": "fails if rows violate it",
    "foreign_key": "fails if rows point nowhere",
}


def _constraints(t: TableDiff) -> None:
    """Unique, check and foreign key constraints (by definition) dropped and added."""
    moved = _moved(t)
    for kind, add_reason in _ADD_FAILS.items():
        key = CONSTRAINT_KEY[kind]
        ob, nb = _by_key(t.old[key], by_name=False), _by_key(t.new[key], by_name=False)
        for k, item in ob.items():
            if k not in nb or _touches(item, moved):
                keep_index = bool(set(item.get("columns", [])) & set(t.dropped))
                t.drops_before_columns.append(
                    constraints.drop(t.db, t.name, kind, item, t.old, t.old_table, keep_index)
                )
        for k, item in nb.items():
            if k not in ob or _touches(ob[k], moved):
                # a foreign key on columns this change adds (all NULL) cannot fail
                new_only = kind == "foreign_key" and set(item["columns"]) <= set(t.added)
                level: Level = SAFE if new_only else BLOCKING
                built = constraints.BUILD[kind](item, t.new_table)
                t.adds_after_columns.append(
                    Change(
                        ops.AddConstraintOp.from_constraint(built),
                        ADD[kind],
                        t.name,
                        dialect_sql.label(item),
                        level,
                        "" if level == SAFE else add_reason,
                    )
                )


# -- columns ----------------------------------------------------------------------------------


def _renamed_columns(t: TableDiff) -> None:
    for o, n in sorted(t.renamed.items()):
        oc = t.old_cols[o]
        op = ops.AlterColumnOp(
            t.name,
            o,
            modify_name=n,
            existing_type=t.old_table.c[o].type,
            existing_nullable=oc["nullable"],
            existing_server_default=snap_mod.server_default_obj(oc.get("server_default")),
        )
        t.columns.append(Change(op, "rename_column", t.name, o, reason=f"to {n}, values kept"))


def _added_columns(t: TableDiff) -> None:
    for c in t.added:
        col = t.new_cols[c]
        column = snap_mod.column_from(col, t.db.name)
        if col["nullable"] or col.get("server_default") or col.get("primary_key"):
            level: Level = SAFE
            reason = ""
        elif t.ctx.fill_not_null:
            _add_filled(t, col, column)
            continue
        else:
            level, reason = BLOCKING, "NOT NULL without a server default fails on a table with rows"
        t.columns.append(
            Change(ops.AddColumnOp(t.name, column), "add_column", t.name, c, level, reason)
        )


def _add_filled(t: TableDiff, col: dict[str, Any], column: sa.Column[Any]) -> None:
    """A NOT NULL column that comes back in a rollback: added with a placeholder value in
    existing rows, then the placeholder default taken away."""
    c = col["name"]
    fill = dialect_sql.placeholder(col, t.db)
    column.server_default = sa.DefaultClause(fill)
    t.columns.append(
        Change(
            ops.AddColumnOp(t.name, column),
            "add_column",
            t.name,
            c,
            SAFE,
            f"NOT NULL; existing rows get {fill!r}, the old values cannot come back",
            values_lost=True,
        )
    )
    op = ops.AlterColumnOp(
        t.name,
        c,
        modify_server_default=None,
        existing_server_default=fill,
        existing_type=column.type,
        existing_nullable=False,
    )
    t.columns.append(Change(op, "alter_column", t.name, c, reason="placeholder default removed"))


def _dropped_columns(t: TableDiff) -> None:
    for c in t.dropped:
        column = snap_mod.column_from(t.old_cols[c], t.db.name)
        op = ops.DropColumnOp.from_column_and_tablename(None, t.name, column)
        t.columns.append(Change(op, "drop_column", t.name, c, DESTRUCTIVE, "its values are lost"))


def _kept_columns(t: TableDiff) -> None:
    for c in t.new_cols:
        o = t.old_name(c)
        if o in t.old_cols:
            _kept_column(t, o, c)


def _kept_column(t: TableDiff, o: str, c: str) -> None:
    """The changes of column ``o``, named ``c`` in the models, which exists before and after."""
    old, new = t.old_cols[o], t.new_cols[c]
    if c in t.recreated:
        t.columns.extend(diff_features.recreate(t.name, old, new, t.db))
        return
    ident_off, ident_on = diff_features.identity_changes(t.name, old, new, t.db)
    t.off_before_primary_key.extend(ident_off)
    change = columns.alter(t, o, c)
    if change is not None:
        t.columns.append(change)
    # a non-native enum's CHECK follows its values (enum_checks, every dialect); any
    # other type-made CHECK (a non-native boolean's) goes with its old type
    check_off, check_on = enum_checks.changes(t.name, old, new, t.db)
    t.drops_before_columns.extend(check_off)
    t.adds_after_columns.extend(check_on)
    if change is not None and getattr(change.op, "modify_type", None) is not None:
        if not check_off and not check_on:
            t.drops_before_columns += type_checks.drops(t.name, o, t.old_table, t.old, t.db)
    auto = columns.autoincrement(t, o, c)
    if auto is not None:
        gains = bool(new.get("autoincrement"))
        (t.on_after_primary_key if gains else t.off_before_primary_key).append(auto)
    t.on_after_primary_key.extend(ident_on)


# -- the table as a whole ---------------------------------------------------------------------


def _ordered(t: TableDiff) -> list[Change]:
    """Every change of the table, in the order the database needs them."""
    before, after = _primary_key(t)
    changes = (
        t.off_before_primary_key
        + before
        + t.drops_before_columns
        + t.columns
        + t.adds_after_columns
        + after
        + t.on_after_primary_key
    )
    if t.old.get("comment") != t.new.get("comment"):
        changes.append(_comment(t))
    options = diff_features.table_option_change(t.name, t.old, t.new, t.db)
    if options is not None:
        changes.append(options)
    return changes


def _primary_key(t: TableDiff) -> tuple[list[Change], list[Change]]:
    """(drop the old primary key, add the new one) when its columns change."""
    old, new = t.old["primary_key"], t.new["primary_key"]
    if old["columns"] == new["columns"]:
        return [], []
    drop = ops.DropConstraintOp(
        old["name"] or constraint_names.pg_pkey(t.name), t.name, type_="primary"
    )
    add = ops.CreatePrimaryKeyOp(
        new["name"] or constraint_names.pg_pkey(t.name), t.name, new["columns"]
    )
    return (
        [Change(drop, "drop_primary_key", t.name, level=DESTRUCTIVE, reason="primary key changes")],
        [
            Change(
                add, "add_primary_key", t.name, level=BLOCKING, reason="fails if duplicates exist"
            )
        ],
    )


def _comment(t: TableDiff) -> Change:
    old, new = t.old.get("comment"), t.new.get("comment")
    op: ops.MigrateOperation = (
        ops.CreateTableCommentOp(t.name, new, existing_comment=old)
        if new
        else ops.DropTableCommentOp(t.name, existing_comment=old)
    )
    return Change(op, "table_comment", t.name)
