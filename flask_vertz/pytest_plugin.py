"""flask-vertz's pytest plugin (registered through the ``pytest11`` entry point: installing
the package is all the set-up). It finds the app through the test suite's ``app`` fixture
(pytest-flask's convention).

``pytest --vertz`` adds the migration checks of :mod:`vertz_engine.verify` as test items
(``vertz::checksums``, ``vertz::round_trips``, ...). They deploy the files on a temporary
SQLite file by default; ``--vertz-url`` or the ``vertz_url`` ini setting names another empty
database (for files written for PostgreSQL or MySQL).

Fixtures for a suite's own tests: ``vertz_database`` (the URL of a database migrated to the
latest file; built once per session, copied or rebuilt for each test) and ``vertz_migrator``
(migrate to a given file, roll back one, insert rows before a file: for testing a data
migration).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from vertz_engine import verify
from vertz_engine.dialects import traits
from vertz_engine.project import Project

from . import wording

ANCHOR_FIXTURE = "app"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vertz", "flask-vertz migration checks")
    group.addoption(
        "--vertz",
        action="store_true",
        default=False,
        help="add flask-vertz's migration checks as test items (needs an `app` fixture)",
    )
    group.addoption(
        "--vertz-url",
        default=None,
        help="an empty database for the checks and fixtures (default: a temporary SQLite file)",
    )
    parser.addini("vertz_url", "an empty database for flask-vertz's checks and fixtures")


def _scratch_url(config: pytest.Config, folder: Path) -> str:
    url = config.getoption("--vertz-url") or config.getini("vertz_url")
    return str(url) if url else f"sqlite:///{folder / f'vertz-{uuid.uuid4().hex[:8]}.db'}"


def _project(app: Flask) -> Project:
    vertz = app.extensions.get("vertz")
    if vertz is None:
        raise pytest.UsageError("the `app` fixture's app does not use flask-vertz (vertz.init_app)")
    project: Project = vertz.project(app)
    return project


@pytest.fixture
def _vertz_scratch(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty scratch database for one check or test."""
    url = _scratch_url(request.config, tmp_path)
    engine = sa.create_engine(url)
    fresh_file = traits(engine).file_based  # a file database: made fresh, never wiped
    if not fresh_file:
        verify.wipe(engine)
    try:
        yield engine
    finally:
        if not fresh_file:
            verify.wipe(engine)
        engine.dispose()


def _make_check(name: str, fn: verify.CheckFn, needs_db: bool) -> Callable[..., None]:
    def check(app: Flask, request: pytest.FixtureRequest) -> None:
        project = _project(app)
        engine = request.getfixturevalue("_vertz_scratch") if needs_db else None
        problems = fn(project, engine)
        if problems:
            problem_list = wording.words(verify.describe(problems))
            pytest.fail(f"vertz {name}:\n{problem_list}", pytrace=False)

    check.__name__ = check.__qualname__ = f"vertz_{name}"
    check.__doc__ = fn.__doc__
    return check


def _anchor(session: pytest.Session, items: Sequence[pytest.Item]) -> pytest.Collector | None:
    """The collector (a package or folder) under which the ``app`` fixture is visible."""
    fm = session._fixturemanager
    for item in items:
        module = item.getparent(pytest.Module)
        if module is None or module.parent is None:
            continue
        if fm.getfixturedefs(ANCHOR_FIXTURE, module.parent):
            return module.parent
        if fm.getfixturedefs(ANCHOR_FIXTURE, module):
            return module
    return None


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not config.getoption("--vertz"):
        return
    anchor = _anchor(session, items)
    if anchor is None:
        raise pytest.UsageError(
            "pytest --vertz needs an `app` fixture (pytest-flask's convention) in a conftest.py "
            "next to the collected tests: it returns the Flask app that uses flask-vertz"
        )
    checks = [
        pytest.Function.from_parent(
            anchor, name=f"vertz::{name}", callobj=_make_check(name, fn, db)
        )
        for name, (fn, db) in verify.CHECKS.items()
    ]
    items[:0] = checks


# -- fixtures for a suite's own tests ---------------------------------------------------------


class Migrator:
    """A scratch database moved through the migration files one step at a time."""

    def __init__(self, project: Project, engine: sa.Engine) -> None:
        self.project = project
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=False)

    @property
    def files(self) -> list[str]:
        return [f.name for f in self.project.files()]

    def migrate_to(self, name: str | None = None) -> list[str]:
        """Apply the files up to and including ``name`` (default: all). Returns those applied."""
        return verify.on(self.project, self.engine, last=name).deploy(force=True).applied

    def rollback(self, steps: int = 1) -> list[str]:
        """Run the rollback section of the last ``steps`` applied files."""
        return verify.on(self.project, self.engine).rollback(steps, force=True).rolled_back

    def insert(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` into ``table`` as the database has it now (not as the models
        say): for rows that a later data migration must carry."""
        reflected = sa.Table(table, sa.MetaData(), autoload_with=self.engine)
        with self.engine.begin() as conn:
            conn.execute(reflected.insert(), [dict(r) for r in rows])

    def rows(self, table: str) -> list[dict[str, Any]]:
        reflected = sa.Table(table, sa.MetaData(), autoload_with=self.engine)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(reflected))]


@pytest.fixture
def vertz_migrator(app: Flask, _vertz_scratch: sa.Engine) -> Migrator:
    """An empty scratch database and the app's migration files, to move through one at a
    time (``migrate_to``, ``rollback``, ``insert``, ``rows``)."""
    return Migrator(_project(app), _vertz_scratch)


class _Templates:
    """Migrated SQLite files built once per session, one per migrations folder."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.built: dict[str, str] = {}

    def get(self, project: Project) -> str:
        key = str(project.migrations_dir.resolve())
        if key not in self.built:
            path = self.factory.mktemp("vertz-template") / "migrated.db"
            engine = sa.create_engine(f"sqlite:///{path}")
            try:
                verify.on(project, engine).deploy(force=True)
            finally:
                engine.dispose()
            self.built[key] = str(path)
        return self.built[key]


@pytest.fixture(scope="session")
def _vertz_templates(tmp_path_factory: pytest.TempPathFactory) -> _Templates:
    return _Templates(tmp_path_factory)


@pytest.fixture
def vertz_database(
    app: Flask,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _vertz_templates: _Templates,
) -> Iterator[str]:
    """The URL of a database migrated to the latest file. On SQLite the migrated file is
    built once per session and each test gets its own copy; another database is rebuilt
    for each test (every table dropped, every file applied)."""
    project = _project(app)
    url = _scratch_url(request.config, tmp_path)
    engine = sa.create_engine(url)
    try:
        if traits(engine).file_based and engine.url.database:
            shutil.copyfile(_vertz_templates.get(project), engine.url.database)
        else:
            verify.wipe(engine)
            verify.on(project, engine).deploy(force=True)
        yield url
    finally:
        engine.dispose()
