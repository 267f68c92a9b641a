"""Every case of the corpus on SQLite, PostgreSQL and MariaDB: after ``up`` the reflected
schema equals what ``create_all()`` builds; rows survive; the models show no further changes
(no false changes); after ``rollback`` the schema equals the old one."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.corpus import CASES, Case
from tests.oracle import reflect
from vertz_engine import Project

DIALECT = {"sqlite": "sqlite", "postgres": "postgresql", "mysql": "mysql"}


def _norm(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def _rows(engine: sa.Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(_norm(v) for v in row) for row in conn.execute(sa.text(sql))]


def _expected(build: Callable[[sa.MetaData], Any], engine: sa.Engine) -> dict[str, Any]:
    md = sa.MetaData()
    build(md)
    md.create_all(engine)
    try:
        return reflect(engine)
    finally:
        md.drop_all(engine)


def _project(engine: sa.Engine, build: Callable[[sa.MetaData], Any], root: Path) -> Project:
    md = sa.MetaData()
    build(md)
    return Project(
        engine=engine,
        metadata=md,
        migrations_dir=root / "migrations",
        local_snapshot_path=root / ".vertz" / "schema-snapshot.json",
    )


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case(case: Case, dialect_kind: str, fresh_url: Callable[[], str], tmp_path: Path) -> None:
    if DIALECT[dialect_kind] not in case.dialects:
        pytest.skip(f"{case.name}: not a {dialect_kind} feature")
    engine = sa.create_engine(fresh_url())
    oracle = sa.create_engine(fresh_url())
    try:
        before = _project(engine, case.before, tmp_path)
        before.migrate_dev("before")
        with engine.begin() as conn:
            for table, rows in case.rows.items():
                conn.execute(before.metadata.tables[table].insert(), rows)
        counts = {t: len(r) for t, r in case.rows.items()}

        after = _project(engine, case.after, tmp_path)
        result = after.migrate_dev("after", renames=case.renames)
        if result.path is None:  # no change in this dialect's schema (e.g. a non-native enum)
            assert _expected(case.before, oracle) == _expected(case.after, oracle)
        assert reflect(engine) == _expected(case.after, oracle)
        for sql, rows in case.keeps:
            assert _rows(engine, sql) == rows, sql
        assert after.plan_dev().empty, [c.describe() for c in after.plan_dev().changes()]

        if result.path is not None:
            after.rollback()
        assert reflect(engine) == _expected(case.before, oracle)
        if case.data_kept_on_rollback:
            for table, n in counts.items():
                assert _rows(engine, f"SELECT COUNT(*) FROM {table}") == [(n,)], table
    finally:
        engine.dispose()
        oracle.dispose()
