"""The change of one column that stays (its type, nullability, server default, comment,
autoincrement), with what it means for the data: a type that widens keeps every value, one
that does not may lose some."""

from __future__ import annotations

from typing import Any

from alembic.operations import ops

from vertz_engine.dialects import Traits
from vertz_engine.plan import dialect_sql, enum_checks, sqltext
from vertz_engine.plan.context import TableDiff
from vertz_engine.plan.model import BLOCKING, DESTRUCTIVE, SAFE, Change, Level
from vertz_engine.schema import canonical
from vertz_engine.schema import snapshot as snap_mod


def widening(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether every value of ``old``'s type fits ``new``'s (a longer string, more digits)."""
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


def _type_change(db: Traits, old: dict[str, Any], new: dict[str, Any]) -> tuple[Level, str] | None:
    """(level, reason) of a change of type or enum values; None when there is none."""
    native_enum = db.native_enums and canonical.native_enum(new)
    old_values, new_values = canonical.enum_values(old), canonical.enum_values(new)
    values_changed = old_values != new_values and not native_enum
    same = canonical.sql_type(old["sql_type"], db.name) == canonical.sql_type(
        new["sql_type"], db.name
    )
    if same and not values_changed:
        return None
    if old_values is not None and new_values is not None:
        removed = [v for v in old_values if v not in new_values]
        if removed:
            return DESTRUCTIVE, f"enum drops value(s) {', '.join(removed)}; fails if rows use them"
        return SAFE, "enum values " + ", ".join(new_values)
    if widening(old, new):
        return SAFE, f"type {old['sql_type']} -> {new['sql_type']}, widening"
    return DESTRUCTIVE, f"type {old['sql_type']} -> {new['sql_type']}, values may not convert"


def alter(t: TableDiff, old_name: str, name: str) -> Change | None:
    """The ALTER COLUMN that turns column ``old_name`` into ``name`` as the models have it."""
    old, new = t.old_cols[old_name], t.new_cols[name]
    kw: dict[str, Any] = {}
    reasons: list[str] = []
    level: Level = SAFE
    type_change = _type_change(t.db, old, new)
    if type_change is not None:
        level, reason = type_change
        reasons.append(reason)
        kw["modify_type"] = enum_checks.unbound(t.new_table.c[name].type)
        if t.db.alter_type_using:
            kw["postgresql_using"] = f"{sqltext.quote(t.db, name)}::{new['sql_type']}"
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
        t.name,
        name,
        existing_type=enum_checks.unbound(t.old_table.c[old_name].type),
        existing_nullable=old["nullable"],
        existing_server_default=snap_mod.server_default_obj(old.get("server_default")),
        existing_comment=old.get("comment"),
        **kw,
    )
    return Change(op, "alter_column", t.name, name, level, ", ".join(reasons))


def autoincrement(t: TableDiff, old_name: str, name: str) -> Change | None:
    """A column that gains or loses its autoincrement (serial, AUTO_INCREMENT)."""
    old, new = t.old_cols[old_name], t.new_cols[name]
    on = bool(new.get("autoincrement"))
    if bool(old.get("autoincrement")) == on:
        return None
    reason = "now autoincrement" if on else "no longer autoincrement"
    if t.db.serial_sequences:
        extra = dialect_sql.pg_autoincrement(t.name, name, on)
        return Change(extra[0], "alter_column", t.name, name, SAFE, reason, extra=extra[1:])
    op = ops.AlterColumnOp(
        t.name,
        name,
        existing_type=t.new_table.c[name].type,
        existing_nullable=new["nullable"],
        existing_server_default=snap_mod.server_default_obj(new.get("server_default")),
        autoincrement=on,
    )
    return Change(op, "alter_column", t.name, name, SAFE, reason)
