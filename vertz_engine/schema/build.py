"""Models -> snapshot: the schema ``metadata.create_all()`` would build, as snapshot data.

The same metadata always gives the same data (tables, indexes and constraints are sorted;
columns keep their declared order because DDL depends on it).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import TextClause

from vertz_engine.dialects import traits
from vertz_engine.errors import SnapshotError
from vertz_engine.schema import features
from vertz_engine.schema.constraint_names import fit
from vertz_engine.schema.snapshot import FORMAT, RESERVED_PREFIX, Snapshot
from vertz_engine.schema.types import (
    Check,
    Column,
    ForeignKey,
    Index,
    ServerDefault,
    Table,
    TypeSpec,
    Unique,
)
from vertz_engine.schema.typespec import type_spec


def from_metadata(metadata: sa.MetaData, dialect: Dialect) -> Snapshot:
    """The snapshot of the schema ``metadata.create_all()`` would build on ``dialect``."""
    tables: dict[str, Table] = {}
    for table in metadata.tables.values():
        if table.name.startswith(RESERVED_PREFIX):
            continue
        features.check_table(table)
        tables[table.fullname] = _table(table, dialect)
    return {"format": FORMAT, "dialect": dialect.name, "tables": dict(sorted(tables.items()))}


def stored_name(value: Any, dialect: Dialect, what: str = "constraint") -> str | None:
    """A model's constraint or index name as the database stores it (None: unnamed)."""
    return fit(value, dialect.name, what)


def sql_text(clause: Any, dialect: Dialect) -> str:
    if isinstance(clause, str):
        return clause
    return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def server_default(column: sa.Column[Any], dialect: Dialect) -> ServerDefault | None:
    sd = column.server_default
    if sd is None or not isinstance(sd, sa.DefaultClause):
        return None
    arg = sd.arg
    if isinstance(arg, str):
        return {"literal": arg}
    if isinstance(arg, TextClause):
        return {"sql": arg.text}
    return {"sql": sql_text(arg, dialect)}


def python_default(column: sa.Column[Any]) -> Any:
    default = column.default
    if default is None or not getattr(default, "is_scalar", False):
        return None
    value = getattr(default, "arg", None)
    return value if isinstance(value, (bool, int, float, str)) else None


_TYPE_CACHE: dict[tuple[Any, ...], tuple[TypeSpec, str]] = {}


_PLAIN = (bool, int, float, str, tuple, type(None))


def type_key(type_: Any, dialect: Dialect) -> tuple[Any, ...] | None:
    """A key for types that are plain values (most are: ``String(50)``, ``Integer()``)."""
    items = []
    attrs = vars(type_)
    if attrs.get("_variant_mapping"):
        return None
    for key, value in attrs.items():
        if key[0] == "_" or key == "dispatch":  # event plumbing, cached lookups
            continue
        if type(value) is list:
            value = tuple(value)
        elif type(value) not in _PLAIN:
            return None
        items.append((key, value))
    return (type(type_), dialect.name, dialect.server_version_info, tuple(items))


def type_info(column: sa.Column[Any], table: sa.Table, dialect: Dialect) -> tuple[TypeSpec, str]:
    """The type's spec and its DDL on ``dialect`` (the same type object gives the same)."""
    key = type_key(column.type, dialect)
    if key is not None:
        hit = _TYPE_CACHE.get(key)
        if hit is not None:
            return hit
    try:
        sql_type = column.type.compile(dialect=dialect)
    except sa.exc.CompileError as exc:
        raise SnapshotError(
            f"column {table.name}.{column.name}: type {column.type!r} has no {dialect.name} form"
        ) from exc
    info = (type_spec(column.type, dialect), sql_type)
    if key is not None and len(_TYPE_CACHE) < 4096:
        _TYPE_CACHE[key] = info
    return info


def _column(column: sa.Column[Any], table: sa.Table, dialect: Dialect, auto: Any) -> Column:
    spec, sql_type = type_info(column, table, dialect)
    data: Column = {
        "name": column.name,
        "type": spec,  # shared between columns of one type: snapshots are never changed in place
        "sql_type": sql_type,
        "nullable": bool(column.nullable),
    }
    identity = features.identity(column, dialect)
    if identity is not None:
        data["identity"] = identity
    if column.primary_key:
        data["primary_key"] = True
        if auto is column and column.autoincrement is not False and identity is None:
            data["autoincrement"] = True
    computed = features.computed(column, dialect)
    if computed is not None:
        data["computed"] = computed
    if column.server_default is not None:
        sd = server_default(column, dialect)
        if sd is not None:
            data["server_default"] = sd
    if column.default is not None:
        pd = python_default(column)
        if pd is not None:
            data["default"] = pd
    if column.comment:
        data["comment"] = column.comment
    return data


