"""Building the workloads (untimed). These run through ``bench.worker`` like the measured
operations, so setup and measurement always use the flask-vertz code on disk at that moment
(the benchmark's own process never imports flask-vertz or Flask)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bench import apps, schema
from bench.ops import FLOOR_HISTORY

Result = dict[str, Any]
DONE: Result = {"times": {}}


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=NullPool)  # no idle connection: templates copy


def _project(url: str, md: sa.MetaData, migrations_dir: str | Path, snapshot: str | Path) -> Any:
    from vertz_engine import Project

    return Project(
        engine=_engine(url),
        metadata=md,
        migrations_dir=Path(migrations_dir),
        local_snapshot_path=Path(snapshot),
    )


def _alembic_dir(url: str, directory: Path, build: Callable[[sa.MetaData], object]) -> Any:
    """``flask db init`` (env.py with a transaction per migration); the app, for stamping."""
    app = apps.flask_app(url, build, nullpool=True)
    apps.init_dir(app, directory)
    return app


def setup_boot(url: str, n: int, migrations_dir: str, snapshot_path: str) -> Result:
    """The database the boot check runs on: ``apply_models()`` once, creating the tables."""
    result = _project(url, schema.metadata(n), migrations_dir, snapshot_path).apply_models()
    if result.action == "unchanged":
        raise RuntimeError("the setup apply_models() created nothing")
    return DONE


def setup_deploy(
    vertz_url: str,
    alembic_url: str,
    floor_url: str,
    folder: str,
    n_tables: int,
    n_migrations: int,
) -> Result:
    """Three template databases holding the base tables (made by flask-vertz's own first
    file; by ``create_all`` + ``flask db stamp``; by ``create_all`` + a history table), then
    the flask-vertz files (``migrate_dev(create_only=True)`` model by model) and the Alembic
    revisions (plain ``op.add_column``) of the migrations to deploy."""
    vdir, adir = Path(folder, "vertz_migrations"), Path(folder, "alembic_migrations")
    local = Path(folder, "setup-snapshot.json")
    base = schema.metadata(n_tables)
    _project(vertz_url, base, vdir, local).migrate_dev("init", create_only=True)
    _project(vertz_url, base, vdir, local).deploy()
    for k in range(n_migrations):
        md = schema.metadata(n_tables, schema.deploy_extra(n_tables, n_migrations, k + 1))
        _project(vertz_url, md, vdir, local).migrate_dev(
            f"add {schema.extra_column(k)}", create_only=True
        )

    base.create_all(_engine(alembic_url))
    app = _alembic_dir(alembic_url, adir, lambda md: schema.build(md, n_tables))
    columns = [
        (schema.table_name(k % n_tables), schema.extra_column(k)) for k in range(n_migrations)
    ]
    apps.write_revisions(adir, apps.add_column_revisions("r0000", columns))
    apps.stamp(app, adir, "r0000")

    engine = _engine(floor_url)
    base.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE {FLOOR_HISTORY} (name VARCHAR(255) PRIMARY KEY, applied_at TIMESTAMP)"
        )
    return DONE


def setup_generate(url: str, folder: str, n: int) -> Result:
    """The ``n`` tables in the database, Alembic at head (one no-op revision), and the
    flask-vertz migrations snapshot describing them (one ``init`` file)."""
    md = schema.metadata(n)
    md.create_all(_engine(url))
    adir = Path(folder, "alembic_migrations")
    app = _alembic_dir(url, adir, lambda m: schema.build(m, n))
    apps.write_revisions(adir, apps.add_column_revisions("r0000", []))
    apps.stamp(app, adir)
    vdir, local = Path(folder, "vertz_migrations"), Path(folder, "setup-snapshot.json")
    _project(url, md, vdir, local).migrate_dev("init", create_only=True)
    return DONE


def setup_rebuild(url: str, folder: str, rows: int) -> Result:
    """``big`` made by flask-vertz's first file and filled with ``rows`` rows; the second file
    (VARCHAR(50) NULL -> VARCHAR(100) NOT NULL) written, not applied."""
    vdir, local = Path(folder, "vertz_migrations"), Path(folder, "setup-snapshot.json")
    _project(url, schema.big_metadata(False), vdir, local).migrate_dev("init", create_only=True)
    _project(url, schema.big_metadata(False), vdir, local).deploy()
    conn = sqlite3.connect(str(sa.make_url(url).database))
    chunk = 50_000
    for start in range(0, rows, chunk):
        conn.executemany(
            "INSERT INTO big (id, name, value, created_at, note) VALUES (?, ?, ?, ?, ?)",
            (
                (
                    i + 1,
                    f"name {i}",
                    i % 997,
                    "2024-01-01 12:00:00.000000",
                    None if i % 3 else f"a note about row {i}",
                )
                for i in range(start, min(start + chunk, rows))
            ),
        )
    conn.commit()
    conn.close()
    _project(url, schema.big_metadata(True), vdir, local).migrate_dev(
        "widen name", create_only=True
    )
    return DONE


APP_MODULE = '''"""Workloads 5-7: the {n}-table app with {what}."""

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from bench import schema

db = SQLAlchemy()
schema.build(db.metadata, {n})

app = Flask(__name__)
app.config.update(
    SQLALCHEMY_DATABASE_URI={url!r},
    VERTZ_MIGRATIONS_DIR="vertz_migrations",
)
db.init_app(app)
{tools}
'''
# Each tool in its own app, so each side pays only its own imports.
APPS = {
    "benchapp": (
        "both extensions",
        "Migrate(app, db)\nVertz().init_app(app, db, auto_apply=False)",
    ),
    "app_vertz": ("flask-vertz only", "Vertz().init_app(app, db, auto_apply=False)"),
    "app_vertz_boot": ("flask-vertz only, boot auto-apply on", "Vertz(app, db)"),
    "app_migrate": ("Flask-Migrate only", "Migrate(app, db)"),
    "app_plain": ("no migration tool", ""),
}
_IMPORTS = {
    "Migrate": "from flask_migrate import Migrate",
    "Vertz": "from flask_vertz import Vertz",
}


def _app_module(name: str, n: int, url: str) -> str:
    what, tools = APPS[name]
    imports = [line for key, line in _IMPORTS.items() if key + "(" in tools]
    return APP_MODULE.format(n=n, url=url, what=what, tools="\n".join([*imports, tools]))


def setup_status(url: str, folder: str, n: int) -> Result:
    """The app modules (:data:`APPS`) and their database, migrated by both tools:
    flask-vertz's ``init`` file deployed, Alembic stamped at its (no-op) head."""
    app_dir = Path(folder)
    for name in APPS:
        (app_dir / f"{name}.py").write_text(_app_module(name, n, url))
    md = schema.metadata(n)
    vdir, local = app_dir / "vertz_migrations", app_dir / ".vertz" / "schema-snapshot.json"
    _project(url, md, vdir, local).migrate_dev("init", create_only=True)
    _project(url, md, vdir, local).deploy()
    app = _alembic_dir(url, app_dir / "migrations", lambda m: schema.build(m, n))
    apps.write_revisions(app_dir / "migrations", apps.add_column_revisions("r0000", []))
    apps.stamp(app, app_dir / "migrations")
    return DONE


SETUPS: dict[str, Callable[..., Result]] = {
    f.__name__: f for f in (setup_boot, setup_deploy, setup_generate, setup_rebuild, setup_status)
}
