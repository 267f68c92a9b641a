"""True bookkeeping (issue 9): nothing applied twice, records that agree with the database,
recovery from half-finished rollbacks, one owner of transaction modes, lock timeouts that
are not failures, and SQLite's foreign key check limited to what a change introduced.

Every step goes through the real CLI on a real database; after each step the schema is
compared with what ``create_all`` builds (the oracle) and the history with the database.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from tests import models
from tests.helpers import AppFactory, dev_app, run
from tests.models import variant
from tests.oracle import expected, expected_sqlite, reflect
from vertz_engine import Project
from vertz_engine.errors import VertzError
from vertz_engine.files import migration_file

DEV = {"VERTZ_ENV": "development"}


def _status(app: Flask) -> dict[str, Any]:
    r = run(app, "status", "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)  # type: ignore[no-any-return]


def _applied(app: Flask) -> list[str]:
    st = _status(app)
    assert st["failed"] == [], st["failed"]
    return [a["name"] for a in st["applied"]]


def _write(tmp_path: Path, name: str, up: str, down: str = "SELECT 1", **kw: Any) -> Path:
    path = tmp_path / "migrations" / f"{name}.sql"
    path.write_text(migration_file.render(name, [up], [down], **kw))
    return path


def _scalar(engine: sa.Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def _todos(
    *, title: str = "title", title_nullable: bool = False, legacy: bool = False
) -> Callable[[SQLAlchemy], None]:
    """Variants of ``models.v2``: the title renamed or nullable, a ``legacy`` column."""

    def declare(db: SQLAlchemy) -> None:
        columns: dict[str, Any] = {
            "__tablename__": "todos",
            "id": sa.Column(sa.Integer, primary_key=True),
            title: sa.Column(sa.String(200), nullable=title_nullable),
            "done": sa.Column(sa.Boolean, nullable=False, server_default=sa.false()),
            "priority": sa.Column(sa.Integer, nullable=True),
        }
        if legacy:
            columns["legacy"] = sa.Column(sa.Integer, nullable=True, index=True)
        type("Todo", (db.Model,), columns)

    return declare


v2_renamed = _todos(title="todo_title")
v2_legacy = _todos(legacy=True)  # what a hand-written file adding ``legacy`` leaves
v2_nullable_title = _todos(title_nullable=True)


# -- 1. a file's identity: its header name and checksum ------------------------------------


def test_renamed_or_copied_applied_file_is_refused_never_applied_twice(
    make_app_on, fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    factory = make_app_on(fresh_url())
    app = factory(models.v2, VERTZ_AUTO_APPLY=False, **DEV)
    engine = factory.engine(app)
    oracle = expected(models.v2, fresh_url())
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title, priority) VALUES ('a', 3)"))
    mig = tmp_path / "migrations"
    _write(tmp_path, "0002_cents", "UPDATE todos SET priority = priority * 100")
    assert run(app, "migrate", "deploy").exit_code == 0
    assert _scalar(engine, "SELECT priority FROM todos") == 300
    applied_at = _status(app)["applied"][1]["applied_at"]

    # a copy under a new number
    (mig / "0003_cents.sql").write_bytes((mig / "0002_cents.sql").read_bytes())
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: 0003_cents.sql is a copy of applied migration 0002_cents (its header says "
        f"-- Migration: 0002_cents), applied {applied_at}; it was not applied again. Delete "
        "migrations/0003_cents.sql (a copy); a new change needs a new migration (`flask "
        "vertz-db migrate dev --name ...`)."
    )
    # a copy whose header was changed too: the checksum still says what it is
    text = (
        (mig / "0003_cents.sql")
        .read_text()
        .replace("-- Migration: 0002_cents", "-- Migration: 0003_cents")
    )
    (mig / "0003_cents.sql").write_text(text)
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert (
        "0003_cents.sql is a copy of applied migration 0002_cents (its checksum is the one "
        in r.output
    )
    (mig / "0003_cents.sql").unlink()

    # renamed (renumbered) after it was applied
    (mig / "0002_cents.sql").rename(mig / "0004_cents.sql")
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: 0004_cents.sql is renamed from applied migration 0002_cents (its header says "
        f"-- Migration: 0002_cents), applied {applied_at}; it was not applied again. Rename it "
        "back: git mv migrations/0004_cents.sql migrations/0002_cents.sql."
    )
    assert _status(app)["applied_elsewhere"] == [{"name": "0004_cents", "applied_as": "0002_cents"}]
    assert _scalar(engine, "SELECT priority FROM todos") == 300  # never twice
    assert reflect(engine) == oracle
    (mig / "0004_cents.sql").rename(mig / "0002_cents.sql")
    assert run(app, "migrate", "deploy").exit_code == 0
    assert _applied(app) == ["0001_init", "0002_cents"]
    assert _scalar(engine, "SELECT priority FROM todos") == 300

    # a database where it was never applied runs the renamed file once
    other = make_app_on(fresh_url())(models.v2, VERTZ_AUTO_APPLY=False, **DEV)
    (mig / "0002_cents.sql").rename(mig / "0004_cents.sql")
    r = run(other, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    assert _applied(other) == ["0001_init", "0004_cents"]


# -- 2. state is always true -----------------------------------------------------------------


HAND_EXTRAS = {
    "sqlite": [
        "ALTER TABLE todos ADD COLUMN legacy INTEGER",
        "CREATE INDEX ix_todos_legacy ON todos (legacy)",
    ],
    "postgres": [
        "ALTER TABLE todos ADD COLUMN legacy INTEGER",
        "CREATE INDEX ix_todos_legacy ON todos (legacy)",
    ],
    "mysql": [
        "ALTER TABLE todos ADD COLUMN legacy INTEGER",
        "CREATE INDEX ix_todos_legacy ON todos (legacy)",
    ],
}


def test_after_a_hand_written_file_boot_never_drops(
    make_app_on, fresh_url: Callable[[], str], dialect_kind: str, tmp_path: Path
) -> None:
    url = fresh_url()
    factory = make_app_on(url)
    app = factory(models.v2, VERTZ_AUTO_APPLY=False, **DEV)
    engine = factory.engine(app)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    path = tmp_path / "migrations" / "0002_legacy.sql"
    path.write_text(migration_file.render("0002_legacy", HAND_EXTRAS[dialect_kind], ["SELECT 1"]))
    assert run(app, "migrate", "deploy").exit_code == 0
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title, legacy) VALUES ('a', 7)"))
    oracle = expected(v2_legacy, fresh_url())
    assert reflect(engine) == oracle
    # the next development boot, models unchanged: nothing the file made is dropped
    booted = factory(models.v2, **DEV)
    assert reflect(engine) == oracle
    assert _scalar(engine, "SELECT legacy FROM todos") == 7
    assert _applied(booted) == ["0001_init", "0002_legacy"]
    # and status says how the database differs from the files
    st = _status(booted)
    assert "column todos.legacy is in the database but not expected" in st["db_drift"]


def test_unknown_state_keeps_renames(
    make_app_on, fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    factory = make_app_on(fresh_url())
    app = factory(models.v2, VERTZ_AUTO_APPLY=False, **DEV)
    engine = factory.engine(app)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title) VALUES ('kept')"))
        conn.execute(sa.text("DELETE FROM _vertz_state"))  # no record of the schema
    booted = factory(v2_renamed, **DEV)
    assert reflect(engine) == expected(v2_renamed, fresh_url())
    assert _scalar(engine, "SELECT todo_title FROM todos") == "kept"
    assert _applied(booted) == ["0001_init"]


def test_unknown_state_on_sqlite_keeps_triggers_and_views(make_app_on, tmp_path: Path) -> None:
    factory = make_app_on(f"sqlite:///{tmp_path / 'app.db'}")
    app = factory(models.v2, VERTZ_AUTO_APPLY=False, **DEV)
    engine = factory.engine(app)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    path = tmp_path / "migrations" / "0002_audit.sql"
    path.write_text(
        migration_file.render(
            "0002_audit",
            [
                "CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT)",
                "CREATE TRIGGER todos_audit AFTER INSERT ON todos BEGIN "
                "INSERT INTO audit (what) VALUES (NEW.title); END",
                "CREATE VIEW open_todos AS SELECT id, title FROM todos WHERE NOT done",
            ],
            ["DROP VIEW open_todos", "DROP TRIGGER todos_audit", "DROP TABLE audit"],
        )
    )
    assert run(app, "migrate", "deploy").exit_code == 0
    # models change in a way SQLite would rebuild the table for
    booted = factory(v2_nullable_title, **DEV)
    with engine.connect() as conn:
        names = {r[0] for r in conn.execute(sa.text("SELECT name FROM sqlite_master"))}
    assert {"todos_audit", "open_todos"} <= names
    # a migration carries the change (its rebuild keeps triggers and views)
    r = run(
        factory(v2_nullable_title, VERTZ_AUTO_APPLY=False, **DEV),
        "migrate",
        "dev",
        "--name",
        "nullable",
    )
    assert r.exit_code == 0, r.output
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title) VALUES (NULL)"))
        conn.execute(sa.text("INSERT INTO todos (title) VALUES ('x')"))
        assert conn.execute(sa.text("SELECT COUNT(*) FROM audit")).scalar() == 2
        assert conn.execute(sa.text("SELECT COUNT(*) FROM open_todos")).scalar() == 2
    md = models.metadata_of(v2_nullable_title)
    oracle_engine = sa.create_engine(f"sqlite:///{tmp_path / 'oracle.db'}")
    md.create_all(oracle_engine)
    with oracle_engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT)"))
    assert reflect(engine) == reflect(oracle_engine)
    oracle_engine.dispose()
    assert _applied(booted) == ["0001_init", "0002_audit", "0003_nullable"]


# -- 3. a failed rollback where DDL is not transactional -----------------------------------


ROLLBACK_CASE = {
    "postgres": (
        "-- vertz:no-transaction\nALTER TABLE todos ADD COLUMN a INTEGER;\n\n"
        "ALTER TABLE todos ADD COLUMN b INTEGER;",
        "ALTER TABLE todos DROP COLUMN b;\n\nDROP INDEX ix_hand;\n\n"
        "ALTER TABLE todos DROP COLUMN a;",
        "CREATE INDEX ix_hand ON todos (a)",
    ),
    "mysql": (
        "ALTER TABLE todos ADD COLUMN a INTEGER;\n\nALTER TABLE todos ADD COLUMN b INTEGER;",
        "ALTER TABLE todos DROP COLUMN b;\n\nDROP INDEX ix_hand ON todos;\n\n"
        "ALTER TABLE todos DROP COLUMN a;",
        "CREATE INDEX ix_hand ON todos (a)",
    ),
}


def test_failed_rollback_is_recorded_and_rollback_again_finishes_it(
    make_app_on, fresh_url: Callable[[], str], dialect_kind: str, tmp_path: Path
) -> None:
    if dialect_kind == "sqlite":
        pytest.skip("SQLite rolls a failed rollback back whole: nothing is half done")
    up, down, fix = ROLLBACK_CASE[dialect_kind]
    factory = make_app_on(fresh_url())
    app = factory(models.v1, VERTZ_AUTO_APPLY=False, **DEV)
    engine = factory.engine(app)
    oracle = expected(models.v1, fresh_url())
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    (tmp_path / "migrations" / "0002_ab.sql").write_text(
        migration_file.render("0002_ab", [up], [down])
    )
    assert run(app, "migrate", "deploy").exit_code == 0
    assert _applied(app) == ["0001_init", "0002_ab"]
    why = (
        "MySQL/MariaDB cannot roll back DDL"
        if dialect_kind == "mysql"
        else "the file is marked -- vertz:no-transaction"
    )
    r = run(app, "rollback")
    assert r.exit_code == 1
    assert "Error: 0002_ab (rollback): statement 2 of 3 failed: " in r.output
    assert r.output.strip().endswith(
        f"1 of 3 rollback statement(s) ran and stay applied ({why}); 0002_ab is recorded as "
        "rollback_failed. Fix the cause and run `flask vertz-db rollback` again to run the "
        "rest, or finish it by hand and run `flask vertz-db resolve 0002_ab "
        "--applied|--rolled-back`."
    ), r.output
    st = _status(app)
    assert [(f["name"], f["status"], f["statements_done"]) for f in st["failed"]] == [
        ("0002_ab", "rollback_failed", 1)
    ]
    message = (
        "the rollback of 0002_ab failed after 1 of 3 rollback statement(s) and is recorded as "
        "rollback_failed: the schema is half rolled back, so no migration runs and boot "
        "changes nothing until it is finished. Run `flask vertz-db rollback` again to run the "
        "remaining rollback statements (after fixing what made it fail), or fix the database "
        "by hand and run `flask vertz-db resolve 0002_ab --rolled-back` (you finished the "
        "rollback) or `flask vertz-db resolve 0002_ab --applied` (you re-did what it undid)."
    )
    # boot never says "unchanged" over it; deploy refuses
    with pytest.raises(VertzError) as err:
        factory(models.v1, **DEV)
    assert str(err.value) == message
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1 and r.output.strip() == f"Error: {message}"
    # fix the cause, roll back again: the remaining statements run
    with engine.begin() as conn:
        conn.execute(sa.text(fix))
    r = run(app, "rollback")
    assert r.exit_code == 0, r.output
    assert "rolled back 0002_ab" in r.output
    assert reflect(engine) == oracle
    assert _applied(app) == ["0001_init"]
    assert _status(app)["db_drift"] == []
    booted = factory(models.v1, **DEV)
    assert reflect(engine) == oracle and _applied(booted) == ["0001_init"]


# -- 4. a development deploy of a file whose schema boot already made ------------------------


def test_recorded_file_still_runs_its_data_statements(
    make_app_on, fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    theirs = make_app_on(fresh_url())(models.v1, VERTZ_AUTO_APPLY=False, **DEV)
    assert run(theirs, "migrate", "dev", "--name", "init").exit_code == 0
    mine = make_app_on(fresh_url())
    app = mine(models.v1, VERTZ_AUTO_APPLY=False, **DEV)
    engine = mine.engine(app)
    assert run(app, "migrate", "deploy").exit_code == 0
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title) VALUES ('a')"))
    # a teammate's next file: add priority, then fill it
    theirs2 = make_app_on(fresh_url())(models.v2, VERTZ_AUTO_APPLY=False, **DEV)
    assert run(theirs2, "migrate", "dev", "--name", "priority", "--create-only").exit_code == 0
    path = tmp_path / "migrations" / "0002_priority.sql"
    text = path.read_text().replace(
        "\n-- @rollback", "UPDATE todos SET priority = 5 WHERE priority IS NULL;\n\n-- @rollback"
    )
    path.write_text(text)
    assert run(theirs2, "migrate", "sign", "0002_priority").exit_code == 0
    # I pull their models and file; my boot makes the column
    booted = mine(models.v2, **DEV)  # boot adds the column
    assert _scalar(engine, "SELECT priority FROM todos") is None
    r = run(booted, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == (
        "recorded 0002_priority as applied (the database already had its schema; its 1 data "
        "statement(s) ran)"
    )
    assert _scalar(engine, "SELECT priority FROM todos") == 5
    assert reflect(engine) == expected(models.v2, fresh_url())
    st = _status(booted)
    assert [a["name"] for a in st["applied"]] == ["0001_init", "0002_priority"]
    assert st["applied"][1]["note"] == "schema already matched; its 1 data statement(s) were run"
    assert st["db_drift"] == [] and st["pending"] == []


# -- 5. one owner of "does this run in a transaction" --------------------------------------


def test_sqlite_no_transaction_file_fails_whole_and_says_so(make_app_on, tmp_path: Path) -> None:
    factory = make_app_on(f"sqlite:///{tmp_path / 'app.db'}")
    app = factory(models.v1, VERTZ_AUTO_APPLY=False, **DEV)
    engine = factory.engine(app)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    before = reflect(engine)
    path = _write(
        tmp_path,
        "0002_bad",
        "-- vertz:no-transaction\nALTER TABLE todos ADD COLUMN a INTEGER;\n\n"
        "ALTER TABLE nope ADD COLUMN b INTEGER;",
    )
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert r.output == (
        "applying 0002_bad ...\nError: 0002_bad: statement 2 of 2 failed: no such table: nope\n"
        "    ALTER TABLE nope ADD COLUMN b INTEGER;\n"
    )
    assert reflect(engine) == before
    assert _applied(app) == ["0001_init"]
    assert [p["name"] for p in _status(app)["pending"]] == ["0002_bad"]
    from vertz_engine.files.txmode import run_mode  # the one owner of the decision

    f = migration_file.parse(path)
    assert run_mode("sqlite", f).transactional
    assert not run_mode("postgresql", f).transactional


# -- 6. a lock timeout that applied nothing is "not applied, retry" --------------------------


def _with_lock_timeout(url: str, dialect_kind: str) -> str:
    u = sa.make_url(url)
    if dialect_kind == "postgres":
        u = u.update_query_dict({"options": "-c lock_timeout=300"})
    else:
        u = u.update_query_dict({"init_command": "SET SESSION lock_wait_timeout=1"})
    return u.render_as_string(hide_password=False)


def test_lock_timeout_is_not_a_failure(
    make_app_on, fresh_url: Callable[[], str], dialect_kind: str, tmp_path: Path
) -> None:
    if dialect_kind == "sqlite":
        pytest.skip("SQLite waits for its one write lock: see test_lock_held_elsewhere")
    url = fresh_url()
    factory = make_app_on(_with_lock_timeout(url, dialect_kind))
    app = factory(models.v1, VERTZ_AUTO_APPLY=False, **DEV)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    # deploy's own lock discipline off: the server's lock timeout (set in the URL) applies
    app2 = factory(models.v2, VERTZ_AUTO_APPLY=False, VERTZ_DDL_LOCK_TIMEOUT=0, **DEV)
    assert run(app2, "migrate", "dev", "--name", "priority", "--create-only").exit_code == 0
    holder = sa.create_engine(url)
    try:
        with holder.connect() as conn:
            conn.execute(sa.text("SELECT * FROM todos")).all()  # an open transaction holds it
            r = run(app2, "migrate", "deploy")
            assert r.exit_code == 1
            assert r.output.startswith(
                "applying 0002_priority ...\nError: 0002_priority: statement 1 of 1 failed: "
            ), r.output
            assert r.output.strip().endswith(
                "Not applied, retry: the statement waited for a lock longer than the lock "
                "timeout, so nothing of 0002_priority was applied and nothing is recorded (no "
                "resolve needed). Run `flask vertz-db migrate deploy` again once the "
                "transaction holding the lock has finished."
            ), r.output
            st = _status(app2)
            assert st["failed"] == []
            assert [p["name"] for p in st["pending"]] == ["0002_priority"]
            conn.rollback()
    finally:
        holder.dispose()
    engine = factory.engine(app2)
    assert reflect(engine) == expected(models.v1, fresh_url())
    r = run(app2, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    assert _applied(app2) == ["0001_init", "0002_priority"]
    assert reflect(engine) == expected(models.v2, fresh_url())


# -- 7. SQLite: orphans that were there before do not block ---------------------------------


def test_sqlite_foreign_key_check_reports_only_new_violations(make_app_on, tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    factory = make_app_on(f"sqlite:///{db}")
    app = factory(models.v3, VERTZ_AUTO_APPLY=False, **DEV)
    engine = factory.engine(app)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    raw = sqlite3.connect(db)  # foreign keys off: SQLite's default
    raw.execute("INSERT INTO projects (id, name) VALUES (1, 'p')")
    raw.execute("INSERT INTO todos (title, project_id) VALUES ('ok', 1)")
    raw.execute("INSERT INTO todos (title, project_id) VALUES ('orphan', 99)")
    raw.commit()
    raw.close()
    oracle = expected(models.v3, f"sqlite:///{tmp_path / 'oracle.db'}")
    # a change to the table with the old orphan, and an unrelated one: both go through
    _write(tmp_path, "0002_touch", "UPDATE todos SET done = 1 WHERE title = 'ok'")
    _write(tmp_path, "0003_other", "UPDATE projects SET name = 'q'")
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    assert reflect(engine) == oracle
    # boot with a model change that rebuilds todos: the orphan was there before
    booted = factory(v3_nullable_title, **DEV)
    assert _scalar(engine, "SELECT COUNT(*) FROM todos") == 2
    assert reflect(engine) == expected(v3_nullable_title, f"sqlite:///{tmp_path / 'o2.db'}")
    # a change that makes a new orphan is still refused, and changes nothing
    _write(tmp_path, "0004_delete", "DELETE FROM projects WHERE id = 1")
    r = run(factory(v3_nullable_title, VERTZ_AUTO_APPLY=False, **DEV), "migrate", "deploy")
    assert r.exit_code == 1
    assert r.output == (
        "applying 0004_delete ...\nError: foreign key check failed: 1 row(s) point nowhere "
        "(first: todos rowid 1 -> projects); nothing was changed\n"
    )
    assert _scalar(engine, "SELECT COUNT(*) FROM projects") == 1
    assert _applied(booted) == ["0001_init", "0002_touch", "0003_other"]


v3_nullable_title = variant("v3", title=lambda: sa.Column(sa.String(300), nullable=True))
with_note = variant("v2", note=lambda: sa.Column(sa.String(100)))
with_note_and_tag = variant(
    "v2", note=lambda: sa.Column(sa.String(100)), tag=lambda: sa.Column(sa.String(20))
)


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
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
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
