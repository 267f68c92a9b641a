"""A migration file's identity: the name in its header (``-- Migration: <name>``) and its
checksum, not the file's current name. A pending file that is an applied migration under
another name (renamed, renumbered or copied) is refused, never applied again; advice to
renumber files from parallel branches names the file least likely to be applied anywhere
and says how to check.
"""

from __future__ import annotations

from pathlib import Path

from vertz_engine.db.history import HistoryRow
from vertz_engine.errors import MigrationFileError
from vertz_engine.files.file_format import MIGRATION_KEY, header_line
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.remedies import Hint, Remedy, Text


def _check_first(name: str) -> Text:
    return Text(
        f"First check that no database has applied {name}: run `",
        Hint(Remedy.STATUS),
        "` against each database (production too); a database that lists it under Applied "
        "refuses the renamed file (roll it back there first, or renumber the other file "
        "instead).",
    )


def applied_twin(f: MigrationFile, rows: list[HistoryRow]) -> HistoryRow | None:
    """The applied migration that pending ``f`` is, by header name or by checksum."""
    if f.header_name != f.name:
        row = next((r for r in rows if r.name == f.header_name), None)
        if row is not None:
            return row
    return next((r for r in rows if f.matches(r.checksum)), None)


def verify_identities(files: list[MigrationFile], rows: list[HistoryRow], folder: Path) -> None:
    """Refuse pending files that are applied migrations under another name."""
    applied = {r.name for r in rows}
    present = {f.name for f in files}
    for f in files:
        if f.name in applied:
            continue
        row = applied_twin(f, rows)
        if row is None:
            continue
        how = (
            f"its header says {header_line(MIGRATION_KEY, f.header_name)}"
            if f.header_name == row.name
            else "its checksum is the one recorded for it"
        )
        if row.name in present:
            fix: str | Text = Text(
                f"Delete {folder.name}/{f.path.name} (a copy); a new change needs a new "
                "migration (`",
                Hint(Remedy.MIGRATE_DEV, "..."),
                "`)",
            )
            what = "a copy of"
        else:
            fix = f"Rename it back: git mv {folder.name}/{f.path.name} {folder.name}/{row.name}.sql"
            what = "renamed from"
        raise MigrationFileError(
            Text(
                f"{f.path.name} is {what} applied migration {row.name} ({how}), applied "
                f"{row.applied_at}; it was not applied again. ",
                fix,
                ".",
            )
        )


def renumber_advice(a: MigrationFile, b: MigrationFile, files: list[MigrationFile]) -> Text:
    """What to do about two files with one number: renumber the newer (by its Created
    header, then name), which is the one least likely to be applied anywhere yet."""
    newer = max((a, b), key=lambda f: (f.created, f.name))
    last = max(f.number for f in files)
    folder = newer.path.parent.name
    return (
        f"{a.path.name} and {b.path.name} have the same number (files from parallel "
        f"branches?). Renumber the newer one (created {newer.created}) after the last file: "
        f"git mv {folder}/{newer.path.name} {folder}/{_renumbered(newer, last + 1)}. "
        + _check_first(newer.name)
    )


def _renumbered(f: MigrationFile, number: int) -> str:
    return f"{number:04d}_{f.name.split('_', 1)[1]}.sql"


def out_of_order_advice(f: MigrationFile, applied_top: str, files: list[MigrationFile]) -> Text:
    last = max(g.number for g in files)
    folder = f.path.parent.name
    return Text(
        f"{f.name} is pending but {applied_top} (a later number) is already applied: files "
        "from parallel branches? Apply it out of order with `",
        Hint(Remedy.DEPLOY, out_of_order=True),
        f"`, or renumber it after the last file (git mv {folder}/"
        f"{f.path.name} {folder}/{_renumbered(f, last + 1)}). ",
        _check_first(f.name),
    )
