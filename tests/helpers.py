"""Helpers the test files share: the app factory, the CLI runner, emptying a database and a
terminal for subprocesses (model versions and variations are in ``tests.models``)."""

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
from tests.models import ModelsFn


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


def empty_database(engine: sa.Engine) -> None:
    """Drop everything in ``engine``'s database (PostgreSQL: the whole public schema)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        else:
            md = sa.MetaData()
            md.reflect(conn)
            md.drop_all(conn)


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
