"""Models -> snapshot -> models.

A snapshot is a canonical, versioned, JSON-serialisable description of a schema as one
dialect sees it. The same metadata always gives the same JSON (tables, indexes and
constraints are sorted; columns keep their declared order because DDL depends on it).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.util import OrderedSet

from vertz_engine.dialects import traits
from vertz_engine.errors import SnapshotError
from vertz_engine.schema import features
from vertz_engine.schema.constraint_names import fit
from vertz_engine.schema.typespec import type_from_spec, type_spec

FORMAT = 1
RESERVED_PREFIX = "_vertz"

Snapshot = dict[str, Any]


@lru_cache(maxsize=16)
def dialect_for(name: str) -> Dialect:
    """A dialect instance for rendering, by name (``sqlite``, ``postgresql``, ``mysql``)."""
    from sqlalchemy.dialects import registry

    try:
        cls = registry.load(name)
    except Exception as exc:  # noqa: BLE001 - sqlalchemy raises NoSuchModuleError
        raise SnapshotError(f"unknown database dialect {name!r}") from exc
    return cls() if isinstance(cls, type) else cls  # type: ignore[no-any-return]


def empty(dialect: str) -> Snapshot:
    """The snapshot of a database with no tables."""
    return {"format": FORMAT, "dialect": dialect, "tables": {}}


def fingerprint(snap: Snapshot) -> str:
    """A stable hash of the schema a snapshot describes."""
    body = json.dumps(snap["tables"], sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(f"{snap['dialect']}\n{body}".encode()).hexdigest()


def dumps(snap: Snapshot) -> str:
    """Canonical JSON text (byte-identical for equal snapshots): sorted keys, one table per
    line, so a change shows in review as the lines of the tables it touches."""
    lines = []
    for key in sorted(snap):
        if key == "tables":
            rows = [
                f"    {json.dumps(name)}: {json.dumps(table, sort_keys=True, separators=(',', ':'))}"
                for name, table in sorted(snap["tables"].items())
            ]
            body = "{\n" + ",\n".join(rows) + "\n  }" if rows else "{}"
            lines.append(f'  "tables": {body}')
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(snap[key], sort_keys=True)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _name(value: Any, dialect: Dialect, what: str = "constraint") -> str | None:
    """A model's constraint or index name as the database stores it (None: unnamed)."""
    return fit(value, dialect.name, what)


def _sql(clause: Any, dialect: Dialect) -> str:
    if isinstance(clause, str):
        return clause
    return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _server_default(column: sa.Column[Any], dialect: Dialect) -> dict[str, Any] | None:
    sd = column.server_default
    if sd is None or not isinstance(sd, sa.DefaultClause):
        return None
    arg = sd.arg
    if isinstance(arg, str):
        return {"literal": arg}
    if isinstance(arg, TextClause):
        return {"sql": arg.text}
    return {"sql": _sql(arg, dialect)}


def _python_default(column: sa.Column[Any]) -> Any:
    default = column.default
    if default is None or not getattr(default, "is_scalar", False):
        return None
    value = getattr(default, "arg", None)
    return value if isinstance(value, (bool, int, float, str)) else None


_TYPE_CACHE: dict[tuple[Any, ...], tuple[dict[str, Any], str]] = {}


_PLAIN = (bool, int, float, str, tuple, type(None))


def _type_key(type_: Any, dialect: Dialect) -> tuple[Any, ...] | None:
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


def _type_info(
    column: sa.Column[Any], table: sa.Table, dialect: Dialect
) -> tuple[dict[str, Any], str]:
    """The type's spec and its DDL on ``dialect`` (the same type object gives the same)."""
    key = _type_key(column.type, dialect)
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


