"""Running a file of steps (``-- vertz:step``): each step in its own transaction (or none),
with progress recorded so that a deploy which stopped in a step resumes at that step.

Progress is the history row's ``statements_done``, the statement counter, not a step
counter: a transactional step's count commits with the step, so there it always stands at a
step boundary; a step outside a transaction counts statement by statement (as a
no-transaction file does), so a resumed deploy never runs a committed statement twice. The
row is ``running`` while the file runs and ``failed`` after a failure; either way the next
deploy resumes at the first statement not done (the session lock proves no other deploy runs).

On PostgreSQL, before ``CREATE INDEX CONCURRENTLY`` an invalid index of that name (left by a
build that failed or was killed) is dropped, and after each step the catalog must show what
the step built: its concurrent indexes valid, its validated constraints validated.
"""

from __future__ import annotations

import re
import time

from sqlalchemy.engine import Connection

from vertz_engine.db import database, ddl_locks, history
from vertz_engine.db.raw import Raw
from vertz_engine.db.runner import execute
from vertz_engine.dialects import traits
from vertz_engine.errors import MigrationFailed, NotApplied
from vertz_engine.files.migration_file import FileStep, MigrationFile
from vertz_engine.files.txmode import step_run_mode

_NAME = r'("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_CONCURRENT = re.compile(rf"\bINDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}", re.I)
_VALIDATE = re.compile(rf"\bVALIDATE\s+CONSTRAINT\s+{_NAME}", re.I)


def resumable(row: history.HistoryRow, f: MigrationFile | None) -> bool:
    """Whether an unfinished history row is a file of steps that deploy resumes by itself."""
    return (
        row.status in (history.FAILED, history.RUNNING)
        and f is not None
        and f.steps() is not None
        and f.matches(row.checksum)
    )


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()


def _invalid_index(raw: Raw, name: str) -> bool:
    row = raw.one(
        "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = ? AND pg_table_is_visible(c.oid)",
        (name,),
    )
    return bool(row and row[0])


def _repair(conn: Connection, step: FileStep) -> None:
    """Drop the invalid indexes an earlier, failed build of this step left."""
    raw = Raw(conn)
    for statement in step.statements:
        for m in _CONCURRENT.finditer(statement):
            if _invalid_index(raw, _unquote(m.group(1))):
                raw.run(f"DROP INDEX CONCURRENTLY IF EXISTS {m.group(1)}")


def _catalog_problem(conn: Connection, step: FileStep) -> str | None:
    """What the catalog says the step did not finish, or None."""
    raw = Raw(conn)
    for statement in step.statements:
        for m in _CONCURRENT.finditer(statement):
            if _invalid_index(raw, _unquote(m.group(1))):
                return f"index {_unquote(m.group(1))} is invalid"
        for m in _VALIDATE.finditer(statement):
            row = raw.one(
                "SELECT convalidated FROM pg_constraint WHERE conname = ?", (_unquote(m.group(1)),)
            )
            if not row or not row[0]:
                return f"constraint {_unquote(m.group(1))} is not validated"
    return None


def _done_before(conn: Connection, f: MigrationFile) -> int:
    row = Raw(conn).one(
        f"SELECT statements_done FROM {history.HISTORY_TABLE} WHERE name = ?", (f.name,)
    )
    return int(str(row[0])) if row else -1


def run_file(conn: Connection, f: MigrationFile, locks: ddl_locks.Discipline) -> int:
    """Run the steps of ``f`` not done yet (see the module docstring); the number of
    statements run. Each step runs under ``locks`` (its lock timeout, tried again after one:
    a transactional step whole, a step outside a transaction statement by statement).
    Raises :class:`MigrationFailed` (the row stays, resumable) or :class:`NotApplied` (a
    lock wait that applied nothing; no row)."""
    steps = f.steps() or []
    total = steps[-1].last if steps else 0
    done = _done_before(conn, f)
    fresh = done < 0
    recorder = history.Recorder(conn)
    if fresh:
        done = 0
        recorder.started(f.name, f.actual_checksum, total)
    else:
        recorder.resumed(f.name)
    start = time.perf_counter()
    ran = 0
    for number, step in enumerate(steps, 1):
        if step.last <= done:
            continue
        nothing = fresh and ran == 0
        try:
            ran += _run_step(conn, f, step, done, locks, nothing)
        except MigrationFailed as exc:
            _record_failure(conn, f, exc, (number, len(steps)), nothing, locks)
            raise AssertionError("unreachable") from None  # _record_failure raises
        done = step.last
    taken = int((time.perf_counter() - start) * 1000)
    recorder.finished(f.name, execution_ms=taken, statements=total)
    return ran


def _run_step(
    conn: Connection,
    f: MigrationFile,
    step: FileStep,
    done: int,
    locks: ddl_locks.Discipline,
    nothing: bool,
) -> int:
    mode = step_run_mode(conn.dialect.name, step)
    recorder = history.Recorder(conn)
    postgresql = traits(conn).concurrent_indexes
    skip = max(done - step.first + 1, 0)  # statements of a no-transaction step already run
    statements = list(step.statements[skip:])
    offset = step.first + skip - 1
    if postgresql:
        _repair(conn, step)
    if mode.transactional:

        def attempt() -> None:
            with database.transaction(conn, fk_check=False):
                locks.in_transaction()
                execute(conn, statements, name=f.name)
                recorder.progressed(f.name, step.last)

        # tried again whole after a lock timeout; NotApplied only where nothing of f is
        # applied yet (otherwise the last timeout is the step's failure, and deploy resumes)
        locks.run(f.name, attempt, not_applied=nothing)
    else:
        with locks.watching():
            execute(
                conn,
                statements,
                name=f.name,
                on_statement=lambda i: recorder.progressed(f.name, offset + i),
                before=locks.before_statement,
                retry=locks.retry_statement,
            )
    problem = _catalog_problem(conn, step) if postgresql else None
    if problem:
        raise MigrationFailed(
            f"{f.name}: after statement {step.last}, {problem}",
            name=f.name,
            statement=step.statements[-1],
            index=step.last,
        )
    return len(statements)


def _record_failure(
    conn: Connection,
    f: MigrationFile,
    exc: MigrationFailed,
    step: tuple[int, int],
    nothing: bool,
    locks: ddl_locks.Discipline,
) -> None:
    number, count = step
    if nothing and exc.lock_timeout:
        history.Recorder(conn).withdrawn(f.name)
        if isinstance(exc, NotApplied):
            raise exc  # a transactional step's tries ran out (Discipline.run)
        raise locks.not_applied(exc, locks.tries_of(exc)) from None
    done = _done_before(conn, f)
    history.Recorder(conn).failed(f.name, statements_done=done, error=str(exc))
    raise exc.explained(
        f"Step {number} of {count} did not finish; the {done} statement(s) before it stay "
        f"applied and are recorded. The next deploy resumes {f.name} at statement {done + 1} "
        f"(fix the cause first); no resolve is needed."
    ) from None
