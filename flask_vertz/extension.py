"""The ``Vertz`` Flask extension."""

from __future__ import annotations

import sys
import weakref
from typing import TYPE_CHECKING, Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy

from vertz_engine.errors import VertzError
from vertz_engine.secrets import mask_urls_in
from vertz_engine.workflows import boot

from . import binds, config, output, wording
from .gcpause import gc_paused

if TYPE_CHECKING:  # the workflows load when something is to be done, not on every start
    from vertz_engine.project import ApplyResult, Project

CLI_NAME = "vertz-db"


class Vertz:
    """Schema migrations driven by the app's Flask-SQLAlchemy models.

    ``Vertz(app, db)`` or ``vertz = Vertz()`` then ``vertz.init_app(app, db)``. In
    development, ``init_app`` brings the database to the models (import the models first).
    """

    def __init__(self, app: Flask | None = None, db: SQLAlchemy | None = None) -> None:
        self.db = db
        self._dbs: weakref.WeakKeyDictionary[Flask, SQLAlchemy] = weakref.WeakKeyDictionary()
        if app is not None:
            self.init_app(app, db)

    def init_app(
        self, app: Flask, db: SQLAlchemy | None = None, *, auto_apply: bool | None = None
    ) -> None:
        """Register on ``app``: config defaults, the ``flask vertz-db`` commands, and (in
        development, unless ``VERTZ_AUTO_APPLY`` is false) the boot auto-apply."""
        if "vertz" in app.extensions:
            raise RuntimeError(
                "A 'Vertz' instance has already been registered on this Flask app."
                " Import and use that instance instead."
            )
        db = db or self.db
        if db is None:
            raise RuntimeError(
                "Vertz needs the app's Flask-SQLAlchemy instance: Vertz(app, db) or"
                " vertz.init_app(app, db)."
            )
        if "sqlalchemy" not in app.extensions:
            raise RuntimeError("Call db.init_app(app) before vertz.init_app(app, db).")
        for key, value in config.DEFAULTS.items():
            app.config.setdefault(key, value)
        if auto_apply is not None:
            app.config["VERTZ_AUTO_APPLY"] = auto_apply
        settings = config.settings(app)  # validates the keys now, not on first use
        self._dbs[app] = db
        with app.app_context():
            binds.check(dict(db.engines), db.metadatas, settings.binds)
        app.extensions["vertz"] = self
        from .cli import vertz_db

        app.cli.add_command(vertz_db, name=CLI_NAME)
        if _loading_for_vertz_cli(app):
            return
        if settings.auto_apply:
            self._boot(app)
        else:
            click.echo(
                output.dim(
                    f"flask-vertz: auto-apply is off ({settings.auto_apply_source}); start"
                    " with `flask run --debug` or set VERTZ_ENV=development to apply model"
                    " changes at start, `flask vertz-db migrate deploy` to apply migrations"
                ),
                err=True,
            )

    def projects(self, app: Flask | None = None, *, only: str | None = None) -> dict[str, Project]:
        """One engine :class:`~vertz_engine.Project` per bind that flask-vertz manages
        (``VERTZ_BINDS``; the default bind is named ``default``), in config order; ``only``
        names one of them."""
        from vertz_engine.project import Project

        return {name: Project(**kw) for name, kw in self._binds(app, only=only).items()}

    def _binds(self, app: Flask | None = None, *, only: str | None = None) -> dict[str, Any]:
        """The arguments of each managed bind's :class:`~vertz_engine.Project`."""
        app = app or current_app._get_current_object()  # type: ignore[attr-defined]
        db = self._dbs.get(app)
        if db is None:
            raise RuntimeError("This app was not set up with vertz.init_app(app, db).")
        s = config.settings(app)
        with app.app_context():
            engines = dict(db.engines)
        names = binds.managed(engines, db.metadatas, s.binds)
        if only is not None:
            if only not in names:
                raise config.ConfigError(binds.unknown_bind_message(only, names))
            names = [only]
        out: dict[str, Any] = {}
        for name in names:
            key = binds.key_of(name)
            out[name] = dict(
                engine=engines[key],
                metadata=db.metadatas[key],
                migrations_dir=binds.migrations_dir(s.migrations_dir, name),
                local_snapshot_path=binds.snapshot_path(s.snapshot_path, name),
                environment=s.environment,
                environment_source=s.environment_source,
                lock_timeout=s.lock_timeout,
                ddl_lock_timeout=s.ddl_lock_timeout,
                ddl_lock_retries=s.ddl_lock_retries,
                root=s.root,
            )
        return out

    def project(self, app: Flask | None = None, *, bind: str | None = None) -> Project:
        """The engine :class:`~vertz_engine.Project` of one bind (default: the default bind,
        or the only bind of an app with no default database)."""
        projects = self.projects(app, only=bind)
        if bind is None and binds.DEFAULT in projects:
            return projects[binds.DEFAULT]
        return next(iter(projects.values()))

    def apply_models(self, app: Flask | None = None, **kwargs: Any) -> ApplyResult:
        """Bring the database to the models now (what boot does in development)."""
        return self.project(app).apply_models(**kwargs)

    @gc_paused
    def _boot(self, app: Flask) -> None:
        projects = self._binds(app)
        if not any(kw["metadata"].tables for kw in projects.values()):
            click.echo(
                output.warn(
                    "flask-vertz: no models are registered yet, so boot changed nothing. "
                    "Import your models before vertz.init_app(app, db)."
                ),
                err=True,
            )
            return
        for name, kw in projects.items():
            if not kw["metadata"].tables or _proven_unchanged(kw):
                continue
            prefix = "flask-vertz: " if len(projects) == 1 else f"flask-vertz [{name}]: "
            self._boot_one(self.projects(app, only=name)[name], prefix)

    def _boot_one(self, project: Project, prefix: str) -> None:
        try:
            result = project.apply_models()
        except VertzError as exc:
            exc.args = (wording.words(exc), *exc.args[1:])  # the app's creator sees our words
            click.echo(
                output.error(f"{prefix}boot auto-apply failed: {mask_urls_in(str(exc))}"),
                err=True,
            )
            raise exc from None
        except sa.exc.SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            message = f"boot auto-apply failed on {project.safe_url()}: {mask_urls_in(reason)}"
            click.echo(output.error(f"{prefix}{message}"), err=True)
            raise VertzError(message) from None
        for line in output.apply_lines(result, prefix=prefix):
            click.echo(line, err=True)


def _proven_unchanged(kw: dict[str, Any]) -> bool:
    """The unchanged boot, checked without loading the workflows (production refuses
    the boot auto-apply whatever the models: not checked here)."""
    if kw["environment"] == config.PRODUCTION:
        return False
    try:
        return boot.unchanged(
            kw["engine"],
            kw["metadata"],
            kw["local_snapshot_path"],
            lock_timeout=kw["lock_timeout"],
        )
    except (VertzError, sa.exc.SQLAlchemyError):
        return False  # the full boot reports it


def _loading_for_vertz_cli(app: Flask | None = None) -> bool:
    """True while the ``flask`` command loads the app to run ``flask vertz-db ...`` (those
    commands do exactly what they say, never the boot auto-apply first) or Flask-Migrate's
    ``flask db ...`` (Alembic owns the schema for that command)."""
    if click.get_current_context(silent=True) is None:
        return False
    groups = {CLI_NAME}
    migrate = app.extensions.get("migrate") if app is not None else None
    if migrate is not None:
        groups.add(str(getattr(migrate, "command", "db") or "db"))
    elif "flask_migrate" in sys.modules:  # Migrate(app) may come after vertz.init_app
        groups.add("db")
    return any(arg in groups for arg in sys.argv[1:])
