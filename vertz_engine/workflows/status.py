"""``status``: what is applied, pending, failed or drifted, as plain data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from vertz_engine.db import catalog, database, history, identity
from vertz_engine.files import guard
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.plan.diff import diff
from vertz_engine.remedies import Hint, Remedy, Text
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot
from vertz_engine.workflows import checks
from vertz_engine.workflows.position import Position
from vertz_engine.workflows.results import Status, change_dict
from vertz_engine.workflows.workspace import Workspace

Rows = list[history.HistoryRow]


class StatusReport:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def run(self) -> Status:
        loader = self.ws.loader
        files = loader.files()
        ms, rebuilt = self._snapshot(files)
        notes = self._snapshot_notes(files, ms, rebuilt)
        plan = diff(ms or loader.empty(), loader.target() if ms or not files else loader.empty())
        all_rows: Rows = []
        db_drift: list[str] = []
        basis = "the database file does not exist yet"
        if database.exists(self.ws.engine):
            with self.ws.connect() as conn:
                all_rows = history.read_history(conn) or []
                db_drift, basis = self._live_drift(conn, ms, files, all_rows)
        self.ws.check_folder(files, all_rows)
        rows = [r for r in all_rows if r.status == history.APPLIED]
        by_name = {f.name: f for f in files}
        pending = [f for f in files if f.name not in {r.name for r in rows}]
        max_applied = max((by_name[r.name].number for r in rows if r.name in by_name), default=0)
        return Status(
            applied=[_applied(r) for r in rows],
            pending=[self._pending(f) for f in pending],
            model_changes=[change_dict(c) for c in plan.changes()],
            checksum_drift=_checksum_drift(files, rows, pending),
            out_of_order=[
                {"name": f.name, "number": f.number, "last_applied_number": max_applied}
                for f in checks.out_of_order(files, {r.name for r in rows})
            ],
            missing_files=[r.name for r in rows if r.name not in by_name],
            database=self.ws.safe_url(),
            failed=[_failed(r) for r in all_rows if r.status != history.APPLIED],
            duplicate_numbers=[list(pair) for pair in loader.same_numbers(files)],
            db_drift=db_drift,
            db_drift_basis=basis,
            snapshot_problems=notes + loader.snapshot_problems(ms, files),
            applied_elsewhere=[
                {"name": f.name, "applied_as": twin.name}
                for f in pending
                if (twin := identity.applied_twin(f, rows)) is not None
            ],
        )

    def _pending(self, f: MigrationFile) -> dict[str, Any]:
        return {
            "name": f.name,
            "path": str(f.path),
            "statements": len(f.up_statements()),
            "destructive": [x.text() for x in guard.file_losses(f, self.ws.dialect_name)],
            "sql": f.up.strip(),
        }

    def _live_drift(
        self, conn: Connection, ms: Snapshot | None, files: list[MigrationFile], rows: Rows
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

    def _snapshot(self, files: list[MigrationFile]) -> tuple[Snapshot | None, bool]:
        """The migrations snapshot for ``status``; rebuilt when missing beside files, except
        in production (a scratch database is not made on a production server for a report)."""
        if self.ws.env.production:
            return self.ws.loader.migrations_snapshot(), False
        return Position(self.ws).files_snapshot()

    def _snapshot_notes(
        self, files: list[MigrationFile], ms: Snapshot | None, rebuilt: bool
    ) -> list[str | Text]:
        path = self.ws.loader.migrations_snapshot_path
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


def _applied(r: history.HistoryRow) -> dict[str, Any]:
    return {
        "name": r.name,
        "applied_at": r.applied_at,
        "checksum": r.checksum,
        "status": r.status,
        "execution_ms": r.execution_ms,
        "note": r.note,
    }


def _failed(r: history.HistoryRow) -> dict[str, Any]:
    rollback = r.status in (history.ROLLBACK_FAILED, history.ROLLING_BACK)
    return {
        "name": r.name,
        "status": r.status,
        "statements_done": r.statements_done,
        "note": r.note,
        "fix": (Text(Hint(Remedy.ROLLBACK), " (runs the rest), or ") if rollback else Text())
        + Hint(Remedy.RESOLVE, r.name),
    }


def _checksum_drift(
    files: list[MigrationFile], rows: Rows, pending: list[MigrationFile]
) -> list[dict[str, Any]]:
    """Applied files edited since, and pending files whose body does not match their header."""
    drift: list[dict[str, Any]] = [
        {
            "name": d.row.name,
            "recorded": d.row.checksum,
            "actual": d.file.actual_checksum,
            "problem": "edited after it was applied",
        }
        for d in checks.checksum_drift(files, rows)
    ]
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
    return drift
