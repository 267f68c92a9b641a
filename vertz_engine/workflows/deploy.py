"""``migrate deploy``: apply pending migration files in order, locked.

Where the database can (SQLite, PostgreSQL) a migration and its history row commit together.
Where it cannot (MySQL/MariaDB DDL, a file marked ``-- vertz:no-transaction``) the history row
is written first with status ``running`` and the number of statements done is kept as they
run; a failure (or a killed process) leaves the row ``failed``/``running``, and deploys are
refused until ``resolve`` says what the database now has (see :mod:`.executor`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from vertz_engine.db import database, ddl_locks, history, step_runner
from vertz_engine.files import guard
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.workflows import apply_one, checks, executor
from vertz_engine.workflows.position import Position, Run
from vertz_engine.workflows.results import DeployResult
from vertz_engine.workflows.workspace import ProgressFn, Workspace


@dataclass(frozen=True)
class DeployOptions:
    dry_run: bool = False  # only say what would run (pending files, what they destroy)
    force: bool = False  # run files that destroy data in production
    progress: ProgressFn | None = None  # told each file's name as it starts, and lock waits
    allow_out_of_order: bool = False  # run files numbered below an applied one


class Deploy:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.position = Position(ws)

    def run(self, options: DeployOptions = DeployOptions()) -> DeployResult:
        """Apply pending migration files in order, each in its own transaction, locked."""
        dry_run, force, progress = options.dry_run, options.force, options.progress
        ws = self.ws
        files = ws.loader.verified_files()
        result = DeployResult()
        with ws.locked() as conn:
            rows = history.read_history(conn) or []
            ws.check_folder(files, rows)
            checks.verify_history(files, rows, ws.loader.migrations_dir)
            applied = {r.name for r in rows if r.status == history.APPLIED}
            checks.verify_order(files, applied, options.allow_out_of_order)
            pending = [f for f in files if f.name not in applied]
            if dry_run or ws.env.checks_losses(force):
                result.losses = guard.losses_by_file(pending, ws.dialect_name)
            if dry_run:
                result.pending = pending
                return result
            ws.env.refuse_losses("deploy", result.losses, force)
            if not pending:
                return result
            ms = ws.loader.migrations_snapshot()  # read only when something runs
            with database.transaction(conn, fk_check=False):
                run = self.position.start_run(conn, files, pending, ms)
            self._run_pending(conn, run, pending, result, progress)
        self.position.sync_local(ms)
        return result

    def _run_pending(
        self,
        conn: Connection,
        run: Run,
        pending: list[MigrationFile],
        result: DeployResult,
        progress: ProgressFn | None,
    ) -> None:
        locks = ddl_locks.Discipline(conn, self.ws.lock_policy, progress or _ignore)
        with database.sqlite_session(conn), locks.session():
            for i, f in enumerate(pending):
                if run.made_already(i):
                    data = executor.record_matched(conn, f, self.ws.run_mode(f, data_only=True))
                    if data is not None:
                        result.recorded.append(f.name)
                        if data:
                            result.data_run[f.name] = data
                    continue
                if self._apply(conn, f, locks, progress):
                    run.applied(f)
                    result.applied.append(f.name)
                else:
                    run.applied_elsewhere(f)
        run.settle(conn)

    def _apply(
        self,
        conn: Connection,
        f: MigrationFile,
        locks: ddl_locks.Discipline,
        progress: ProgressFn | None,
    ) -> bool:
        """Run ``f`` (its steps, or as one unit) under ``locks``; False when another
        process applied it meanwhile (a database without a session lock: SQLite)."""
        if f.steps() is not None:
            if progress:
                progress(f.name)
            step_runner.run_file(conn, f, locks)
            return True
        return apply_one.apply(
            conn,
            f,
            self.ws.run_mode(f),
            fk_check=executor.may_break_references(f),
            locks=locks,
            progress=progress,
        )


def _ignore(_event: object) -> None:
    pass
