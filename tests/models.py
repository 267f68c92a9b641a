"""Model versions used across tests (each function declares models on a fresh ``db``):
``v1`` (todos), ``v2`` (v1 plus a nullable ``priority``), ``v3`` (v2 plus a projects table
that todos point at with ON DELETE CASCADE, an index on priority and a longer title), and
``variant(base, ...)`` for a version with some columns changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

ModelsFn = Callable[[SQLAlchemy], None]
ColumnFn = Callable[[], sa.Column[Any]]


def _todos_v1() -> dict[str, ColumnFn]:
    return {
        "id": lambda: sa.Column(sa.Integer, primary_key=True),
        "title": lambda: sa.Column(sa.String(200), nullable=False),
        "done": lambda: sa.Column(sa.Boolean, nullable=False, server_default=sa.false()),
    }


def _todos_v3() -> dict[str, ColumnFn]:
    return {
        **_todos_v1(),
        "title": lambda: sa.Column(sa.String(300), nullable=False),
        "priority": lambda: sa.Column(sa.Integer, nullable=True, index=True),
        "project_id": lambda: sa.Column(sa.ForeignKey("projects.id", ondelete="CASCADE")),
    }


def _projects_v3() -> dict[str, ColumnFn]:
    return {
        "id": lambda: sa.Column(sa.Integer, primary_key=True),
        "name": lambda: sa.Column(sa.String(100), nullable=False, unique=True),
    }


BASES: dict[str, Callable[[], dict[str, dict[str, ColumnFn]]]] = {
    "v1": lambda: {"todos": _todos_v1()},
    "v2": lambda: {
        "todos": {**_todos_v1(), "priority": lambda: sa.Column(sa.Integer, nullable=True)}
    },
    "v3": lambda: {"projects": _projects_v3(), "todos": _todos_v3()},
}


def variant(
    base: str, tables: dict[str, dict[str, ColumnFn | None]] | None = None, **todos: ColumnFn | None
) -> ModelsFn:
    """The models of ``tests.models.<base>`` with some columns changed: ``todos`` (keywords)
    and ``tables`` (per table) map a column name to a column factory (replaced in place or
    added last) or to ``None`` (dropped)."""
    changes = {**(tables or {})}
    if todos:
        changes["todos"] = {**changes.get("todos", {}), **todos}

    def models(db: SQLAlchemy) -> None:
        spec = BASES[base]()
        for table, columns in changes.items():
            spec.setdefault(table, {}).update(columns)
        for table, columns in spec.items():
            attrs: dict[str, Any] = {"__tablename__": table}
            attrs.update({name: make() for name, make in columns.items() if make is not None})
            type(table.title().rstrip("s"), (db.Model,), attrs)

    return models


v1 = variant("v1")
v2 = variant("v2")
v3 = variant("v3")


def metadata_of(models: object) -> sa.MetaData:
    db = SQLAlchemy()
    models(db)  # type: ignore[operator]
    return db.metadata
