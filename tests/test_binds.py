"""Flask-SQLAlchemy binds: each bind that flask-vertz manages has its own files, snapshots
and history in its own database; commands act on every bind or on one (``--bind``)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_vertz import Vertz
from flask_vertz.config import ConfigError
from tests.helpers import run
from tests.oracle import create_all_schema, reflect


def _models(db: SQLAlchemy, *, report_extra: bool = False, todo_extra: bool = False) -> None:
    class Todo(db.Model):  # type: ignore[name-defined]
        __tablename__ = "todos"
        id = sa.Column(sa.Integer, primary_key=True)
        title = sa.Column(sa.String(200), nullable=False)
        if todo_extra:
            priority = sa.Column(sa.Integer, nullable=True)

    class Report(db.Model):  # type: ignore[name-defined]
        __bind_key__ = "reports"
        __tablename__ = "daily_reports"
        id = sa.Column(sa.Integer, primary_key=True)
        day = sa.Column(sa.Date, nullable=False, index=True)
        if report_extra:
            total = sa.Column(sa.Integer, nullable=True)


Apps = Callable[..., tuple[Flask, SQLAlchemy]]


@pytest.fixture
def two_dbs(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[str, str]:  # (default sqlite, reports server)
    kind = request.param
    fixture = "postgres_url" if kind == "postgres" else "mysql_url"
    return f"sqlite:///{tmp_path / 'main.db'}", str(request.getfixturevalue(fixture))


@pytest.fixture
def apps(tmp_path: Path) -> Apps:
    made: list[tuple[Flask, SQLAlchemy]] = []

    def build(
        default: str | None, reports: str, *, debug: bool = False, **kw: object
    ) -> tuple[Flask, SQLAlchemy]:
        db = SQLAlchemy()
        _models(db, **kw)  # type: ignore[arg-type]
        app = Flask("bindsapp", root_path=str(tmp_path))
        if default:
            app.config["SQLALCHEMY_DATABASE_URI"] = default
        app.config["SQLALCHEMY_BINDS"] = {"reports": reports}
        app.config["VERTZ_ENV"] = "development" if debug else "production"
        db.init_app(app)
        Vertz(app, db)
        made.append((app, db))
        return app, db

    yield build  # type: ignore[misc]
    for app, db in made:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


def _create_all(db: SQLAlchemy, app: Flask, bind: str | None, url: str) -> dict[str, object]:
    engine = sa.create_engine(url)
    try:
        return create_all_schema(db.metadatas[bind], engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("two_dbs", ["postgres", "mysql"], indirect=True)
def test_one_migrate_dev_and_deploy_for_every_bind(
    two_dbs: tuple[str, str], apps: Apps, tmp_path: Path, fresh_oracle_urls: Callable[[str], str]
) -> None:
    main_url, reports_url = two_dbs
    dev, db = apps(main_url, reports_url, debug=True)
    # boot brought both binds to their models
    with dev.app_context():
        assert "todos" in sa.inspect(db.engines[None]).get_table_names()
        assert "daily_reports" in sa.inspect(db.engines["reports"]).get_table_names()
    r = run(dev, "migrate", "dev", "--name", "init")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert (tmp_path / "migrations" / "0001_init.sql").exists()
    assert (tmp_path / "migrations" / "reports" / "0001_init.sql").exists()
    assert "daily_reports" in (tmp_path / "migrations" / "reports" / "0001_init.sql").read_text()
    assert "daily_reports" not in (tmp_path / "migrations" / "0001_init.sql").read_text()
    # a fresh pair of databases built from the files: what create_all builds, per bind
    fresh_main, fresh_reports = f"sqlite:///{tmp_path / 'fresh.db'}", fresh_oracle_urls("deploy")
    prod, pdb = apps(fresh_main, fresh_reports)
    r = run(prod, "migrate", "deploy")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    with prod.app_context():
        assert reflect(pdb.engines[None]) == _create_all(
            pdb, prod, None, f"sqlite:///{tmp_path / 'oracle.db'}"
        )
        assert reflect(pdb.engines["reports"]) == _create_all(
            pdb, prod, "reports", fresh_oracle_urls("oracle")
        )
    # --bind limits a command to one bind
    dev2, _ = apps(main_url, reports_url, debug=True, report_extra=True, todo_extra=True)
    r = run(dev2, "migrate", "dev", "--name", "total", "--bind", "reports", "--create-only")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert (tmp_path / "migrations" / "reports" / "0002_total.sql").exists()
    assert not (tmp_path / "migrations" / "0002_total.sql").exists()
    r = run(prod, "status", "--json")
    doc = json.loads(r.output)  # type: ignore[attr-defined]
    assert sorted(doc["binds"]) == ["default", "reports"]
    assert doc["binds"]["reports"]["bind"] == "reports"
    r = run(prod, "status", "--json", "--bind", "reports")
    assert json.loads(r.output)["bind"] == "reports"  # type: ignore[attr-defined]
    r = run(prod, "migrate", "deploy", "--bind", "default")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert "0002_total" not in r.output  # type: ignore[attr-defined]


@pytest.fixture
def fresh_oracle_urls(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Extra empty server databases of the test's kind (by label)."""
    from tests.conftest import _server_db

    kind = request.node.callspec.params["two_dbs"]
    made: dict[str, str] = {}
    gens = []

    def make(label: str) -> str:
        if label not in made:
            gen = _server_db(os.environ[f"VERTZ_TEST_{kind.upper()}_URL"], kind)
            gens.append(gen)
            made[label] = next(gen)
        return made[label]

    yield make  # type: ignore[misc]
    for gen in gens:
        for _ in gen:
            pass


