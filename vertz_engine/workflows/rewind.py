"""``migrate discard`` and a missing migrations snapshot: the migrations snapshot must always
describe the schema the files in the folder produce.

``migrate dev`` keeps, beside the snapshot, how to undo each of the last few files
(``undo``: the tables a file changed, as they were before it), so discarding them rewinds
the snapshot exactly. Beyond those, a snapshot whose fingerprint the steps ledger names is
used, else the snapshot is rebuilt from the files (:mod:`.rebuild`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vertz_engine.db import database, history
from vertz_engine.errors import ProductionGuard, SnapshotError, VertzError
from vertz_engine.files import snapshot_file
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.remedies import Hint, Remedy, Text
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot
from vertz_engine.workflows import rebuild
from vertz_engine.workflows.workspace import ProjectBase


@dataclass
class DiscardResult:
    removed: list[Path] = field(default_factory=list)  # files deleted now
    forgotten: list[str] = field(default_factory=list)  # files already deleted by hand
    rewound_to: str | None = None  # the last file the snapshot now includes
    source: str = ""  # how the earlier schema was found


UNDO_KEPT = 10  # files whose undo is kept in the migrations snapshot


def with_undo(undo: Any, name: str, old: Snapshot, new: Snapshot) -> dict[str, Any]:
    """The ``undo`` ledger after ``migrate dev`` wrote file ``name`` (``old`` -> ``new``):
    the tables it changed, as they were (None for a table it created), for the last
    :data:`UNDO_KEPT` files."""
    o, n = old["tables"], new["tables"]
    entries = dict(undo) if isinstance(undo, dict) else {}
    entries[name] = {t: o.get(t) for t in sorted(set(o) | set(n)) if o.get(t) != n.get(t)}
    kept = sorted(entries, key=_number)[-UNDO_KEPT:]
    return {k: entries[k] for k in kept}


def undo(snap: Snapshot, tables_before: dict[str, Any]) -> Snapshot:
    tables = dict(snap["tables"])
    for name, table in tables_before.items():
        if table is None:
            tables.pop(name, None)
        else:
            tables[name] = table
    return {
        "format": snap["format"],
        "dialect": snap["dialect"],
        "tables": dict(sorted(tables.items())),
    }


def _number(name: str) -> int:
    head = name.split("_", 1)[0]
    return int(head) if head.isdigit() else -1


class RewindFlows(ProjectBase):
    def files_snapshot(self, *, save: bool = False) -> tuple[Snapshot | None, bool]:
        """The migrations snapshot; rebuilt from the files when it is missing beside them,
        never read as empty. Returns it and whether it was rebuilt (and, with ``save``,
        written)."""
        ms = self._load_migrations_snapshot()
        if ms is not None:
            return ms, False
        files = self.files()
        if not files:
            return None, False
        snap = self._rebuild(files)
        steps = {files[-1].name: snap_mod.fingerprint(snap)}
        snap = {**snap, "steps": steps}
        if save:
            snapshot_file.save(self.migrations_snapshot_path, snap)
        return snap, True

    def _rebuild(self, files: list[MigrationFile]) -> Snapshot:
        return rebuild.from_files(
            self.engine,
            files,
            [self.target(), self._load_local_snapshot(), self._state_snapshot()],
            target=self.migrations_snapshot_path,
        )

    def _state_snapshot(self) -> Snapshot | None:
        if not database.exists(self.engine):
            return None
        with self._connect() as conn:
            st = history.read_state(conn)
        return st.snapshot if st is not None else None

    def discard(self) -> DiscardResult:
        """Remove the last migration file, which the database has not applied, and rewind
        the migrations snapshot to the schema of the files before it. A file already
        deleted by hand (after a rollback, say) is forgotten the same way."""
        if self.production:
            raise ProductionGuard(
                f"refusing to discard a migration file in production "
                f"({self.environment_reason}): a file that is deployed stays; undo its changes "
                f"in a new migration"
            )
        files = self.files()
        ms = self._load_migrations_snapshot()
        steps = self._steps(ms)
        present = {f.name for f in files}
        gone = sorted((n for n in steps if n not in present), key=_number)
        result = DiscardResult()
        if gone:
            top = max((f.number for f in files), default=0)
            if _number(gone[0]) <= top:
                raise SnapshotError(self.snapshot_problems(ms)[0])
            targets: list[MigrationFile] = []
            result.forgotten = gone
        elif files:
            targets = [files[-1]]
        else:
            raise VertzError(
                f"there are no migration files in {self.migrations_dir}: nothing to discard"
            )
        names = set(gone) | {f.name for f in targets}
        for row in self.history_rows():
            renamed = row.name not in present and any(f.matches(row.checksum) for f in targets)
            if row.name in names or renamed:  # (renamed: an applied file under a new name)
                raise VertzError(
                    Text(
                        f"{row.name} is applied to {self.safe_url()}: roll it back first (`",
                        Hint(Remedy.ROLLBACK),
                        "`), then discard it",
                    )
                )
        remaining = [f for f in files if f.name not in names]
        keep = {k: v for k, v in steps.items() if k not in names}
        before, result.source = self._snapshot_before(
            ms, sorted(names, key=_number), remaining, keep
        )
        for f in targets:
            f.path.unlink()
            result.removed.append(f.path)
        ledger = (ms or {}).get("undo")
        kept = (
            {k: v for k, v in ledger.items() if k not in names} if isinstance(ledger, dict) else {}
        )
        sums = {k: v for k, v in self._generated(ms).items() if k not in names}
        snapshot_file.save(
            self.migrations_snapshot_path, before, steps=keep, undo=kept, checksums=sums
        )
        result.rewound_to = remaining[-1].name if remaining else None
        return result

    def _snapshot_before(
        self,
        ms: Snapshot | None,
        names: list[str],
        remaining: list[MigrationFile],
        keep: dict[str, str],
    ) -> tuple[Snapshot, str]:
        if not remaining:
            return self.empty(), "no files remain: the empty schema"
        want = keep.get(remaining[-1].name)
        ledger = (ms or {}).get("undo")
        if ms is not None and isinstance(ledger, dict) and all(n in ledger for n in names):
            snap = ms
            for name in reversed(names):
                snap = undo(snap, ledger[name])
            if want is None or snap_mod.fingerprint(snap) == want:
                return snap, "kept by migrate dev"
        for cand in (self._load_local_snapshot(), self._state_snapshot()):
            if cand is not None and want is not None and snap_mod.fingerprint(cand) == want:
                return undo(cand, {}), "a snapshot with the recorded fingerprint"
        return self._rebuild(remaining), "rebuilt from the files"
