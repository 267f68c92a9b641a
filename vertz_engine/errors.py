"""Typed errors. The engine raises these; only a front end (the Flask CLI) turns them into
messages and exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from vertz_engine.remedies import Hint, Text

if TYPE_CHECKING:
    from vertz_engine.losses import Loss


class VertzError(Exception):
    """Base class: a problem the user can act on. ``str(err)`` is the message in neutral
    words; ``text`` keeps the remedies it names (``Hint``) as data for a front end to word;
    ``code`` is stable for programs."""

    code: ClassVar[str] = "error"

    @property
    def text(self) -> str | Text:
        """The message, remedies as data (a front end renders it with its own words)."""
        first = self.args[0] if self.args else ""
        return first if isinstance(first, (str, Text)) else str(first)

    @property
    def hints(self) -> tuple[Hint, ...]:
        """The remedies the message names, in order."""
        return self.text.hints if isinstance(self.text, Text) else ()


class SnapshotError(VertzError):
    """A snapshot file cannot be read (corrupt, wrong format)."""

    code = "snapshot"


class UnsupportedModel(VertzError):
    """The models ask for something flask-vertz cannot migrate (refused before any file is
    written)."""

    code = "unsupported_model"


class MigrationFileError(VertzError):
    """A migration file is malformed, or its body does not match its checksum."""

    code = "migration_file"


class ChecksumMismatch(MigrationFileError):
    """A migration file was edited after it was signed."""

    code = "checksum_mismatch"

    def __init__(self, message: str | Text, *, name: str) -> None:
        super().__init__(message)
        self.name = name


class InvalidName(VertzError):
    """A migration name that cannot be used."""

    code = "invalid_name"


class MigrationFailed(VertzError):
    """A statement of a migration failed; the migration's transaction was rolled back."""

    code = "migration_failed"

    def __init__(
        self,
        message: str | Text,
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

    def explained(
        self, advice: str | Text, kind: type[MigrationFailed] | None = None
    ) -> MigrationFailed:
        """The same failure (as ``kind``, default its own class) with ``advice`` after it."""
        return (kind or type(self))(
            Text(self.text, "\n", advice),
            name=self.name,
            statement=self.statement,
            index=self.index,
            lock_timeout=self.lock_timeout,
        )


class NotApplied(MigrationFailed):
    """A migration could not get a lock in time and nothing of it was applied or recorded:
    run it again (no ``resolve`` needed). ``holders`` describe the sessions that held the
    lock (as last seen), ``tries`` how often it was tried."""

    code = "not_applied"

    def __init__(
        self,
        message: str | Text,
        *,
        holders: tuple[str, ...] = (),
        tries: int = 1,
        **failure: Any,
    ) -> None:
        super().__init__(message, **{"lock_timeout": True, **failure})
        self.holders = holders
        self.tries = tries


class LockTimeout(VertzError):
    """The migration lock could not be taken in time."""

    code = "lock_timeout"


class ProductionGuard(VertzError):
    """An operation that is refused in production."""

    code = "production_guard"


class DestructiveChanges(VertzError):
    """Migration SQL that destroys data was to run in production and ``force`` was not given.
    ``action`` is ``deploy`` or ``rollback``; ``losses`` maps each migration's name to what its
    statements destroy; ``changes`` are the same as lines (``<file> line N (statement K): ...``)."""

    code = "destructive_changes"

    def __init__(
        self,
        message: str | Text,
        *,
        action: str,
        losses: dict[str, list[Loss]],
        changes: list[str],
        reason: str = "",
    ) -> None:
        super().__init__(message)
        self.action = action
        self.reason = reason  # what decided production (the setting and where it is set)
        self.losses = losses
        self.changes = changes


class NothingToRollback(VertzError):
    """``rollback`` was asked for more migrations than are applied."""

    code = "nothing_to_rollback"


class DatabaseUnreachable(VertzError):
    """The database cannot be reached."""

    code = "database_unreachable"


class MigrationsFolderProblem(VertzError):
    """The migrations folder is missing, or holds no migration files while the database
    has applied some: a folder left out of a build or a mistyped setting, never "nothing to
    do". Front ends word the message with their own name for the setting."""

    code = "migrations_folder"

    def __init__(
        self,
        message: str | Text,
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
