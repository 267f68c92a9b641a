"""Hard cases a reviewer found: each is one clear message, nothing half-written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import models
from tests.conftest import AppFactory
from tests.oracle import expected_sqlite, reflect
from tests.test_cli import dev_app, run


def with_note(db):  # type: ignore[no-untyped-def]
    class Todo(db.Model):
        __tablename__ = "todos"
        id = sa.Column(sa.Integer, primary_key=True)
        title = sa.Column(sa.String(200), nullable=False)
        done = sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
        priority = sa.Column(sa.Integer, nullable=True)
        note = sa.Column(sa.String(100))


def with_note_and_tag(db):  # type: ignore[no-untyped-def]
    class Todo(db.Model):
        __tablename__ = "todos"
        id = sa.Column(sa.Integer, primary_key=True)
        title = sa.Column(sa.String(200), nullable=False)
        done = sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
        priority = sa.Column(sa.Integer, nullable=True)
        note = sa.Column(sa.String(100))
        tag = sa.Column(sa.String(20))


def test_deleted_unapplied_file_is_noticed(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    app2 = dev_app(make_app, models.v2)
    assert run(app2, "migrate", "dev", "--name", "prio", "--create-only").exit_code == 0
    (tmp_path / "migrations" / "0002_prio.sql").unlink()
    for args in (("migrate", "dev", "--name", "again"), ("check",)):
        r = run(app2, *args)
        assert r.exit_code == 1, r.output
        assert "0002_prio, but" in r.output and "is missing: restore the file" in r.output


def test_migrate_dev_after_boot_applied_part_of_the_changes(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = dev_app(make_app, models.v2)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    make_app(with_note)  # boot applies "note"
    app3 = dev_app(make_app, with_note_and_tag)  # "tag" added, no restart
    r = run(app3, "migrate", "dev", "--name", "note_and_tag")
    assert r.exit_code == 0, r.output
    assert "recorded 0002_note_and_tag as applied" in r.output
    assert reflect(make_app.engine(app3)) == expected_sqlite(with_note_and_tag, tmp_path)
    assert run(app3, "rollback").exit_code == 0
    assert reflect(make_app.engine(app3)) == expected_sqlite(models.v2, tmp_path)


def test_migrate_dev_explains_blocking_change_before_writing(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = dev_app(make_app, models.v2)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    with make_app.engine(app).begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title) VALUES ('no priority')"))

    def strict(db):  # type: ignore[no-untyped-def]
        class Todo(db.Model):
            __tablename__ = "todos"
            id = sa.Column(sa.Integer, primary_key=True)
            title = sa.Column(sa.String(200), nullable=False)
            done = sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
            priority = sa.Column(sa.Integer, nullable=False)

    app2 = dev_app(make_app, strict)
    snap = (tmp_path / "migrations" / "_snapshot.json").read_bytes()
    r = run(app2, "migrate", "dev", "--name", "strict")
    assert r.exit_code == 1
    assert (
        "alter column todos.priority (NOT NULL fails if NULLs exist): 1 row(s) hold NULL. "
        "Fill them first" in r.output
    )
    assert "no file was written" in r.output
    assert not (tmp_path / "migrations" / "0002_strict.sql").exists()
    assert (tmp_path / "migrations" / "_snapshot.json").read_bytes() == snap


@pytest.mark.parametrize(
    "text, problem",
    [
        (
            '{"format":1,"dialect":"sqlite","tables":{"t":{"columns":[{}]}}}',
            "a column has no valid 'name'",
        ),
        ('{"format":1,"dialect":"sqlite","tables":{"t":{"columns":[]}}}', "no columns"),
        ("[1, 2]", "is not a flask-vertz snapshot"),
    ],
)
def test_malformed_snapshot_shape_is_one_message(
    make_app: AppFactory, tmp_path: Path, text: str, problem: str
) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "init").exit_code == 0
    (tmp_path / "migrations" / "_snapshot.json").write_text(text)
    for args in (("migrate", "dev", "--name", "x"), ("check",), ("status",), ("init",)):
        r = run(app, *args)
        assert r.exit_code == 1, (args, r.output)
        assert problem in r.output and "Traceback" not in r.output


def test_boot_waits_for_a_locked_sqlite_database_then_says_so(
    make_app: AppFactory, tmp_path: Path
) -> None:
    from vertz_engine.errors import LockTimeout

    make_app(models.v1)
    holder = sqlite3.connect(tmp_path / "app.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(
            LockTimeout, match=r"locked by another process and stayed locked for 0.3s"
        ):
            make_app(models.v2, VERTZ_LOCK_TIMEOUT=0.3)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_production_dry_run_prints_destructive_sql(make_app: AppFactory) -> None:
    app = dev_app(make_app, models.v2)
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    app2 = dev_app(make_app, models.v1)
    assert run(app2, "migrate", "dev", "--name", "drop_prio", "--create-only").exit_code == 0
    prod = make_app(models.v1, VERTZ_ENV="production")
    r = run(prod, "migrate", "deploy", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "ALTER TABLE todos DROP COLUMN priority;" in r.output
    assert "destructive: drop column todos.priority" in r.output
    r = run(prod, "migrate", "deploy")
    assert r.exit_code == 1
    assert "refusing to apply destructive changes in production without --force" in r.output


def test_rename_typo_is_refused(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0

    def renamed(db):  # type: ignore[no-untyped-def]
        class Todo(db.Model):
            __tablename__ = "todos"
            id = sa.Column(sa.Integer, primary_key=True)
            label = sa.Column(sa.String(200), nullable=False)
            done = sa.Column(sa.Boolean, nullable=False, server_default=sa.false())

    app2 = dev_app(make_app, renamed)
    r = run(app2, "migrate", "dev", "--name", "x", "--rename", "todos.title=lable")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: --rename todos.title=lable: the changes do not drop column todos.title and add "
        "lable (probable renames here: todos.title)"
    )
    assert not (tmp_path / "migrations" / "0002_x.sql").exists()


def test_badly_named_file_is_refused(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "init").exit_code == 0
    (tmp_path / "migrations" / "0003_AddIndex.sql").write_text("SELECT 1;")
    r = run(app, "status")
    assert r.exit_code == 1
    assert "0003_AddIndex.sql: migration file names are NNNN_name.sql" in r.output
