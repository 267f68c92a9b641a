"""The snapshot keeps everything ``create_all`` builds: computed and identity columns, table
and index dialect options, non-native enums; a change to any of them migrates and rolls
back, and ``status`` sees a database that lacks them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.oracle import create_all_schema, reflect
from vertz_engine import Project

Models = Callable[[], sa.MetaData]
KIND = {"sqlite": "sqlite", "postgres": "postgresql", "mysql": "mysql"}


def _expected(md: sa.MetaData, url: str) -> dict[str, object]:
    engine = sa.create_engine(url)
    try:
        return create_all_schema(md, engine)
    finally:
        engine.dispose()


def _project(engine: sa.Engine, md: sa.MetaData, root: Path, env: str = "development") -> Project:
    return Project(engine, md, root / "migrations", root / ".vertz" / "s.json", environment=env)


def _walk(
    fresh_url: Callable[[], str], tmp_path: Path, v1: Models, v2: Models
) -> tuple[sa.Engine, Project]:
    """v1 -> migrate dev -> v2 -> migrate dev -> rollback -> forward again, the oracle after
    every step; then deploy of both files on a fresh database."""
    engine = sa.create_engine(fresh_url())
    _project(engine, v1(), tmp_path).migrate_dev("one")
    assert reflect(engine) == _expected(v1(), fresh_url())
    result = _project(engine, v2(), tmp_path).migrate_dev("two")
    assert result.path is not None, "the change produced no migration"
    assert reflect(engine) == _expected(v2(), fresh_url())
    _project(engine, v2(), tmp_path).rollback()
    assert reflect(engine) == _expected(v1(), fresh_url())
    _project(engine, v2(), tmp_path).deploy()
    assert reflect(engine) == _expected(v2(), fresh_url())
    prod = sa.create_engine(fresh_url())
    _project(prod, v2(), tmp_path, env="production").deploy(force=True)
    assert reflect(prod) == _expected(v2(), fresh_url())
    prod.dispose()
    return engine, _project(engine, v2(), tmp_path)


# -- computed columns ----------------------------------------------------------------------


def _computed(expr: str | None) -> Models:
    def models() -> sa.MetaData:
        md = sa.MetaData()
        total = (
            sa.Column("total", sa.Integer, sa.Computed(expr, persisted=True))
            if expr
            else sa.Column("total", sa.Integer)
        )
        sa.Table(
            "items",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("price", sa.Integer, nullable=False),
            sa.Column("qty", sa.Integer, nullable=False),
            total,
            sa.Index("ix_items_total", "total"),
        )
        return md

    return models


def test_computed_column_kept_changed_and_rolled_back(
    fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    engine, project = _walk(fresh_url, tmp_path, _computed("price * qty"), _computed("price + qty"))
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO items (price, qty) VALUES (3, 4)")
        assert conn.exec_driver_sql("SELECT total FROM items").scalar() == 7
    assert project.status().db_drift == []
    engine.dispose()


def test_plain_column_becoming_computed_is_destructive(
    fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    engine = sa.create_engine(fresh_url())
    _project(engine, _computed(None)(), tmp_path).migrate_dev("one")
    plan = _project(engine, _computed("price * qty")(), tmp_path).plan_dev()
    levels = {(c.kind, c.column, c.level) for c in plan.changes()}
    assert ("add_column", "total", "destructive") in levels
    engine.dispose()


def test_status_sees_a_missing_computed_expression(
    fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    engine = sa.create_engine(fresh_url())
    project = _project(engine, _computed("price * qty")(), tmp_path)
    project.migrate_dev("one")
    with engine.begin() as conn:  # behind flask-vertz's back: a plain column instead
        conn.exec_driver_sql(
            "DROP INDEX ix_items_total" + (" ON items" if "mysql" in str(engine.url) else "")
        )
        conn.exec_driver_sql("ALTER TABLE items DROP COLUMN total")
        conn.exec_driver_sql("ALTER TABLE items ADD COLUMN total INTEGER")
        conn.exec_driver_sql("CREATE INDEX ix_items_total ON items (total)")
    drift = project.status().db_drift
    assert any("items.total" in d and "computed" in d for d in drift), drift
    engine.dispose()


# -- non-native enums ----------------------------------------------------------------------


def _status(values: tuple[str, ...], name: str | None) -> Models:
    def models() -> sa.MetaData:
        md = sa.MetaData()
        sa.Table(
            "tickets",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column(
                "status",
                sa.Enum(*values, native_enum=False, create_constraint=True, name=name),
                nullable=False,
            ),
        )
        return md

    return models


@pytest.mark.parametrize("name", [None, "ticket_status"])
def test_non_native_enum_gaining_a_value(
    fresh_url: Callable[[], str], tmp_path: Path, name: str | None
) -> None:
    v1 = _status(("open", "done"), name)
    v2 = _status(("open", "done", "cancelled"), name)
    engine, _ = _walk(fresh_url, tmp_path, v1, v2)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO tickets (status) VALUES ('cancelled')")
        with pytest.raises(sa.exc.DBAPIError):
            with conn.begin_nested():
                conn.exec_driver_sql("INSERT INTO tickets (status) VALUES ('bogus')")
    engine.dispose()
