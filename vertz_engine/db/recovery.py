"""Migrations that did not finish: what the history says about them, and what to tell the
user. A row that is not ``applied`` (a failed or interrupted file where DDL is not
transactional, or a rollback that failed half-way) means the schema is between two known
states: no deploy runs and boot changes nothing until ``resolve`` (or ``rollback`` again,
for a rollback) says what the database has.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from vertz_engine.db import history, step_runner
from vertz_engine.db.history import ROLLBACK_FAILED, ROLLING_BACK, RUNNING, HistoryRow
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.remedies import Hint, Outcome, Remedy, Text


def unfinished(conn: Connection) -> HistoryRow | None:
    """The first history row that is not ``applied``, if any."""
    rows = history.read_history(conn) or []
    return next((r for r in rows if r.status != history.APPLIED), None)


def unfinished_message(row: HistoryRow, f: MigrationFile | None) -> Text:
    if row.status in (ROLLBACK_FAILED, ROLLING_BACK):
        total = len(f.rollback_statements()) if f is not None else "?"
        what = "was interrupted" if row.status == ROLLING_BACK else "failed"
        return Text(
            f"the rollback of {row.name} {what} after {row.statements_done} of {total} rollback "
            f"statement(s) and is recorded as {row.status}: the schema is half rolled back, so "
            "no migration runs and boot changes nothing until it is finished. Run `",
            Hint(Remedy.ROLLBACK),
            "` again to run the remaining rollback statements (after fixing what made it fail), "
            "or fix the database by hand and run `",
            Hint(Remedy.RESOLVE, row.name, Outcome.ROLLED_BACK),
            "` (you finished the rollback) or `",
            Hint(Remedy.RESOLVE, row.name, Outcome.APPLIED),
            "` (you re-did what it undid).",
        )
    total = len(f.up_statements()) if f is not None else "?"
    what = "was interrupted" if row.status == RUNNING else "failed"
    if step_runner.resumable(row, f):
        return Text(
            f"{row.name} {what} in a step after {row.statements_done} of {total} statement(s) "
            f"and is recorded as {row.status}; `",
            Hint(Remedy.DEPLOY),
            f"` resumes it at statement {row.statements_done + 1} (no resolve needed).",
        )
    return Text(
        f"{row.name} {what} after {row.statements_done} of {total} statement(s) and is recorded "
        f"as {row.status}; no further migration runs until it is resolved. Check the database: "
        "if you finished its statements by hand run `",
        Hint(Remedy.RESOLVE, row.name, Outcome.APPLIED),
        "`; if you undid them run `",
        Hint(Remedy.RESOLVE, row.name, Outcome.ROLLED_BACK),
        "`.",
    )
