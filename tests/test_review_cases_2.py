"""Second review's findings, each a test that failed before its fix."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import sqlalchemy as sa

from vertz_engine import Project
from vertz_engine.errors import VertzError
from vertz_engine.files import migration_file
from vertz_engine.files.sqlsplit import split


def _reserved_models() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("user", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "order",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.ForeignKey("user.id")),
        sa.Column("n", sa.Integer),
        sa.CheckConstraint("n > 0", name="order_n_positive"),
        comment="orders",
    )
    return md


def test_postgres_drift_on_reserved_table_names_and_comments(
    postgres_url: str, tmp_path: Path
) -> None:
    engine = sa.create_engine(postgres_url)
    p = Project(engine, _reserved_models(), tmp_path / "m", tmp_path / "s.json")
    p.migrate_dev("init")
    assert p.status().db_drift == []
    with engine.begin() as conn:
        conn.exec_driver_sql('ALTER TABLE "order" DROP CONSTRAINT order_uid_fkey')
    assert any("foreign key" in d for d in p.status().db_drift)
    with engine.begin() as conn:
        conn.exec_driver_sql('ALTER TABLE "order" ADD FOREIGN KEY (uid) REFERENCES "user" (id)')
    p2 = Project(engine, _reserved_models(), tmp_path / "m", tmp_path / "s.json")
    with engine.begin() as conn:
        conn.exec_driver_sql("COMMENT ON TABLE \"order\" IS 'changed'")
    assert p2.status().db_drift != []
    engine.dispose()


def test_postgres_failed_history_insert_rolls_back_and_unlocks(
    postgres_url: str, tmp_path: Path
) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA reporting")
    mig = tmp_path / "m"
    mig.mkdir()
    body = "SET LOCAL search_path TO reporting;\n\nCREATE TABLE daily (id int);\n"
    (mig / "0001_odd.sql").write_text(migration_file.render("0001_odd", [body], ["SELECT 1"]))
    p = Project(engine, sa.MetaData(), mig, tmp_path / "s.json", environment="production")
    for _ in range(2):  # the same clear failure each time: nothing left half-open
        with pytest.raises(sa.exc.DBAPIError, match="_vertz_migrations"):
            p.deploy()
    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'"
            ).scalar()
            == 0
        )
        assert conn.exec_driver_sql("SELECT to_regclass('reporting.daily')").scalar() is None
    engine.dispose()


def test_sqlite_add_column_references_with_default_is_checked(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    md = sa.MetaData()
    sa.Table("owner", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("item", md, sa.Column("id", sa.Integer, primary_key=True))
    p = Project(engine, md, tmp_path / "m", tmp_path / "s.json")
    p.migrate_dev("init")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO item (id) VALUES (1), (2)")
    sql = "ALTER TABLE item ADD COLUMN owner_id INTEGER NOT NULL DEFAULT 7 REFERENCES owner(id)"
    (tmp_path / "m" / "0002_owner.sql").write_text(
        migration_file.render("0002_owner", [sql], ["SELECT 1"])
    )
    with pytest.raises(VertzError, match="foreign key check failed: 2 row"):
        p.deploy()
    assert "owner_id" not in {c["name"] for c in sa.inspect(engine).get_columns("item")}
    engine.dispose()


def test_hash_comments_are_not_split_on_semicolons() -> None:
    assert split("# add a column; see ticket 12\nALTER TABLE t ADD COLUMN a INT;\n") == [
        "# add a column; see ticket 12\nALTER TABLE t ADD COLUMN a INT;"
    ]


def test_an_apps_own_gc_freeze_is_kept(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True))
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        Project(engine, md, tmp_path / "m", tmp_path / "s.json").apply_models()
        assert gc.get_freeze_count() >= frozen > 0
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        engine.dispose()
