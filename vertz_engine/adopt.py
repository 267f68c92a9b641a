"""Adopting a database that another tool built (Flask-Migrate, Alembic, hand-written SQL):
the first migration file is written from the database as it is (Alembic/SQLAlchemy
reflection, the tables the models know), recorded as applied there, and
``_snapshot.json`` describes it; the models' differences from it are reported, so that
the next ``migrate dev`` captures exactly them. Other tools' tables (``alembic_version``)
are left alone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from vertz_engine.db import database, history
from vertz_engine.errors import VertzError
from vertz_engine.files import migration_file
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.plan import render
from vertz_engine.plan.diff import diff, reverse
from vertz_engine.plan.model import Change
from vertz_engine.project import Project
from vertz_engine.schema import build, features
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import RESERVED_PREFIX, Snapshot
from vertz_engine.workflows.position import Position

ADOPTED_NOTE = "adopted: the database already had this schema; not run"


@dataclass
class AdoptResult:
    path: Path
    tables: list[str]  # in the file
    left_out: list[str]  # in the database, not in the models: not in the file, untouched
    missing: list[str]  # in the models, not in the database
    model_changes: list[Change] = field(default_factory=list)  # for the next migrate dev


class AlreadyManaged(VertzError):
    """The folder already has migration files, or the database a flask-vertz history."""


_SERIAL = re.compile(r"^nextval\('(?:\"?[\w$]+\"?\.)?\"?([\w$]+)\"?'::regclass\)$")


def _serial_defaults_off(metadata: sa.MetaData) -> None:
    """A PostgreSQL SERIAL column reflects as ``DEFAULT nextval('<t>_<c>_seq')``: in the
    models (and so in the file) it is an autoincrementing key with no server default."""
    for table in metadata.tables.values():
        for column in table.columns:
            default = column.server_default
            text = str(getattr(default, "arg", "")) if default is not None else ""
            match = _SERIAL.match(text)
            if match and column.autoincrement is not False and column.primary_key:
                column.server_default = None


def adopt(project: Project, name: str = "adopted") -> AdoptResult:
    """Write the first migration file from the live database and record it as applied."""
    slug = migration_file.slugify(name)
    if project.files():
        raise AlreadyManaged(
            f"{project.migrations_dir} already has migration files; adopt writes the first "
            f"one (to record existing files on this database, use baseline)"
        )
    with project.ws.connect() as conn:
        if history.read_history(conn):
            raise AlreadyManaged(
                f"the database at {project.safe_url()} already has a flask-vertz history"
            )
        existing = set(sa.inspect(conn).get_table_names())
        known = sorted(t for t in project.metadata.tables if t in existing)
        if not known:
            raise VertzError(
                f"the database at {project.safe_url()} has none of the models' tables: "
                f"nothing to adopt (a new database starts with migrate dev)"
            )
        reflected = sa.MetaData()
        reflected.reflect(conn, only=known)
    left_out = sorted(
        t for t in existing - set(project.metadata.tables) if not t.startswith(RESERVED_PREFIX)
    )
    for extra in set(reflected.tables) - set(known):  # pulled in by a foreign key
        reflected.remove(reflected.tables[extra])
    _serial_defaults_off(reflected)
    features.declared_options_only(reflected, project.metadata)
    adopted = build.from_metadata(reflected, project.engine.dialect)
    f = _write_first_file(project, adopted, slug)
    fp = snap_mod.fingerprint(adopted)
    with project.ws.locked() as conn:
        with database.transaction(conn):
            history.ensure_tables(conn)
            history.Recorder(conn).applied(f.name, f.actual_checksum, note=ADOPTED_NOTE)
            Position.at(conn, adopted, fp)
    return AdoptResult(
        path=f.path,
        tables=known,
        left_out=left_out,
        missing=sorted(set(project.metadata.tables) - existing),
        model_changes=diff(adopted, project.ws.loader.target()).changes(),
    )


def _write_first_file(project: Project, adopted: Snapshot, slug: str) -> MigrationFile:
    """The first migration file, building ``adopted``, and ``_snapshot.json`` at it."""
    dialect = project.engine.dialect
    plan = diff(project.ws.loader.empty(), adopted)
    project.migrations_dir.mkdir(parents=True, exist_ok=True)
    path = migration_file.next_path(project.migrations_dir, slug)
    text = migration_file.render(
        path.stem,
        render.render(plan, dialect),
        render.render(reverse(plan), dialect),
        up_notes=[f"-- adopted from the database at {project.safe_url()} (not run there)"],
    )
    migration_file.write_atomic(path, text)
    fp = snap_mod.fingerprint(adopted)
    f = migration_file.parse(path)
    project.ws.loader.save_migrations_snapshot(
        adopted,
        fingerprint=fp,
        steps={path.stem: fp},
        checksums={path.stem: f.actual_checksum},  # a generated file: deploys move the state
    )
    return f
