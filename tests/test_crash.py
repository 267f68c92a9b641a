"""A deploy killed with SIGKILL at random points of a multi-statement migration, 50 times per
database. SQLite and PostgreSQL: the schema is before or after, never in between, and the
next deploy completes. MariaDB (DDL is not transactional): the interrupted state is
recorded, and ``resolve`` + ``deploy`` complete."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.helpers import empty_database
from vertz_engine import Project
from vertz_engine.errors import VertzError

KILLS = 50
CTX = multiprocessing.get_context("fork")


def _models(tables: int) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("base", md, sa.Column("id", sa.Integer, primary_key=True))
    for i in range(tables):
        sa.Table(
            f"t{i:03d}",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("v", sa.String(20)),
        )
    return md


def _project(url: str, root: Path, tables: int) -> Project:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    return Project(
        engine, _models(tables), root / "migrations", root / "snap.json", lock_timeout=30
    )


def _deploy(url: str, root: str, tables: int) -> None:
    _project(url, Path(root), tables).deploy()


def _created(url: str, tables: int) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        names = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return sum(f"t{i:03d}" in names for i in range(tables))


def _reset(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        empty_database(engine)
    finally:
        engine.dispose()


def test_killed_deploys(dialect_kind: str, fresh_url: Callable[[], str], tmp_path: Path) -> None:
    tables = {"sqlite": 120, "postgres": 80, "mysql": 25}[dialect_kind]
    url = fresh_url()
    # the files: 0001 makes the base table, 0002 adds many tables (the one to interrupt)
    base = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        Project(base, _models(0), tmp_path / "migrations", tmp_path / "w.json").migrate_dev(
            "base", create_only=True
        )
    finally:
        base.dispose()
    writer = _project(url, tmp_path, tables)
    writer.migrate_dev("many", create_only=True)
    writer.engine.dispose()

    # how long an uninterrupted deploy takes, to spread the kills over it
    start = time.perf_counter()
    _project(url, tmp_path, tables).deploy()
    duration = time.perf_counter() - start
    rng = random.Random(1234)
    outcomes = {"before": 0, "after": 0, "between": 0}
    for _ in range(KILLS):
        _reset(url)
        proc = CTX.Process(target=_deploy, args=(url, str(tmp_path), tables))
        proc.start()
        time.sleep(rng.uniform(0.05, 0.05 + duration * 1.2))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        n = _created(url, tables)
        state = "before" if n == 0 else "after" if n == tables else "between"
        outcomes[state] += 1
        project = _project(url, tmp_path, tables)
        try:
            if dialect_kind in ("sqlite", "postgres"):
                assert state != "between", f"{n} of {tables} tables exist after a kill"
            else:
                for name, status in _unfinished(project):
                    # the interrupted state is recorded: deploy refuses until it is resolved
                    with pytest.raises(VertzError, match=f"{name} (was interrupted|failed) after"):
                        project.deploy()
                    _undo_partial(url, tables, base=name == "0001_base")
                    project.resolve(name, applied=False)
                    assert status in ("running", "failed")
            project.deploy()
            assert _created(url, tables) == tables
            assert _status_of(project) == "applied"
        finally:
            project.engine.dispose()
    assert outcomes["between"] == 0 or dialect_kind == "mysql", outcomes
    assert outcomes["before"] + outcomes["after"] + outcomes["between"] == KILLS


def _unfinished(project: Project) -> list[tuple[str, str]]:
    with project.engine.connect() as conn:
        try:
            rows = conn.execute(
                sa.text("SELECT name, status FROM _vertz_migrations WHERE status <> 'applied'")
            ).all()
        except sa.exc.DBAPIError:
            return []
    return [(r[0], r[1]) for r in rows]


def _status_of(project: Project) -> str | None:
    with project.engine.connect() as conn:
        try:
            return conn.execute(
                sa.text("SELECT status FROM _vertz_migrations WHERE name = '0002_many'")
            ).scalar()
        except sa.exc.DBAPIError:
            return None


def _undo_partial(url: str, tables: int, *, base: bool = False) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            existing = set(sa.inspect(conn).get_table_names())
            if base and "base" in existing:
                conn.exec_driver_sql("DROP TABLE base")
            for i in range(tables):
                if f"t{i:03d}" in existing:
                    conn.exec_driver_sql(f"DROP TABLE t{i:03d}")
    finally:
        engine.dispose()
