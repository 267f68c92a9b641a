"""An app's start imports only what an unchanged boot uses: no Alembic, no sqlparse, no
SQLAlchemy dialect but the database's own (they load when a change, a render or a command
needs them). Each start is a fresh ``python`` process, as ``flask run`` makes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

APP = """
import json, sys
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_vertz import Vertz

db = SQLAlchemy()
for i in range(20):
    sa.Table(
        f"t{i}", db.metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False, server_default=sa.text("'x'")),
        sa.Column("parent_id", sa.ForeignKey(f"t{max(i - 1, 0)}.id")),
        sa.Index(f"ix_t{i}_name", "name"),
    )
app = Flask("bootapp", root_path=sys.argv[2])
app.config["SQLALCHEMY_DATABASE_URI"] = sys.argv[1]
db.init_app(app)
Vertz(app, db)
print(json.dumps(sorted(sys.modules)))
"""
NEVER = ("alembic", "sqlparse")
DIALECTS = {"sqlite": "sqlite", "postgres": "postgresql", "mysql": "mysql"}


def _start(app: Path, url: str, root: Path, **env: str) -> tuple[list[str], str]:
    out = subprocess.run(
        [sys.executable, str(app), url, str(root)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "VERTZ_ENV": "development", **env},
    )
    return json.loads(out.stdout), out.stderr


def _heavy(modules: list[str], own: str) -> list[str]:
    others = [f"sqlalchemy.dialects.{d}" for d in DIALECTS.values() if d != own]
    return [
        m
        for m in modules
        if m.split(".")[0] in NEVER or any(m == o or m.startswith(o + ".") for o in others)
    ]


def test_unchanged_boot_imports_no_migration_machinery(
    dialect_kind: str, fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    app = tmp_path / "bootapp.py"
    app.write_text(APP)
    url = fresh_url()
    _, err = _start(app, url, tmp_path)  # the first start creates the tables
    assert "applied" in err
    own = DIALECTS[dialect_kind]

    modules, err = _start(app, url, tmp_path)  # unchanged models
    assert "applied" not in err and "failed" not in err
    assert _heavy(modules, own) == []

    modules, err = _start(app, url, tmp_path, VERTZ_AUTO_APPLY="false")
    assert "auto-apply is off" in err
    assert _heavy(modules, own) == []


def test_changed_models_still_load_what_they_need(sqlite_url: str, tmp_path: Path) -> None:
    app = tmp_path / "bootapp.py"
    app.write_text(APP)
    _start(app, sqlite_url, tmp_path)
    app.write_text(APP.replace("sa.String(40)", "sa.String(80)"))
    modules, err = _start(app, sqlite_url, tmp_path)
    assert "applied 20 model change(s)" in err
    assert "alembic" in modules
