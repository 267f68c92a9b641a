"""The measured operations. ``bench.worker`` runs one of them per fresh process; each builds
what it needs first (untimed) and times only the operation itself with ``perf_counter``.
Each returns ``{"times": {metric: seconds}, ...}`` plus facts used as sanity checks."""

from __future__ import annotations

import gc
import hashlib
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import apps, schema

Result = dict[str, Any]


def _project(url: str, md: sa.MetaData, migrations_dir: str, snapshot_path: str) -> Any:
    from vertz_engine import Project

    return Project(
        engine=sa.create_engine(url),
        metadata=md,
        migrations_dir=Path(migrations_dir),
        local_snapshot_path=Path(snapshot_path),
        environment="development",
    )


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _timed_cpu(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of this process (CPU time: what load on a shared machine
    disturbs least; the growth check compares it across sizes measured apart)."""
    cpu, start = time.process_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - start, time.process_time() - cpu, out


def _paused(fn: Callable[[], Any]) -> Callable[[], Any]:
    """A flask-vertz call as the front end makes it: the boot and every ``flask vertz-db``
    command run with the garbage collector paused (``flask_vertz.gcpause``)."""
    from flask_vertz.gcpause import paused

    def call() -> Any:
        with paused():
            return fn()

    return call


def _boot_times(first: tuple[float, float, Any], repeat: tuple[float, float, Any]) -> Result:
    return {
        "times": {
            "boot": first[0],
            "repeat": repeat[0],
            "boot_cpu": first[1],
            "repeat_cpu": repeat[1],
        }
    }


def _sqlite_path(url: str) -> str:
    return str(sa.make_url(url).database)


def _pg_dsn(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _not_vertz(name: str | None, type_: str, parent: Any) -> bool:
    return not (type_ == "table" and name is not None and name.startswith("_vertz"))


# -- 1. boot with unchanged models ------------------------------------------------------------


def boot_vertz(url: str, n: int, migrations_dir: str, snapshot_path: str) -> Result:
    """``apply_models()`` on a database that already matches the models: the first call of
    a fresh process (what a boot pays) and a repeat call."""
    p = _project(url, schema.metadata(n), migrations_dir, snapshot_path)
    first = _timed_cpu(_paused(p.apply_models))
    repeat = _timed_cpu(_paused(p.apply_models))
    if first[2].action != "unchanged" or repeat[2].action != "unchanged":
        raise RuntimeError(f"boot check was not a no-op: {first[2].action}, {repeat[2].action}")
    return _boot_times(first, repeat)


def floor_digest(md: sa.MetaData) -> str:
    """The tight loop of the boot floor: read the attributes of every table, column, index,
    key and constraint a schema description needs, and hash them (no checks, no caches)."""
    out: list[Any] = []
    for name in sorted(md.tables):
        t = md.tables[name]
        out.append(name)
        for c in t.columns:
            sd = c.server_default
            out.append(
                (
                    c.name,
                    type(c.type).__name__,
                    *vars(c.type).items(),
                    c.nullable,
                    c.primary_key,
                    getattr(getattr(sd, "arg", None), "text", None),
                    c.comment,
                )
            )
        for i in t.indexes:
            out.append((i.name, tuple(e.name for e in i.expressions), i.unique))
        for f in t.foreign_key_constraints:
            targets = tuple(e.target_fullname for e in f.elements)
            out.append((f.name, tuple(c.name for c in f.columns), targets, f.ondelete))
        for k in t.constraints:
            out.append((k.name, type(k).__name__))
    return hashlib.blake2b(repr(out).encode(), digest_size=32).hexdigest()


def boot_floor(url: str, n: int) -> Result:
    """The floor of the boot check: the tight loop over the models (:func:`floor_digest`)
    and the one question to the database (its recorded fingerprint), on a fresh engine."""
    md = schema.metadata(n)
    engine = sa.create_engine(url)
    query = sa.text("SELECT fingerprint FROM _vertz_state WHERE id = 1")

    def check() -> bool:
        gc.disable()  # as flask-vertz does around its commands: no collection of the models
        try:
            digest = floor_digest(md)
            with engine.connect() as conn:
                return conn.execute(query).scalar() is not None and bool(digest)
        finally:
            gc.enable()

    first = _timed_cpu(check)
    repeat = _timed_cpu(check)
    if not (first[2] and repeat[2]):
        raise RuntimeError("the floor found no recorded fingerprint")
    return _boot_times(first, repeat)


def boot_alembic(url: str, n: int) -> Result:
    """Alembic's ``compare_metadata`` (what ``flask db check`` runs), first and repeat call;
    flask-vertz's own ``_vertz_*`` tables are filtered out."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    md = schema.metadata(n)
    engine = sa.create_engine(url)

    def compare() -> list[Any]:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_name": _not_vertz})
            return list(compare_metadata(ctx, md))

    first = _timed_cpu(compare)
    repeat = _timed_cpu(compare)
    if first[2] or repeat[2]:
        raise RuntimeError(f"compare_metadata found differences: {first[2][:3]}")
    return _boot_times(first, repeat)


# -- 2. deploy pending one-column migrations --------------------------------------------------


def deploy_vertz(
    url: str, migrations_dir: str, snapshot_path: str, n_tables: int, n_migrations: int
) -> Result:
    md = schema.metadata(n_tables, schema.deploy_extra(n_tables, n_migrations, n_migrations))
    p = _project(url, md, migrations_dir, snapshot_path)
    seconds, result = _timed(_paused(p.deploy))
    if len(result.applied) != n_migrations:
        raise RuntimeError(f"deploy applied {len(result.applied)}, expected {n_migrations}")
    return {"times": {"deploy": seconds}}


def deploy_alembic(url: str, directory: str, n_tables: int, n_migrations: int) -> Result:
    """``flask db upgrade`` in-process (``flask_migrate.upgrade()`` in an app context)."""
    import flask_migrate

    extra = schema.deploy_extra(n_tables, n_migrations, n_migrations)
    app = apps.flask_app(url, lambda md: schema.build(md, n_tables, extra))
    with app.app_context():
        seconds, _ = _timed(lambda: flask_migrate.upgrade(directory=directory))
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        head = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    if head != f"r{n_migrations:04d}":
        raise RuntimeError(f"alembic stopped at {head}")
    return {"times": {"deploy": seconds}}


FLOOR_HISTORY = "_floor_history"


def floor_statements(n_tables: int, n_migrations: int) -> list[tuple[str, str]]:
    out = []
    for k in range(n_migrations):
        table, column = schema.table_name(k % n_tables), schema.extra_column(k)
        out.append(
            (f"{k + 2:04d}_add_{column}", f"ALTER TABLE {table} ADD COLUMN {column} INTEGER")
        )
    return out


def deploy_floor(url: str, n_tables: int, n_migrations: int) -> Result:
    """The raw-driver floor: per migration BEGIN; ALTER TABLE ... ADD COLUMN; INSERT into a
    history table; COMMIT (connecting included, as on the other sides)."""
    work = floor_statements(n_tables, n_migrations)
    insert = f"INSERT INTO {FLOOR_HISTORY} (name, applied_at) VALUES (%s, CURRENT_TIMESTAMP)"
    if url.startswith("sqlite"):
        path = _sqlite_path(url)

        def run_sqlite() -> None:
            conn = sqlite3.connect(path, isolation_level=None)
            for name, ddl in work:
                conn.execute("BEGIN")
                conn.execute(ddl)
                conn.execute(insert.replace("%s", "?"), (name,))
                conn.execute("COMMIT")
            conn.close()

        seconds, _ = _timed(run_sqlite)
    else:
        import psycopg

        dsn = _pg_dsn(url)

        def run_pg() -> None:
            with psycopg.connect(dsn, autocommit=True) as conn:
                for name, ddl in work:
                    conn.execute("BEGIN")
                    conn.execute(ddl)
                    conn.execute(insert, (name,))
                    conn.execute("COMMIT")

        seconds, _ = _timed(run_pg)
    return {"times": {"deploy": seconds}}


# -- 3. generate a migration for a one-column change --------------------------------------------

NEW_COLUMN = "x_new"


def dev_vertz(url: str, migrations_dir: str, snapshot_path: str, n: int, table: int) -> Result:
    p = _project(url, schema.metadata(n, {table: [NEW_COLUMN]}), migrations_dir, snapshot_path)
    seconds, result = _timed(_paused(lambda: p.migrate_dev("add x_new", create_only=True)))
    if result.path is None or NEW_COLUMN not in result.path.read_text():
        raise RuntimeError("migrate_dev wrote no file with the new column")
    changes = len(result.plan.changes())
    if changes != 1:
        raise RuntimeError(f"migrate_dev found {changes} changes, expected 1")
    return {"times": {"generate": seconds}}


_AUTOGEN_OPS = (
    "add_column",
    "drop_column",
    "alter_column",
    "create_table",
    "drop_table",
    "create_index",
    "drop_index",
    "create_foreign_key",
    "drop_constraint",
)


def dev_alembic(url: str, directory: str, n: int, table: int) -> Result:
    """``flask db migrate`` in-process (Alembic autogenerate against the database)."""
    import flask_migrate

    app = apps.flask_app(url, lambda md: schema.build(md, n, {table: [NEW_COLUMN]}))
    versions = Path(directory) / "versions"
    before = set(versions.iterdir())
    with app.app_context():
        seconds, _ = _timed(lambda: flask_migrate.migrate(directory=directory, message="add"))
    new = [p for p in versions.iterdir() if p not in before and p.suffix == ".py"]
    text = new[0].read_text() if len(new) == 1 else ""
    ops = sum(text.count(k) for k in _AUTOGEN_OPS)
    if text.count("add_column") != 1 or ops != 2:
        raise RuntimeError(f"flask db migrate wrote an unexpected revision: {new}\n{text[:800]}")
    return {"times": {"generate": seconds}}


# -- 4. SQLite table rebuild ---------------------------------------------------------------------

REBUILD_SQL = [
    "CREATE TABLE _new_big (\n    id INTEGER NOT NULL, \n    name VARCHAR(100) NOT NULL, \n"
    "    value INTEGER NOT NULL, \n    created_at DATETIME, \n    note TEXT, \n"
    "    PRIMARY KEY (id)\n)",
    "INSERT INTO _new_big (id, name, value, created_at, note) "
    "SELECT id, name, value, created_at, note FROM big",
    "DROP TABLE big",
    "ALTER TABLE _new_big RENAME TO big",
    "CREATE INDEX ix_big_value ON big (value)",
]


def rebuild_vertz(url: str, migrations_dir: str, snapshot_path: str, rows: int) -> Result:
    p = _project(url, schema.big_metadata(True), migrations_dir, snapshot_path)
    seconds, result = _timed(_paused(p.deploy))
    if len(result.applied) != 1:
        raise RuntimeError(f"deploy applied {result.applied}")
    _check_big(url, rows)
    return {"times": {"rebuild": seconds}}


def rebuild_floor(url: str, rows: int) -> Result:
    """The raw rebuild: create, insert-select, drop, rename (and the index) in one
    transaction through sqlite3."""
    path = _sqlite_path(url)

    def run() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        for stmt in REBUILD_SQL:
            conn.execute(stmt)
        conn.execute("COMMIT")
        conn.close()

    seconds, _ = _timed(run)
    _check_big(url, rows)
    return {"times": {"rebuild": seconds}}


def _check_big(url: str, rows: int) -> None:
    conn = sqlite3.connect(_sqlite_path(url))
    count = conn.execute("SELECT count(*) FROM big").fetchone()[0]
    ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'big'").fetchone()[0]
    conn.close()
    if count != rows or "VARCHAR(100) NOT NULL" not in ddl:
        raise RuntimeError(f"rebuild left {count} rows and {ddl!r}")


OPS: dict[str, Callable[..., Result]] = {
    f.__name__: f
    for f in (
        boot_vertz,
        boot_alembic,
        boot_floor,
        deploy_vertz,
        deploy_alembic,
        deploy_floor,
        dev_vertz,
        dev_alembic,
        rebuild_vertz,
        rebuild_floor,
    )
}
