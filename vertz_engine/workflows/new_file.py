"""``migrate new``: an empty, signed migration file for hand-written SQL."""

from __future__ import annotations

from pathlib import Path

from vertz_engine.files import migration_file
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.workflows.loader import generated, steps, with_undo
from vertz_engine.workflows.position import Position
from vertz_engine.workflows.workspace import Workspace

NEW_FILE_UP_NOTE = (
    "-- Hand-written SQL: a data migration or a backfill. Schema changes belong in the\n"
    "-- models (`migrate dev` writes them). Re-sign after editing (`migrate sign NAME`)."
)
NEW_FILE_ROLLBACK_NOTE = "-- The SQL that undoes the statements above (or leave it empty)."


class NewMigration:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def run(self, name: str) -> Path:
        """Write the next migration file with no statements, signed, for hand-written SQL
        (a data migration, a backfill): its ``-- @rollback`` section is for the SQL that
        undoes it. The schema the files produce does not change, so ``_snapshot.json``
        records the file at the schema of the files before it."""
        loader = self.ws.loader
        slug = migration_file.slugify(name)
        self.ws.refuse_new_start(loader.files())
        ms, _ = Position(self.ws).files_snapshot()
        loader.check_snapshot_matches_files(ms)
        ledger = steps(ms)
        path = migration_file.next_path(loader.migrations_dir, slug)
        text = migration_file.render(
            path.stem,
            [],
            [],
            up_notes=[NEW_FILE_UP_NOTE],
            rollback_notes=[NEW_FILE_ROLLBACK_NOTE],
        )
        loader.migrations_dir.mkdir(parents=True, exist_ok=True)
        migration_file.write_atomic(path, text)
        snap = ms or loader.empty()
        ledger[path.stem] = fp = snap_mod.fingerprint(snap)
        loader.save_migrations_snapshot(
            snap,
            fingerprint=fp,
            steps=ledger,
            checksums=generated(ms),  # not this file's: it is for hand-written SQL
            undo=with_undo(snap.get("undo"), path.stem, snap, snap),
        )
        return path
