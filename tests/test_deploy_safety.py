"""Safe deploys: each refusal with its exact message and exit code, drift, the team
workflow, baseline, reset, resolve, locks held by someone else."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import models
from tests.helpers import AppFactory, dev_app, run
from tests.oracle import expected_sqlite, reflect
from vertz_engine import Project


def _status(app) -> dict:  # type: ignore[no-untyped-def,type-arg]
    r = run(app, "status", "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)  # type: ignore[no-any-return]


# -- drift ---------------------------------------------------------------------------------


def test_live_drift_is_reported(make_app_on, fresh_url: Callable[[], str]) -> None:
    factory = make_app_on(fresh_url())
    app = factory(models.v3, VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    st = _status(app)
    assert st["db_drift"] == [], st["db_drift"]
    assert (
        st["db_drift_basis"] == "unchanged since flask-vertz last changed it (catalog fingerprint)"
    )
    with factory.engine(app).begin() as conn:
        conn.execute(sa.text("ALTER TABLE todos ADD COLUMN sneaky INTEGER"))
    st = _status(app)
    assert any("sneaky" in d for d in st["db_drift"]), st["db_drift"]
    assert run(app, "status", "--exit-code").exit_code == 2


# -- failures ------------------------------------------------------------------------------


BAD = "ALTER TABLE todos ADD COLUMN a INTEGER;\n\nALTER TABLE no_such_table ADD COLUMN b INTEGER;\n"


def _write_bad_file(app, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    from vertz_engine.files import migration_file

    path = tmp_path / "migrations" / "0002_bad.sql"
    path.write_text(migration_file.render("0002_bad", [BAD], ["SELECT 1"]))
    return path


def test_failed_migration_on_a_transactional_database_changes_nothing(
    make_app_on, fresh_url: Callable[[], str], dialect_kind: str, tmp_path: Path
) -> None:
    if dialect_kind == "mysql":
        pytest.skip("MySQL DDL is not transactional: see the next test")
    factory = make_app_on(fresh_url())
    dev = factory(models.v1, VERTZ_AUTO_APPLY=False)
    assert run(dev, "migrate", "dev", "--name", "init").exit_code == 0
    before = reflect(factory.engine(dev))
    _write_bad_file(dev, tmp_path)
    r = run(dev, "migrate", "deploy")
    assert r.exit_code == 1
    assert r.output.startswith("applying 0002_bad ...\nError: 0002_bad: statement 2 of 2 failed: ")
    assert "ALTER TABLE no_such_table ADD COLUMN b INTEGER;" in r.output
    assert reflect(factory.engine(dev)) == before
    assert [a["name"] for a in _status(dev)["applied"]] == ["0001_init"]


def test_failed_migration_on_mysql_is_recorded_and_resolved(
    make_app_on, mysql_url: str, tmp_path: Path
) -> None:
    factory = make_app_on(mysql_url)
    app = factory(models.v1, VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    path = _write_bad_file(app, tmp_path)
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert "0002_bad: statement 2 of 2 failed" in r.output
    assert (
        "1 of 2 statement(s) before it were applied and stay applied (MySQL/MariaDB cannot "
        "roll back DDL); it is recorded as failed. Finish or undo them by hand, then run "
        "`flask vertz-db resolve 0002_bad --applied|--rolled-back`." in r.output
    )
    st = _status(app)
    assert [(f["name"], f["status"], f["statements_done"]) for f in st["failed"]] == [
        ("0002_bad", "failed", 1)
    ]
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: 0002_bad failed after 1 of 2 statement(s) and is recorded as failed; no further "
        "migration runs until it is resolved. Check the database: if you finished its statements "
        "by hand run `flask vertz-db resolve 0002_bad --applied`; if you undid them run "
        "`flask vertz-db resolve 0002_bad --rolled-back`."
    )
    # undo by hand, fix the file, re-sign it, resolve, deploy
    with factory.engine(app).begin() as conn:
        conn.execute(sa.text("ALTER TABLE todos DROP COLUMN a"))
    path.write_text(path.read_text().replace("no_such_table", "todos"))
    assert run(app, "migrate", "sign", "0002_bad").exit_code == 0
    r = run(app, "resolve", "0002_bad", "--rolled-back")
    assert r.exit_code == 0, r.output
    assert "0002_bad: was failed after 1 statement(s); now recorded as rolled-back" in r.output
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    cols = {c["name"] for c in sa.inspect(factory.engine(app)).get_columns("todos")}
    assert {"a", "b"} <= cols


def test_no_transaction_file_on_postgres(make_app_on, postgres_url: str, tmp_path: Path) -> None:
    from vertz_engine.files import migration_file

    factory = make_app_on(postgres_url)
    app = factory(models.v1, VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    body = "-- vertz:no-transaction\nCREATE INDEX CONCURRENTLY ix_title ON todos (title);\n"
    (tmp_path / "migrations" / "0002_concurrently.sql").write_text(
        migration_file.render("0002_concurrently", [body], ["DROP INDEX CONCURRENTLY ix_title"])
    )
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    assert "ix_title" in {i["name"] for i in sa.inspect(factory.engine(app)).get_indexes("todos")}


# -- files from parallel branches ----------------------------------------------------------


def test_same_number_and_out_of_order_files(make_app: AppFactory, tmp_path: Path) -> None:
    from vertz_engine.files import migration_file

    app = dev_app(make_app, models.v1)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    mig = tmp_path / "migrations"
    # "mine" was created later (the newer file), "theirs" first: mine is renumbered
    (mig / "0002_mine.sql").write_text(
        migration_file.render(
            "0002_mine",
            ["CREATE TABLE mine (id INTEGER)"],
            ["DROP TABLE mine"],
            created=datetime(2026, 2, 2, tzinfo=timezone.utc),
        )
    )
    (mig / "0002_theirs.sql").write_text(
        migration_file.render(
            "0002_theirs",
            ["CREATE TABLE theirs (id INTEGER)"],
            ["DROP TABLE theirs"],
            created=datetime(2026, 2, 1, tzinfo=timezone.utc),
        )
    )
    assert _status(app)["duplicate_numbers"] == [["0002_mine", "0002_theirs"]]
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: 0002_mine.sql and 0002_theirs.sql have the same number (files from parallel "
        "branches?). Renumber the newer one (created 2026-02-02T00:00:00Z) after the last file: "
        "git mv migrations/0002_mine.sql migrations/0003_mine.sql. First check that no database "
        "has applied 0002_mine: run `flask vertz-db status` against each database (production "
        "too); a database that lists it under Applied refuses the renamed file (roll it back "
        "there first, or renumber the other file instead)."
    )
    (mig / "0002_mine.sql").rename(mig / "0003_mine.sql")
    assert run(app, "migrate", "deploy").exit_code == 0


def test_out_of_order_needs_a_flag(make_app: AppFactory, tmp_path: Path) -> None:
    from vertz_engine.files import migration_file

    app = dev_app(make_app, models.v1)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    mig = tmp_path / "migrations"
    (mig / "0003_later.sql").write_text(
        migration_file.render(
            "0003_later", ["CREATE TABLE later (id INTEGER)"], ["DROP TABLE later"]
        )
    )
    assert run(app, "migrate", "deploy").exit_code == 0
    (mig / "0002_branch.sql").write_text(
        migration_file.render(
            "0002_branch", ["CREATE TABLE branch (id INTEGER)"], ["DROP TABLE branch"]
        )
    )
    assert [o["name"] for o in _status(app)["out_of_order"]] == ["0002_branch"]
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: 0002_branch is pending but 0003_later (a later number) is already applied: files "
        "from parallel branches? Apply it out of order with `flask vertz-db migrate deploy "
        "--allow-out-of-order`, or renumber it after the last file (git mv "
        "migrations/0002_branch.sql migrations/0004_branch.sql). First check that no database "
        "has applied 0002_branch: run `flask vertz-db status` against each database (production "
        "too); a database that lists it under Applied refuses the renamed file (roll it back "
        "there first, or renumber the other file instead)."
    )
    r = run(app, "migrate", "deploy", "--allow-out-of-order")
    assert r.exit_code == 0, r.output
    assert "applied 0002_branch" in r.output


# -- the production guard ------------------------------------------------------------------


DEVELOPMENT_HINT = (
    "(development is `flask --debug ...` (or FLASK_DEBUG=1), or VERTZ_ENV=development)"
)


def test_production_guard(make_app: AppFactory, tmp_path: Path) -> None:
    from vertz_engine.files import migration_file

    app = dev_app(make_app, models.v1)
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    prod = make_app(models.v2, VERTZ_ENV="production")
    assert sa.inspect(make_app.engine(prod)).get_table_names() == []  # boot changed nothing
    r = run(prod, "push")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: refusing to change the schema directly in production "
        "(VERTZ_ENV=production in the app config); "
        "generate a migration with `flask vertz-db migrate dev` and apply it with "
        "`flask vertz-db migrate deploy`\n" + DEVELOPMENT_HINT
    )
    r = run(prod, "reset", "--yes")
    assert r.exit_code == 1
    assert (
        r.output.strip()
        == "Error: refusing to reset a production database (VERTZ_ENV=production in the app config)"
        "\n" + DEVELOPMENT_HINT
    )
    assert run(prod, "migrate", "deploy").exit_code == 0
    # a hand-written DROP TABLE is destructive too, with no generator note
    (tmp_path / "migrations" / "0002_cleanup.sql").write_text(
        migration_file.render("0002_cleanup", ["DROP TABLE todos"], ["SELECT 1"])
    )
    r = run(prod, "migrate", "deploy")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: refusing to apply destructive changes in production without --force"
        " (VERTZ_ENV=production in the app config):\n"
        "  0002_cleanup.sql line 5 (statement 1): drop table todos (its rows are lost)"
    )
    r = run(prod, "migrate", "deploy", "--force")
    assert r.exit_code == 0, r.output
    r = run(prod, "migrate", "dev", "--name", "x")
    assert r.exit_code == 1
    assert "`migrate dev` is for development" in r.output


# -- the team workflow ---------------------------------------------------------------------


def _teammate_adds_priority(make_app: AppFactory) -> None:
    """A teammate's migrate dev in the shared folder: file 0002 and the snapshot."""
    app = dev_app(make_app, models.v2)
    assert run(app, "migrate", "dev", "--name", "add_priority", "--create-only").exit_code == 0


