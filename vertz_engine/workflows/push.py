"""Boot auto-apply and ``push``: the models straight to the database, no migration file."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from vertz_engine.db import backup, database, history, recovery
from vertz_engine.db.facts import BlockingChange, annotate
from vertz_engine.db.runner import execute
from vertz_engine.errors import MigrationFailed, VertzError
from vertz_engine.plan import render
from vertz_engine.plan.diff import diff
from vertz_engine.plan.model import Plan
from vertz_engine.plan.renames import declined_hint
from vertz_engine.remedies import Hint, Remedy
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot
from vertz_engine.workflows import boot, restore
from vertz_engine.workflows.position import Position
from vertz_engine.workflows.reconcile import reconcile
from vertz_engine.workflows.rename_choices import ASK, RenameChoices, check_renames
from vertz_engine.workflows.results import ApplyResult
from vertz_engine.workflows.workspace import Workspace


class ApplyModels:
    def __init__(
        self,
        ws: Workspace,
        choices: RenameChoices = ASK,
        *,
        dry_run: bool = False,
        verify_renames: bool = True,
    ) -> None:
        self.ws = ws
        self.position = Position(ws)
        self.renames = choices.explicit
        self.questioner = choices.questioner
        self.dry_run = dry_run
        self.verify_renames = verify_renames

    def run(self) -> ApplyResult:
        """Bring the database to the models, with no migration file (boot, ``push``)."""
        self.ws.env.refuse("apply_models")
        loader = self.ws.loader
        digest, fp = boot.proven(
            self.ws.metadata, self.ws.engine.dialect, loader.local_snapshot_path
        )
        target: Snapshot | None = None
        if fp is None:  # not proven by the digest: the snapshot of the models decides
            target = loader.target()
            fp = snap_mod.fingerprint(target)
        with self.ws.connect() as conn:
            if history.read_fingerprint(conn) == fp:  # the common case: one cheap query
                if target is not None:
                    loader.save_local(target, fp, digest)
                return ApplyResult("unchanged")
            target = target or loader.target()
            with database.lock(conn, timeout=self.ws.lock_timeout):
                with database.transaction(conn, enabled=self.ws.run_mode().transactional):
                    result = self._locked(conn, target, fp)
        if not self.dry_run:
            loader.save_local(target, fp, digest)
        return result

    def _locked(self, conn: Connection, target: Snapshot, fp: str) -> ApplyResult:
        if not self.dry_run:
            history.ensure_tables(conn)
        st = history.read_state(conn)  # read again, under the lock
        if st is not None and st.fingerprint == fp:
            return ApplyResult("unchanged")
        base = self.position.base(conn, st)
        if base is None:
            return self._adopt(conn, target, fp)
        plan = diff(base, target, renames=self.renames, questioner=self.questioner)
        if self.verify_renames:
            check_renames(plan, self.renames or {})
        found = annotate(
            conn, plan, set(base["tables"]), in_transaction=self.ws.run_mode().transactional
        )
        if found:
            raise BlockingChange(
                "these changes would fail on the rows the database has; nothing was changed:\n  "
                + "\n  ".join(found)
                + declined_hint(plan.renames, Hint(Remedy.PUSH)),
                problems=found,
            )
        return self._apply(conn, plan, target, fp)

    def _adopt(self, conn: Connection, target: Snapshot, fp: str) -> ApplyResult:
        """No record describes the database: make what the models have and it lacks."""
        unfinished = recovery.unfinished(conn)
        if unfinished is not None:
            # a half-applied (or half rolled back) file: what the schema is, is unknown
            f = next((f for f in self.ws.loader.files() if f.name == unfinished.name), None)
            raise VertzError(recovery.unfinished_message(unfinished, f))
        rec = reconcile(conn, self.ws.metadata, renames=self.renames, dry_run=self.dry_run)
        if not self.dry_run:
            # Only a database that now has exactly the models is described by them; one
            # that keeps what reconcile left alone stays unknown (compared again next time).
            if rec.kept:
                self.position.unknown(conn)
            else:
                self.position.at(conn, target, fp)
        return ApplyResult(
            "adopted",
            changes=rec.changes,
            statements=rec.statements,
            renames=rec.renames,
            skipped=rec.skipped,
            kept=rec.kept,
        )

    def _apply(self, conn: Connection, plan: Plan, target: Snapshot, fp: str) -> ApplyResult:
        statements = render.render(plan, self.ws.engine.dialect)
        kept, restored = None, []
        if not self.dry_run:
            folder = backup.folder_for(self.ws.loader.local_snapshot_path)
            kept = backup.keep(conn, plan, folder)  # what the changes destroy, kept first
            try:
                execute(conn, statements, name="model changes")
            except MigrationFailed:
                backup.discard(conn, kept, folder)
                if not self.ws.run_mode().transactional:
                    # MySQL kept what ran: nothing describes the schema now; the next boot
                    # compares the database with the models instead of trusting the record.
                    self.position.unknown(conn)
                raise
            restored = restore.added_back(conn, plan, folder)
            self.position.at(conn, target, fp)
        return ApplyResult(
            "applied" if plan.steps else "unchanged",
            changes=plan.changes(),
            statements=statements,
            renames=plan.renames,
            backup=kept,
            restored=restored,
        )
