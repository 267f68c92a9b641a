"""Applying migration files: ``migrate deploy``, ``migrate sign``, ``resolve``,
``baseline`` and ``reset``.

Where the database can (SQLite, PostgreSQL) a migration and its history row commit together.
Where it cannot (MySQL/MariaDB DDL, a file marked ``-- vertz:no-transaction``) the history row
is written first with status ``running`` and the number of statements done is kept as they
run; a failure (or a killed process) leaves the row ``failed``/``running``, and deploys are
refused until ``resolve`` says what the database now has.
"""

from __future__ import annotations

import re
import time

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vertz_engine.db import database, ddl_locks, history, identity, step_runner
from vertz_engine.db.runner import data_statements, execute
from vertz_engine.dialects import traits
from vertz_engine.errors import (
    MigrationFailed,
    MigrationFileError,
    ProductionGuard,
    VertzError,
)
from vertz_engine.files import guard, migration_file
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.files.txmode import RunMode, run_mode
from vertz_engine.gcpause import gc_paused
from vertz_engine.remedies import Hint, Remedy, Text
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot
from vertz_engine.workflows import apply_one, folder
from vertz_engine.workflows.results import DeployResult
from vertz_engine.workflows.workspace import ProgressFn, ProjectBase


class DeployFlows(ProjectBase):
    # -- checks shared by deploy and status ---------------------------------------------------

    def _verify_order(
        self, files: list[MigrationFile], applied: set[str], allow_out_of_order: bool
    ) -> None:
        by_name = {f.name: f for f in files}
        same = self.same_numbers(files)
        if same:
            a, b = same[0]
            raise MigrationFileError(identity.renumber_advice(by_name[a], by_name[b], files))
        numbers = [f.number for f in files if f.name in applied]
        if not numbers or allow_out_of_order:
            return
        top = max(numbers)
        late = [f for f in files if f.name not in applied and f.number < top]
        if late:
            applied_top = next(g.name for g in files if g.number == top and g.name in applied)
            raise MigrationFileError(identity.out_of_order_advice(late[0], applied_top, files))

    # -- deploy -----------------------------------------------------------------------------

    @gc_paused
    def deploy(
        self,
        *,
        dry_run: bool = False,
        force: bool = False,
        progress: ProgressFn | None = None,
        allow_out_of_order: bool = False,
    ) -> DeployResult:
        """Apply pending migration files in order, each in its own transaction, locked."""
        files = self.files()
        for f in files:
            f.verify()
        result = DeployResult()
        with self._connect() as conn:
            with database.lock(conn, timeout=self.lock_timeout):
                rows = history.read_history(conn) or []
                folder.check(self.migrations_dir, files, rows, self.safe_url())
                self._verify_history(files, rows)
                applied = {r.name for r in rows if r.status == history.APPLIED}
                self._verify_order(files, applied, allow_out_of_order)
                pending = [f for f in files if f.name not in applied]
                if dry_run or (self.production and not force):
                    result.losses = guard.losses_by_file(pending, self.dialect_name)
                if dry_run:
                    result.pending = pending
                    return result
                if self.production and not force and result.losses:
                    raise guard.refuse("deploy", result.losses, self.environment_reason)
                if not pending:
                    return result
                # read only when something runs: nothing pending reads no snapshot
                ms = self._load_migrations_snapshot()
                steps = self._steps(ms)
                self._run_pending(conn, files, pending, steps, ms, result, progress)
        if not self.production and ms is not None:
            with self._connect() as conn:
                st = history.read_state(conn)
            if st is not None and st.fingerprint == snap_mod.fingerprint(ms):
                self._save_local(ms)
        return result

    def _run_pending(
        self,
        conn: Connection,
        files: list[MigrationFile],
        pending: list[MigrationFile],
        steps: dict[str, str],
        ms: Snapshot | None,
        result: DeployResult,
        progress: ProgressFn | None,
    ) -> None:
        empty_fp = snap_mod.fingerprint(self.empty())
        with database.transaction(conn, fk_check=False):
            history.ensure_tables(conn)
            current = history.read_fingerprint(conn)
            if current is None and not history.user_tables(conn):
                current = empty_fp
            # While files run the record says "unknown" (a crash leaves it so, and the next
            # boot compares by reflection); the schema the run ends with is written after.
            history.write_state(conn, None)
        order = {f.name: i for i, f in enumerate(files)}
        last_fp = snap_mod.fingerprint(ms) if ms is not None else None
        generated = self._generated(ms)
        # the last pending position of each step's fingerprint: "is the database's schema
        # the step of this file or a later one" in one lookup (no scan of the rest)
        last_step_at = {steps.get(f.name): i for i, f in enumerate(pending)}
        locks = ddl_locks.Discipline(conn, self.lock_policy, progress or _ignore)
        with database.sqlite_session(conn), locks.session():
            for i, f in enumerate(pending):
                if (
                    not self.production
                    and current is not None
                    and last_step_at.get(current, -1) >= i
                ):
                    # Development: changes that boot or push already made are recorded,
                    # not run again (the team workflow: pull models and files, boot, deploy);
                    # the file's data statements still run.
                    self._record_matched(conn, f, result)
                    continue
                if not self._apply(conn, f, locks, progress):
                    # no session lock on SQLite: another process applied it meanwhile
                    current = steps.get(f.name) if current is not None else None
                    continue
                idx = order[f.name]
                prev_fp = steps.get(files[idx - 1].name) if idx > 0 else empty_fp
                new_fp = steps.get(f.name)
                # a file the generator wrote, as it wrote it, moves the schema one step; any
                # other (hand-written, edited) leaves it to be read from the database below
                trusted = new_fp is not None and generated.get(f.name) == f.actual_checksum
                known = current is not None and current == prev_fp and trusted
                current = new_fp if known else None
                result.applied.append(f.name)
        if current is None and ms is not None and not self._drift_against(conn, ms):
            current = last_fp  # the database has exactly the schema the files produce
        if current is not None:
            with database.transaction(conn, fk_check=False):
                history.write_state(conn, current, ms if current == last_fp else None)

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
            self.run_mode(f),
            fk_check=_may_break_references(f),
            locks=locks,
            progress=progress,
            run_alone=self._run_with_progress,
        )

    def _record_matched(self, conn: Connection, f: MigrationFile, result: DeployResult) -> None:
        """Record ``f`` as applied where boot already made its schema, running only its data
        statements (``UPDATE ...``), with the history row, in one transaction."""
        data = data_statements(f.up_statements())
        recorder = history.Recorder(conn)
        with database.transaction(
            conn,
            enabled=self.run_mode(f, data_only=True).transactional,
            fk_check=data if data else False,
        ):
            if recorder.is_recorded(f.name):
                return  # another process recorded it meanwhile
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
        result.recorded.append(f.name)
        if data:
            result.data_run[f.name] = len(data)

    def _run_with_progress(
        self,
        conn: Connection,
        f: MigrationFile,
        start: float,
        mode: RunMode,
        locks: ddl_locks.Discipline,
    ) -> None:
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
        ms_taken = int((time.perf_counter() - start) * 1000)
        recorder.finished(f.name, execution_ms=ms_taken, statements=len(statements))

    # -- resolve, baseline, reset ------------------------------------------------------------

    def resolve(self, name: str, *, applied: bool) -> str:
        """Mark a failed or interrupted migration as applied (finished by hand) or rolled back
        (undone by hand). Returns what the row said."""
        f = self._find(name)
        with self._connect() as conn:
            with database.lock(conn, timeout=self.lock_timeout):
                row = next((r for r in history.read_history(conn) or [] if r.name == f.name), None)
                if row is None or row.status == history.APPLIED:
                    raise VertzError(
                        f"{f.name} is {'applied' if row else 'not recorded'}: there is nothing "
                        f"to resolve (resolve is for a migration recorded as failed)"
                    )
                with database.transaction(conn, fk_check=False):
                    history.ensure_tables(conn)
                    recorder = history.Recorder(conn)
                    if applied:
                        recorder.resolved(
                            f.name, f.actual_checksum, statements_done=row.statements_done
                        )
                    else:
                        recorder.rolled_back(f.name)
                    history.write_state(conn, None)  # the next boot compares by reflection
        return f"{row.status} after {row.statements_done} statement(s)"

    def baseline(self) -> list[str]:
        """Record every file not yet recorded as applied, without running it (adopting a
        database that already has their schema)."""
        files = self.files()
        for f in files:
            f.verify()
        ms = self._load_migrations_snapshot()
        recorded: list[str] = []
        with self._connect() as conn:
            with database.lock(conn, timeout=self.lock_timeout):
                with database.transaction(conn, fk_check=False):
                    history.ensure_tables(conn)
                    rows = {r.name for r in history.read_history(conn) or []}
                    recorder = history.Recorder(conn)
                    for f in files:
                        if f.name not in rows:
                            recorder.applied(f.name, f.actual_checksum, note="baseline: not run")
                            recorded.append(f.name)
                    if ms is not None and not self._drift_against(conn, ms):
                        history.write_state(conn, snap_mod.fingerprint(ms), ms)
                    else:
                        history.write_state(conn, None)
        return recorded

    def _drift_against(self, conn: Connection, snap: Snapshot) -> list[str]:
        from vertz_engine.db.introspect import drift

        return drift(conn, snap_mod.to_metadata(snap))

    def guard_reset(self) -> None:
        """Refuse ``reset`` in production, before anyone is asked to confirm it."""
        if self.production:
            raise ProductionGuard(
                f"refusing to reset a production database ({self.environment_reason})"
            )

    def reset(self) -> list[str]:
        """Development only: drop every table (and enum type) and apply every file again."""
        self.guard_reset()
        with self._connect() as conn:
            with database.lock(conn, timeout=self.lock_timeout):
                rows = history.read_history(conn) or []
                folder.check(self.migrations_dir, self.files(), rows, self.safe_url())
                dropped = _drop_everything(conn)
        self.deploy(force=True)
        return dropped

    # -- sign -------------------------------------------------------------------------------

    def sign(self, name: str) -> bool:
        """Re-sign an edited migration file that is not applied yet."""
        f = self._find(name)
        rows: list[history.HistoryRow] = []
        if database.exists(self.engine):
            with self._connect() as conn:
                rows = history.read_history(conn) or []
        if any(r.name == f.name and r.status == history.APPLIED for r in rows):
            raise VertzError(
                f"{f.name} is already applied to {self.safe_url()}; an applied file must not "
                f"change. Put the change in a new migration instead."
            )
        return migration_file.sign(f.path)

    def _find(self, name: str) -> MigrationFile:
        files = self.files()
        for f in files:
            if name in (f.name, f.path.name, f"{f.number:04d}", str(f.number)) or (
                f.name.split("_", 1)[1] == name
            ):
                return f
        raise VertzError(f"no migration file named {name!r} in {self.migrations_dir}")


