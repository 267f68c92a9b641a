"""Whether a migration runs in one transaction: the one place that decides it, per dialect
and per file marker. Everything that runs files, and every message about what a failure
left behind, asks :func:`run_mode`.
"""

from __future__ import annotations

from dataclasses import dataclass

from vertz_engine.dialects import traits
from vertz_engine.files.file_format import NO_TRANSACTION_MARKER, STEP_NO_TRANSACTION_MARKER
from vertz_engine.files.migration_file import FileStep, MigrationFile


@dataclass(frozen=True)
class RunMode:
    """How a migration runs on one database."""

    transactional: bool  # DDL, data statements and the history row commit or roll back together
    why_not: str = ""  # why a failure keeps what ran (empty when transactional)


def run_mode(dialect: str, f: MigrationFile | None = None, *, data_only: bool = False) -> RunMode:
    """SQLite: always one transaction (its DDL is transactional and the write lock is the
    transaction, so ``-- vertz:no-transaction`` changes nothing there). PostgreSQL: one
    transaction unless the file is marked ``-- vertz:no-transaction`` (for ``CREATE INDEX
    CONCURRENTLY`` and the like). MySQL/MariaDB: never (DDL commits by itself).
    ``data_only``: only a file's data statements run (its schema was already there), and
    those are transactional on every database."""
    db = traits(dialect)
    if not db.honours_no_transaction or data_only:
        return RunMode(True)
    if not db.transactional_ddl:
        return RunMode(False, "MySQL/MariaDB cannot roll back DDL")
    if f is not None and f.marked_no_transaction:
        return RunMode(False, f"the file is marked {NO_TRANSACTION_MARKER}")
    return RunMode(True)


def step_run_mode(dialect: str, step: FileStep) -> RunMode:
    """How one step of a file (``-- vertz:step``) runs: in its own transaction, unless the
    step is marked ``no-transaction`` (PostgreSQL) or DDL cannot roll back (MySQL/MariaDB);
    SQLite runs every step in a transaction."""
    db = traits(dialect)
    if not db.honours_no_transaction:
        return RunMode(True)
    if not db.transactional_ddl:
        return RunMode(False, "MySQL/MariaDB cannot roll back DDL")
    if step.no_transaction:
        return RunMode(False, f"the step is marked {STEP_NO_TRANSACTION_MARKER}")
    return RunMode(True)
