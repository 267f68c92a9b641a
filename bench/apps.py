"""The Flask side of the peer: a Flask-SQLAlchemy app with Flask-Migrate, its ``migrations/``
folder, and hand-written Alembic revision files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ENV_HOOK = "            **conf_args"
ENV_PATCHED = "            transaction_per_migration=True,\n            **conf_args"


def flask_app(
    url: str, build_models: Callable[[sa.MetaData], object], *, nullpool: bool = False
) -> Any:
    """A Flask app with Flask-SQLAlchemy (models from ``build_models(db.metadata)``) and
    Flask-Migrate, the way an app using ``flask db`` sets itself up. ``nullpool`` (setup
    only) keeps no idle connection, so a PostgreSQL database can serve as a template."""
    from flask import Flask
    from flask_migrate import Migrate
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()
    build_models(db.metadata)
    app = Flask("benchapp")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if nullpool:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": sa.pool.NullPool}
    db.init_app(app)
    Migrate(app, db)
    return app


@dataclass(frozen=True)
class Revision:
    rev: str
    down: str | None
    message: str
    upgrade: Sequence[str] = ()
    downgrade: Sequence[str] = ()


def init_dir(app: Any, directory: Path) -> None:
    """``flask db init``, then ``transaction_per_migration=True`` in env.py's
    ``context.configure`` (one transaction per migration, like flask-vertz and the floor)."""
    import flask_migrate

    with app.app_context():
        flask_migrate.init(directory=str(directory))
    env = directory / "env.py"
    text = env.read_text()
    if ENV_HOOK not in text:
        raise RuntimeError(f"unexpected Flask-Migrate env.py template: {env}")
    env.write_text(text.replace(ENV_HOOK, ENV_PATCHED, 1))


def write_revisions(directory: Path, revisions: Sequence[Revision]) -> None:
    versions = directory / "versions"
    versions.mkdir(exist_ok=True)
    for r in revisions:
        up = "\n".join(f"    {line}" for line in r.upgrade) or "    pass"
        down = "\n".join(f"    {line}" for line in r.downgrade) or "    pass"
        (versions / f"{r.rev}_{r.message.replace(' ', '_')}.py").write_text(
            f'"""{r.message}\n\nRevision ID: {r.rev}\nRevises: {r.down or ""}\n"""\n\n'
            "import sqlalchemy as sa\nfrom alembic import op\n\n"
            f"revision = {r.rev!r}\ndown_revision = {r.down!r}\n"
            "branch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n{up}\n\n\ndef downgrade():\n{down}\n"
        )


def add_column_revisions(base: str, columns: Sequence[tuple[str, str]]) -> list[Revision]:
    """Revision ``base`` (a no-op: the tables exist) and one ``op.add_column`` revision per
    ``(table, column)``, chained."""
    revs = [Revision(base, None, "base")]
    for k, (table, column) in enumerate(columns, start=1):
        revs.append(
            Revision(
                f"r{k:04d}",
                revs[-1].rev,
                f"add {column}",
                [f"op.add_column({table!r}, sa.Column({column!r}, sa.Integer(), nullable=True))"],
                [f"op.drop_column({table!r}, {column!r})"],
            )
        )
    return revs


def stamp(app: Any, directory: Path, revision: str = "head") -> None:
    import flask_migrate

    with app.app_context():
        flask_migrate.stamp(directory=str(directory), revision=revision)
