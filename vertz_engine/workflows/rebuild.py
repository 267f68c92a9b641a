"""Rebuilding the migrations snapshot from the migration files.

The files are the truth the snapshot summarises. They are applied, in order, to a scratch
database of the same dialect (a temporary SQLite file; on a server, a temporary database
that is dropped afterwards), and the result is read back by reflection. Reflection cannot
see everything a snapshot holds (Python-side defaults, the SQLAlchemy type class behind a
DDL type), so each reflected table is replaced by the same table of a known snapshot (the
models, the local snapshot, the one the database's state record holds) wherever our own
diff finds no difference between the two: the result is exact wherever it can be proven,
and reflected elsewhere.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from vertz_engine.dialects import traits
from vertz_engine.errors import SnapshotError
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.plan.diff import diff
from vertz_engine.schema import build
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot


def from_files(
    engine: Engine,
    files: list[MigrationFile],
    candidates: list[Snapshot | None],
    *,
    target: Path,
) -> Snapshot:
    """The schema ``files`` produce on ``engine``'s dialect. ``target`` names the snapshot
    being rebuilt, for messages."""
    dialect = engine.dialect
    with _scratch(engine, target) as conn:
        for f in files:
            for i, statement in enumerate(f.up_statements(), 1):
                try:
                    conn.exec_driver_sql(statement)
                except sa.exc.DBAPIError as exc:
                    why = f"statement {i} of {f.name} fails on an empty scratch {dialect.name} database"
                    raise _cannot(target, why, exc, "") from None
        md = sa.MetaData()
        md.reflect(conn)
    _serials_as_autoincrement(md)
    reflected = build.from_metadata(md, dialect)
    return _exact_where_provable(reflected, [c for c in candidates if c is not None])


_NEXTVAL = re.compile(r"nextval\('[^']*'(::regclass)?\)", re.I)


def _serials_as_autoincrement(md: sa.MetaData) -> None:
    """PostgreSQL reflects a SERIAL key as an integer with a ``nextval(...)`` default; the
    models (and so the snapshot) say autoincrement."""
    for table in md.tables.values():
        for col in table.primary_key.columns:
            default = getattr(col.server_default, "arg", None)
            if default is not None and _NEXTVAL.fullmatch(str(getattr(default, "text", default))):
                col.server_default = None
                col.autoincrement = True


def _exact_where_provable(reflected: Snapshot, candidates: list[Snapshot]) -> Snapshot:
    tables = {}
    for name, table in reflected["tables"].items():
        chosen = table
        one = {**reflected, "tables": {name: table}}
        for cand in candidates:
            theirs = cand["tables"].get(name)
            if theirs is not None and diff(one, {**one, "tables": {name: theirs}}).empty:
                chosen = theirs
                break
        tables[name] = chosen
    return {"format": snap_mod.FORMAT, "dialect": reflected["dialect"], "tables": tables}


@contextmanager
def _scratch(engine: Engine, target: Path) -> Iterator[Connection]:
    """An autocommit connection to a new, empty database of ``engine``'s dialect."""
    if traits(engine).file_based:
        with tempfile.TemporaryDirectory(prefix="vertz-rebuild-") as tmp:
            scratch = sa.create_engine(f"sqlite:///{Path(tmp) / 'rebuild.db'}")
            try:
                with scratch.connect() as conn:
                    yield conn.execution_options(isolation_level="AUTOCOMMIT")
            finally:
                scratch.dispose()
        return
    name = f"_vertz_rebuild_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.DBAPIError as exc:
        admin.dispose()
        where = ", or run this where the database user may create databases"
        raise _cannot(target, "creating a scratch database failed", exc, where) from None
    scratch = sa.create_engine(engine.url.set(database=name), isolation_level="AUTOCOMMIT")
    try:
        with scratch.connect() as conn:
            yield conn
    finally:
        scratch.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


def _cannot(target: Path, why: str, exc: sa.exc.DBAPIError, advice: str) -> SnapshotError:
    """Rebuilding ``target`` failed: ``why``, the database's first line, what to do."""
    reason = str(exc.orig or exc).strip().splitlines()[0]
    return SnapshotError(
        f"cannot rebuild {target} from the migration files: {why} ({reason}). "
        f"Restore {target.name} from version control{advice}."
    )
