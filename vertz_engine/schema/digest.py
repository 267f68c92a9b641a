"""The digest of the models: what :func:`build.from_metadata` would record, read in one
pass and hashed directly, without building the snapshot's dicts or encoding JSON.

Every value is the one the snapshot records (the same helpers compute it: names fitted to
the database, SQL compiled, a type's spec and DDL), in a fixed position, so two metadata
give equal digests exactly when they give equal snapshots. Stored beside a snapshot's
fingerprint (the local snapshot file), an equal digest proves the fingerprint without
computing the snapshot: the unchanged boot.
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from vertz_engine.schema import features
from vertz_engine.schema.build import (
    index_where,
    python_default,
    server_default,
    sql_text,
    stored_name,
    type_info,
    type_key,
)
from vertz_engine.schema.snapshot import FORMAT, RESERVED_PREFIX

# Changes whenever what a digest covers changes (a new snapshot field, another encoding).
VERSION = 1
_SALT = f"vertz-digest/{VERSION}/{FORMAT}/{sa.__version__}"
_TOKENS: dict[tuple[Any, ...], str] = {}

Item = tuple[Any, ...]


def models_digest(metadata: sa.MetaData, dialect: Dialect) -> str | None:
    """The digest of the snapshot of ``metadata`` on ``dialect``; None where no digest can
    stand for it (a table the snapshot refuses, two constraints of one table sharing a
    name): the caller then builds the snapshot."""
    parts: list[Any] = [_SALT, dialect.name]
    for fullname in sorted(metadata.tables):
        table = metadata.tables[fullname]
        if table.name.startswith(RESERVED_PREFIX):
            continue
        if table.schema is not None:
            return None  # refused by the snapshot, with its message
        entry = _table(table, dialect)
        if entry is None:
            return None
        parts.append(fullname)
        parts.append(entry)
    return "blake2b:" + hashlib.blake2b(repr(parts).encode(), digest_size=32).hexdigest()


def _type_token(column: sa.Column[Any], table: sa.Table, dialect: Dialect) -> str:
    """The type's spec and DDL as the snapshot records them, as a hash, cached per type: its
    class and every attribute (a value that is not hashable, a list say, goes the slower
    way of the snapshot's own cache key)."""
    type_ = column.type
    key: tuple[Any, ...] | None
    try:
        key = (type(type_), dialect.name, dialect.server_version_info, *vars(type_).items())
        token = _TOKENS.get(key)
    except TypeError:
        key = type_key(type_, dialect)
        token = _TOKENS.get(key) if key is not None else None
    if token is None:
        # the spec and DDL, hashed once per type: each column then carries 32 characters
        text = repr(type_info(column, table, dialect)).encode()
        token = hashlib.blake2b(text, digest_size=16).hexdigest()
        if key is not None and len(_TOKENS) < 4096:
            _TOKENS[key] = token
    return token


def _column(
    column: sa.Column[Any], table: sa.Table, dialect: Dialect, auto: Any, checks: list[Item]
) -> Item:
    """A column as the snapshot records it; its own CHECKs go to ``checks``."""
    if column.constraints:
        for cons in column.constraints:
            if isinstance(cons, sa.CheckConstraint) and not getattr(cons, "_type_bound", False):
                checks.append(
                    (stored_name(cons.name, dialect), sql_text(cons.sqltext, dialect), column.name)
                )
    identity = features.identity(column, dialect) if column.identity is not None else None
    pk = bool(column.primary_key)
    return (
        column.name,
        _type_token(column, table, dialect),
        bool(column.nullable),
        identity,
        pk,
        pk and auto is column and column.autoincrement is not False and identity is None,
        features.computed(column, dialect) if column.computed is not None else None,
        server_default(column, dialect) if column.server_default is not None else None,
        python_default(column) if column.default is not None else None,
        column.comment or None,
    )


def _index(index: sa.Index, dialect: Dialect) -> Item:
    exprs = tuple(
        e.name if isinstance(e, sa.Column) else "(" + sql_text(e, dialect) + ")"
        for e in index.expressions
    )
    return (
        stored_name(index.name, dialect, "index"),
        exprs,
        bool(index.unique),
        index_where(index, dialect),
        (features.index_options(index, dialect) or None) if index.kwargs else None,
    )


def _fk(fk: sa.ForeignKeyConstraint, dialect: Dialect) -> Item:
    flags = tuple(
        value.upper() if isinstance(value, str) else value
        for value in (fk.ondelete, fk.onupdate, fk.deferrable, fk.initially)
    )
    targets = [e.target_fullname.rsplit(".", 1) for e in fk.elements]
    return (
        stored_name(fk.name, dialect),
        tuple(c.name for c in fk.columns),
        targets[0][0],
        tuple(t[1] for t in targets),
        flags,
        bool(fk.use_alter),
    )


def _constraints(table: sa.Table, dialect: Dialect) -> tuple[list[Item], list[Item]]:
    uniques, checks = [], []
    for cons in table.constraints:
        if isinstance(cons, sa.UniqueConstraint):
            uniques.append((stored_name(cons.name, dialect), tuple(c.name for c in cons.columns)))
        elif isinstance(cons, sa.CheckConstraint) and not getattr(cons, "_type_bound", False):
            checks.append((stored_name(cons.name, dialect), sql_text(cons.sqltext, dialect), None))
    return uniques, checks


def _canonical(items: list[Item]) -> tuple[Item, ...] | None:
    """Items in one order whatever order the model's sets gave them (the snapshot sorts
    them too); None when two share a name (the snapshot's order would then depend on the
    order the sets give)."""
    if len(items) < 2:
        return tuple(items)
    names = [i[0] for i in items if i[0]]
    if len(set(names)) != len(names):
        return None
    if len(names) == len(items):  # all named, each once: the names decide
        return tuple(sorted(items, key=_first))
    return tuple(sorted(items, key=repr))


def _first(item: Item) -> Any:
    return item[0]


def _table(table: sa.Table, dialect: Dialect) -> Item | None:
    auto = table.autoincrement_column
    uniques, checks = _constraints(table, dialect)
    columns = tuple(_column(c, table, dialect, auto, checks) for c in table.columns)
    lists = (
        _canonical([_index(i, dialect) for i in table.indexes]),
        _canonical(uniques),
        _canonical([_fk(f, dialect) for f in table.foreign_key_constraints]),
        _canonical(checks),
    )
    if any(entry is None for entry in lists):
        return None
    pk = table.primary_key
    return (
        columns,
        (stored_name(pk.name, dialect), tuple(c.name for c in pk.columns)),
        lists,
        table.comment or None,
        (features.table_options(table, dialect) or None) if table.kwargs else None,
    )
