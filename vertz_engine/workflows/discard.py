"""``migrate discard``: the migrations snapshot must always
describe the schema the files in the folder produce.

``migrate dev`` keeps, beside the snapshot, how to undo each of the last few files
(``undo``: the tables a file changed, as they were before it), so discarding them rewinds
the snapshot exactly. Beyond those, a snapshot whose fingerprint the steps ledger names is
used, else the snapshot is rebuilt from the files (:mod:`.rebuild`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vertz_engine.errors import SnapshotError, VertzError
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.remedies import Hint, Remedy, Text
from vertz_engine.schema.snapshot import Snapshot
from vertz_engine.workflows.loader import generated, number, steps
from vertz_engine.workflows.position import Position
from vertz_engine.workflows.workspace import Workspace


@dataclass
class DiscardResult:
    removed: list[Path] = field(default_factory=list)  # files deleted now
    forgotten: list[str] = field(default_factory=list)  # files already deleted by hand
    rewound_to: str | None = None  # the last file the snapshot now includes
    source: str = ""  # how the earlier schema was found


class Discard:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def run(self) -> DiscardResult:
        """Remove the last migration file, which the database has not applied, and rewind
        the migrations snapshot to the schema of the files before it. A file already
        deleted by hand (after a rollback, say) is forgotten the same way."""
        self.ws.env.refuse("discard")
        loader = self.ws.loader
        files = loader.files()
        ms = loader.migrations_snapshot()
        ledger = steps(ms)
        present = {f.name for f in files}
        gone = sorted((n for n in ledger if n not in present), key=number)
        result = DiscardResult(forgotten=gone)
        targets = self._targets(files, ms, gone)
        names = set(gone) | {f.name for f in targets}
        self._refuse_applied(names, present, targets)
        remaining = [f for f in files if f.name not in names]
        keep = {k: v for k, v in ledger.items() if k not in names}
        want = keep.get(remaining[-1].name) if remaining else None
        before, result.source = Position(self.ws).snapshot_before(
            ms, sorted(names, key=number), remaining, want
        )
        for f in targets:
            f.path.unlink()
            result.removed.append(f.path)
        undo_ledger = (ms or {}).get("undo")
        kept = (
            {k: v for k, v in undo_ledger.items() if k not in names}
            if isinstance(undo_ledger, dict)
            else {}
        )
        sums = {k: v for k, v in generated(ms).items() if k not in names}
        loader.save_migrations_snapshot(before, steps=keep, undo=kept, checksums=sums)
        result.rewound_to = remaining[-1].name if remaining else None
        return result

    def _targets(
        self, files: list[MigrationFile], ms: Snapshot | None, gone: list[str]
    ) -> list[MigrationFile]:
        """The file to delete (none when files deleted by hand are forgotten)."""
        if gone:
            top = max((f.number for f in files), default=0)
            if number(gone[0]) <= top:
                raise SnapshotError(self.ws.loader.snapshot_problems(ms)[0])
            return []
        if files:
            return [files[-1]]
        raise VertzError(
            f"there are no migration files in {self.ws.loader.migrations_dir}: nothing to discard"
        )

    def _refuse_applied(
        self, names: set[str], present: set[str], targets: list[MigrationFile]
    ) -> None:
        for row in self.ws.history_rows():
            renamed = row.name not in present and any(f.matches(row.checksum) for f in targets)
            if row.name in names or renamed:  # (renamed: an applied file under a new name)
                raise VertzError(
                    Text(
                        f"{row.name} is applied to {self.ws.safe_url()}: roll it back first (`",
                        Hint(Remedy.ROLLBACK),
                        "`), then discard it",
                    )
                )
