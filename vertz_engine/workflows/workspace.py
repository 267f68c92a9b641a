"""What every workflow takes: the loader (files and snapshots on disk), the database
(connections, the migration lock, the recorder's rows) and the environment.

A workflow is one object built on a :class:`Workspace` (``Deploy(ws).run(...)``); the
:class:`~vertz_engine.project.Project` facade builds the workspace once and hands it to
each workflow it runs, as Django's ``MigrationExecutor`` takes a loader and a recorder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from vertz_engine.db import database, ddl_locks, history
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.files.txmode import RunMode, run_mode
from vertz_engine.schema.snapshot import Snapshot
from vertz_engine.workflows import folder
from vertz_engine.workflows.environment import Environment
from vertz_engine.workflows.loader import Loader

#: given a migration's name as it starts, and a LockWait before it is tried again
ProgressFn = Callable[[str | ddl_locks.LockWait], None]


@dataclass
class Workspace:
    """One app's files, database and environment, as the workflows use them."""

    loader: Loader
    env: Environment
    lock_timeout: float = 30.0
    root: Path | None = None  # where ``init`` puts the .gitignore line
    #: deploy's DDL lock timeout per try in seconds (0: none) and retries after it
    ddl_lock_timeout: float = 2.0
    ddl_lock_retries: int = 4

    @property
    def engine(self) -> Engine:
        return self.loader.engine

    @property
    def metadata(self) -> sa.MetaData:
        return self.loader.metadata

    @property
    def lock_policy(self) -> ddl_locks.LockPolicy:
        return ddl_locks.LockPolicy(self.ddl_lock_timeout, self.ddl_lock_retries)

    @property
    def dialect_name(self) -> str:
        return self.loader.dialect_name

    def safe_url(self) -> str:
        return database.safe_url(self.engine)

    def connect(self) -> AbstractContextManager[Connection]:
        return database.connect(self.engine, lock_timeout=self.lock_timeout)

    @contextmanager
    def locked(self) -> Iterator[Connection]:
        """A connection holding the migration lock."""
        with self.connect() as conn:
            with database.lock(conn, timeout=self.lock_timeout):
                yield conn

    def run_mode(self, f: MigrationFile | None = None, *, data_only: bool = False) -> RunMode:
        """How a migration (``f``, or model changes) runs here: see :func:`txmode.run_mode`."""
        return run_mode(self.dialect_name, f, data_only=data_only)

    def history_rows(self) -> list[history.HistoryRow]:
        """The database's history (empty when the database or the table does not exist)."""
        if not database.exists(self.engine):
            return []
        with self.connect() as conn:
            return history.read_history(conn) or []

    def state_snapshot(self) -> Snapshot | None:
        """The snapshot ``_vertz_state`` holds, if the database exists and has one."""
        if not database.exists(self.engine):
            return None
        with self.connect() as conn:
            st = history.read_state(conn)
        return st.snapshot if st is not None else None

    def check_folder(self, files: list[MigrationFile], rows: list[history.HistoryRow]) -> None:
        folder.check(self.loader.migrations_dir, files, rows, self.safe_url())

    def refuse_new_start(self, files: list[MigrationFile]) -> None:
        """``migrate dev`` must not start a new ``0001`` beside a database with history."""
        if not files:
            folder.refuse_new_start(
                self.loader.migrations_dir,
                files,
                self.history_rows(),
                self.safe_url(),
                self.loader.next_number(),
            )
