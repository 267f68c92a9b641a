"""Boot auto-apply in development, on real SQLite files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import models
from tests.helpers import AppFactory
from tests.models import variant
from tests.oracle import expected_sqlite, reflect


def oracle(models_fn, tmp_path):  # type: ignore[no-untyped-def]
    return expected_sqlite(models_fn, tmp_path)


def test_first_boot_creates_the_schema(make_app: AppFactory, tmp_path, capsys) -> None:
    app = make_app(models.v1)
    assert reflect(make_app.engine(app)) == oracle(models.v1, tmp_path)
    assert "applied 1 model change" in capsys.readouterr().err
    snap = json.loads((tmp_path / ".vertz" / "schema-snapshot.json").read_text())
    assert list(snap["tables"]) == ["todos"]


def test_restart_with_new_nullable_column_keeps_rows(make_app: AppFactory, tmp_path) -> None:
    app = make_app(models.v1)
    engine = make_app.engine(app)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title) VALUES ('a'), ('b')"))
    app2 = make_app(models.v2)
    engine2 = make_app.engine(app2)
    assert reflect(engine2) == oracle(models.v2, tmp_path)
    with engine2.connect() as conn:
        rows = conn.execute(sa.text("SELECT title, priority FROM todos ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("a", None), ("b", None)]


def test_rebuild_keeps_rows_and_cascade_children(make_app: AppFactory, tmp_path) -> None:
    app = make_app(models.v3)
    engine = make_app.engine(app)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO projects (id, name) VALUES (1, 'home')"))
        conn.execute(sa.text("INSERT INTO todos (title, project_id) VALUES ('a', 1), ('b', 1)"))

    # projects.name becomes longer: a rebuild of the parent table on SQLite
    longer = {"name": lambda: sa.Column(sa.String(200), nullable=False, unique=True)}
    v4 = variant("v3", tables={"projects": longer})

    app2 = make_app(v4)
    engine2 = make_app.engine(app2)
    assert reflect(engine2) == oracle(v4, tmp_path)
    with engine2.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM todos")).scalar() == 2
        assert conn.execute(sa.text("SELECT name FROM projects")).scalar() == "home"


def test_unchanged_restart_runs_one_query_and_writes_nothing(
    make_app: AppFactory, tmp_path
) -> None:
    make_app(models.v1)
    snap_path = tmp_path / ".vertz" / "schema-snapshot.json"
    mtime = snap_path.stat().st_mtime_ns
    statements: list[str] = []

    def listen(db):
        models.v1(db)

    # a restart: count what the boot sends to the database
    import flask_vertz.extension as ext

    original = ext.Vertz._boot

    def counting_boot(self, app):  # type: ignore[no-untyped-def]
        engine = self.project(app).engine
        sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        original(self, app)

    ext.Vertz._boot = counting_boot  # type: ignore[method-assign]
    try:
        make_app(listen)
    finally:
        ext.Vertz._boot = original  # type: ignore[method-assign]
    queries = [s for s in statements if not s.startswith("PRAGMA busy_timeout")]
    assert len(queries) == 1 and "_vertz_state" in queries[0]  # no reflection, no writes
    assert snap_path.stat().st_mtime_ns == mtime


def test_deleted_database_is_rebuilt_on_next_boot(make_app: AppFactory, tmp_path) -> None:
    app = make_app(models.v2)
    make_app.close()
    (tmp_path / "app.db").unlink()
    app2 = make_app(models.v2)  # the local snapshot still says "v2": must not be trusted
    assert reflect(make_app.engine(app2)) == oracle(models.v2, tmp_path)
    del app


def test_destructive_change_warns_with_names(make_app: AppFactory, capsys) -> None:
    make_app(models.v2)
    capsys.readouterr()
    make_app(models.v1)
    err = capsys.readouterr().err
    assert "destructive change applied: drop column todos.priority" in err


def test_not_null_column_on_table_with_rows_is_explained_and_nothing_changes(
    make_app: AppFactory, tmp_path
) -> None:
    app = make_app(models.v1)
    engine = make_app.engine(app)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title) VALUES ('a')"))
    before = reflect(engine)

    v_bad = variant("v1", owner=lambda: sa.Column(sa.String(50), nullable=False))

    from vertz_engine.db.facts import BlockingChange

    with pytest.raises(
        BlockingChange,
        match=r"add column todos.owner \(NOT NULL without a server default fails on a table "
        r"with rows\): the table has 1 row\(s\). Give the column a server_default",
    ):
        make_app(v_bad)
    assert reflect(engine) == before


def test_production_boot_changes_nothing(make_app: AppFactory) -> None:
    app = make_app(models.v1, VERTZ_ENV="production")
    assert sa.inspect(make_app.engine(app)).get_table_names() == []


def test_second_init_app_raises(make_app: AppFactory) -> None:
    from flask_vertz import Vertz

    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    db = make_app.apps[-1][1]
    with pytest.raises(RuntimeError, match="already been registered"):
        Vertz().init_app(app, db)


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
