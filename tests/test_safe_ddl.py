"""Safe DDL (issue 12): steps inside a file, the safe forms generated for tables that
already exist, deploys that resume in a step, on real PostgreSQL and MariaDB."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from bench.stall import Writer
from tests.helpers import run
from tests.oracle import expected, reflect

ROWS = 200_000


def _models(
    *,
    index: bool = False,
    unique: bool = False,
    fk: bool = False,
    check: bool = False,
    not_null: bool = False,
    fk_column: bool = False,
) -> Any:
    def define(db: SQLAlchemy) -> None:
        class Parent(db.Model):  # type: ignore[name-defined]
            __tablename__ = "parents"
            id = sa.Column(sa.Integer, primary_key=True)

        args: list[Any] = []
        if unique:
            args.append(sa.UniqueConstraint("code", name="uq_items_code"))
        if check:
            args.append(sa.CheckConstraint("n >= 0", name="ck_items_n"))
        if fk:
            args.append(sa.ForeignKeyConstraint(["parent_id"], ["parents.id"], name="fk_items_p"))

        class Item(db.Model):  # type: ignore[name-defined]
            __tablename__ = "items"
            __table_args__ = tuple(args)
            id = sa.Column(sa.Integer, primary_key=True)
            n = sa.Column(sa.Integer, nullable=not not_null, index=index)
            code = sa.Column(sa.Integer)
            parent_id = sa.Column(sa.Integer)
            if fk_column:
                owner_id = sa.Column(sa.Integer, sa.ForeignKey("parents.id"))

    return define


def _dev(factory: Any, models_fn: Any, name: str, *extra: str) -> Any:
    app = factory(models_fn, VERTZ_AUTO_APPLY=False)
    r = run(app, "migrate", "dev", "--name", name, *extra)
    assert r.exit_code == 0, r.output
    return app


def _fill(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO parents (id) VALUES (1)")
        conn.exec_driver_sql(
            f"INSERT INTO items (id, n, code, parent_id) SELECT g, mod(g, 100), g, 1 "
            f"FROM generate_series(1, {ROWS}) g"
        )
        conn.exec_driver_sql("ANALYZE items")


def _up_sql(tmp_path: Path, stem: str) -> str:
    text = next((tmp_path / "migrations").glob(f"*_{stem}.sql")).read_text()
    return text.split("-- @rollback")[0]


def _plain_stall(url: str, statements: list[str]) -> float:
    """The writers' stall while the plain form runs in one transaction (rolled back)."""
    engine = sa.create_engine(url)
    with Writer(url, ROWS) as writer:
        with engine.connect() as conn:
            for s in statements:
                conn.exec_driver_sql(s)
            conn.rollback()
    engine.dispose()
    return writer.longest


PLAIN = {
    "index": ["CREATE INDEX ix_items_n ON items (n)"],
    "unique": ["ALTER TABLE items ADD CONSTRAINT uq_items_code UNIQUE (code)"],
}


@pytest.mark.parametrize("kind", ["index", "unique"])
def test_safe_form_stalls_writers_far_less_than_the_plain_form(
    make_app_on: Any, postgres_url: str, tmp_path: Path, kind: str
) -> None:
    factory = make_app_on(postgres_url)
    app = _dev(factory, _models(), "init")
    engine = factory.engine(app)
    _fill(engine)
    plain = _plain_stall(postgres_url, PLAIN[kind])
    new_models = _models(**{kind: True})
    app = _dev(factory, new_models, "change", "--create-only")
    assert "CONCURRENTLY" in _up_sql(tmp_path, "change")
    with Writer(postgres_url, ROWS) as writer:
        r = run(app, "migrate", "deploy")
        assert r.exit_code == 0, r.output
    safe = writer.longest
    assert plain >= 3 * safe, (plain, safe)
    engine.dispose()
    assert reflect(factory.engine(app)) == _oracle(new_models)