@pytest.mark.parametrize("order", ["boot then deploy", "deploy then boot"])
def test_team_workflow(make_app_on, tmp_path: Path, order: str) -> None:
    mine = make_app_on(f"sqlite:///{tmp_path / 'mine.db'}")
    app = mine(models.v1, VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    _teammate_adds_priority(make_app_on(f"sqlite:///{tmp_path / 'theirs.db'}"))
    # I pull their models and files
    if order == "boot then deploy":
        booted = mine(models.v2)
        r = run(booted, "migrate", "deploy")
        assert r.exit_code == 0, r.output
        assert "recorded 0002_add_priority as applied" in r.output
    else:
        r = run(mine(models.v2, VERTZ_AUTO_APPLY=False), "migrate", "deploy")
        assert r.exit_code == 0, r.output
        assert "applied 0002_add_priority" in r.output
        booted = mine(models.v2)
    st = _status(booted)
    assert [a["name"] for a in st["applied"]] == ["0001_init", "0002_add_priority"]
    assert st["pending"] == [] and st["model_changes"] == [] and st["db_drift"] == []
    assert reflect(mine.engine(booted)) == expected_sqlite(models.v2, tmp_path)


# -- baseline, reset, locks ----------------------------------------------------------------


def test_baseline_adopts_an_existing_database(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v2)
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    models.metadata_of(models.v2).create_all(make_app.engine(app))  # built by something else
    r = run(app, "baseline")
    assert r.exit_code == 0, r.output
    assert "recorded 0001_init as applied (not run)" in r.output
    st = _status(app)
    assert st["pending"] == [] and st["db_drift"] == []
    assert run(app, "baseline").output.strip() == "Every file is already recorded."


def test_reset_needs_confirmation_and_rebuilds(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v2)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    with make_app.engine(app).begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title) VALUES ('x')"))
        conn.execute(sa.text("CREATE TABLE stray (id INTEGER)"))
    r = run(app, "reset")
    assert r.exit_code == 2
    assert "pass --yes to confirm (there is no terminal to ask on)" in r.output
    r = run(app, "reset", "--yes")
    assert r.exit_code == 0, r.output
    engine = make_app.engine(app)
    assert reflect(engine) == expected_sqlite(models.v2, tmp_path)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM todos")).scalar() == 0


