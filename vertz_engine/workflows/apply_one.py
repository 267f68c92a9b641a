"""Running one migration file and its history row under deploy's lock discipline: a file
that runs in one transaction is tried again whole after a lock timeout; one that runs
statement by statement has each statement tried again (see
:mod:`vertz_engine.db.ddl_locks` and :func:`.executor.apply`)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection

from vertz_engine.db import database, ddl_locks, history
from vertz_engine.dialects import traits
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.files.txmode import RunMode
from vertz_engine.workflows import executor


def apply(
    conn: Connection,
    f: MigrationFile,
    mode: RunMode,
    *,
    fk_check: bool,
    locks: ddl_locks.Discipline,
    progress: Callable[[str], None] | None,
) -> bool:
    """Run ``f`` and record it; False when another process applied it meanwhile (SQLite,
    which has no session lock). ``fk_check``: SQLite checks the references of the tables the
    file names before COMMIT."""
    statements = f.up_statements()
    recorder = history.Recorder(conn)
    announced = False

    def attempt() -> bool:
        nonlocal announced
        with database.transaction(
            conn, enabled=mode.transactional, fk_check=statements if fk_check else False
        ) as tx:
            if not traits(conn).advisory_lock and recorder.is_recorded(f.name):
                return False
            if progress and not announced:
                progress(f.name)
                announced = True
            executor.apply(conn, f, mode, tx, locks)
        return True

    return locks.run(f.name, attempt) if mode.transactional else attempt()
