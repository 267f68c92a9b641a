"""Is the migrations folder the one the database was migrated from? A missing folder, or
an empty one beside a database with history, is a build that left the folder out or a
mistyped setting: refused, never read as "nothing pending"."""

from __future__ import annotations

from pathlib import Path

from vertz_engine.db import history
from vertz_engine.errors import MigrationsFolderProblem
from vertz_engine.files.migration_file import MigrationFile


def check(
    directory: Path,
    files: list[MigrationFile],
    rows: list[history.HistoryRow],
    database: str,
) -> None:
    """Raise :class:`MigrationsFolderProblem` when ``directory`` does not exist, or holds no
    migration files while ``rows`` (the database's history) record some as applied."""
    applied = [r.name for r in rows]
    if not directory.is_dir():
        raise MigrationsFolderProblem(
            f"the migrations folder {directory} does not exist"
            + (f"; {database} has {len(applied)} applied migration(s)" if applied else ""),
            path=directory,
            exists=False,
            applied=applied,
            database=database,
        )
    if not files and applied:
        raise MigrationsFolderProblem(
            f"the migrations folder {directory} holds no migration files, but {database} has "
            f"{len(applied)} applied migration(s) (the last: {applied[-1]})",
            path=directory,
            exists=True,
            applied=applied,
            database=database,
        )


def refuse_new_start(
    directory: Path,
    files: list[MigrationFile],
    rows: list[history.HistoryRow],
    database: str,
    new_file: str,
) -> None:
    """``migrate dev`` must not start a new ``0001`` beside a database with applied files
    (the folder setting is mistyped, or points at another project's folder)."""
    applied = [r.name for r in rows]
    if files or not applied:
        return
    raise MigrationsFolderProblem(
        f"refusing to write {new_file}: the migrations folder {directory} "
        f"{'holds no migration files' if directory.is_dir() else 'does not exist'}, but "
        f"{database} has {len(applied)} applied migration(s) (the last: {applied[-1]})",
        path=directory,
        exists=directory.is_dir(),
        applied=applied,
        database=database,
        new_file=new_file,
    )
