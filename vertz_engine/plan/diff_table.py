"""The changes to one table that exists before and after (columns, indexes, constraints)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from vertz_engine.dialects import dialect_for
from vertz_engine.plan import (
    constraint_lookup,
    dialect_sql,
    diff_features,
    enum_checks,
    type_checks,
)
from vertz_engine.plan.model import (
    BLOCKING,
    DESTRUCTIVE,
    SAFE,
    Change,
    TableGroup,
)
from vertz_engine.plan.renames import Questioner, RenameCandidate, candidate, decide, pairs
from vertz_engine.schema import canonical, constraint_names
from vertz_engine.schema import snapshot as snap_mod

# -- helpers ------------------------------------------------------------------------------


def _shape(col: dict[str, Any]) -> tuple[Any, ...]:
    return (canonical.sql_type(col["sql_type"], None), col["nullable"], bool(col.get("primary_key")))


def table_shape(table: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((c["name"], *_shape(c)) for c in table["columns"])


def _key(item: dict[str, Any], by_name: bool = True) -> Any:
    if by_name and item.get("name"):
        return ("name", item["name"])
    return ("def", json.dumps({k: v for k, v in item.items() if k != "name"}, sort_keys=True))


def _by_key(items: list[dict[str, Any]], by_name: bool = True) -> dict[Any, dict[str, Any]]:
    return {_key(i, by_name): i for i in items}


def sorted_for_create(names: list[str], tables: dict[str, dict[str, Any]]) -> list[str]:
    """Parents before children (cycles keep declaration order)."""
    deps = {
        n: {fk["referred_table"] for fk in tables[n]["foreign_keys"]} & set(names) - {n}
        for n in names
    }
    out: list[str] = []
    seen: set[str] = set()

    def visit(n: str, stack: tuple[str, ...]) -> None:
        if n in seen or n in stack:
            return
        for d in sorted(deps[n]):
            visit(d, (*stack, n))
        seen.add(n)
        out.append(n)

    for n in sorted(names):
        visit(n, ())
    return out


def _is_widening(old: dict[str, Any], new: dict[str, Any]) -> bool:
    o, n = old["type"], new["type"]
    if o.get("class") != n.get("class"):
        return False
    oa, na = o.get("args", {}), n.get("args", {})
    keys = set(oa) | set(na)
    if keys - {"length", "precision", "scale"}:
        return False
    for k in ("length", "precision"):
        if k in keys:
            if na.get(k) is None:  # unbounded
                continue
            if oa.get(k) is None or na[k] < oa[k]:
                return False
    return bool(oa.get("scale") == na.get("scale"))


def diff_table(
    name: str,
    old: dict[str, Any],
    new: dict[str, Any],
    old_table: sa.Table,
    new_table: sa.Table,
    explicit: Mapping[str, str],
    questioner: Questioner,
    decisions: list[tuple[RenameCandidate, bool]],
    dialect_name: str,
    fill_not_null: bool = False,
) -> TableGroup | None:
    dialect = dialect_name
    old_cols = {c["name"]: c for c in old["columns"]}
    new_cols = {c["name"]: c for c in new["columns"]}
    dropped = [c for c in old_cols if c not in new_cols]
    added = [c for c in new_cols if c not in old_cols]
    col_renames = decide(
        pairs(
            dropped,
            added,
            lambda o, n: _shape(old_cols[o]) == _shape(new_cols[n]),
            lambda o, n: candidate(name, o, n),
            explicit,
        ),
        explicit,
        questioner,
        decisions,
    )
    dropped = [c for c in dropped if c not in col_renames]
    added = [c for c in added if c not in col_renames.values()]

    auto_off: list[Change] = []  # columns losing autoincrement: before the primary key goes
    auto_on: list[Change] = []  # columns gaining it: after the new primary key
    first: list[Change] = []  # drops of indexes and constraints
    middle: list[Change] = []  # column changes
    last: list[Change] = []  # new indexes and constraints
    dropped_cons: list[dict[str, Any]] = []
    added_cons: list[dict[str, Any]] = []

    # indexes (by name)
    old_ix, new_ix = _by_key(old["indexes"]), _by_key(new["indexes"])
    recreated = {
        c
        for c in new_cols
        if (o := next((o for o, n in col_renames.items() if n == c), c)) in old_cols
        and diff_features.recreated(old_cols[o], new_cols[c])
    }
    # indexes and constraints on renamed or re-created columns are made again
    renamed_cols = set(col_renames) | recreated
    for key, ix in old_ix.items():
        if (
            key not in new_ix
            or not _same_index(ix, new_ix[key], name)
            or _touches(ix, renamed_cols)
        ):
            idx = next(i for i in old_table.indexes if i.name == ix["name"])
            first.append(Change(ops.DropIndexOp.from_index(idx), "drop_index", name, ix["name"]))
    for key, ix in new_ix.items():
        if (
            key not in old_ix
            or not _same_index(old_ix[key], ix, name)
            or _touches(old_ix[key], renamed_cols)
        ):
            idx = next(i for i in new_table.indexes if i.name == ix["name"])
            level, reason = (BLOCKING, "fails if duplicates exist") if ix["unique"] else (SAFE, "")
            last.append(
                Change(
                    ops.CreateIndexOp.from_index(idx), "add_index", name, ix["name"], level, reason
                )
            )

    # constraints: unique, check, foreign key
    for kind, old_items, new_items, build, add_reason in (
        (
            "unique",
            old["unique_constraints"],
            new["unique_constraints"],
            _unique,
            "fails if duplicates exist",
        ),
        (
            "check",
            old["check_constraints"],
            new["check_constraints"],
            _check,
            "fails if rows violate it",
        ),
        (
            "foreign_key",
            old["foreign_keys"],
            new["foreign_keys"],
            foreign_key_constraint,
            "fails if rows point nowhere",
        ),
    ):
        ob, nb = _by_key(old_items, by_name=False), _by_key(new_items, by_name=False)
        for key, item in ob.items():
            if key not in nb or _touches(item, renamed_cols):
                dropped_cons.append({"kind": kind, **item})
                keep_index = bool(set(item.get("columns", [])) & set(dropped))
                first.append(drop_constraint(name, kind, item, old, old_table, dialect, keep_index))
        for key, item in nb.items():
            if key not in ob or _touches(ob[key], renamed_cols):
                added_cons.append({"kind": kind, **item})
                # a foreign key on columns this change adds (all NULL) cannot fail
                new_only = kind == "foreign_key" and set(item["columns"]) <= set(added)
                level = SAFE if new_only else BLOCKING
                last.append(
                    Change(
                        ops.AddConstraintOp.from_constraint(build(item, new_table)),
                        f"add_{kind}",
                        name,
                        dialect_sql.label(item),
                        level,
                        "" if level == SAFE else add_reason,
                    )
                )

    for o, n in sorted(col_renames.items()):
        oc = old_cols[o]
        middle.append(
            Change(
                ops.AlterColumnOp(
                    name,
                    o,
                    modify_name=n,
                    existing_type=old_table.c[o].type,
                    existing_nullable=oc["nullable"],
                    existing_server_default=snap_mod.server_default_obj(oc.get("server_default")),
                ),
                "rename_column",
                name,
                o,
                reason=f"to {n}, values kept",
            )
        )
    for c in added:
        col = new_cols[c]
        column = snap_mod.column_from(col, dialect)
        if col["nullable"] or col.get("server_default") or col.get("primary_key"):
            level, reason = SAFE, ""
        elif fill_not_null:
            fill = dialect_sql.placeholder(col, dialect)
            column.server_default = sa.DefaultClause(fill)
            middle.append(
                Change(
                    ops.AddColumnOp(name, column),
                    "add_column",
                    name,
                    c,
                    SAFE,
                    f"NOT NULL; existing rows get {fill!r}, the old values cannot come back",
                    values_lost=True,
                )
            )
            middle.append(
                Change(
                    ops.AlterColumnOp(
                        name,
                        c,
                        modify_server_default=None,
                        existing_server_default=fill,
                        existing_type=column.type,
                        existing_nullable=False,
                    ),
                    "alter_column",
                    name,
                    c,
                    reason="placeholder default removed",
                )
            )
            continue
        else:
            level, reason = BLOCKING, "NOT NULL without a server default fails on a table with rows"
        middle.append(Change(ops.AddColumnOp(name, column), "add_column", name, c, level, reason))
    for c in dropped:
        middle.append(
            Change(
                ops.DropColumnOp.from_column_and_tablename(
                    None, name, snap_mod.column_from(old_cols[c], dialect)
                ),
                "drop_column",
                name,
                c,
                DESTRUCTIVE,
                "its values are lost",
            )
        )
    for c in new_cols:
        oname = next((o for o, n in col_renames.items() if n == c), c)
        if oname not in old_cols:
            continue
        if c in recreated:
            middle.extend(diff_features.recreate(name, old_cols[oname], new_cols[c], dialect))
            continue
        ident_off, ident_on = diff_features.identity_changes(
            name, old_cols[oname], new_cols[c], dialect
        )
        auto_off.extend(ident_off)
        change = _alter(
            name, c, old_cols[oname], new_cols[c], old_table.c[oname], new_table.c[c], dialect
        )
        if change is not None:
            middle.append(change)
        # a non-native enum's CHECK follows its values (enum_checks, every dialect); any
        # other type-made CHECK (a non-native boolean's) goes with its old type
        check_off, check_on = enum_checks.changes(name, old_cols[oname], new_cols[c], dialect)
        first.extend(check_off)
        last.extend(check_on)
        if change is not None and getattr(change.op, "modify_type", None) is not None:
            if not check_off and not check_on:
                first += type_checks.drops(name, oname, old_table, old, dialect)
        auto = _autoincrement(name, c, old_cols[oname], new_cols[c], new_table.c[c], dialect)
        if auto is not None:
            (auto_off if not new_cols[c].get("autoincrement") else auto_on).append(auto)
        auto_on.extend(ident_on)

    changes = first + middle + last
    if old["primary_key"]["columns"] != new["primary_key"]["columns"]:
        changes.insert(
            0,
            Change(
                ops.DropConstraintOp(
                    old["primary_key"]["name"] or constraint_names.pg_pkey(name),
                    name,
                    type_="primary",
                ),
                "drop_primary_key",
                name,
                level=DESTRUCTIVE,
                reason="primary key changes",
            ),
        )
        changes.append(
            Change(
                ops.CreatePrimaryKeyOp(
                    new["primary_key"]["name"] or constraint_names.pg_pkey(name),
                    name,
                    new["primary_key"]["columns"],
                ),
                "add_primary_key",
                name,
                level=BLOCKING,
                reason="fails if duplicates exist",
            )
        )
    changes = auto_off + changes + auto_on
    if old.get("comment") != new.get("comment"):
        changes.append(
            Change(
                ops.CreateTableCommentOp(name, new["comment"], existing_comment=old.get("comment"))
                if new.get("comment")
                else ops.DropTableCommentOp(name, existing_comment=old.get("comment")),
                "table_comment",
                name,
            )
        )
    options = diff_features.table_option_change(name, old, new, dialect)
    if options is not None:
        changes.append(options)
    if not changes:
        return None
    return TableGroup(name, changes, old, new, dropped_cons, added_cons)


def drop_constraint(
    table: str,
    kind: str,
    item: dict[str, Any],
    data: dict[str, Any],
    sa_table: sa.Table,
    dialect: str,
    keep_fk_index: bool = False,
) -> Change:
    """Dropping constraint ``item`` of ``table``: by the name the models give it; where they
    give none, by the name the database gave it, looked up at apply time (SQLite rebuilds
    the table, names are not needed there)."""
    build = {"unique": _unique, "check": _check, "foreign_key": foreign_key_constraint}[kind]
    mysql = dialect in ("mysql", "mariadb")
    extra: list[ops.MigrateOperation] = []
    if item.get("name") or dialect not in ("postgresql", "mysql", "mariadb"):
        op: ops.MigrateOperation = ops.DropConstraintOp.from_constraint(
            build(dialect_sql.named(dialect, table, kind, item), sa_table)
        )
        if kind == "foreign_key" and mysql and not keep_fk_index:
            index_op = dialect_sql.mysql_fk_index(table, data, item)
            extra += [index_op] if index_op is not None else []
    else:
        op, *extra = constraint_lookup.drop(dialect, table, kind, item, data)
        if kind == "foreign_key" and mysql and not keep_fk_index:
            if dialect_sql.mysql_fk_index(table, data, item) is not None:
                extra += constraint_lookup.mysql_drop_fk_index(
                    dialect, table, item["columns"], data
                )
    return Change(op, f"drop_{kind}", table, dialect_sql.label(item), extra=extra)


def _same_index(old: dict[str, Any], new: dict[str, Any], table: str) -> bool:
    return canonical.index(old, table) == canonical.index(new, table)


def _touches(item: dict[str, Any], renamed: set[str]) -> bool:
    return bool(set(item.get("columns", [])) & renamed)


def _unique(item: dict[str, Any], table: sa.Table) -> sa.UniqueConstraint:
    uq = sa.UniqueConstraint(*item["columns"], name=item.get("name"))
    sa.Table(
        table.name,
        sa.MetaData(),
        *[c._copy() for c in table.columns if c.name in item["columns"]],
        uq,
        schema=table.schema,
    )
    return uq


def _check(item: dict[str, Any], table: sa.Table) -> sa.CheckConstraint:
    ck = sa.CheckConstraint(sa.text(item["sqltext"]), name=item.get("name"))
    sa.Table(table.name, sa.MetaData(), ck, schema=table.schema)
    return ck


def foreign_key_constraint(item: dict[str, Any], table: sa.Table) -> sa.ForeignKeyConstraint:
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


def _alter(
    table: str,
    column: str,
    old: dict[str, Any],
    new: dict[str, Any],
    old_col: sa.Column[Any],
    new_col: sa.Column[Any],
    dialect: str,
) -> Change | None:
    kw: dict[str, Any] = {}
    reasons: list[str] = []
    level = SAFE
    native_enum = dialect == "postgresql" and canonical.native_enum(new)
    values_changed = canonical.enum_values(old) != canonical.enum_values(new) and not native_enum
    if (
        canonical.sql_type(old["sql_type"], dialect) != canonical.sql_type(new["sql_type"], dialect)
        or values_changed
    ):
        kw["modify_type"] = enum_checks.unbound(new_col.type)
        if dialect == "postgresql":
            quoted = dialect_for(dialect).identifier_preparer.quote(column)
            kw["postgresql_using"] = f"{quoted}::{new['sql_type']}"
        old_values, new_values = canonical.enum_values(old), canonical.enum_values(new)
        if old_values is not None and new_values is not None:
            removed = [v for v in old_values if v not in new_values]
            if removed:
                level = DESTRUCTIVE
                reasons.append(f"enum drops value(s) {', '.join(removed)}; fails if rows use them")
            else:
                reasons.append("enum values " + ", ".join(new_values))
        elif _is_widening(old, new):
            reasons.append(f"type {old['sql_type']} -> {new['sql_type']}, widening")
        else:
            level = DESTRUCTIVE
            reasons.append(f"type {old['sql_type']} -> {new['sql_type']}, values may not convert")
    if old["nullable"] != new["nullable"]:
        kw["modify_nullable"] = new["nullable"]
        if not new["nullable"]:
            level = BLOCKING if level == SAFE else level
            reasons.append("NOT NULL fails if NULLs exist")
        else:
            reasons.append("now nullable")
    if canonical.server_default(
        old.get("server_default"), old["sql_type"]
    ) != canonical.server_default(new.get("server_default"), new["sql_type"]):
        kw["modify_server_default"] = snap_mod.server_default_obj(new.get("server_default"))
        reasons.append("server default changes")
    if old.get("comment") != new.get("comment"):
        kw["modify_comment"] = new.get("comment")
    if not kw:
        return None
    op = ops.AlterColumnOp(
        table,
        column,
        existing_type=enum_checks.unbound(old_col.type),
        existing_nullable=old["nullable"],
        existing_server_default=snap_mod.server_default_obj(old.get("server_default")),
        existing_comment=old.get("comment"),
        **kw,
    )
    return Change(op, "alter_column", table, column, level, ", ".join(reasons))


def _autoincrement(
    table: str,
    column: str,
    old: dict[str, Any],
    new: dict[str, Any],
    new_col: sa.Column[Any],
    dialect: str,
) -> Change | None:
    """A column that gains or loses its autoincrement (serial, AUTO_INCREMENT)."""
    on = bool(new.get("autoincrement"))
    if bool(old.get("autoincrement")) == on:
        return None
    reason = "now autoincrement" if on else "no longer autoincrement"
    if dialect == "postgresql":
        extra: list[ops.MigrateOperation] = dialect_sql.pg_autoincrement(table, column, on)
        return Change(extra[0], "alter_column", table, column, SAFE, reason, extra=extra[1:])
    op = ops.AlterColumnOp(
        table,
        column,
        existing_type=new_col.type,
        existing_nullable=new["nullable"],
        existing_server_default=snap_mod.server_default_obj(new.get("server_default")),
        autoincrement=on,
    )
    return Change(op, "alter_column", table, column, SAFE, reason)
