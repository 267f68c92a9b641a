"""Scratch databases: SQLite files in the work folder, PostgreSQL databases named
``vertz_bench_<pid>_<name>`` that are dropped at the end (fresh copies come from
``CREATE DATABASE ... TEMPLATE``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    import psycopg


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def copy_sqlite(src: Path, dst: Path) -> Path:
    dst.unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    return dst


class Postgres:
    """The server the PostgreSQL workloads run on, and the databases made on it."""

    def __init__(self, url: str) -> None:
        u = sa.make_url(url)
        self.url = u.set(drivername="postgresql+psycopg")
        self.prefix = f"vertz_bench_{os.getpid()}_"
        self.created: list[str] = []
        self.error: str | None = None

    def _admin(self) -> psycopg.Connection[Any]:
        import psycopg

        dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(dsn, autocommit=True)

    def available(self) -> bool:
        try:
            with self._admin() as conn:
                conn.execute("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - any failure means "skip PostgreSQL"
            self.error = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            return False
        return True

    def name(self, short: str) -> str:
        return self.prefix + short

    def sa_url(self, short: str) -> str:
        return self.url.set(database=self.name(short)).render_as_string(hide_password=False)

    def create(self, short: str, template: str | None = None) -> str:
        """A new, empty database (or a copy of ``template``); its SQLAlchemy URL."""
        name = self.name(short)
        self.drop(short)
        sql = f'CREATE DATABASE "{name}"'
        if template is not None:
            sql += f' TEMPLATE "{self.name(template)}"'
        with self._admin() as conn:
            conn.execute(sql.encode())
        self.created.append(name)
        return self.sa_url(short)

    def drop(self, short: str) -> None:
        name = self.name(short)
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            self.drop(name.removeprefix(self.prefix))
