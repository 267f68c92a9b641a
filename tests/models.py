"""Model versions used across tests (each function declares models on a fresh ``db``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy


def v1(db: SQLAlchemy) -> None:
    class Todo(db.Model):  # type: ignore[name-defined]
        __tablename__ = "todos"
        id = sa.Column(sa.Integer, primary_key=True)
        title = sa.Column(sa.String(200), nullable=False)
        done = sa.Column(sa.Boolean, nullable=False, server_default=sa.false())


def v2(db: SQLAlchemy) -> None:
    """v1 plus a nullable ``priority`` column."""

    class Todo(db.Model):  # type: ignore[name-defined]
        __tablename__ = "todos"
        id = sa.Column(sa.Integer, primary_key=True)
        title = sa.Column(sa.String(200), nullable=False)
        done = sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
        priority = sa.Column(sa.Integer, nullable=True)


def v3(db: SQLAlchemy) -> None:
    """v2 plus a projects table that todos point at (ON DELETE CASCADE), an index, and a
    longer title."""

    class Project(db.Model):  # type: ignore[name-defined]
        __tablename__ = "projects"
        id = sa.Column(sa.Integer, primary_key=True)
        name = sa.Column(sa.String(100), nullable=False, unique=True)

    class Todo(db.Model):  # type: ignore[name-defined]
        __tablename__ = "todos"
        id = sa.Column(sa.Integer, primary_key=True)
        title = sa.Column(sa.String(300), nullable=False)
        done = sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
        priority = sa.Column(sa.Integer, nullable=True, index=True)
        project_id = sa.Column(sa.ForeignKey("projects.id", ondelete="CASCADE"))


def metadata_of(models: object) -> sa.MetaData:
    db = SQLAlchemy()
    models(db)  # type: ignore[operator]
    return db.metadata
