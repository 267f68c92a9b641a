"""Helpers the test files share: the app factory, the CLI runner, model variations and a
terminal for subprocesses."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_vertz import Vertz

ModelsFn = Callable[[SQLAlchemy], None]
ColumnFn = Callable[[], sa.Column[Any]]


def _sqlite_fk_on(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class AppFactory:
    """Builds a fresh Flask app (a "restart") with the given models, in ``root``."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url
        self.apps: list[tuple[Flask, SQLAlchemy]] = []

    def __call__(self, models: ModelsFn, **config: Any) -> Flask:
        db = SQLAlchemy()
        models(db)
        app = Flask("testapp", root_path=str(self.root))
        # a development app (as under `flask --debug`), unless the test sets VERTZ_ENV
        # (VERTZ_ENV=None: decided by the environment variables and debug mode)
        config.setdefault("VERTZ_ENV", "development")
        app.config.update(SQLALCHEMY_DATABASE_URI=self.url, **config)
        db.init_app(app)
        self.apps.append((app, db))
        if self.url.startswith("sqlite"):
            # as careful apps do: enforce foreign keys (and so ON DELETE CASCADE)
            with app.app_context():
                sa.event.listen(db.engine, "connect", _sqlite_fk_on)
        Vertz().init_app(app, db)
        return app

    def engine(self, app: Flask) -> sa.Engine:
        db = next(d for a, d in self.apps if a is app)
        with app.app_context():
            return db.engine

    def close(self) -> None:
        for app, db in self.apps:
            with app.app_context():
                for engine in db.engines.values():
                    engine.dispose()


def run(app: Flask, *args: str, input: str | None = None) -> Result:
    """``flask vertz-db ARGS`` through the app's CLI runner."""
    return app.test_cli_runner().invoke(args=["vertz-db", *args], input=input)


def dev_app(make_app: AppFactory, models_fn: ModelsFn, **config: Any) -> Flask:
    """A development app whose boot does not apply the models (the commands do)."""
    return make_app(models_fn, VERTZ_AUTO_APPLY=False, **config)


def _todos_v1() -> dict[str, ColumnFn]:
    return {
        "id": lambda: sa.Column(sa.Integer, primary_key=True),
        "title": lambda: sa.Column(sa.String(200), nullable=False),
        "done": lambda: sa.Column(sa.Boolean, nullable=False, server_default=sa.false()),
    }


def _todos_v3() -> dict[str, ColumnFn]:
    return {
        **_todos_v1(),
        "title": lambda: sa.Column(sa.String(300), nullable=False),
        "priority": lambda: sa.Column(sa.Integer, nullable=True, index=True),
        "project_id": lambda: sa.Column(sa.ForeignKey("projects.id", ondelete="CASCADE")),
    }


def _projects_v3() -> dict[str, ColumnFn]:
    return {
        "id": lambda: sa.Column(sa.Integer, primary_key=True),
        "name": lambda: sa.Column(sa.String(100), nullable=False, unique=True),
    }


BASES: dict[str, Callable[[], dict[str, dict[str, ColumnFn]]]] = {
    "v1": lambda: {"todos": _todos_v1()},
    "v2": lambda: {
        "todos": {**_todos_v1(), "priority": lambda: sa.Column(sa.Integer, nullable=True)}
    },
    "v3": lambda: {"projects": _projects_v3(), "todos": _todos_v3()},
}


def variant(
    base: str, tables: dict[str, dict[str, ColumnFn | None]] | None = None, **todos: ColumnFn | None
) -> ModelsFn:
    """The models of ``tests.models.<base>`` with some columns changed: ``todos`` (keywords)
    and ``tables`` (per table) map a column name to a column factory (replaced in place or
    added last) or to ``None`` (dropped)."""
    changes = {**(tables or {})}
    if todos:
        changes["todos"] = {**changes.get("todos", {}), **todos}

    def models(db: SQLAlchemy) -> None:
        spec = BASES[base]()
        for table, columns in changes.items():
            spec.setdefault(table, {}).update(columns)
        for table, columns in spec.items():
            attrs: dict[str, Any] = {"__tablename__": table}
            attrs.update({name: make() for name, make in columns.items() if make is not None})
            type(table.title().rstrip("s"), (db.Model,), attrs)

    return models


def in_pty(
    cmd: list[str],
    cwd: Path,
    env: dict[str, str],
    *,
    seconds: float = 90,
    answer: Callable[[bytes], bytes | None] | None = None,
) -> tuple[int, str]:
    """Run ``cmd`` with a terminal as its stdin/stdout/stderr; return its exit code and
    everything it wrote. ``answer`` sees the output so far and may return what to type,
    once."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    out = b""
    answered = answer is None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            typed = None if answered or answer is None else answer(out)
            if typed is not None:
                os.write(master, typed)
                answered = True
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(master)
    return proc.returncode, out.decode(errors="replace")