def _oracle(models_fn: Any, kind: str = "postgres") -> dict[str, Any]:
    """What ``create_all()`` builds for the models on a fresh database of ``kind``."""
    from tests.conftest import _server_db

    env = {"postgres": "VERTZ_TEST_POSTGRES_URL", "mysql": "VERTZ_TEST_MYSQL_URL"}[kind]
    gen = _server_db(os.environ[env], kind)
    url = next(gen)
    try:
        return expected(models_fn, url)
    finally:
        for _ in gen:
            pass


def test_generated_file_takes_the_safe_forms_and_ends_as_create_all(
    make_app_on: Any, postgres_url: str, tmp_path: Path
) -> None:
    factory = make_app_on(postgres_url)
    app = _dev(factory, _models(), "init")
    init = _up_sql(tmp_path, "init")
    assert "vertz:step" not in init and "CONCURRENTLY" not in init  # new tables stay plain
    with factory.engine(app).begin() as conn:
        conn.exec_driver_sql("INSERT INTO parents (id) VALUES (1)")
        conn.exec_driver_sql("INSERT INTO items (id, n, code, parent_id) VALUES (1, 1, 1, 1)")
    every = _models(index=True, unique=True, fk=True, check=True, not_null=True, fk_column=True)
    app = _dev(factory, every, "everything")
    up = _up_sql(tmp_path, "everything")
    for expected_sql in (
        "ALTER TABLE items ADD COLUMN owner_id INTEGER REFERENCES parents (id);",
        "ALTER TABLE items ADD CONSTRAINT items_n_not_null CHECK (n IS NOT NULL) NOT VALID;",
        "-- vertz:step\nALTER TABLE items VALIDATE CONSTRAINT items_n_not_null;",
        "-- vertz:step\nALTER TABLE items ALTER COLUMN n SET NOT NULL;\n\n"
        "ALTER TABLE items DROP CONSTRAINT items_n_not_null;",
        "-- vertz:step no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix_items_n ON items (n);",
        "-- vertz:step no-transaction\n"
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_items_code ON items (code);",
        "-- vertz:step\nALTER TABLE items ADD CONSTRAINT uq_items_code UNIQUE USING INDEX uq_items_code;",
        "CHECK (n >= 0) NOT VALID;",
        "-- vertz:step\nALTER TABLE items VALIDATE CONSTRAINT ck_items_n;",
        "FOREIGN KEY(parent_id) REFERENCES parents (id) NOT VALID;",
        "-- vertz:step\nALTER TABLE items VALIDATE CONSTRAINT fk_items_p;",
    ):
        assert expected_sql in up, up
    assert reflect(factory.engine(app)) == _oracle(every)
    with factory.engine(app).connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT status, statements_done FROM _vertz_migrations WHERE name = '0002_everything'"
        ).one()
    assert row == ("applied", up.count(";"))