def _column(column: sa.Column[Any], table: sa.Table, dialect: Dialect, auto: Any) -> dict[str, Any]:
    spec, sql_type = _type_info(column, table, dialect)
    data: dict[str, Any] = {
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
        sd = _server_default(column, dialect)
        if sd is not None:
            data["server_default"] = sd
    if column.default is not None:
        pd = _python_default(column)
        if pd is not None:
            data["default"] = pd
    if column.comment:
        data["comment"] = column.comment
    return data


def _index(index: sa.Index, dialect: Dialect) -> dict[str, Any]:
    exprs: list[str] = []
    for expr in index.expressions:
        if isinstance(expr, sa.Column):
            exprs.append(expr.name)
        else:
            exprs.append("(" + _sql(expr, dialect) + ")")
    data: dict[str, Any] = {
        "name": _name(index.name, dialect, "index"),
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


def _fk(fk: sa.ForeignKeyConstraint, dialect: Dialect) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": _name(fk.name, dialect),
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


def _table(table: sa.Table, dialect: Dialect) -> dict[str, Any]:
    pk = table.primary_key
    auto = table.autoincrement_column
    uniques = []
    checks = []
    for cons in table.constraints:
        if isinstance(cons, sa.UniqueConstraint):
            uniques.append(
                {"name": _name(cons.name, dialect), "columns": [c.name for c in cons.columns]}
            )
        elif isinstance(cons, sa.CheckConstraint) and not getattr(cons, "_type_bound", False):
            checks.append(
                {"name": _name(cons.name, dialect), "sqltext": _sql(cons.sqltext, dialect)}
            )
    checks += column_checks(table, dialect)
    data: dict[str, Any] = {
        "columns": [_column(c, table, dialect, auto) for c in table.columns],
        "primary_key": {"name": _name(pk.name, dialect), "columns": [c.name for c in pk.columns]},
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


def column_checks(table: sa.Table, dialect: Dialect) -> list[dict[str, Any]]:
    """CHECKs declared on a column (``Column("n", Integer, CheckConstraint("n > 0"))``):
    not among the table's constraints, and created inline with the column."""
    return [
        {
            "name": _name(cons.name, dialect),
            "sqltext": _sql(cons.sqltext, dialect),
            "column": column.name,
        }
        for column in table.columns
        for cons in column.constraints
        if isinstance(cons, sa.CheckConstraint) and not getattr(cons, "_type_bound", False)
    ]


def _sort_key(item: dict[str, Any]) -> str:
    # names first (cheap and usually decisive), the whole item to break ties
    name = item.get("name")
    return f"{name}\x00" if name else "\x01" + json.dumps(item, sort_keys=True)


def from_metadata(metadata: sa.MetaData, dialect: Dialect) -> Snapshot:
    """The snapshot of the schema ``metadata.create_all()`` would build on ``dialect``."""
    tables = {}
    for table in metadata.tables.values():
        if table.name.startswith(RESERVED_PREFIX):
            continue
        features.check_table(table)
        tables[table.fullname] = _table(table, dialect)
    return {"format": FORMAT, "dialect": dialect.name, "tables": dict(sorted(tables.items()))}


def validate(snap: Any, source: str) -> Snapshot:
    """Check the outline of a loaded snapshot; raise :class:`SnapshotError` naming ``source``."""
    if not isinstance(snap, dict) or not isinstance(snap.get("tables"), dict):
        raise SnapshotError(f"{source} is not a flask-vertz snapshot")
    if snap.get("format") != FORMAT:
        raise SnapshotError(
            f"{source} has snapshot format {snap.get('format')!r}; this version reads format {FORMAT}"
        )
    if not isinstance(snap.get("dialect"), str):
        raise SnapshotError(f"{source} does not say which database dialect it describes")
    for name, table in snap["tables"].items():
        problem = _table_problem(table)
        if problem:
            raise SnapshotError(f"{source}: table {name!r} is malformed ({problem})")
    return snap


_LISTS = ("indexes", "unique_constraints", "foreign_keys", "check_constraints")


def _table_problem(table: Any) -> str | None:
    """What is wrong with a snapshot table entry, or None."""
    if not isinstance(table, dict):
        return "not an object"
    cols = table.get("columns")
    if not isinstance(cols, list) or not cols:
        return "no columns"
    for col in cols:
        if not isinstance(col, dict):
            return "a column is not an object"
        for key, kind in (("name", str), ("sql_type", str), ("nullable", bool), ("type", dict)):
            if not isinstance(col.get(key), kind):
                return f"a column has no valid {key!r}"
        if not isinstance(col["type"].get("class"), str):
            return f"column {col['name']!r} has no type class"
        problem = features.column_problem(col)
        if problem:
            return problem
    if not isinstance(table.get("options", {}), dict):
        return "'options' is not an object"
    pk = table.get("primary_key")
    if not isinstance(pk, dict) or not isinstance(pk.get("columns"), list):
        return "no valid 'primary_key'"
    for key in _LISTS:
        items = table.get(key)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            return f"no valid {key!r}"
        for item in items:
            if not isinstance(item.get("options", {}), dict):
                return f"an entry of {key!r} has 'options' that are not an object"
            if key != "check_constraints" and not isinstance(item.get("columns"), list):
                return f"an entry of {key!r} has no 'columns'"
            if key == "check_constraints" and not isinstance(item.get("sqltext"), str):
                return "a check constraint has no 'sqltext'"
            if key == "foreign_keys" and not (
                isinstance(item.get("referred_table"), str)
                and isinstance(item.get("referred_columns"), list)
            ):
                return "a foreign key has no referred table or columns"
    return None


# -- snapshot -> SQLAlchemy objects ---------------------------------------------------------


def server_default_obj(data: dict[str, Any] | None) -> Any:
    if not data:
        return None
    if "literal" in data:
        return data["literal"]
    return sa.text(data["sql"])


def column_from(data: dict[str, Any], dialect: str | None = None) -> sa.Column[Any]:
    """A detached :class:`~sqlalchemy.Column` built from a snapshot column. On PostgreSQL an
    enum column never creates or drops its type by itself: plans manage enum types."""
    type_ = type_from_spec(data["type"])
    if dialect == "postgresql" and isinstance(type_, sa.Enum) and type_.native_enum and type_.name:
        from sqlalchemy.dialects import postgresql

        type_ = postgresql.ENUM(*type_.enums, name=type_.name, create_type=False)
    return sa.Column(
        data["name"],
        type_,
        *features.column_extras(data),
        primary_key=bool(data.get("primary_key")),
        nullable=bool(data["nullable"]),
        autoincrement=True
        if data.get("autoincrement") or data.get("identity") is not None
        else ("auto" if not data.get("primary_key") else False),
        server_default=server_default_obj(data.get("server_default")),
        default=data.get("default"),
        comment=data.get("comment"),
    )


def add_table(
    metadata: sa.MetaData, fullname: str, data: dict[str, Any], dialect: str | None = None
) -> sa.Table:
    """Build table ``fullname`` from its snapshot entry into ``metadata``."""
    schema, _, name = fullname.rpartition(".")
    pk = data.get("primary_key") or {}
    items: list[Any] = [column_from(c, dialect) for c in data["columns"]]
    for col in items:
        col.primary_key = False
    if pk.get("columns"):
        items.append(sa.PrimaryKeyConstraint(*pk["columns"], name=pk.get("name")))
    for uq in data.get("unique_constraints", []):
        items.append(sa.UniqueConstraint(*uq["columns"], name=uq.get("name")))
    for fk in data.get("foreign_keys", []):
        items.append(fk_from(fk))
    for ck in data.get("check_constraints", []):
        check = sa.CheckConstraint(sa.text(ck["sqltext"]), name=ck.get("name"))
        if ck.get("column"):  # declared on the column: CREATE TABLE puts it there too
            col = next(c for c in items if isinstance(c, sa.Column) and c.name == ck["column"])
            check._set_parent_with_dispatch(col)
        else:
            items.append(check)
    table = sa.Table(
        name,
        metadata,
        *items,
        schema=schema or None,
        comment=data.get("comment"),
        **features.decoded(data),
    )
    # SQLAlchemy keeps a table's constraints and indexes in sets, which Alembic iterates to
    # render CREATE TABLE and SQLite's table rebuild: ordered sets (in the snapshot's order)
    # make the generated SQL the same in every run, whatever the hash seed or addresses.
    table.constraints = OrderedSet(sorted(table.constraints, key=_creation_order))
    table.indexes = OrderedSet(sorted(table.indexes, key=lambda i: str(i.name)))
    for ix in data.get("indexes", []):
        index_from(table, ix)
    return table


def _creation_order(item: Any) -> int:
    return int(getattr(item, "_creation_order", 0))


def fk_from(data: dict[str, Any]) -> sa.ForeignKeyConstraint:
    ref = data["referred_table"]
    return sa.ForeignKeyConstraint(
        data["columns"],
        [f"{ref}.{c}" for c in data["referred_columns"]],
        name=data.get("name"),
        ondelete=data.get("ondelete"),
        onupdate=data.get("onupdate"),
        deferrable=data.get("deferrable"),
        initially=data.get("initially"),
        use_alter=bool(data.get("use_alter")),
    )


def index_from(table: sa.Table, data: dict[str, Any]) -> sa.Index:
    exprs: list[Any] = []
    for expr in data["columns"]:
        if expr.startswith("(") and expr.endswith(")"):
            exprs.append(sa.text(expr[1:-1]))
        else:
            exprs.append(table.c[expr])
    kwargs: dict[str, Any] = features.decoded(data)
    if data.get("where"):
        kwargs["postgresql_where"] = sa.text(data["where"])
        kwargs["sqlite_where"] = sa.text(data["where"])
    return sa.Index(data["name"], *exprs, unique=bool(data.get("unique")), _table=table, **kwargs)


def to_metadata(snap: Snapshot, only: set[str] | None = None) -> sa.MetaData:
    """Rebuild the tables of a snapshot (``only`` these, and the tables their foreign keys
    point at) into a fresh :class:`~sqlalchemy.MetaData`."""
    tables = snap["tables"]
    names = set(tables) if only is None else {n for n in only if n in tables}
    for name in list(names):
        names.update(
            fk["referred_table"]
            for fk in tables[name].get("foreign_keys", [])
            if fk["referred_table"] in tables
        )
    metadata = sa.MetaData()
    for fullname in sorted(names):
        add_table(metadata, fullname, tables[fullname], snap["dialect"])
    return metadata
