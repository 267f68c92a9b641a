"""The example app ("entity-todo") through pytest-flask's ``client``: its committed
migration files build exactly the schema its models describe."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.oracle import create_all_schema, reflect

EXAMPLE = Path(__file__).resolve().parent.parent / "example_app"


def test_boot_creates_schema_and_api_works(app: Flask, client: FlaskClient) -> None:
    r = client.post("/todos", json={"title": "write docs", "project": "launch"})
    assert r.status_code == 201
    assert client.post("/todos", json={"title": ""}).status_code == 400
    assert client.post("/todos/1/complete").get_json()["done"] is True
    assert [t["title"] for t in client.get("/todos").get_json()] == ["write docs"]


def test_committed_migrations_match_the_models(tmp_path: Path) -> None:
    from example_app import create_app
    from example_app.models import db

    url = f"sqlite:///{tmp_path / 'deployed.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "VERTZ_ENV": "production",
            "VERTZ_SNAPSHOT_PATH": str(tmp_path / "snap.json"),
        }
    )
    r = app.test_cli_runner().invoke(args=["vertz-db", "migrate", "deploy"])
    assert r.exit_code == 0, r.output
    r = app.test_cli_runner().invoke(args=["vertz-db", "check"])
    assert r.exit_code == 0, r.output  # the files capture the models
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'oracle.db'}")
    with app.app_context():
        deployed = reflect(db.engine)
        db.engine.dispose()
    assert deployed == create_all_schema(db.metadata, engine)
    engine.dispose()
