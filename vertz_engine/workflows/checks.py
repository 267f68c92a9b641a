"""The checks of the files against the database's history, each decided here once:
unfinished migrations, checksum drift (a file edited after it was applied), files applied
under another name, the same number twice, out-of-order files. ``deploy`` and
``rollback`` refuse on them; ``status`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vertz_engine.db import history, identity, recovery, step_runner
from vertz_engine.errors import ChecksumMismatch, MigrationFileError, VertzError
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.workflows.loader import Loader


@dataclass(frozen=True)
class Drift:
    """An applied file whose body is not what was applied."""

    file: MigrationFile
    row: history.HistoryRow


def checksum_drift(files: list[MigrationFile], rows: list[history.HistoryRow]) -> list[Drift]:
    """Applied files edited after they were applied."""
    by_name = {f.name: f for f in files}
    return [
        Drift(f, r)
        for r in rows
        if (f := by_name.get(r.name)) is not None and not f.matches(r.checksum)
    ]


def out_of_order(files: list[MigrationFile], applied: set[str]) -> list[MigrationFile]:
    """Pending files numbered below the highest applied file."""
    top = max((f.number for f in files if f.name in applied), default=0)
    return [f for f in files if f.name not in applied and f.number < top]


def verify_history(
    files: list[MigrationFile], rows: list[history.HistoryRow], folder: Path
) -> None:
    """Refuse an unfinished migration, an applied file that was edited, and a pending file
    that is an applied one under another name."""
    by_name = {f.name: f for f in files}
    drifted = {d.row.name: d.file for d in checksum_drift(files, rows)}
    for row in rows:
        if row.status != history.APPLIED and not step_runner.resumable(row, by_name.get(row.name)):
            raise VertzError(recovery.unfinished_message(row, by_name.get(row.name)))
        f = drifted.get(row.name)
        if f is not None:
            raise ChecksumMismatch(
                f"{f.path.name} was edited after it was applied (recorded "
                f"{row.checksum[:19]}..., file {f.actual_checksum[:19]}...); restore it from "
                f"version control and put the change in a new migration",
                name=f.name,
            )
    identity.verify_identities(files, rows, folder)


def verify_order(files: list[MigrationFile], applied: set[str], allow_out_of_order: bool) -> None:
    """Refuse two files with one number, and (unless allowed) a pending file numbered
    below an applied one."""
    by_name = {f.name: f for f in files}
    same = Loader.same_numbers(files)
    if same:
        a, b = same[0]
        raise MigrationFileError(identity.renumber_advice(by_name[a], by_name[b], files))
    late = [] if allow_out_of_order else out_of_order(files, applied)
    if late:
        top = max(f.number for f in files if f.name in applied)
        applied_top = next(g.name for g in files if g.number == top and g.name in applied)
        raise MigrationFileError(identity.out_of_order_advice(late[0], applied_top, files))