def test_an_app_with_only_binds(apps: Apps, tmp_path: Path) -> None:
    dev, db = apps(None, f"sqlite:///{tmp_path / 'reports.db'}", debug=True)
    with dev.app_context():
        assert "daily_reports" in sa.inspect(db.engines["reports"]).get_table_names()
    r = run(dev, "migrate", "dev", "--name", "init")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert (tmp_path / "migrations" / "reports" / "0001_init.sql").exists()
    r = run(dev, "status", "--json")
    assert json.loads(r.output)["bind"] == "reports"  # type: ignore[attr-defined]


def test_vertz_binds_limits_what_is_touched(tmp_path: Path) -> None:
    db = SQLAlchemy()
    _models(db)
    app = Flask("bindsapp", root_path=str(tmp_path))
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'main.db'}",
        SQLALCHEMY_BINDS={"reports": f"sqlite:///{tmp_path / 'reports.db'}"},
        VERTZ_ENV="development",
        VERTZ_BINDS=["default"],
    )
    db.init_app(app)
    Vertz(app, db)
    with app.app_context():
        assert sa.inspect(db.engines["reports"]).get_table_names() == []  # never touched
        for engine in db.engines.values():
            engine.dispose()
    r = app.test_cli_runner().invoke(args=["vertz-db", "status", "--bind", "reports"])
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: --bind: no bind named 'reports' (binds with a database: default; "
        "the default bind is named 'default')"
    )


def test_unknown_bind_in_config_and_shared_database(tmp_path: Path) -> None:
    for binds, message in (
        (
            ["default", "archive"],
            "VERTZ_BINDS: no bind named 'archive' (binds with a database: default, reports; "
            "the default bind is named 'default')",
        ),
        (
            None,
            "binds default and reports use the same database; flask-vertz keeps one history "
            "per database: list only one of them in VERTZ_BINDS",
        ),
    ):
        db = SQLAlchemy()
        _models(db)
        app = Flask("bindsapp", root_path=str(tmp_path))
        same = binds is None
        app.config.update(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'main.db'}",
            SQLALCHEMY_BINDS={"reports": f"sqlite:///{tmp_path / ('main.db' if same else 'r.db')}"},
            VERTZ_BINDS=binds,
        )
        db.init_app(app)
        with pytest.raises(ConfigError) as info:
            Vertz(app, db)
        assert info.value.message == message
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


def test_json_dry_runs_cover_every_bind(apps: Apps, tmp_path: Path) -> None:
    """One document for all binds: ``{"format": 1, "binds": {NAME: {...}}}``, no headings."""
    main, reports = f"sqlite:///{tmp_path / 'main.db'}", f"sqlite:///{tmp_path / 'rep.db'}"
    dev, _ = apps(main, reports, debug=True)
    r = run(dev, "migrate", "dev", "--name", "init", "--dry-run", "--json")
    doc = json.loads(r.output)  # type: ignore[attr-defined]
    assert doc["format"] == 1 and set(doc["binds"]) == {"default", "reports"}
    assert doc["binds"]["reports"]["bind"] == "reports"
    assert doc["binds"]["reports"]["file"] == "0001_init"
    assert [c["description"] for c in doc["binds"]["reports"]["changes"]] == [
        "add table daily_reports",
        "add index daily_reports.ix_daily_reports_day",
    ]
    assert run(dev, "migrate", "dev", "--name", "init").exit_code == 0  # type: ignore[attr-defined]
    r = run(dev, "check", "--format", "json")
    doc = json.loads(r.output)  # type: ignore[attr-defined]
    assert {name: d["ok"] for name, d in doc["binds"].items()} == {"default": True, "reports": True}
    r = run(dev, "migrate", "deploy", "--dry-run", "--json", "--bind", "reports")
    assert json.loads(r.output) == {  # type: ignore[attr-defined]
        "format": 1,
        "bind": "reports",
        "dry_run": True,
        "pending": [],
    }
