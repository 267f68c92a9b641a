"""The base of a :class:`~vertz_engine.project.Project`: models, database, folders, the
snapshots and the files, and what the database says it has."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from vertz_engine.db import database, ddl_locks, history, identity, recovery, step_runner
from vertz_engine.errors import ChecksumMismatch, SnapshotError, VertzError
from vertz_engine.files import migration_file, snapshot_file
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.files.txmode import RunMode, run_mode
from vertz_engine.plan.renames import Questioner, default_questioner
from vertz_engine.remedies import Hint, Remedy, Setting, Text
from vertz_engine.schema import build
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot
from vertz_engine.workflows import folder
from vertz_engine.workflows.results import ApplyResult, DeployResult

MIGRATIONS_SNAPSHOT = "_snapshot.json"
PRODUCTION = "production"
#: given a migration's name as it starts, and a LockWait before it is tried again
ProgressFn = Callable[[str | ddl_locks.LockWait], None]


@dataclass
class ProjectBase:
    """One app's models, database and migration folders."""

    engine: Engine
    metadata: sa.MetaData
    migrations_dir: Path
    local_snapshot_path: Path
    environment: str = "development"
    #: what decided the environment, named in refusals (the front end's words for it)
    environment_source: str = ""
    lock_timeout: float = 30.0
    root: Path | None = None  # where ``init`` puts the .gitignore line
    #: deploy's DDL lock timeout per try in seconds (0: none) and retries after it
    ddl_lock_timeout: float = 2.0
    ddl_lock_retries: int = 4

    # -- basics ---------------------------------------------------------------------------

    @property
    def production(self) -> bool:
        return self.environment == PRODUCTION

    @property
    def lock_policy(self) -> ddl_locks.LockPolicy:
        return ddl_locks.LockPolicy(self.ddl_lock_timeout, self.ddl_lock_retries)

    @property
    def environment_reason(self) -> str:
        return self.environment_source or f"environment={self.environment}"

    @property
    def dialect_name(self) -> str:
        return str(self.engine.dialect.name)

    @property
    def migrations_snapshot_path(self) -> Path:
        return self.migrations_dir / MIGRATIONS_SNAPSHOT

    def target(self) -> Snapshot:
        """The snapshot of the models."""
        return build.from_metadata(self.metadata, self.engine.dialect)

    def empty(self) -> Snapshot:
        return snap_mod.empty(self.dialect_name)

    def safe_url(self) -> str:
        return database.safe_url(self.engine)

    def _connect(self) -> AbstractContextManager[Connection]:
        return database.connect(self.engine, lock_timeout=self.lock_timeout)

    def _load_migrations_snapshot(self) -> Snapshot | None:
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

    def _load_local_snapshot(self) -> Snapshot | None:
        try:
            return snapshot_file.load(self.local_snapshot_path, remedy="")
        except SnapshotError:
            return None  # only a cache: the database says what it has

    def _save_local(
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

    def _steps(self, ms: Snapshot | None) -> dict[str, str]:
        steps = (ms or {}).get("steps") or {}
        return {str(k): str(v) for k, v in steps.items()} if isinstance(steps, dict) else {}

    def _generated(self, ms: Snapshot | None) -> dict[str, str]:
        """The checksum each file had when ``migrate dev`` wrote it."""
        sums = (ms or {}).get("checksums") or {}
        return {str(k): str(v) for k, v in sums.items()} if isinstance(sums, dict) else {}

    def history_rows(self) -> list[history.HistoryRow]:
        """The database's history (empty when the database or the table does not exist)."""
        if not database.exists(self.engine):
            return []
        with self._connect() as conn:
            return history.read_history(conn) or []

    def _refuse_new_start(self, files: list[MigrationFile]) -> None:
        if not files:
            number = migration_file.next_path(self.migrations_dir, "x").name.split("_")[0]
            folder.refuse_new_start(
                self.migrations_dir, files, self.history_rows(), self.safe_url(), number
            )

    def files(self) -> list[MigrationFile]:
        """The migration files in order (two with one number are reported by
        :meth:`same_numbers`, not refused here, so ``status`` can show them)."""
        return migration_file.list_files(self.migrations_dir, dialect=self.dialect_name)

    def _verify_history(self, files: list[MigrationFile], rows: list[history.HistoryRow]) -> None:
        by_name = {f.name: f for f in files}
        for row in rows:
            if row.status != history.APPLIED and not step_runner.resumable(
                row, by_name.get(row.name)
            ):
                raise VertzError(recovery.unfinished_message(row, by_name.get(row.name)))
            f = by_name.get(row.name)
            if f is not None and not f.matches(row.checksum):
                raise ChecksumMismatch(
                    f"{f.path.name} was edited after it was applied (recorded "
                    f"{row.checksum[:19]}..., file {f.actual_checksum[:19]}...); restore it from "
                    f"version control and put the change in a new migration",
                    name=f.name,
                )
        identity.verify_identities(files, rows, self.migrations_dir)

    def _file(self, row: history.HistoryRow) -> MigrationFile | None:
        return next((f for f in self.files() if f.name == row.name), None)

    def same_numbers(self, files: list[MigrationFile]) -> list[tuple[str, str]]:
        """Pairs of files with the same number (files from parallel branches)."""
        out = []
        for a, b in zip(files, files[1:], strict=False):
            if a.number == b.number:
                out.append((a.name, b.name))
        return out

    def run_mode(self, f: MigrationFile | None = None, *, data_only: bool = False) -> RunMode:
        """How a migration (``f``, or model changes) runs here: see :func:`txmode.run_mode`."""
        return run_mode(self.dialect_name, f, data_only=data_only)

    def transactional(self, f: MigrationFile | None = None) -> bool:
        return self.run_mode(f).transactional

    def _base(self, conn: Connection, st: history.State | None) -> Snapshot | None:
        """The snapshot that describes the database now, or None if nothing does."""
        if st is None:
            return None if history.user_tables(conn) else self.empty()
        if st.snapshot is not None:
            return st.snapshot
        for candidate in (
            self._load_local_snapshot(),
            self._load_migrations_snapshot(),
            self.empty(),
        ):
            if candidate is not None and snap_mod.fingerprint(candidate) == st.fingerprint:
                return candidate
        return None

    def snapshot_problems(
        self, ms: Snapshot | None, files: list[MigrationFile] | None = None
    ) -> list[str | Text]:
        """Files the migrations snapshot counts that are not in the folder any more
        (``files``: the folder's files, when the caller has read them already)."""
        names = {f.name for f in (self.files() if files is None else files)}
        return [
            Text(
                f"{self.migrations_snapshot_path} includes the changes of {name}, but "
                f"{self.migrations_dir / (name + '.sql')} is missing: restore the file, or, if "
                "you removed it on purpose and no database has applied it, run `",
                Hint(Remedy.DISCARD),
                f"` to rewind {self.migrations_snapshot_path.name}",
            )
            for name in self._steps(ms)
            if name not in names
        ]

    def _check_snapshot_matches_files(self, ms: Snapshot | None) -> None:
        problems = self.snapshot_problems(ms)
        if problems:
            raise SnapshotError(problems[0])

    # -- implemented by the workflows --------------------------------------------------------

    def apply_models(  # pragma: no cover - dev.py
        self,
        *,
        renames: Mapping[str, str] | None = None,
        questioner: Questioner = default_questioner,
        dry_run: bool = False,
        verify_renames: bool = True,
    ) -> ApplyResult:
        raise NotImplementedError

    def deploy(  # pragma: no cover - deploy.py
        self,
        *,
        dry_run: bool = False,
        force: bool = False,
        progress: ProgressFn | None = None,
        allow_out_of_order: bool = False,
    ) -> DeployResult:
        raise NotImplementedError
