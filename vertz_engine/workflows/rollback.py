"""``rollback``: running the ``@rollback`` section of the last applied migrations.

Where the rollback runs in one transaction (see :mod:`txmode`) it and the history change
commit together. Where it cannot (MySQL/MariaDB, a ``-- vertz:no-transaction`` file), the
row says ``rolling_back`` while it runs and counts the rollback statements done; a failure
leaves it ``rollback_failed`` with that count, the schema state unknown (so boot never says
``unchanged`` over it), and ``rollback`` again runs the remaining statements.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from vertz_engine.db import database, history
from vertz_engine.db.runner import execute
from vertz_engine.errors import MigrationFailed, MigrationFileError, NothingToRollback, VertzError
from vertz_engine.files import guard
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.gcpause import gc_paused
from vertz_engine.remedies import Hint, Option, Remedy, Text
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.workflows.results import RollbackResult
from vertz_engine.workflows.workspace import ProjectBase

_RESUMABLE = (history.ROLLBACK_FAILED, history.ROLLING_BACK)


class RollbackFlows(ProjectBase):
    @gc_paused
    def rollback(
        self, steps: int = 1, *, dry_run: bool = False, force: bool = False
    ) -> RollbackResult:
        """Run the ``@rollback`` section of the last ``steps`` applied migrations (a rollback
        that failed part-way is finished first); in production one whose SQL destroys data
        needs ``force``."""
        if steps < 1:
            raise VertzError(Text(Option.STEPS, " must be 1 or more"))
        files = {f.name: f for f in self.files()}
        result = RollbackResult()
        with self._connect() as conn:
            with database.lock(conn, timeout=self.lock_timeout):
                rows = history.read_history(conn) or []
                resume = rows[-1] if rows and rows[-1].status in _RESUMABLE else None
                self._verify_history(list(files.values()), rows[:-1] if resume else rows)
                if rows:
                    with database.transaction(conn, fk_check=False):
                        history.ensure_tables(conn)
                if len(rows) < steps:
                    raise NothingToRollback(
                        f"asked to roll back {steps} migration(s) but {len(rows)} "
                        f"{'is' if len(rows) == 1 else 'are'} applied"
                    )
                targets = list(reversed(rows))[:steps]
                for row in targets:
                    f = files.get(row.name)
                    if f is None:
                        raise MigrationFileError(
                            f"cannot roll back {row.name}: its file is not in {self.migrations_dir}"
                        )
                    f.verify()
                    skip = row.statements_done if row is resume else 0
                    result.statements[f.name] = f.rollback_statements()[skip:]
                targets_files = [files[r.name] for r in targets]
                result.losses = guard.losses_by_file(
                    targets_files, self.dialect_name, rollback=True
                )
                if dry_run:
                    return result
                if self.production and not force and result.losses:
                    raise guard.refuse("rollback", result.losses, self.environment_reason)
                for row in targets:
                    f = files[row.name]
                    skip = row.statements_done if row is resume else 0
                    if self._roll_back_one(conn, f, list(files), skip):
                        result.rolled_back.append(f.name)
        return result

    def _roll_back_one(
        self, conn: Connection, f: MigrationFile, order: list[str], skip: int
    ) -> bool:
        """Roll back ``f`` (its first ``skip`` rollback statements already ran). False when
        another process rolled it back meanwhile."""
        ms = self._load_migrations_snapshot()
        fps = self._steps(ms)
        # only a file as the generator wrote it is known to undo exactly its step
        trusted = self._generated(ms).get(f.name) == f.actual_checksum
        idx = order.index(f.name)
        prev_fp = fps.get(order[idx - 1]) if idx > 0 else snap_mod.fingerprint(self.empty())
        mode = self.run_mode(f)
        statements = f.rollback_statements()
        with database.transaction(conn, enabled=mode.transactional, fk_check=statements):
            if not any(r.name == f.name for r in history.read_history(conn) or []):
                return False
            st = history.read_state(conn)
            if mode.transactional:
                execute(conn, statements, name=f"{f.name} (rollback)")
            else:
                self._run_recorded(conn, f, statements, skip, mode.why_not)
            history.Recorder(conn).rolled_back(f.name)
            known = trusted and st is not None and st.fingerprint == fps.get(f.name) and prev_fp
            history.write_state(conn, prev_fp if known else None)
        return True

    def _run_recorded(
        self, conn: Connection, f: MigrationFile, statements: list[str], skip: int, why: str
    ) -> None:
        """Run rollback statements one by one, counting them in the history row."""
        # from the first statement on, no record may say the schema is intact
        history.write_state(conn, None)
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
