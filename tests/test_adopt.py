"""Switching from Flask-Migrate: a real Flask-Migrate app (its own Alembic revisions applied
with ``flask db upgrade``) adopted by ``flask vertz-db adopt``, as the README tells."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from flask_vertz import Vertz, alembic_include_name
from tests import models
from tests.oracle import reflect

# Flask-Migrate's generated env.py still calls db.get_engine() (deprecated in Flask-SQLAlchemy)
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


def _app(
    url: str, root: Path, models_fn, *, vertz: bool, env: str = "production"
) -> tuple[Flask, SQLAlchemy]:  # type: ignore[no-untyped-def]
    db = SQLAlchemy()
    models_fn(db)
    app = Flask("fmapp", root_path=str(root))
    app.config.update(SQLALCHEMY_DATABASE_URI=url, VERTZ_ENV=env)
    db.init_app(app)
    Migrate(app, db, directory=str(root / "alembic"), include_name=alembic_include_name)
    if vertz:
        Vertz(app, db)
    return app, db


def _v4(db: SQLAlchemy) -> None:
    """v3 plus a nullable column."""
    models.v3(db)
    db.Model.metadata.tables["todos"].append_column(sa.Column("notes", sa.Text, nullable=True))


def _cli(app: Flask, *args: str) -> str:
    r = app.test_cli_runner().invoke(args=list(args))
    assert r.exit_code == 0, (args, r.output, r.exception)
    return str(r.output)


@pytest.fixture(params=["sqlite", "postgres"])
def urls(request: pytest.FixtureRequest, tmp_path: Path, fresh_url) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return fresh_url(), fresh_url()


@pytest.fixture
def dialect_kind(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["urls"])


def _dispose(*pairs: tuple[Flask, SQLAlchemy]) -> None:
    for app, db in pairs:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


def test_switch_from_flask_migrate(urls: tuple[str, str], tmp_path: Path) -> None:
    url, fresh = urls
    # a Flask-Migrate app, as it is today
    fm, fm_db = _app(url, tmp_path, models.v3, vertz=False)
    _cli(fm, "db", "init")
    _cli(fm, "db", "migrate", "-m", "init")
    _cli(fm, "db", "upgrade")
    with fm.app_context():
        before = reflect(fm_db.engine)
    # README, "Coming from Flask-Migrate": register Vertz, then adopt
    app, db = _app(url, tmp_path, models.v3, vertz=True)
    out = _cli(app, "vertz-db", "adopt")
    assert out.splitlines()[0] == (
        f"wrote {tmp_path / 'migrations' / '0001_adopted.sql'} (2 table(s)), recorded as applied"
    )
    assert "left out (not in the models, left as they are): alembic_version" in out
    assert "The models match the database." in out
    with app.app_context():
        assert reflect(db.engine) == before  # adopt changed no schema
        assert "alembic_version" in sa.inspect(db.engine).get_table_names()
    st = json.loads(_cli(app, "vertz-db", "status", "--json"))
    assert st["model_changes"] == [] and st["db_drift"] == [] and st["pending"] == []
    # the next model change becomes a file with only that change
    dev, dev_db = _app(url, tmp_path, _v4, vertz=True, env="development")
    out = _cli(dev, "vertz-db", "migrate", "dev", "--name", "notes", "--create-only")
    text = (tmp_path / "migrations" / "0002_notes.sql").read_text()
    up = text.split("-- @rollback")[0]
    assert "notes" in up and "CREATE TABLE" not in up
    # a fresh database deployed from the files equals the adopted one
    new, new_db = _app(fresh, tmp_path, models.v3, vertz=True)
    (tmp_path / "migrations" / "0002_notes.sql").unlink()
    deployed_files = tmp_path / "deployed"
    deployed_files.mkdir()
    for p in (tmp_path / "migrations").iterdir():
        if p.name.startswith("0001") or p.name == "_snapshot.json":
            (deployed_files / p.name).write_bytes(p.read_bytes())
    new.config["VERTZ_MIGRATIONS_DIR"] = str(deployed_files)
    _cli(new, "vertz-db", "migrate", "deploy")
    with new.app_context():
        deployed = reflect(new_db.engine)
    before.pop("alembic_version", None)
    assert deployed == before
    _dispose((fm, fm_db), (app, db), (new, new_db), (dev, dev_db))


def test_boot_does_not_run_under_flask_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    import click

    monkeypatch.setattr("sys.argv", ["flask", "db", "upgrade"])
    with click.Context(click.Command("db")):
        app, db = _app(url, tmp_path, models.v1, vertz=True, env="development")
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
    _dispose((app, db))


def test_adopt_refuses_a_managed_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    app, db = _app(url, tmp_path, models.v1, vertz=True, env="development")
    _cli(app, "vertz-db", "migrate", "dev", "--name", "init")
    r = app.test_cli_runner().invoke(args=["vertz-db", "adopt"])
    assert r.exit_code == 1
    assert r.output.strip() == (
        f"Error: {tmp_path / 'migrations'} already has migration files; adopt writes the first "
        "one (to record existing files on this database, use baseline)"
    )
    _dispose((app, db))
