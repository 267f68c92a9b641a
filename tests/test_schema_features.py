"""The snapshot keeps everything ``create_all`` builds: computed and identity columns, table
and index dialect options, non-native enums; a change to any of them migrates and rolls
back, and ``status`` sees a database that lacks them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tests.oracle import create_all_on, reflect
from vertz_engine import Project
from vertz_engine.errors import UnsupportedModel

Models = Callable[[], sa.MetaData]
KIND = {"sqlite": "sqlite", "postgres": "postgresql", "mysql": "mysql"}


def _project(engine: sa.Engine, md: sa.MetaData, root: Path, env: str = "development") -> Project:
    return Project(engine, md, root / "migrations", root / ".vertz" / "s.json", environment=env)


def _walk(
    fresh_url: Callable[[], str], tmp_path: Path, v1: Models, v2: Models, changes: bool = True
) -> tuple[sa.Engine, Project]:
    """v1 -> migrate dev -> v2 -> migrate dev -> rollback -> forward again, the oracle after
    every step; then deploy of both files on a fresh database."""
    engine = sa.create_engine(fresh_url())
    _project(engine, v1(), tmp_path).migrate_dev("one")
    assert reflect(engine) == create_all_on(v1(), fresh_url())
    result = _project(engine, v2(), tmp_path).migrate_dev("two")
    assert (result.path is not None) is changes, result.plan.changes()
    assert reflect(engine) == create_all_on(v2(), fresh_url())
    if changes:
        _project(engine, v2(), tmp_path).rollback()
        assert reflect(engine) == create_all_on(v1(), fresh_url())
        _project(engine, v2(), tmp_path).deploy()
        assert reflect(engine) == create_all_on(v2(), fresh_url())
    prod = sa.create_engine(fresh_url())
    _project(prod, v2(), tmp_path, env="production").deploy(force=True)
    assert reflect(prod) == create_all_on(v2(), fresh_url())
    prod.dispose()
    return engine, _project(engine, v2(), tmp_path)


def _drift(url: str, tmp_path: Path, models: Models, *statements: str) -> list[str]:
    """``status``'s live drift after ``statements`` ran behind flask-vertz's back on a
    database that ``migrate dev`` built for ``models``."""
    engine = sa.create_engine(url)
    project = _project(engine, models(), tmp_path / "drift")
    project.migrate_dev("one")
    assert project.status().db_drift == []
    with engine.begin() as conn:
        for sql in statements:
            conn.exec_driver_sql(sql)
    drift = project.status().db_drift
    engine.dispose()
    return drift


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
    url = fresh_url()
    on = " ON items" if url.startswith("mysql") else ""
    drift = _drift(  # behind flask-vertz's back: a plain column instead
        url,
        tmp_path,
        _computed("price * qty"),
        f"DROP INDEX ix_items_total{on}",
        "ALTER TABLE items DROP COLUMN total",
        "ALTER TABLE items ADD COLUMN total INTEGER",
        "CREATE INDEX ix_items_total ON items (total)",
    )
    assert "column items.total: computed is none, expected price * qty" in drift, drift


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


# -- identity columns (PostgreSQL) ---------------------------------------------------------


def _identity(kind: str) -> Models:
    def models() -> sa.MetaData:
        md = sa.MetaData()
        extra = {
            "serial": [],
            "always": [sa.Identity(always=True)],
            "by_default": [sa.Identity(start=100)],
        }[kind]
        sa.Table(
            "events",
            md,
            sa.Column("id", sa.Integer, *extra, primary_key=True),
            sa.Column("title", sa.String(50)),
        )
        return md

    return models


@pytest.mark.parametrize(("before", "after"), [("serial", "always"), ("always", "by_default")])
def test_identity_column_on_postgres(
    postgres_url: str, tmp_path: Path, before: str, after: str
) -> None:
    urls = iter([postgres_url])
    engine = sa.create_engine(postgres_url)
    _project(engine, _identity(before)(), tmp_path).migrate_dev("one")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO events (title) VALUES ('a'), ('b')")
    _project(engine, _identity(after)(), tmp_path).migrate_dev("two")
    with engine.begin() as conn:  # the identity continues after the existing rows
        conn.exec_driver_sql("INSERT INTO events (title) VALUES ('c')")
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM events ORDER BY id")]
    assert len(set(ids)) == 3
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("events")}
    assert bool(columns["id"]["identity"]["always"]) is (after == "always")
    project = _project(engine, _identity(after)(), tmp_path)
    assert project.status().db_drift == []
    project.rollback()
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("events")}
    assert ("identity" in columns["id"]) is (before != "serial")
    del urls
    engine.dispose()


def test_identity_walk_matches_create_all(
    fresh_url: Callable[[], str], tmp_path: Path, dialect_kind: str
) -> None:
    """Identity on PostgreSQL; MySQL and SQLite build it as their autoincrement."""
    engine, _ = _walk(
        fresh_url,
        tmp_path,
        _identity("serial"),
        _identity("always"),
        changes=dialect_kind == "postgres",
    )
    engine.dispose()


def test_status_sees_a_serial_where_identity_is_expected(postgres_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(postgres_url)
    project = _project(engine, _identity("always")(), tmp_path)
    project.migrate_dev("one")
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE events ALTER COLUMN id DROP IDENTITY")
    assert project.status().db_drift == [
        "column events.id: identity is none, expected GENERATED ALWAYS"
    ]
    engine.dispose()


# -- index options -------------------------------------------------------------------------


def _indexed(variant: int, kind: str) -> Models:
    def models() -> sa.MetaData:
        md = sa.MetaData()
        doc = postgresql.JSONB if kind == "postgresql" else sa.Text
        t = sa.Table(
            "docs",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("body", doc),
            sa.Column("title", sa.String(100)),
            sa.Column("score", sa.Integer),
            mysql_engine="InnoDB",
        )
        if kind == "postgresql":
            if variant == 1:
                sa.Index("ix_docs_body", t.c.body)
                sa.Index("ix_docs_title", t.c.title)
            else:
                sa.Index("ix_docs_body", t.c.body, postgresql_using="gin")
                sa.Index(
                    "ix_docs_title",
                    t.c.title,
                    postgresql_where=t.c.score > 0,
                    postgresql_include=["score"],
                    postgresql_ops={"title": "varchar_pattern_ops"},
                )
        elif kind == "mysql":
            sa.Index("ix_docs_body", t.c.body, mysql_length=10 if variant == 1 else 20)
            sa.Index("ix_docs_title", t.c.title, mysql_length={"title": 5 * variant})
        else:
            where = {} if variant == 1 else {"sqlite_where": t.c.score > 0}
            sa.Index("ix_docs_title", t.c.title, **where)
        return md

    return models


def test_index_options_kept_changed_and_rolled_back(
    fresh_url: Callable[[], str], tmp_path: Path, dialect_kind: str
) -> None:
    kind = KIND[dialect_kind]
    engine, _ = _walk(fresh_url, tmp_path, _indexed(1, kind), _indexed(2, kind))
    engine.dispose()
    # behind flask-vertz's back: the index as plain as it gets
    on = " ON docs" if kind == "mysql" else ""
    length = "(3)" if kind == "mysql" else ""
    drift = _drift(
        fresh_url(),
        tmp_path,
        _indexed(2, kind),
        f"DROP INDEX ix_docs_title{on}",
        f"CREATE INDEX ix_docs_title ON docs (title{length})",
    )
    assert drift and all(d.startswith("index ix_docs_title on docs: ") for d in drift), drift


# -- table options -------------------------------------------------------------------------


def _table_opts(variant: int) -> Models:
    def models() -> sa.MetaData:
        md = sa.MetaData()
        options: dict[str, object] = {}
        if variant == 2:
            options = {
                "sqlite_autoincrement": True,
                "mysql_engine": "InnoDB",
                "mysql_charset": "latin1",
                "mysql_collate": "latin1_bin",
            }
        sa.Table(
            "counters",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("n", sa.Integer, nullable=False, server_default="0"),
            sa.Column("label", sa.String(20)),
            **options,  # type: ignore[arg-type]
        )
        keyed: dict[str, object] = {"sqlite_with_rowid": False} if variant == 2 else {}
        sa.Table(
            "tags",
            md,
            sa.Column("name", sa.String(40), primary_key=True),
            **keyed,  # type: ignore[arg-type]
        )
        return md

    return models


def test_table_options_kept_changed_and_rolled_back(
    fresh_url: Callable[[], str], tmp_path: Path, dialect_kind: str
) -> None:
    engine, _ = _walk(
        fresh_url, tmp_path, _table_opts(1), _table_opts(2), changes=dialect_kind != "postgres"
    )
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO counters (n) VALUES (1)")
        conn.exec_driver_sql("INSERT INTO tags (name) VALUES ('x')")
    engine.dispose()
    if dialect_kind == "sqlite":  # the table without AUTOINCREMENT, as before
        drift = _drift(
            fresh_url(),
            tmp_path,
            _table_opts(2),
            "DROP TABLE counters",
            "CREATE TABLE counters (id INTEGER NOT NULL, n INTEGER DEFAULT '0' NOT NULL, "
            "label VARCHAR(20), PRIMARY KEY (id))",
        )
        assert drift == ["table counters: autoincrement is False, expected True"]
    elif dialect_kind == "mysql":
        drift = _drift(
            fresh_url(), tmp_path, _table_opts(2), "ALTER TABLE counters CHARACTER SET = DEFAULT"
        )
        assert "table counters: charset is utf8mb4, expected latin1" in drift, drift


def test_postgres_table_option_change_is_refused(postgres_url: str, tmp_path: Path) -> None:
    def models(tablespace: str | None) -> sa.MetaData:
        md = sa.MetaData()
        options = {"postgresql_tablespace": tablespace} if tablespace else {}
        sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True), **options)  # type: ignore[arg-type]
        return md

    engine = sa.create_engine(postgres_url)
    _project(engine, models(None), tmp_path).migrate_dev("one")
    with pytest.raises(UnsupportedModel) as info:
        _project(engine, models("pg_default"), tmp_path).migrate_dev("two")
    assert str(info.value) == (
        "table t: changing its postgresql_tablespace needs the table to be created again, "
        "which flask-vertz does not generate; keep the option as it was, or remove the table "
        "in one migration and add it back with the new option in the next"
    )
    assert sorted(p.name for p in (tmp_path / "migrations").glob("*.sql")) == ["0001_one.sql"]
    engine.dispose()


# -- schema-qualified tables ---------------------------------------------------------------


def test_schema_qualified_table_is_refused_with_one_message(
    fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    md = sa.MetaData()
    sa.Table("daily", md, sa.Column("id", sa.Integer, primary_key=True), schema="reporting")
    engine = sa.create_engine(fresh_url())
    with pytest.raises(UnsupportedModel) as info:
        _project(engine, md, tmp_path).migrate_dev("one")
    assert str(info.value) == (
        "table reporting.daily: tables in another schema ('reporting') are not supported by "
        "flask-vertz; remove the schema from the model (__table_args__) or manage that table "
        "outside flask-vertz"
    )
    assert not (tmp_path / "migrations").exists() or not list(
        (tmp_path / "migrations").glob("*.sql")
    )
    engine.dispose()


def test_schema_qualified_table_refused_by_the_cli(make_app) -> None:  # type: ignore[no-untyped-def]
    def models(db) -> None:  # type: ignore[no-untyped-def]
        class Daily(db.Model):  # type: ignore[name-defined]
            __tablename__ = "daily"
            __table_args__ = {"schema": "reporting"}
            id = sa.Column(sa.Integer, primary_key=True)

    app = make_app(models, VERTZ_AUTO_APPLY=False)
    result = app.test_cli_runner().invoke(args=["vertz-db", "migrate", "dev", "--name", "one"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "table reporting.daily: tables in another schema ('reporting')" in result.output


# -- SQLite rebuilds of tables whose names need quoting ------------------------------------


@pytest.mark.parametrize("table", ["UserAccounts", "user accounts", 'odd"name'])
def test_sqlite_rebuild_keeps_triggers_and_views_of_quoted_tables(
    tmp_path: Path, table: str
) -> None:
    def models(length: int) -> sa.MetaData:
        md = sa.MetaData()
        sa.Table(
            table,
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(length), nullable=False),
        )
        sa.Table("log", md, sa.Column("msg", sa.String(200), primary_key=True))
        return md

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    q = '"' + table.replace('"', '""') + '"'
    _project(engine, models(50), tmp_path).migrate_dev("one")
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE VIEW people AS SELECT id, name FROM {q}")
        # the trigger names the table in another case: SQLite matches names without case
        conn.exec_driver_sql(
            f"CREATE TRIGGER audit AFTER INSERT ON {q.upper()} "
            "BEGIN INSERT INTO log (msg) VALUES ('added ' || new.name); END"
        )
        conn.exec_driver_sql(f"INSERT INTO {q} (name) VALUES ('a')")
    result = _project(engine, models(100), tmp_path).migrate_dev("wider")
    assert result.path is not None and "_alembic_tmp_" in result.path.read_text()
    assert reflect(engine) == create_all_on(models(100), f"sqlite:///{tmp_path / 'b.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO {q} (name) VALUES ('b')")
        assert conn.exec_driver_sql("SELECT msg FROM log ORDER BY msg").all() == [
            ("added a",),
            ("added b",),
        ]
        assert conn.exec_driver_sql("SELECT name FROM people ORDER BY id").all() == [
            ("a",),
            ("b",),
        ]
    _project(engine, models(100), tmp_path).rollback()
    with engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO {q} (name) VALUES ('c')")
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM log").scalar() == 3
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM people").scalar() == 3
    engine.dispose()
