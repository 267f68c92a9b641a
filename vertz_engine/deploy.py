"""Applying migration files: ``migrate deploy``, ``rollback``, ``migrate sign``."""

from __future__ import annotations

import time

from sqlalchemy.engine import Connection

from . import database, history, migration_file
from . import snapshot as snap_mod
from .errors import (
    ChecksumMismatch,
    MigrationFileError,
    NothingToRollback,
    VertzError,
)
from .migration_file import MigrationFile
from .results import DeployResult, RollbackResult
from .snapshot import Snapshot
from .workspace import ProgressFn, ProjectBase


class DeployFlows(ProjectBase):
    # -- deploy -----------------------------------------------------------------------------

    def deploy(
        self,
        *,
        dry_run: bool = False,
        force: bool = False,
        progress: ProgressFn | None = None,
    ) -> DeployResult:
        """Apply pending migration files in order, each in its own transaction, locked."""
        files = self.files()
        for f in files:
            f.verify()
        ms = self._load_migrations_snapshot()
        steps = self._steps(ms)
        result = DeployResult()
        with self._connect() as conn:
            with database.lock(conn, timeout=self.lock_timeout):
                rows = history.read_history(conn) or []
                applied = {r.name: r for r in rows}
                for f in files:
                    row = applied.get(f.name)
                    if row is not None and row.checksum != f.actual_checksum:
                        raise ChecksumMismatch(
                            f"{f.path.name} was edited after it was applied (recorded "
                            f"{row.checksum[:19]}..., file {f.actual_checksum[:19]}...); "
                            f"restore it from version control and put the change in a new migration",
                            name=f.name,
                        )
                pending = [f for f in files if f.name not in applied]
                if dry_run:
                    result.pending = pending
                    return result
                if self.production and not force:
                    notes = [f"{f.name}: {n}" for f in pending for n in f.destructive_notes()]
                    if notes:
                        from .errors import DestructiveChanges

                        raise DestructiveChanges(
                            "refusing to apply destructive changes in production without --force:\n  "
                            + "\n  ".join(notes),
                            changes=notes,
                        )
                if not pending:
                    return result
                self._run_pending(conn, files, pending, steps, ms, result, progress)
        if not self.production and ms is not None:
            with self._connect() as conn:
                st = history.read_state(conn)
            if st is not None and st.fingerprint == snap_mod.fingerprint(ms):
                self._save_local(ms)
        return result

    def _run_pending(
        self,
        conn: Connection,
        files: list[MigrationFile],
        pending: list[MigrationFile],
        steps: dict[str, str],
        ms: Snapshot | None,
        result: DeployResult,
        progress: ProgressFn | None,
    ) -> None:
        order = [f.name for f in files]
        empty_fp = snap_mod.fingerprint(self.empty())
        last_fp = snap_mod.fingerprint(ms) if ms is not None else None
        with database.transaction(conn, lock_timeout=self.lock_timeout):
            history.ensure_tables(conn)
        for i, f in enumerate(pending):
            with database.transaction(conn, lock_timeout=self.lock_timeout):
                if any(r.name == f.name for r in history.read_history(conn) or []):
                    continue  # another process applied it while we waited
                st = history.read_state(conn)
                current = (
                    st.fingerprint if st else (None if history.user_tables(conn) else empty_fp)
                )
                if not self.production and current is not None:
                    # Development: changes that boot or push already made are recorded, not
                    # run again (the team workflow: pull models and files, boot, deploy).
                    if any(steps.get(g.name) == current for g in pending[i:]):
                        history.record(
                            conn,
                            f.name,
                            f.actual_checksum,
                            execution_ms=0,
                            note="schema already matched; not run",
                        )
                        result.recorded.append(f.name)
                        continue
                if progress:
                    progress(f.name)
                start = time.perf_counter()
                from .runner import execute

                execute(conn, f.up_statements(), name=f.name)
                ms_taken = int((time.perf_counter() - start) * 1000)
                history.record(conn, f.name, f.actual_checksum, execution_ms=ms_taken)
                idx = order.index(f.name)
                prev_fp = steps.get(order[idx - 1]) if idx > 0 else empty_fp
                new_fp = steps.get(f.name)
                if current is not None and current == prev_fp and new_fp is not None:
                    history.write_state(conn, new_fp, ms if new_fp == last_fp else None)
                else:
                    history.write_state(conn, None)
                result.applied.append(f.name)

    # -- rollback ---------------------------------------------------------------------------

    def rollback(self, steps: int = 1, *, dry_run: bool = False) -> RollbackResult:
        """Run the ``@rollback`` section of the last ``steps`` applied migrations."""
        if steps < 1:
            raise VertzError("--steps must be 1 or more")
        files = {f.name: f for f in self.files()}
        ms = self._load_migrations_snapshot()
        fps = self._steps(ms)
        order = list(files)
        empty_fp = snap_mod.fingerprint(self.empty())
        result = RollbackResult()
        with self._connect() as conn:
            with database.lock(conn, timeout=self.lock_timeout):
                rows = [r for r in history.read_history(conn) or [] if r.status == history.APPLIED]
                if len(rows) < steps:
                    raise NothingToRollback(
                        f"asked to roll back {steps} migration(s) but {len(rows)} "
                        f"{'is' if len(rows) == 1 else 'are'} applied"
                    )
                targets = list(reversed(rows))[:steps]
                for row in targets:
                    f = files.get(row.name)
                    if f is None:
                        raise MigrationFileError(
                            f"cannot roll back {row.name}: its file is not in {self.migrations_dir}"
                        )
                    f.verify()
                    result.statements[f.name] = f.rollback_statements()
                if dry_run:
                    return result
                for row in targets:
                    f = files[row.name]
                    with database.transaction(conn, lock_timeout=self.lock_timeout):
                        if not any(r.name == f.name for r in history.read_history(conn) or []):
                            continue
                        st = history.read_state(conn)
                        from .runner import execute

                        execute(conn, f.rollback_statements(), name=f"{f.name} (rollback)")
                        history.forget(conn, f.name)
                        idx = order.index(f.name)
                        prev_fp = fps.get(order[idx - 1]) if idx > 0 else empty_fp
                        if st is not None and st.fingerprint == fps.get(f.name) and prev_fp:
                            history.write_state(conn, prev_fp)
                        else:
                            history.write_state(conn, None)
                    result.rolled_back.append(f.name)
        return result

    def sign(self, name: str) -> bool:
        """Re-sign an edited migration file that is not applied yet."""
        f = self._find(name)
        with self._connect() as conn:
            rows = history.read_history(conn) or []
        if any(r.name == f.name for r in rows):
            raise VertzError(
                f"{f.name} is already applied to {self.safe_url()}; an applied file must not "
                f"change. Put the change in a new migration instead."
            )
        return migration_file.sign(f.path)

    def _find(self, name: str) -> MigrationFile:
        files = self.files()
        for f in files:
            if name in (f.name, f.path.name, f"{f.number:04d}", str(f.number)) or (
                f.name.split("_", 1)[1] == name
            ):
                return f
        raise VertzError(f"no migration file named {name!r} in {self.migrations_dir}")