def test_lock_held_elsewhere_says_who(
    make_app_on, fresh_url: Callable[[], str], dialect_kind: str
) -> None:
    if dialect_kind == "sqlite":
        pytest.skip("SQLite's lock is the transaction: see test_boot (a locked SQLite database)")
    url = fresh_url()
    factory = make_app_on(url)
    app = factory(models.v1, VERTZ_AUTO_APPLY=False, VERTZ_LOCK_TIMEOUT=0.5)
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    holder = sa.create_engine(url)
    from vertz_engine.db.database import PG_LOCK_KEY

    with holder.connect() as conn:
        if dialect_kind == "postgres":
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({PG_LOCK_KEY})")
            who = "it is held by PostgreSQL backend pid"
        else:
            db = conn.exec_driver_sql("SELECT DATABASE()").scalar()
            conn.exec_driver_sql(f"SELECT GET_LOCK('vertz_{db}', 1)")
            who = "it is held by MySQL connection"
        r = run(app, "migrate", "deploy")
        assert r.exit_code == 1
        assert r.output.startswith(
            "Error: could not take the migration lock within 0.5s (VERTZ_LOCK_TIMEOUT); " + who
        ), r.output
    holder.dispose()
    assert run(app, "migrate", "deploy").exit_code == 0  # released: works again


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
