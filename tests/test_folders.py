"""Where the folders live: relative ``VERTZ_MIGRATIONS_DIR`` and ``VERTZ_SNAPSHOT_PATH``
start next to the app's instance folder (the project root of a package app), and ``init``
refuses a folder Alembic already uses."""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests import models
from tests.helpers import AppFactory, run

PACKAGE_APP = """
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_vertz import Vertz

db = SQLAlchemy()


class Todo(db.Model):
    __tablename__ = "todos"
    id = sa.Column(sa.Integer, primary_key=True)


def create_app(**kwargs):
    app = Flask(__name__, **kwargs)
    app.config.update(
        SQLALCHEMY_DATABASE_URI="sqlite:///" + {db_path!r},
        VERTZ_AUTO_APPLY=False,
        VERTZ_ENV="development",
    )
    db.init_app(app)
    Vertz(app, db)
    return app
"""


@pytest.fixture
def package_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Flask]]:
    """A package app (``project/NAME/__init__.py`` creates it), imported from ``project``."""
    name = f"vertz_pkg_{uuid.uuid4().hex[:8]}"
    package = tmp_path / "project" / name
    package.mkdir(parents=True)
    db_path = str(tmp_path / "app.db")
    (package / "__init__.py").write_text(textwrap.dedent(PACKAGE_APP.format(db_path=db_path)))
    monkeypatch.syspath_prepend(str(tmp_path / "project"))
    made: list[Flask] = []

    def build(**kwargs: object) -> Flask:
        module = __import__(name)
        app: Flask = module.create_app(**kwargs)
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            sys.modules[name].db.engine.dispose()
    sys.modules.pop(name, None)


def test_package_app_keeps_its_folders_at_the_project_root(
    package_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = package_app()
    project = tmp_path / "project"
    assert Path(app.instance_path) == project / "instance"
    r = run(app, "init")
    assert r.exit_code == 0, r.output
    assert (project / "migrations" / "_snapshot.json").exists()
    assert (project / ".vertz" / "schema-snapshot.json").exists()
    assert ".vertz/" in (project / ".gitignore").read_text()
    assert not (Path(app.root_path) / "migrations").exists()  # not inside the package
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    assert (project / "migrations" / "0001_init.sql").exists()


def test_an_instance_folder_given_to_flask_is_the_base(
    package_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = package_app(instance_path=str(tmp_path / "srv" / "instance"))
    assert run(app, "init").exit_code == 0
    assert (tmp_path / "srv" / "migrations" / "_snapshot.json").exists()
    assert not (tmp_path / "project" / "migrations").exists()


def test_an_app_whose_name_cannot_be_imported_keeps_its_root_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_app: AppFactory
) -> None:
    """Flask puts such an app's instance folder under the current directory; the folders
    stay under the ``root_path`` it was given, never in the current directory."""
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)  # Flask("testapp", root_path=tmp_path)
    assert Path(app.instance_path) == elsewhere / "instance"
    assert run(app, "init").exit_code == 0
    assert (tmp_path / "migrations" / "_snapshot.json").exists()
    assert list(elsewhere.iterdir()) == []
    app2 = make_app(models.v1, VERTZ_AUTO_APPLY=False, VERTZ_MIGRATIONS_DIR="missing")
    r = run(app2, "status")
    assert r.exit_code == 1
    assert f"relative to the app's root_path {tmp_path})" in r.output


@pytest.mark.parametrize("mark", ["env.py", "alembic.ini", "versions"])
def test_init_refuses_a_folder_alembic_uses(
    make_app: AppFactory, tmp_path: Path, mark: str
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    if mark == "versions":
        (folder / "versions").mkdir()
    else:
        (folder / mark).write_text("# Alembic's\n")
    before = sorted(p.name for p in folder.iterdir())
    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    r = run(app, "init")
    assert r.exit_code == 1
    shown = "versions/" if mark == "versions" else mark
    assert r.output.strip() == (
        f"Error: refusing to use {folder} as the migrations folder: Alembic (or Flask-Migrate) "
        f"uses it (it holds {shown}). Give flask-vertz a folder of its own: "
        f"VERTZ_MIGRATIONS_DIR = 'migrations_vertz' (then {tmp_path / 'migrations_vertz'})."
    )
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written
    app2 = make_app(models.v1, VERTZ_AUTO_APPLY=False, VERTZ_MIGRATIONS_DIR="migrations_vertz")
    assert run(app2, "init").exit_code == 0
    assert (tmp_path / "migrations_vertz" / "_snapshot.json").exists()
