from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.helpers import AppFactory


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'app.db'}"


def _missing_server(kind: str) -> None:
    message = f"set VERTZ_TEST_{kind.upper()}_URL to run {kind} tests"
    if os.environ.get("VERTZ_REQUIRE_SERVERS"):
        pytest.fail(f"{message} (VERTZ_REQUIRE_SERVERS is set: nothing may skip)")
    pytest.skip(message)


def _server_db(base: str | None, kind: str) -> Iterator[str]:
    if not base:
        _missing_server(kind)
    name = f"vertz_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            if kind == "postgres":
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                )
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _server_db(os.environ.get("VERTZ_TEST_POSTGRES_URL"), "postgres")


@pytest.fixture
def mysql_url() -> Iterator[str]:
    yield from _server_db(os.environ.get("VERTZ_TEST_MYSQL_URL"), "mysql")


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def dialect_kind(request: pytest.FixtureRequest) -> str:
    kind = str(request.param)
    if kind != "sqlite" and not os.environ.get(f"VERTZ_TEST_{kind.upper()}_URL"):
        _missing_server(kind)
    return kind


@pytest.fixture
def fresh_url(dialect_kind: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes a new empty database of the test's dialect on each call."""
    cleanups: list[Iterator[str]] = []
    counter = iter(range(1_000_000))

    def make() -> str:
        if dialect_kind == "sqlite":
            return f"sqlite:///{tmp_path / f'db{next(counter)}.db'}"
        gen = _server_db(os.environ[f"VERTZ_TEST_{dialect_kind.upper()}_URL"], dialect_kind)
        cleanups.append(gen)
        return next(gen)

    yield make
    for gen in cleanups:
        for _ in gen:
            pass


@pytest.fixture
def make_app(tmp_path: Path, sqlite_url: str) -> Iterator[AppFactory]:
    factory = AppFactory(tmp_path, sqlite_url)
    yield factory
    factory.close()


@pytest.fixture
def make_app_on(tmp_path: Path) -> Iterator[Callable[[str], AppFactory]]:
    factories: list[AppFactory] = []

    def build(url: str) -> AppFactory:
        factory = AppFactory(tmp_path, url)
        factories.append(factory)
        return factory

    yield build
    for f in factories:
        f.close()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The example app on a fresh SQLite file (pytest-flask's ``client`` uses this)."""
    from example_app import create_app

    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'todo.db'}",
            "VERTZ_SNAPSHOT_PATH": str(tmp_path / ".vertz" / "schema-snapshot.json"),
            "TESTING": True,
            "DEBUG": True,  # `flask run --debug`: boot builds the schema
        }
    )
    yield application
    from example_app.models import db

    with application.app_context():
        db.engine.dispose()
