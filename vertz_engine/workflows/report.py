"""``init``, ``status`` and ``check``: setting up and reporting."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from vertz_engine.db import catalog, database, history, identity
from vertz_engine.errors import AlembicFolder
from vertz_engine.files import guard, migration_file, snapshot_file
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.gcpause import gc_paused
from vertz_engine.plan.diff import diff
from vertz_engine.remedies import Hint, Remedy, Text
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot
from vertz_engine.workflows import folder
from vertz_engine.workflows.results import CheckResult, InitResult, Status, change_dict
from vertz_engine.workflows.rewind import RewindFlows

#: what marks a folder as Alembic's (Flask-Migrate's ``migrations/`` holds all three)
ALEMBIC_MARKS = ("env.py", "alembic.ini", "versions/")


class ReportFlows(RewindFlows):
    # -- init -----------------------------------------------------------------------------

    def init(self) -> InitResult:
        """Create the migrations folder, both snapshots and the .gitignore line."""
        result = InitResult()
        self._refuse_alembic_folder()
        if not self.migrations_dir.exists():
            self.migrations_dir.mkdir(parents=True)
            result.created.append(self.migrations_dir)
        else:
            result.existing.append(self.migrations_dir)
        if self.migrations_snapshot_path.exists():
            self._load_migrations_snapshot()  # refuse to go on over a corrupt one
            result.existing.append(self.migrations_snapshot_path)
        else:
            snapshot_file.save(self.migrations_snapshot_path, self.empty(), steps={})
            result.created.append(self.migrations_snapshot_path)
        if self.local_snapshot_path.exists():
            result.existing.append(self.local_snapshot_path)
        else:
            snapshot_file.save(self.local_snapshot_path, self.empty())
            result.created.append(self.local_snapshot_path)
        root = self.root or self.local_snapshot_path.parent.parent
        try:
            rel = self.local_snapshot_path.parent.resolve().relative_to(root.resolve())
        except ValueError:
            return result
        line = f"{rel.as_posix()}/"
        gitignore = root / ".gitignore"
        lines = gitignore.read_text(encoding="utf-8").splitlines() if gitignore.exists() else []
        if line not in lines and line.rstrip("/") not in lines:
            text = "\n".join([*lines, "# flask-vertz local snapshot", line]) + "\n"
            migration_file.write_atomic(gitignore, text)
            result.gitignore_updated = True
        return result

    def _refuse_alembic_folder(self) -> None:
        folder = self.migrations_dir
        found = [n for n in ALEMBIC_MARKS if (folder / n.rstrip("/")).exists()]
        if found:
            raise AlembicFolder(
                f"the migrations folder {folder} is Alembic's (it holds {', '.join(found)}); "
                "flask-vertz needs a folder of its own",
                path=folder,
                found=found,
            )

    # -- status and check -------------------------------------------------------------------

    @gc_paused
    def status(self) -> Status:
        files = self.files()
        ms, rebuilt = self._report_snapshot(files)
        notes = self._snapshot_notes(files, ms, rebuilt)
        plan = diff(ms or self.empty(), self.target() if ms or not files else self.empty())
        all_rows: list[history.HistoryRow] = []
        db_drift: list[str] = []
        basis = "the database file does not exist yet"
        if database.exists(self.engine):
            with self._connect() as conn:
                all_rows = history.read_history(conn) or []
                db_drift, basis = self._live_drift(conn, ms, files, all_rows)
        folder.check(self.migrations_dir, files, all_rows, self.safe_url())
        rows = [r for r in all_rows if r.status == history.APPLIED]
        failed = [r for r in all_rows if r.status != history.APPLIED]
        by_name = {f.name: f for f in files}
        applied_names = {r.name for r in rows}
        max_applied = max((by_name[r.name].number for r in rows if r.name in by_name), default=0)
        pending = [f for f in files if f.name not in applied_names]
        drift: list[dict[str, Any]] = []
        for r in rows:
            f = by_name.get(r.name)
            if f is not None and not f.matches(r.checksum):
                drift.append(
                    {
                        "name": r.name,
                        "recorded": r.checksum,
                        "actual": f.actual_checksum,
                        "problem": "edited after it was applied",
                    }
                )
        for f in pending:
            if not f.signed:
                drift.append(
                    {
                        "name": f.name,
                        "recorded": f.checksum,
                        "actual": f.actual_checksum,
                        "problem": "body does not match its header checksum",
                        "fix": Hint(Remedy.SIGN, f.name),
                    }
                )
        return Status(
            applied=[
                {
                    "name": r.name,
                    "applied_at": r.applied_at,
                    "checksum": r.checksum,
                    "status": r.status,
                    "execution_ms": r.execution_ms,
                    "note": r.note,
                }
                for r in rows
            ],
            pending=[
                {
                    "name": f.name,
                    "path": str(f.path),
                    "statements": len(f.up_statements()),
                    "destructive": [x.text() for x in guard.file_losses(f, self.dialect_name)],
                    "sql": f.up.strip(),
                }
                for f in pending
            ],
            model_changes=[change_dict(c) for c in plan.changes()],
            checksum_drift=drift,
            out_of_order=[
                {"name": f.name, "number": f.number, "last_applied_number": max_applied}
                for f in pending
                if f.number < max_applied
            ],
            missing_files=[r.name for r in rows if r.name not in by_name],
            database=self.safe_url(),
            failed=[
                {
                    "name": r.name,
                    "status": r.status,
                    "statements_done": r.statements_done,
                    "note": r.note,
                    "fix": (
                        Text(Hint(Remedy.ROLLBACK), " (runs the rest), or ")
                        if r.status in (history.ROLLBACK_FAILED, history.ROLLING_BACK)
                        else Text()
                    )
                    + Hint(Remedy.RESOLVE, r.name),
                }
                for r in failed
            ],
            duplicate_numbers=[list(pair) for pair in self.same_numbers(files)],
            db_drift=db_drift,
            db_drift_basis=basis,
            snapshot_problems=notes + self.snapshot_problems(ms, files),
            applied_elsewhere=[
                {"name": f.name, "applied_as": twin.name}
                for f in pending
                if (twin := identity.applied_twin(f, rows)) is not None
            ],
        )

    def _live_drift(
        self,
        conn: Connection,
        ms: Snapshot | None,
        files: list[MigrationFile],
        rows: list[history.HistoryRow],
    ) -> tuple[list[str], str]:
        """Differences between the live database and the schema it should have: the one
        flask-vertz last left it with, or else the one all the files produce."""
        from vertz_engine.db.introspect import drift

        st = history.read_state(conn)
        tables = st.snapshot["tables"] if st is not None and st.snapshot is not None else None
        if (
            st is not None
            and st.catalog is not None
            and st.catalog == catalog.fingerprint(conn, tables)
        ):
            return [], "unchanged since flask-vertz last changed it (catalog fingerprint)"
        if st is not None and st.snapshot is not None:
            expected, basis = st.snapshot, "the schema flask-vertz last left in the database"
        elif ms is not None and files and {f.name for f in files} <= {r.name for r in rows}:
            expected, basis = ms, "the schema the applied migration files produce"
        elif not files and not history.user_tables(conn) and st is None:
            return [], "an empty database with no migration files"
        else:
            return [], "not checked: no record says which schema the database should have"
        return drift(conn, snap_mod.to_metadata(expected)), basis

    @gc_paused
    def check(self) -> CheckResult:
        """For CI, no database needed: model changes no file captures, unsigned files."""
        unsigned = [f.name for f in self.files() if not f.signed]
        ms, _ = self.files_snapshot()
        self._check_snapshot_matches_files(ms)
        return CheckResult(diff(ms or self.empty(), self.target()).changes(), unsigned)

    def _report_snapshot(self, files: list[MigrationFile]) -> tuple[Snapshot | None, bool]:
        """The migrations snapshot for ``status``; rebuilt when missing beside files, except
        in production (a scratch database is not made on a production server for a report)."""
        if self.production:
            return self._load_migrations_snapshot(), False
        return self.files_snapshot()

    def _snapshot_notes(
        self, files: list[MigrationFile], ms: Snapshot | None, rebuilt: bool
    ) -> list[str | Text]:
        path = self.migrations_snapshot_path
        if rebuilt:
            return [
                Text(
                    f"{path} is missing; it was rebuilt from the {len(files)} migration file(s) "
                    "for this report (the next `",
                    Hint(Remedy.MIGRATE_DEV),
                    "` writes it)",
                )
            ]
        if ms is None and files:
            return [
                Text(
                    f"{path} is missing beside {len(files)} migration file(s); model changes "
                    "were not compared (restore it from version control, or run `",
                    Hint(Remedy.STATUS),
                    "` or `migrate dev` in development to rebuild it from the files)",
                )
            ]
        return []
