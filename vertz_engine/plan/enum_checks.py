"""The CHECK constraint of a non-native enum (``Enum(..., native_enum=False,
create_constraint=True)``): when the enum's values change, the old CHECK is dropped and the
new one added, so inserts of a new value work and removed values are refused.

Where the models name no constraint, the database named it (PostgreSQL
``<table>_<column>_check``, MariaDB ``CONSTRAINT_<n>``), so the drop finds it in the catalog
at apply time by what it checks: the column and the old values. Nothing is guessed."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from vertz_engine.dialects import MYSQL, POSTGRESQL, Traits
from vertz_engine.plan.model import SAFE, Change
from vertz_engine.plan.sqltext import literal as _lit
from vertz_engine.plan.sqltext import quote
from vertz_engine.schema import canonical
from vertz_engine.schema import snapshot as snap_mod


def bound(col: dict[str, Any]) -> bool:
    """Whether a snapshot column's type carries its own CHECK of enum values."""
    args = col["type"].get("args") or {}
    return (
        canonical.enum_values(col) is not None
        and bool(args.get("create_constraint"))
        and args.get("native_enum", True) is False
    )


def unbound(type_: Any) -> Any:
    """``type_`` without its own CHECK (so Alembic's ALTER COLUMN leaves constraints to us)."""
    if isinstance(type_, sa.Enum) and type_.create_constraint:
        return sa.Enum(
            *type_.enums, native_enum=False, create_constraint=False, length=type_.length
        )
    return type_


def changes(
    table: str, old: dict[str, Any], new: dict[str, Any], db: Traits
) -> tuple[list[Change], list[Change]]:
    """(drop the old CHECK, add the new one) when a column's enum CHECK changes."""
    same = canonical.enum_values(old) == canonical.enum_values(new) and bound(old) == bound(new)
    if db.rebuilds_tables or same:  # SQLite rebuilds the table with its new CHECK
        return [], []
    drops = [_drop(table, old, db)] if bound(old) else []
    adds = [_add(table, new, db)] if bound(new) else []
    return drops, adds


def _drop(table: str, col: dict[str, Any], db: Traits) -> Change:
    name = (col["type"].get("args") or {}).get("name")
    if name:
        op: ops.MigrateOperation = ops.DropConstraintOp(name, table, type_="check")
        return Change(op, "drop_check", table, name)
    values = canonical.enum_values(col) or []
    if db.postgresql:
        statements = [_pg_drop(table, col["name"], values)]
    else:
        statements = _mysql_drop(table, col["name"], values)
    first, *rest = statements
    return Change(
        ops.ExecuteSQLOp(first),
        "drop_check",
        table,
        col["name"],
        SAFE,
        "the CHECK of its old enum values",
        extra=[ops.ExecuteSQLOp(s) for s in rest],
    )


def _pg_drop(table: str, column: str, values: list[str]) -> str:
    matches = "".join(
        f"\n      AND strpos(pg_get_constraintdef(k.oid), {_lit(_lit(v))}) > 0" for v in values
    )
    return (
        "DO $$\nDECLARE r record;\nBEGIN\n"
        "  FOR r IN SELECT k.conname FROM pg_constraint k\n"
        "    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]\n"
        f"    WHERE k.conrelid = {_lit(quote(POSTGRESQL, table))}::regclass AND k.contype = 'c'\n"
        f"      AND cardinality(k.conkey) = 1 AND a.attname = {_lit(column)}{matches}\n"
        "  LOOP\n"
        f"    EXECUTE 'ALTER TABLE ' || quote_ident({_lit(table)}) || ' DROP CONSTRAINT ' "
        "|| quote_ident(r.conname);\n"
        "  END LOOP;\nEND $$"
    )


def _mysql_drop(table: str, column: str, values: list[str]) -> list[str]:
    quoted = quote(MYSQL, table).replace("`", "``")
    matches = "".join(f" AND INSTR(c.CHECK_CLAUSE, {_lit(_lit(v))}) > 0" for v in values)
    return [
        "SET @vertz_sql = (SELECT COALESCE(MAX(CONCAT('ALTER TABLE "
        + quoted.replace("'", "''")
        + " DROP CONSTRAINT `', REPLACE(t.CONSTRAINT_NAME, '`', '``'), '`')), 'DO 0') "
        "FROM information_schema.TABLE_CONSTRAINTS t "
        "JOIN information_schema.CHECK_CONSTRAINTS c "
        "ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME "
        f"WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = {_lit(table)} "
        f"AND t.CONSTRAINT_TYPE = 'CHECK' AND INSTR(c.CHECK_CLAUSE, {_lit('`' + column + '`')}) > 0"
        f"{matches})",
        "PREPARE vertz_stmt FROM @vertz_sql",
        "EXECUTE vertz_stmt",
        "DEALLOCATE PREPARE vertz_stmt",
    ]


def _add(table: str, col: dict[str, Any], db: Traits) -> Change:
    stub = sa.Table(table, sa.MetaData(), snap_mod.column_from(col, db.name))
    check = next(c for c in stub.constraints if isinstance(c, sa.CheckConstraint))
    values = ", ".join(canonical.enum_values(col) or [])
    return Change(
        ops.AddConstraintOp.from_constraint(check),
        "add_check",
        table,
        col["name"],
        SAFE,
        f"enum values {values}",
    )
