"""The shape of snapshot data: what :func:`vertz_engine.schema.build.from_metadata` writes and
:func:`vertz_engine.schema.snapshot.validate` accepts, one ``TypedDict`` per kind of entry.

Keys that only some entries have are in the ``total=False`` part of each class. A snapshot is
plain JSON on disk; these types describe it, they do not convert it.
"""

from __future__ import annotations

from typing import Any, TypedDict

# A snapshot entry as the other layers pass it (loaded JSON, or built and then edited): the
# functions of ``schema`` that read an entry take its TypedDict or this.
Loose = dict[str, Any]

# ``class`` is a keyword: the functional form spells it
_TypeSpecRequired = TypedDict("_TypeSpecRequired", {"class": str})


class TypeSpec(_TypeSpecRequired, total=False):
    """A column type: the SQLAlchemy class's dotted path and the arguments that differ from
    the class's defaults (:mod:`vertz_engine.schema.typespec`)."""

    args: dict[str, Any]


class ServerDefault(TypedDict, total=False):
    """``{"literal": "x"}`` (a quoted string default) or ``{"sql": "now()"}``."""

    literal: str
    sql: str


class Computed(TypedDict, total=False):
    sqltext: str  # always present
    persisted: bool


class Identity(TypedDict, total=False):
    """The identity options a model declared beyond what the database implies."""

    always: bool
    on_null: bool
    start: int
    increment: int
    minvalue: int
    maxvalue: int
    nominvalue: bool
    nomaxvalue: bool
    cycle: bool
    cache: int
    order: bool


class _ColumnRequired(TypedDict):
    name: str
    type: TypeSpec
    sql_type: str  # the type's DDL on the snapshot's dialect
    nullable: bool


class Column(_ColumnRequired, total=False):
    primary_key: bool
    autoincrement: bool
    identity: Identity
    computed: Computed
    server_default: ServerDefault
    default: bool | int | float | str  # a scalar Python-side default
    comment: str


class PrimaryKey(TypedDict):
    name: str | None
    columns: list[str]


class _IndexRequired(TypedDict):
    name: str | None
    columns: list[str]  # column names, or "(expression)"
    unique: bool


class Index(_IndexRequired, total=False):
    where: str  # a partial index's condition
    options: dict[str, Any]  # dialect keyword arguments (postgresql_using, ...)


class Unique(TypedDict):
    name: str | None
    columns: list[str]


class _ForeignKeyRequired(TypedDict):
    name: str | None
    columns: list[str]
    referred_table: str
    referred_columns: list[str]


class ForeignKey(_ForeignKeyRequired, total=False):
    ondelete: str
    onupdate: str
    deferrable: bool
    initially: str
    use_alter: bool


class _CheckRequired(TypedDict):
    name: str | None
    sqltext: str


class Check(_CheckRequired, total=False):
    column: str  # declared on this column (created inline with it)


class _TableRequired(TypedDict):
    columns: list[Column]  # in declared order: DDL depends on it
    primary_key: PrimaryKey
    indexes: list[Index]
    unique_constraints: list[Unique]
    foreign_keys: list[ForeignKey]
    check_constraints: list[Check]


class Table(_TableRequired, total=False):
    comment: str
    options: dict[str, Any]  # dialect keyword arguments (mysql_engine, ...)


class SnapshotData(TypedDict):
    """A whole snapshot: the schema as one dialect sees it, tables by full name."""

    format: int
    dialect: str
    tables: dict[str, Table]