def _locks(url: str, setup: list[str], statement: str) -> set[str]:
    """The lock modes ``statement`` holds on ``items``, read from pg_locks inside a
    transaction that is rolled back."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        for s in setup:
            conn.exec_driver_sql(s)
        conn.commit()
        conn.exec_driver_sql(statement)
        modes = {
            m
            for (m,) in conn.exec_driver_sql(
                "SELECT mode FROM pg_locks WHERE relation = 'items'::regclass "
                "AND pid = pg_backend_pid()"
            )
        }
        conn.rollback()
    engine.dispose()
    return modes


@pytest.mark.parametrize(
    ("setup", "plain", "safe", "locks"),
    [
        (  # foreign key: NOT VALID then VALIDATE
            [
                "ALTER TABLE items ADD CONSTRAINT fk_items_p FOREIGN KEY (parent_id) "
                "REFERENCES parents (id) NOT VALID"
            ],
            "ALTER TABLE items ADD CONSTRAINT fk2 FOREIGN KEY (parent_id) REFERENCES parents (id)",
            "ALTER TABLE items VALIDATE CONSTRAINT fk_items_p",
            {"ShareUpdateExclusiveLock", "AccessShareLock"},  # reads its rows, writes go on
        ),
        (  # CHECK and SET NOT NULL's check: NOT VALID then VALIDATE
            ["ALTER TABLE items ADD CONSTRAINT items_n_not_null CHECK (n IS NOT NULL) NOT VALID"],
            "ALTER TABLE items ADD CONSTRAINT ck2 CHECK (n IS NOT NULL)",
            "ALTER TABLE items VALIDATE CONSTRAINT items_n_not_null",
            {"ShareUpdateExclusiveLock"},
        ),
    ],
    ids=["foreign_key", "check"],
)
def test_validation_step_does_not_block_writers(
    make_app_on: Any, postgres_url: str, setup: list[str], plain: str, safe: str, locks: set[str]
) -> None:
    factory = make_app_on(postgres_url)
    app = _dev(factory, _models(), "init")
    with factory.engine(app).begin() as conn:
        conn.exec_driver_sql("INSERT INTO parents (id) VALUES (1)")
        conn.exec_driver_sql("INSERT INTO items (id, n, code, parent_id) VALUES (1, 1, 1, 1)")
    # the plain form blocks reads and writes (ACCESS EXCLUSIVE) or writes (SHARE ROW EXCLUSIVE)
    assert _locks(postgres_url, [], plain) & {"AccessExclusiveLock", "ShareRowExclusiveLock"}
    # VALIDATE takes SHARE UPDATE EXCLUSIVE (and reads): reads and writes go on
    assert _locks(postgres_url, setup, safe) == locks


STEPS = """ALTER TABLE items ADD COLUMN extra INTEGER;

-- vertz:step
INSERT INTO later (id) VALUES (1);
"""


def test_failed_step_resumes_there_without_running_earlier_steps(
    make_app_on: Any, postgres_url: str, tmp_path: Path
) -> None:
    from vertz_engine.files import migration_file

    factory = make_app_on(postgres_url)
    app = _dev(factory, _models(), "init")
    path = tmp_path / "migrations" / "0002_steps.sql"
    path.write_text(migration_file.render("0002_steps", [STEPS], ["SELECT 1"]))
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert "The next deploy resumes 0002_steps at statement 2" in r.output, r.output
    engine = factory.engine(app)
    with engine.begin() as conn:
        assert conn.exec_driver_sql(
            "SELECT status, statements_done FROM _vertz_migrations WHERE name = '0002_steps'"
        ).one() == ("failed", 1)
        conn.exec_driver_sql("CREATE TABLE later (id INTEGER)")
    r = run(app, "migrate", "deploy")  # step 1 again would fail: the column exists
    assert r.exit_code == 0, r.output
    with engine.begin() as conn:
        assert conn.exec_driver_sql(
            "SELECT status, statements_done FROM _vertz_migrations WHERE name = '0002_steps'"
        ).one() == ("applied", 2)
        assert conn.exec_driver_sql("SELECT count(*) FROM later").scalar() == 1


APP = """
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_vertz import Vertz
from tests.test_safe_ddl import _models

