"""The snapshot: its format, its checks, and the SQLAlchemy objects it rebuilds.

A snapshot is a canonical, versioned, JSON-serialisable description of a schema as one
dialect sees it (its shape: :mod:`.types`; made from models by :mod:`.build`). Equal
snapshots give byte-identical JSON (:func:`dumps`) and the same :func:`fingerprint`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.util import OrderedSet

from vertz_engine.dialects import traits
from vertz_engine.errors import SnapshotError
from vertz_engine.schema import features
from vertz_engine.schema.types import Column, ForeignKey, Index, Loose, ServerDefault, Table
from vertz_engine.schema.typespec import type_from_spec

FORMAT = 1
RESERVED_PREFIX = "_vertz"

Snapshot = dict[str, Any]  # as the other layers pass it; its shape: types.SnapshotData


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


def server_default_obj(data: ServerDefault | None) -> Any:
    if not data:
        return None
    if "literal" in data:
        return data["literal"]
    return sa.text(data["sql"])


def column_from(data: Column | Loose, dialect: str | None = None) -> sa.Column[Any]:
    """A detached :class:`~sqlalchemy.Column` built from a snapshot column. On PostgreSQL an
    enum column never creates or drops its type by itself: plans manage enum types."""
    type_ = type_from_spec(data["type"])
    native = dialect is not None and traits(dialect).native_enums
    if native and isinstance(type_, sa.Enum) and type_.native_enum and type_.name:
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
    metadata: sa.MetaData, fullname: str, data: Table | Loose, dialect: str | None = None
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


def fk_from(data: ForeignKey | Loose) -> sa.ForeignKeyConstraint:
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


def index_from(table: sa.Table, data: Index | Loose) -> sa.Index:
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
