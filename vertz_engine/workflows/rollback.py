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
from vertz_engine.errors import MigrationFileError, NothingToRollback, VertzError
from vertz_engine.files import guard
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.remedies import Option, Text
from vertz_engine.workflows import checks, executor
from vertz_engine.workflows.position import Position
from vertz_engine.workflows.results import RollbackResult
from vertz_engine.workflows.workspace import Workspace

_RESUMABLE = (history.ROLLBACK_FAILED, history.ROLLING_BACK)


class Rollback:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def run(self, steps: int = 1, *, dry_run: bool = False, force: bool = False) -> RollbackResult:
        """Run the ``@rollback`` section of the last ``steps`` applied migrations (a rollback
        that failed part-way is finished first); in production one whose SQL destroys data
        needs ``force``."""
        if steps < 1:
            raise VertzError(Text(Option.STEPS, " must be 1 or more"))
        files = {f.name: f for f in self.ws.loader.files()}
        result = RollbackResult()
        with self.ws.locked() as conn:
            rows = history.read_history(conn) or []
            resume = rows[-1] if rows and rows[-1].status in _RESUMABLE else None
            checks.verify_history(
                list(files.values()), rows[:-1] if resume else rows, self.ws.loader.migrations_dir
            )
            if rows:
                with database.transaction(conn, fk_check=False):
                    history.ensure_tables(conn)
            if len(rows) < steps:
                raise NothingToRollback(
                    f"asked to roll back {steps} migration(s) but {len(rows)} "
                    f"{'is' if len(rows) == 1 else 'are'} applied"
                )
            targets = [(row, self._file(files, row)) for row in list(reversed(rows))[:steps]]
            for row, f in targets:
                result.statements[f.name] = f.rollback_statements()[_skip(row, resume) :]
            result.losses = guard.losses_by_file(
                [f for _, f in targets], self.ws.dialect_name, rollback=True
            )
            if dry_run:
                return result
            self.ws.env.refuse_losses("rollback", result.losses, force)
            for row, f in targets:
                if self._roll_back_one(conn, f, list(files), _skip(row, resume)):
                    result.rolled_back.append(f.name)
        return result

    def _file(self, files: dict[str, MigrationFile], row: history.HistoryRow) -> MigrationFile:
        f = files.get(row.name)
        if f is None:
            raise MigrationFileError(
                f"cannot roll back {row.name}: its file is not in {self.ws.loader.migrations_dir}"
            )
        f.verify()
        return f

    def _roll_back_one(
        self, conn: Connection, f: MigrationFile, order: list[str], skip: int
    ) -> bool:
        """Roll back ``f`` (its first ``skip`` rollback statements already ran). False when
        another process rolled it back meanwhile."""
        ms = self.ws.loader.migrations_snapshot()
        mode = self.ws.run_mode(f)
        statements = f.rollback_statements()
        with database.transaction(conn, enabled=mode.transactional, fk_check=statements):
            if not any(r.name == f.name for r in history.read_history(conn) or []):
                return False
            st = history.read_state(conn)
            executor.roll_back(conn, f, mode, skip)
            Position(self.ws).after_rollback(conn, ms, f, order, st)
        return True


def _skip(row: history.HistoryRow, resume: history.HistoryRow | None) -> int:
    """The rollback statements of ``row`` that ran already (a rollback resumed)."""
    return row.statements_done if row is resume else 0