def _index(index: sa.Index, dialect: Dialect) -> Index:
    exprs: list[str] = []
    for expr in index.expressions:
        if isinstance(expr, sa.Column):
            exprs.append(expr.name)
        else:
            exprs.append("(" + sql_text(expr, dialect) + ")")
    data: Index = {
        "name": stored_name(index.name, dialect, "index"),
        "columns": exprs,
        "unique": bool(index.unique),
    }
    where = index_where(index, dialect)
    if where is not None:
        data["where"] = where
    options = features.index_options(index, dialect)
    if options:
        data["options"] = options
    return data


def index_where(index: sa.Index, dialect: Dialect) -> str | None:
    """A partial index's WHERE as ``CREATE INDEX`` writes it (None: not partial here)."""
    if not (index.kwargs and traits(dialect).keeps_index_options):
        return None
    where = index.kwargs.get(f"{dialect.name}_where")
    return None if where is None else features.ddl_sql(where, dialect)


def _fk(fk: sa.ForeignKeyConstraint, dialect: Dialect) -> ForeignKey:
    data: ForeignKey = {
        "name": stored_name(fk.name, dialect),
        "columns": [c.name for c in fk.columns],
        "referred_table": fk.elements[0].target_fullname.rsplit(".", 1)[0],
        "referred_columns": [e.target_fullname.rsplit(".", 1)[1] for e in fk.elements],
    }
    for key in ("ondelete", "onupdate", "deferrable", "initially"):
        value = getattr(fk, key)
        if value is not None:
            data[key] = value.upper() if isinstance(value, str) else value
    if fk.use_alter:
        data["use_alter"] = True
    return data


def _table(table: sa.Table, dialect: Dialect) -> Table:
    pk = table.primary_key
    auto = table.autoincrement_column
    uniques: list[Unique] = []
    checks: list[Check] = []
    for cons in table.constraints:
        if isinstance(cons, sa.UniqueConstraint):
            uniques.append(
                {"name": stored_name(cons.name, dialect), "columns": [c.name for c in cons.columns]}
            )
        elif isinstance(cons, sa.CheckConstraint) and not getattr(cons, "_type_bound", False):
            checks.append(
                {
                    "name": stored_name(cons.name, dialect),
                    "sqltext": sql_text(cons.sqltext, dialect),
                }
            )
    checks += column_checks(table, dialect)
    data: Table = {
        "columns": [_column(c, table, dialect, auto) for c in table.columns],
        "primary_key": {
            "name": stored_name(pk.name, dialect),
            "columns": [c.name for c in pk.columns],
        },
        "indexes": sorted((_index(i, dialect) for i in table.indexes), key=_sort_key),
        "unique_constraints": sorted(uniques, key=_sort_key),
        "foreign_keys": sorted(
            (_fk(f, dialect) for f in table.foreign_key_constraints), key=_sort_key
        ),
        "check_constraints": sorted(checks, key=_sort_key),
    }
    if table.comment:
        data["comment"] = table.comment
    options = features.table_options(table, dialect)
    if options:
        data["options"] = options
    return data


def column_checks(table: sa.Table, dialect: Dialect) -> list[Check]:
    """CHECKs declared on a column (``Column("n", Integer, CheckConstraint("n > 0"))``):
    not among the table's constraints, and created inline with the column."""
    return [
        {
            "name": stored_name(cons.name, dialect),
            "sqltext": sql_text(cons.sqltext, dialect),
            "column": column.name,
        }
        for column in table.columns
        for cons in column.constraints
        if isinstance(cons, sa.CheckConstraint) and not getattr(cons, "_type_bound", False)
    ]


def _sort_key(item: Any) -> str:
    # names first (cheap and usually decisive), the whole item to break ties
    name = item.get("name")
    return f"{name}\x00" if name else "\x01" + json.dumps(item, sort_keys=True)