db = SQLAlchemy()
_models(index=True)(db)
app = Flask("killed", root_path={root!r})
app.config.update(SQLALCHEMY_DATABASE_URI={url!r}, VERTZ_ENV="production")
db.init_app(app)
Vertz().init_app(app, db)
"""


def test_sigkill_in_a_concurrent_index_step_then_deploy_finishes(
    make_app_on: Any, postgres_url: str, tmp_path: Path
) -> None:
    factory = make_app_on(postgres_url)
    app = _dev(factory, _models(), "init")
    engine = factory.engine(app)
    _fill(engine)
    _dev(factory, _models(index=True), "index", "--create-only")
    (tmp_path / "killed_app.py").write_text(APP.format(root=str(tmp_path), url=postgres_url))
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{Path(__file__).parents[1]}"}
    # an open transaction makes CREATE INDEX CONCURRENTLY wait after it has made the
    # (invalid) index: the deploy is killed there
    holder = engine.connect()
    holder.exec_driver_sql("SELECT count(*) FROM parents")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "killed_app", "vertz-db", "migrate", "deploy"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        with engine.connect() as probe:
            while time.monotonic() < deadline:
                invalid = probe.exec_driver_sql(
                    "SELECT count(*) FROM pg_index WHERE NOT indisvalid"
                ).scalar()
                if invalid:
                    break
                time.sleep(0.05)
        assert invalid, "the concurrent build never started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        holder.rollback()
        holder.close()
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid").scalar() == 0
        )
        assert (
            conn.exec_driver_sql(
                "SELECT status FROM _vertz_migrations WHERE name = '0002_index'"
            ).scalar()
            == "applied"
        )
    assert reflect(engine) == _oracle(_models(index=True))


def test_mariadb_alters_refuse_to_copy_and_end_as_create_all(
    make_app_on: Any, mysql_url: str, tmp_path: Path
) -> None:
    factory = make_app_on(mysql_url)
    app = _dev(factory, _models(), "init")
    assert "ALGORITHM" not in _up_sql(tmp_path, "init")
    new_models = _models(index=True, unique=True, fk_column=True)
    app = _dev(factory, new_models, "online")
    up = _up_sql(tmp_path, "online")
    assert "CREATE INDEX ix_items_n ON items (n) ALGORITHM=INPLACE LOCK=NONE;" in up, up
    assert (
        "ALTER TABLE items ADD CONSTRAINT uq_items_code UNIQUE (code), ALGORITHM=INPLACE, LOCK=NONE;"
        in up
    )
    assert "ALTER TABLE items ADD COLUMN owner_id INTEGER, ALGORITHM=INSTANT;" in up, up
    assert "ALTER TABLE items ADD FOREIGN KEY(owner_id) REFERENCES parents (id);" in up  # plain
    assert reflect(factory.engine(app)) == _oracle(new_models, "mysql")


def test_steps_are_read_from_markers_in_any_spacing(tmp_path: Path) -> None:
    from vertz_engine.files import migration_file

    body = (
        "CREATE TABLE a (id INTEGER);\n\n"
        "--   VERTZ:Step   no-transaction\nCREATE INDEX CONCURRENTLY ix ON a (id);\n\n"
        "-- vertz:step\n-- a note\nALTER TABLE a ADD COLUMN b INTEGER;\n\nSELECT 1;\n"
    )
    path = tmp_path / "0001_steps.sql"
    path.write_text(migration_file.render("0001_steps", [body], []))
    steps = migration_file.parse(path, dialect="postgresql").steps()
    assert steps is not None
    assert [(len(s.statements), s.no_transaction, s.first) for s in steps] == [
        (1, False, 1),
        (1, True, 2),
        (2, False, 3),
    ]
    plain = tmp_path / "0002_plain.sql"
    plain.write_text(migration_file.render("0002_plain", ["SELECT 1;"], []))
    assert migration_file.parse(plain).steps() is None


def test_unique_index_left_invalid_by_duplicates_is_rebuilt_on_the_next_deploy(
    make_app_on: Any, postgres_url: str, tmp_path: Path
) -> None:
    factory = make_app_on(postgres_url)
    app = _dev(factory, _models(), "init")
    engine = factory.engine(app)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO items (id, code) VALUES (1, 5), (2, 5)")
    app = _dev(factory, _models(unique=True), "unique", "--create-only")
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert "The next deploy resumes 0002_unique at statement 1" in r.output, r.output
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid").scalar()
        conn.exec_driver_sql("UPDATE items SET code = 6 WHERE id = 2")
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid").scalar() == 0
        )
    assert reflect(engine) == _oracle(_models(unique=True))
