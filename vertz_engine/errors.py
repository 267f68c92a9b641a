"""Typed errors. The engine raises these; only a front end (the Flask CLI) turns them into
messages and exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vertz_engine.losses import Loss


class VertzError(Exception):
    """Base class: a problem the user can act on. ``str(err)`` is the message to show."""


class SnapshotError(VertzError):
    """A snapshot file cannot be read (corrupt, wrong format)."""


class UnsupportedModel(VertzError):
    """The models ask for something flask-vertz cannot migrate (refused before any file is
    written)."""


class MigrationFileError(VertzError):
    """A migration file is malformed, or its body does not match its checksum."""


class ChecksumMismatch(MigrationFileError):
    """A migration file was edited after it was signed."""

    def __init__(self, message: str, *, name: str) -> None:
        super().__init__(message)
        self.name = name


class InvalidName(VertzError):
    """A migration name that cannot be used."""


class MigrationFailed(VertzError):
    """A statement of a migration failed; the migration's transaction was rolled back."""

    def __init__(
        self,
        message: str,
        *,
        name: str,
        statement: str | None = None,
        index: int | None = None,
        lock_timeout: bool = False,
    ) -> None:
        super().__init__(message)
        self.name = name
        self.statement = statement
        self.index = index
        self.lock_timeout = lock_timeout  # the statement waited for a lock past the timeout

    def explained(self, advice: str, kind: type[MigrationFailed] | None = None) -> MigrationFailed:
        """The same failure (as ``kind``, default its own class) with ``advice`` after it."""
        return (kind or type(self))(
            f"{self}\n{advice}",
            name=self.name,
            statement=self.statement,
            index=self.index,
            lock_timeout=self.lock_timeout,
        )


class NotApplied(MigrationFailed):
    """A migration could not get a lock in time and nothing of it was applied or recorded:
    run it again (no ``resolve`` needed)."""


class LockTimeout(VertzError):
    """The migration lock could not be taken in time."""


class ProductionGuard(VertzError):
    """An operation that is refused in production."""


class DestructiveChanges(VertzError):
    """Migration SQL that destroys data was to run in production and ``force`` was not given.
    ``action`` is ``deploy`` or ``rollback``; ``losses`` maps each migration's name to what its
    statements destroy; ``changes`` are the same as lines (``<file> line N (statement K): ...``)."""

    def __init__(
        self,
        message: str,
        *,
        action: str,
        losses: dict[str, list[Loss]],
        changes: list[str],
        reason: str = "",
    ) -> None:
        super().__init__(message)
        self.action = action
        self.reason = reason  # what decided production, e.g. "VERTZ_ENV=production in ..."
        self.losses = losses
        self.changes = changes


class NothingToRollback(VertzError):
    """``rollback`` was asked for more migrations than are applied."""


class DatabaseUnreachable(VertzError):
    """The database cannot be reached."""


class MigrationsFolderProblem(VertzError):
    """The migrations folder is missing, or holds no migration files while the database
    has applied some: a folder left out of a build or a mistyped setting, never "nothing to
    do". Front ends word the message with their own name for the setting."""

    def __init__(
        self,
        message: str,
        *,
        path: Path,
        exists: bool,
        applied: list[str],
        database: str,
        new_file: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.exists = exists
        self.applied = applied  # names the database records as applied, in order
        self.database = database  # masked URL
        self.new_file = new_file  # the file `migrate dev` refused to start, if that is it


class AlembicFolder(VertzError):
    """``init`` was pointed at a folder Alembic (or Flask-Migrate) already uses: the two
    tools' files must not share one. Front ends word the message with their own name for
    the setting and a free folder name."""

    def __init__(self, message: str, *, path: Path, found: list[str]) -> None:
        super().__init__(message)
        self.path = path
        self.found = found  # what marks it as Alembic's: env.py, alembic.ini, versions/
