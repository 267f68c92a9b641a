"""Snapshot -> snapshot differences as Alembic operation objects, in an order that works.

No database is touched here. Renames are decided by a *questioner*: a callable that is
shown each probable rename and answers yes or no (the default answers from the evidence,
so nothing here ever waits for a terminal).

Order: table renames, enum types created or changed, tables created (parents first; foreign
keys that point forward or around a cycle are added once every new table exists), changes
to existing tables, tables dropped (children first), enum types dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alembic.operations import ops

from vertz_engine.plan import dialect_sql
from vertz_engine.plan.diff_table import (
    diff_table,
    drop_constraint,
    foreign_key_constraint,
    sorted_for_create,
    table_shape,
)
from vertz_engine.plan.model import (
    DESTRUCTIVE,
    SAFE,
    Change,
    Plan,
    Step,
)
from vertz_engine.plan.renames import (
    Questioner,
    RenameCandidate,
    candidate,
    decide,
    default_questioner,
    pairs,
)
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot


def _deferred_fks(
    names: list[str], tables: dict[str, Any], dialect: str
) -> dict[str, list[dict[str, Any]]]:
    """Foreign keys among ``names`` that cannot be created inline, in creation order: those
    pointing at a table created later (cycles) and those marked ``use_alter``. SQLite does not
    check references when a table is created, and cannot add them later: none there."""
    if dialect == "sqlite":
        return {}
    order = sorted_for_create(names, tables)
    created: set[str] = set()
    out: dict[str, list[dict[str, Any]]] = {}
    for name in order:
        for fk in tables[name]["foreign_keys"]:
            ref = fk["referred_table"]
            if fk.get("use_alter") or (ref in names and ref != name and ref not in created):
                out.setdefault(name, []).append(fk)
        created.add(name)
    return out


def _without(snap: Snapshot, deferred: dict[str, list[dict[str, Any]]]) -> Snapshot:
    tables = dict(snap["tables"])
    for name, fks in deferred.items():
        tables[name] = {
            **tables[name],
            "foreign_keys": [f for f in tables[name]["foreign_keys"] if f not in fks],
        }
    return {**snap, "tables": tables}


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
    explicit = dict(renames or {})
    dialect = new["dialect"]
    old_t, new_t = old["tables"], new["tables"]
    decisions: list[tuple[RenameCandidate, bool]] = []

    dropped = sorted(set(old_t) - set(new_t))
    added = sorted(set(new_t) - set(old_t))
    table_renames = decide(
        pairs(
            dropped,
            added,
            lambda o, n: table_shape(old_t[o]) == table_shape(new_t[n]),
            lambda o, n: candidate("", o, n, column=False),
            explicit,
        ),
        explicit,
        questioner,
        decisions,
    )
    dropped = [t for t in dropped if t not in table_renames]
    added = [t for t in added if t not in table_renames.values()]

    steps: list[Step] = []
    for o, n in sorted(table_renames.items()):
        extra: list[ops.MigrateOperation] = []
        if dialect == "postgresql":
            extra = list(dialect_sql.pg_rename_extras(o, n, old_t[o]))
        steps.append(
            Change(
                ops.RenameTableOp(o, n), "rename_table", o, reason=f"to {n}, rows kept", extra=extra
            )
        )

    old_enums, new_enums = dialect_sql.enum_types(old), dialect_sql.enum_types(new)
    for name in sorted(set(new_enums) - set(old_enums)):
        steps.append(Change(dialect_sql.create_enum(name, new_enums[name]), "add_enum_type", name))
    for name in sorted(set(new_enums) & set(old_enums)):
        if old_enums[name] == new_enums[name]:
            continue
        users = [
            (
                table_renames.get(t, t),
                col,
                next(
                    (
                        c
                        for c in new_t[table_renames.get(t, t)]["columns"]
                        if c["name"] == col["name"]
                    ),
                    None,
                ),
            )
            for t, col in dialect_sql.enum_users(old, name)
            if table_renames.get(t, t) in new_t
        ]
        sql = dialect_sql.alter_enum(name, old_enums[name], new_enums[name], users)
        removed = [v for v in old_enums[name] if v not in new_enums[name]]
        level, reason = SAFE, "values " + ", ".join(new_enums[name])
        if removed:
            level, reason = (
                DESTRUCTIVE,
                f"drops value(s) {', '.join(removed)}; fails if rows use them",
            )
        steps.append(
            Change(sql[0], "alter_enum_type", name, level=level, reason=reason, extra=list(sql[1:]))
        )

    # Only the tables that change are rebuilt as SQLAlchemy objects (a large app's unchanged
    # tables cost nothing here).
    reverse = {n: o for o, n in table_renames.items()}
    changed = {n for n in set(old_t) & set(new_t) if old_t[n] != new_t[n]}
    changed |= {n for n, o in reverse.items() if old_t[o] != new_t[n]}
    new_md = snap_mod.to_metadata(new, set(added) | changed)
    old_md = snap_mod.to_metadata(old, set(dropped) | {reverse.get(n, n) for n in changed})
    deferred = _deferred_fks(added, new_t, dialect)
    create_md = snap_mod.to_metadata(_without(new, deferred), set(added)) if deferred else new_md
    for name in sorted_for_create(added, new_t):
        table = create_md.tables[name]
        steps.append(Change(ops.CreateTableOp.from_table(table), "add_table", name))
        for idx in sorted(table.indexes, key=lambda i: str(i.name)):
            steps.append(
                Change(ops.CreateIndexOp.from_index(idx), "add_index", name, str(idx.name))
            )
    for name, fks in deferred.items():
        for fk in fks:
            constraint = foreign_key_constraint(fk, new_md.tables[name])
            steps.append(
                Change(
                    ops.AddConstraintOp.from_constraint(constraint),
                    "add_foreign_key",
                    name,
                    dialect_sql.label(fk),
                )
            )

    for name in sorted(changed):
        group = diff_table(
            name,
            old_t[reverse.get(name, name)],
            new_t[name],
            old_md.tables[reverse.get(name, name)],
            new_md.tables[name],
            explicit,
            questioner,
            decisions,
            dialect,
            fill_not_null,
        )
        if group is not None:
            steps.append(group)

    drop_deferred = _deferred_fks(dropped, old_t, dialect)
    for name, fks in drop_deferred.items():
        for fk in fks:
            steps.append(
                drop_constraint(name, "foreign_key", fk, old_t[name], old_md.tables[name], dialect)
            )
    for name in reversed(sorted_for_create(dropped, old_t)):
        steps.append(
            Change(
                ops.DropTableOp.from_table(old_md.tables[name]),
                "drop_table",
                name,
                level=DESTRUCTIVE,
                reason="its rows are lost",
            )
        )
    for name in sorted(set(old_enums) - set(new_enums)):
        steps.append(Change(dialect_sql.drop_enum(name), "drop_enum_type", name))
    return Plan(old, new, steps, decisions)


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
