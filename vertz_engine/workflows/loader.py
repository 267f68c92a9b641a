"""The loader: what is on disk. The migration files in order, the migrations snapshot
(``_snapshot.json``: the schema the files produce, with its steps ledger and the checksums
as generated) and the local snapshot (a cache of the models' last snapshot).

It reads and writes files only; what the database says is the recorder's
(:mod:`vertz_engine.db.history`), and how the stores agree is :mod:`.position`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from vertz_engine.errors import SnapshotError, VertzError
from vertz_engine.files import migration_file, snapshot_file
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.remedies import Hint, Remedy, Setting, Text
from vertz_engine.schema import build
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot

MIGRATIONS_SNAPSHOT = "_snapshot.json"


@dataclass
class Loader:
    """The migrations folder, the snapshots and the models of one project."""

    engine: Engine
    metadata: sa.MetaData
    migrations_dir: Path
    local_snapshot_path: Path
    last: str | None = None  # the folder ends at this file (inclusive): migrate to it

    @property
    def dialect_name(self) -> str:
        return str(self.engine.dialect.name)

    @property
    def migrations_snapshot_path(self) -> Path:
        return self.migrations_dir / MIGRATIONS_SNAPSHOT

    # -- the models --------------------------------------------------------------------------

    def target(self) -> Snapshot:
        """The snapshot of the models."""
        return build.from_metadata(self.metadata, self.engine.dialect)

    def empty(self) -> Snapshot:
        return snap_mod.empty(self.dialect_name)

    # -- the files ---------------------------------------------------------------------------

    def files(self) -> list[MigrationFile]:
        """The migration files in order (two with one number are reported by
        :meth:`same_numbers`, not refused here, so ``status`` can show them)."""
        files = migration_file.list_files(self.migrations_dir, dialect=self.dialect_name)
        if self.last is None:
            return files
        names = [f.name for f in files]
        if self.last not in names:
            raise VertzError(f"no migration file named {self.last} (files: {', '.join(names)})")
        return files[: names.index(self.last) + 1]

    def verified_files(self) -> list[MigrationFile]:
        """The files, each refused if its body does not match its checksum."""
        files = self.files()
        for f in files:
            f.verify()
        return files

    def find(self, name: str) -> MigrationFile:
        """A file by name, file name, number or the name without its number."""
        for f in self.files():
            if name in (f.name, f.path.name, f"{f.number:04d}", str(f.number)) or (
                f.name.split("_", 1)[1] == name
            ):
                return f
        raise VertzError(f"no migration file named {name!r} in {self.migrations_dir}")

    @staticmethod
    def same_numbers(files: list[MigrationFile]) -> list[tuple[str, str]]:
        """Pairs of files with the same number (files from parallel branches)."""
        return [
            (a.name, b.name) for a, b in zip(files, files[1:], strict=False) if a.number == b.number
        ]

    def next_number(self) -> str:
        return migration_file.next_path(self.migrations_dir, "x").name.split("_")[0]

    # -- the snapshots -----------------------------------------------------------------------

    def migrations_snapshot(self) -> Snapshot | None:
        snap = snapshot_file.load(
            self.migrations_snapshot_path,
            remedy=(
                "Restore it from version control (git checkout -- "
                f"{self.migrations_snapshot_path.name}); it must describe the schema the "
                "migration files produce."
            ),
        )
        if snap is not None and snap["dialect"] != self.dialect_name:
            raise SnapshotError(
                Text(
                    f"{self.migrations_snapshot_path} describes a {snap['dialect']} schema but "
                    f"the app's database is {self.dialect_name}; migration files are plain SQL "
                    f"for one database. Point the app at a {snap['dialect']} database or start "
                    "a separate ",
                    Setting.MIGRATIONS_DIR,
                    f" for {self.dialect_name}.",
                )
            )
        return snap

    def save_migrations_snapshot(self, snap: Snapshot, **ledgers: Any) -> None:
        snapshot_file.save(self.migrations_snapshot_path, snap, **ledgers)

    def local_snapshot(self) -> Snapshot | None:
        try:
            return snapshot_file.load(self.local_snapshot_path, remedy="")
        except SnapshotError:
            return None  # only a cache: the database says what it has

    def save_local(
        self, snap: Snapshot, fingerprint: str | None = None, digest: str | None = None
    ) -> None:
        """Keep ``snap`` as the local snapshot; ``digest``: the models' digest, when ``snap``
        is their snapshot (the next boot then proves its fingerprint from the digest)."""
        fingerprint = fingerprint or snap_mod.fingerprint(snap)
        saved_fp, saved_digest = snapshot_file.read_head(self.local_snapshot_path)
        # a digest saved with this fingerprint still proves it: kept when none is given
        if saved_fp != fingerprint or (digest is not None and saved_digest != digest):
            extra = {snapshot_file.DIGEST_KEY: digest} if digest else {}
            snapshot_file.save(self.local_snapshot_path, snap, fingerprint=fingerprint, **extra)

    def snapshot_problems(
        self, ms: Snapshot | None, files: list[MigrationFile] | None = None
    ) -> list[str | Text]:
        """Files the migrations snapshot counts that are not in the folder any more
        (``files``: the folder's files, when the caller has read them already)."""
        names = {f.name for f in (self.files() if files is None else files)}
        path = self.migrations_snapshot_path
        return [
            Text(
                f"{path} includes the changes of {name}, but "
                f"{self.migrations_dir / (name + '.sql')} is missing: restore the file, or, if "
                "you removed it on purpose and no database has applied it, run `",
                Hint(Remedy.DISCARD),
                f"` to rewind {path.name}",
            )
            for name in steps(ms)
            if name not in names
        ]

    def check_snapshot_matches_files(self, ms: Snapshot | None) -> None:
        problems = self.snapshot_problems(ms)
        if problems:
            raise SnapshotError(problems[0])


def steps(ms: Snapshot | None) -> dict[str, str]:
    """The steps ledger: each file's name -> the fingerprint of the schema after it."""
    found = (ms or {}).get("steps") or {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def generated(ms: Snapshot | None) -> dict[str, str]:
    """The checksum each file had when ``migrate dev`` wrote it."""
    sums = (ms or {}).get("checksums") or {}
    return {str(k): str(v) for k, v in sums.items()} if isinstance(sums, dict) else {}


UNDO_KEPT = 10  # files whose undo is kept in the migrations snapshot


def with_undo(undo: Any, name: str, old: Snapshot, new: Snapshot) -> dict[str, Any]:
    """The ``undo`` ledger after ``migrate dev`` wrote file ``name`` (``old`` -> ``new``):
    the tables it changed, as they were (None for a table it created), for the last
    :data:`UNDO_KEPT` files."""
    o, n = old["tables"], new["tables"]
    entries = dict(undo) if isinstance(undo, dict) else {}
    entries[name] = {t: o.get(t) for t in sorted(set(o) | set(n)) if o.get(t) != n.get(t)}
    kept = sorted(entries, key=number)[-UNDO_KEPT:]
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


def number(name: str) -> int:
    head = name.split("_", 1)[0]
    return int(head) if head.isdigit() else -1
