"""Checks of a project's migrations, for a test suite (the ``pytest --vertz`` items) or CI:
files signed and numbered in a line, the files deploy on an empty database to exactly the
models and to ``_snapshot.json``, every file's rollback undoes it so that it applies again,
no model change is missing a file, and no table in the files is missing from the models.

Each check takes a :class:`~vertz_engine.project.Project` (the models and the folder) and,
where it needs one, a scratch engine for an empty database; it returns the problems found,
one line each (an empty list: the check passed). Modelled on pytest-alembic's checks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from vertz_engine.db.introspect import drift
from vertz_engine.errors import VertzError
from vertz_engine.project import Project
from vertz_engine.remedies import Text
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import RESERVED_PREFIX
from vertz_engine.workflows.loader import Loader

CheckFn = Callable[[Project, Engine | None], Sequence[str | Text]]


def on(project: Project, engine: Engine, *, last: str | None = None) -> Project:
    """``project``'s models and files on another database, its folder ending at file
    ``last`` (production rules: every file runs, none is taken as already made by a boot)."""
    other = dataclasses.replace(
        project, engine=engine, environment="production", environment_source="checks"
    )
    return other.up_to(last) if last is not None else other


def checksums(project: Project, _engine: Engine | None = None) -> list[str | Text]:
    problems: list[str | Text] = []
    for f in project.files():
        try:
            f.verify()
        except VertzError as exc:
            problems.append(exc.text)
    return problems


def numbering(project: Project, _engine: Engine | None = None) -> list[str]:
    files = project.files()
    problems = [f"{a} and {b} have the same number" for a, b in Loader.same_numbers(files)]
    numbers = sorted({f.number for f in files})
    for expected, number in enumerate(numbers, start=1):
        if number != expected:
            problems.append(f"the numbers skip from {expected - 1:04d} to {number:04d}")
            break
    return problems


def _schema(conn: sa.Connection) -> sa.MetaData:
    """The live schema, reflected (flask-vertz's own tables left out)."""
    reflected = sa.MetaData()
    reflected.reflect(conn, only=lambda name, _md: not name.startswith(RESERVED_PREFIX))
    return reflected


def _deploy_all(project: Project, engine: Engine) -> Project:
    scratch = on(project, engine)
    _require_empty(engine)
    scratch.deploy(force=True)
    return scratch


def wipe(engine: Engine) -> list[str]:
    """Drop every table (and PostgreSQL enum type) of a scratch database."""
    from vertz_engine.db import database
    from vertz_engine.workflows.reset import drop_everything

    with database.connect(engine) as conn:
        with database.lock(conn, timeout=30.0):
            return drop_everything(conn)


def _require_empty(engine: Engine) -> None:
    with engine.connect() as conn:
        tables = sa.inspect(conn).get_table_names()
    if tables:
        raise VertzError(
            f"the scratch database must be empty, but it has {len(tables)} table(s): "
            f"{', '.join(sorted(tables)[:5])}"
        )


def upgrade(project: Project, engine: Engine | None) -> list[str]:
    """Every file applies, in order, on an empty database."""
    assert engine is not None
    try:
        _deploy_all(project, engine)
    except (VertzError, sa.exc.SQLAlchemyError) as exc:
        return [f"deploying the files on an empty database failed: {_reason(exc)}"]
    return []


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def snapshot_matches_files(project: Project, engine: Engine | None) -> list[str]:
    """``_snapshot.json`` describes the schema the files build."""
    assert engine is not None
    ms = project.ws.loader.migrations_snapshot()
    if ms is None:
        return [f"{project.migrations_snapshot_path} is missing"]
    try:
        _deploy_all(project, engine)
    except (VertzError, sa.exc.SQLAlchemyError):
        return []  # reported by `upgrade`
    with engine.connect() as conn:
        return [
            f"{project.migrations_snapshot_path.name} differs from the files' schema: {d}"
            for d in drift(conn, snap_mod.to_metadata(ms))
        ]


def files_build_the_models(project: Project, engine: Engine | None) -> list[str]:
    """All files on an empty database give exactly what ``create_all()`` builds for the
    models. A difference that a narrower check explains (a model change with no file, a
    snapshot that differs from the files, a file that fails) is left to that check."""
    assert engine is not None
    if models_captured(project) or models_imported(project):
        return []
    try:
        _deploy_all(project, engine)
    except (VertzError, sa.exc.SQLAlchemyError):
        return []
    with engine.connect() as conn:
        problems = drift(conn, project.metadata)
        ms = project.ws.loader.migrations_snapshot()
        if ms is not None and drift(conn, snap_mod.to_metadata(ms)):
            return []
    return [f"the files' schema differs from the models: {d}" for d in problems]


def round_trips(project: Project, engine: Engine | None) -> list[str]:
    """For every file, last to first: rollback then up again gives the same schema, and
    rolling back every file leaves no table."""
    assert engine is not None
    try:
        scratch = _deploy_all(project, engine)
    except (VertzError, sa.exc.SQLAlchemyError):
        return []  # reported by `upgrade`
    problems: list[str] = []
    for f in reversed(scratch.files()):
        upto = on(project, engine, last=f.name)  # "up" applies this file, not the later ones
        with engine.connect() as conn:
            after_up = _schema(conn)
        try:
            upto.rollback(1, force=True)
            upto.deploy(force=True)
        except (VertzError, sa.exc.SQLAlchemyError) as exc:
            return [*problems, f"{f.name}: rollback then up failed: {_reason(exc)}"]
        with engine.connect() as conn:
            problems += [
                f"{f.name}: up -> rollback -> up differs: {d}" for d in drift(conn, after_up)
            ]
        try:
            upto.rollback(1, force=True)
        except (VertzError, sa.exc.SQLAlchemyError) as exc:
            return [*problems, f"{f.name}: rollback failed: {_reason(exc)}"]
    with engine.connect() as conn:
        left = sorted(_schema(conn).tables)
    if left:
        problems.append(f"rolling back every file leaves table(s) {', '.join(left)}")
    return problems


def models_captured(project: Project, _engine: Engine | None = None) -> list[str]:
    """No model change is missing a migration file."""
    result = project.check()
    return [f"model change with no migration file: {c.describe()}" for c in result.model_changes]


def models_imported(project: Project, _engine: Engine | None = None) -> list[str]:
    """Every table the files build is in the models (a model module that is not imported
    looks like a dropped table)."""
    ms = project.ws.loader.migrations_snapshot()
    if ms is None:
        return []
    missing = sorted(set(ms["tables"]) - set(project.metadata.tables))
    return [
        f"table {t} is built by the migration files but no model defines it: is its model "
        f"module imported before the app is set up?"
        for t in missing
    ]


#: name -> (check, needs a scratch database)
CHECKS: dict[str, tuple[CheckFn, bool]] = {
    "checksums": (checksums, False),
    "numbering": (numbering, False),
    "upgrade": (upgrade, True),
    "snapshot_matches_files": (snapshot_matches_files, True),
    "files_build_the_models": (files_build_the_models, True),
    "round_trips": (round_trips, True),
    "models_captured": (models_captured, False),
    "models_imported": (models_imported, False),
}


def describe(problems: Sequence[str | Text]) -> Text:
    return Text.join("\n", (Text("- ", p) for p in problems))
