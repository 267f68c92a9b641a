"""The executor: runs one migration file forward or back, with its history row.

Where the file runs in one transaction (see :mod:`~vertz_engine.files.txmode`) the
statements and the history row commit together. Where it cannot (MySQL/MariaDB DDL, a file
marked ``-- vertz:no-transaction``) the row is written first (``running`` /
``rolling_back``) and counts the statements done as they run; a failure leaves it
``failed`` / ``rollback_failed`` with that count.
"""

from __future__ import annotations

import re
import time

from sqlalchemy.engine import Connection

from vertz_engine.db import database, ddl_locks, history
from vertz_engine.db.runner import data_statements, execute
from vertz_engine.errors import MigrationFailed
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.files.txmode import RunMode
from vertz_engine.remedies import Hint, Remedy, Text
from vertz_engine.workflows.position import Position


def apply(
    conn: Connection,
    f: MigrationFile,
    mode: RunMode,
    tx: database.Transaction,
    locks: ddl_locks.Discipline,
) -> None:
    """Run ``f``'s up statements and record it as applied (inside the caller's
    transaction ``tx`` when ``mode`` is transactional), under deploy's lock discipline."""
    start = time.perf_counter()
    if not mode.transactional:
        _apply_counted(conn, f, start, mode, locks)
        return
    locks.in_transaction()
    execute(conn, f.up_statements(), name=f.name)
    taken = int((time.perf_counter() - start) * 1000)
    tx.with_commit(history.Recorder.applied_sql(f.name, f.actual_checksum, taken))


def _apply_counted(
    conn: Connection,
    f: MigrationFile,
    start: float,
    mode: RunMode,
    locks: ddl_locks.Discipline,
) -> None:
    """Run statement by statement, each tried again after a lock timeout (``locks``)."""
    statements = f.up_statements()
    recorder = history.Recorder(conn)
    recorder.started(f.name, f.actual_checksum, len(statements))
    try:
        with locks.watching():
            execute(
                conn,
                statements,
                name=f.name,
                on_statement=lambda i: recorder.progressed(f.name, i),
                before=locks.before_statement,
                retry=locks.retry_statement,
            )
    except MigrationFailed as exc:
        done = (exc.index or 1) - 1
        if done == 0 and exc.lock_timeout and not ddl_locks.concurrently(exc.statement):
            recorder.withdrawn(f.name)  # one statement that did nothing: no record
            raise locks.not_applied(exc, locks.tries_of(exc)) from None
        recorder.failed(f.name, statements_done=done, error=str(exc))
        raise exc.explained(
            Text(
                f"{done} of {len(statements)} statement(s) before it were applied and stay "
                f"applied ({mode.why_not}); it is recorded as failed. Finish or undo them by "
                "hand, then run `",
                Hint(Remedy.RESOLVE, f.name),
                "`.",
            )
        ) from None
    recorder.finished(
        f.name,
        execution_ms=int((time.perf_counter() - start) * 1000),
        statements=len(statements),
    )


def record_matched(conn: Connection, f: MigrationFile, mode: RunMode) -> int | None:
    """Record ``f`` as applied where its schema is there already, running only its data
    statements (``UPDATE ...``), with the history row, in one transaction. Returns how many
    data statements ran (None: another process recorded it meanwhile)."""
    data = data_statements(f.up_statements())
    recorder = history.Recorder(conn)
    with database.transaction(conn, enabled=mode.transactional, fk_check=data if data else False):
        if recorder.is_recorded(f.name):
            return None
        try:
            execute(conn, data, name=f.name)
        except MigrationFailed as exc:
            raise exc.explained(
                Text(
                    f"The database already had the schema of {f.name} (boot applied the "
                    "model changes), so only its data statements ran, and this one failed on "
                    "that schema; nothing was recorded. Run the data change by hand (or `",
                    Hint(Remedy.RESTORE),
                    "` what boot removed), then record the file without running it: `",
                    Hint(Remedy.BASELINE),
                    "`.",
                )
            ) from None
        note = "schema already matched; not run"
        if data:
            note = f"schema already matched; its {len(data)} data statement(s) were run"
        recorder.applied_once(f.name, f.actual_checksum, 0, note)
    return len(data)


def roll_back(conn: Connection, f: MigrationFile, mode: RunMode, skip: int) -> None:
    """Run ``f``'s rollback statements (the first ``skip`` ran already) and forget its row,
    inside the caller's transaction when ``mode`` is transactional."""
    statements = f.rollback_statements()
    if mode.transactional:
        execute(conn, statements, name=f"{f.name} (rollback)")
    else:
        _roll_back_counted(conn, f, statements, skip, mode.why_not)
    history.Recorder(conn).rolled_back(f.name)


def _roll_back_counted(
    conn: Connection, f: MigrationFile, statements: list[str], skip: int, why: str
) -> None:
    """Run rollback statements one by one, counting them in the history row."""
    Position.unknown(conn)  # from the first statement on, no record may say it is intact
    recorder = history.Recorder(conn)
    recorder.rolling_back(f.name, statements_done=skip)
    try:
        execute(
            conn,
            statements[skip:],
            name=f"{f.name} (rollback)",
            on_statement=lambda i: recorder.progressed(f.name, skip + i),
        )
    except MigrationFailed as exc:
        done = skip + (exc.index or 1) - 1
        recorder.rollback_failed(f.name, statements_done=done, error=str(exc))
        raise exc.explained(
            Text(
                f"{done} of {len(statements)} rollback statement(s) ran and stay applied "
                f"({why}); {f.name} is recorded as {history.ROLLBACK_FAILED}. Fix the cause "
                "and run `",
                Hint(Remedy.ROLLBACK),
                "` again to run the rest, or finish it by hand and run `",
                Hint(Remedy.RESOLVE, f.name),
                "`.",
            )
        ) from None


_SAFE_DDL = re.compile(
    r"^(CREATE\s+(UNIQUE\s+)?(TABLE|INDEX)|ALTER\s+TABLE\s+\S+\s+ADD\s+COLUMN|DROP\s+INDEX)\b", re.I
)


def may_break_references(f: MigrationFile) -> bool:
    """Whether a file can leave rows pointing nowhere (and so needs SQLite's foreign key
    check before COMMIT): anything but creating tables and indexes and adding columns
    that reference nothing (with foreign keys off SQLite accepts ``ADD COLUMN ...
    REFERENCES ... DEFAULT 7``)."""
    for statement in f.up_statements():
        code = "\n".join(ln for ln in statement.splitlines() if not ln.strip().startswith("--"))
        if not _SAFE_DDL.match(code.strip()):
            return True
        if code.upper().lstrip().startswith("ALTER") and "REFERENCES" in code.upper():
            return True
    return False