_SAFE_DDL = re.compile(
    r"^(CREATE\s+(UNIQUE\s+)?(TABLE|INDEX)|ALTER\s+TABLE\s+\S+\s+ADD\s+COLUMN|DROP\s+INDEX)\b", re.I
)


def _may_break_references(f: MigrationFile) -> bool:
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


def _ignore(_event: object) -> None:
    pass


_SAFE_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def _drop_everything(conn: Connection) -> list[str]:
    """Drop every table (flask-vertz's own too) and, on PostgreSQL, every enum type."""
    md = sa.MetaData()
    md.reflect(conn)
    names = sorted(md.tables)
    db = traits(conn)
    with database.transaction(conn, enabled=run_mode(conn.dialect.name).transactional):
        if db.foreign_key_checks_off:
            conn.exec_driver_sql(db.foreign_key_checks_off[0])
        try:
            for table in reversed(md.sorted_tables):
                conn.execute(sa.schema.DropTable(table))
        finally:
            if db.foreign_key_checks_off:
                conn.exec_driver_sql(db.foreign_key_checks_off[1])
        if db.native_enums:
            q = conn.dialect.identifier_preparer
            for enum in sa.inspect(conn).get_enums():  # type: ignore[attr-defined]
                conn.exec_driver_sql(f"DROP TYPE IF EXISTS {q.quote(enum['name'])}")
    return names
