"""Migrations that did not finish: what the history says about them, and what to tell the
user. A row that is not ``applied`` (a failed or interrupted file where DDL is not
transactional, or a rollback that failed half-way) means the schema is between two known
states: no deploy runs and boot changes nothing until ``resolve`` (or ``rollback`` again,
for a rollback) says what the database has.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from vertz_engine.db import history
from vertz_engine.db.history import ROLLBACK_FAILED, ROLLING_BACK, RUNNING, HistoryRow
from vertz_engine.files.migration_file import MigrationFile

RESOLVE_HINT = "flask vertz-db resolve {name} --applied|--rolled-back"


def unfinished(conn: Connection) -> HistoryRow | None:
    """The first history row that is not ``applied``, if any."""
    rows = history.read_history(conn) or []
    return next((r for r in rows if r.status != history.APPLIED), None)


def unfinished_message(row: HistoryRow, f: MigrationFile | None) -> str:
    if row.status in (ROLLBACK_FAILED, ROLLING_BACK):
        total = len(f.rollback_statements()) if f is not None else "?"
        what = "was interrupted" if row.status == ROLLING_BACK else "failed"
        return (
            f"the rollback of {row.name} {what} after {row.statements_done} of {total} rollback "
            f"statement(s) and is recorded as {row.status}: the schema is half rolled back, so "
            f"no migration runs and boot changes nothing until it is finished. Run `flask "
            f"vertz-db rollback` again to run the remaining rollback statements (after fixing "
            f"what made it fail), or fix the database by hand and run `flask vertz-db resolve "
            f"{row.name} --rolled-back` (you finished the rollback) or `flask vertz-db resolve "
            f"{row.name} --applied` (you re-did what it undid)."
        )
    total = len(f.up_statements()) if f is not None else "?"
    what = "was interrupted" if row.status == RUNNING else "failed"
    return (
        f"{row.name} {what} after {row.statements_done} of {total} statement(s) and is recorded "
        f"as {row.status}; no further migration runs until it is resolved. Check the database: "
        f"if you finished its statements by hand run `flask vertz-db resolve {row.name} "
        f"--applied`; if you undid them run `flask vertz-db resolve {row.name} --rolled-back`."
    )
