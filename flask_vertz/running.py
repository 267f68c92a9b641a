"""How a ``flask vertz-db`` command runs: once per managed bind (or the one ``--bind``
names), with the engine's errors turned into one message and an exit code."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click
import sqlalchemy as sa
from flask import current_app

from vertz_engine.errors import (
    AlembicFolder,
    DestructiveChanges,
    MigrationsFolderProblem,
    ProductionGuard,
    VertzError,
)
from vertz_engine.secrets import mask_urls_in

from . import config, documents, output, reports, wording

if TYPE_CHECKING:  # the workflows load when a command runs, not with the app
    from vertz_engine.project import Project

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 1
EXIT_PENDING = 2

_CURRENT: ContextVar[Project | None] = ContextVar("vertz_current_project", default=None)

bind_option = click.option(
    "--bind",
    "bind_name",
    metavar="NAME",
    default=None,
    help="Only this bind (Flask-SQLAlchemy bind key; `default` is the default database). "
    "Default: every bind flask-vertz manages.",
)


def projects(bind: str | None = None) -> dict[str, Project]:
    """The managed binds' projects (or the one ``--bind`` names)."""
    vertz = current_app.extensions.get("vertz")
    if vertz is None:  # pragma: no cover - the group is only added by init_app
        raise click.ClickException("this app does not use flask-vertz (call vertz.init_app)")
    found: dict[str, Project] = vertz.projects(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        only=bind,
    )
    if not found:
        raise click.ClickException(
            "no database to manage: the app has no SQLALCHEMY_DATABASE_URI and VERTZ_BINDS "
            "names no bind of SQLALCHEMY_BINDS"
        )
    return found


def project() -> Project:
    """The project the running command works on (one bind at a time)."""
    current = _CURRENT.get()
    return current if current is not None else next(iter(projects().values()))


def bind_name(of: Project) -> str:
    for name, candidate in projects().items():
        if candidate.migrations_dir == of.migrations_dir:
            return name
    return "default"  # pragma: no cover - every project comes from projects()


def _message(exc: Exception) -> str:
    """One line (or a few) for an error the user can act on, secrets masked."""
    if isinstance(exc, DestructiveChanges):
        text = reports.refusal(exc)
    elif isinstance(exc, ProductionGuard):
        text = f"{wording.words(exc)}\n({reports.DEVELOPMENT_HINT})"
    elif isinstance(exc, MigrationsFolderProblem):
        text = reports.folder_problem(
            exc,
            setting=current_app.config.get("VERTZ_MIGRATIONS_DIR") or "migrations",
            base=config.base_of(current_app),
        )
    elif isinstance(exc, AlembicFolder):
        text = reports.alembic_folder(exc)
    else:
        text = wording.words(exc)
    return output.error("Error: ") + mask_urls_in(text)


def one(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One clear message and exit 1 for user errors; never a traceback."""
    try:
        return fn(*args, **kwargs)
    except (VertzError, OSError) as exc:
        click.echo(_message(exc), err=True)
        sys.exit(EXIT_ERROR)
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        click.echo(output.error("Database error: ") + mask_urls_in(reason), err=True)
        sys.exit(EXIT_ERROR)


@dataclass
class Outcome:
    """What a command returns to :func:`per_bind`: its ``--json`` document, if any, and
    the exit code it asks for once every bind is done (``EXIT_PENDING``: something needs
    attention)."""

    document: dict[str, Any] | None = None
    exit_code: int = 0


def _wants_json(kwargs: dict[str, Any]) -> bool:
    return bool(kwargs.get("as_json")) or kwargs.get("fmt") == "json"


def per_bind(fn: F) -> F:
    """Adds ``--bind``, runs the command once per managed bind (with a heading when there
    are several; an error stops at that bind, exit 1; the worst other exit code is kept),
    and turns user errors into one message. A command that returns a JSON document (its
    ``--json``) gets one document for all binds, and no headings."""

    @bind_option
    @functools.wraps(fn)
    def wrapper(*args: Any, bind_name: str | None = None, **kwargs: Any) -> Any:
        found = one(projects, bind_name)
        worst = 0
        docs: dict[str, dict[str, Any]] = {}
        for name, each in found.items():
            if len(found) > 1 and not _wants_json(kwargs):
                click.echo(output.dim(f"== bind {name} ({each.safe_url()}) =="))
            token = _CURRENT.set(each)
            try:
                outcome = one(fn, *args, **kwargs)
                if isinstance(outcome, Outcome):
                    if outcome.document is not None:
                        docs[name] = outcome.document
                    worst = max(worst, outcome.exit_code)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else EXIT_ERROR
                if code == EXIT_ERROR:
                    raise
                worst = max(worst, code)
            finally:
                _CURRENT.reset(token)
        if docs:
            document = documents.per_bind(docs)
            click.echo(json.dumps(document, indent=2, sort_keys=True, default=wording.json_default))
        if worst:
            sys.exit(worst)

    return wrapper  # type: ignore[return-value]


def echo_lines(lines: Any) -> None:
    for line in lines:
        click.echo(line)
