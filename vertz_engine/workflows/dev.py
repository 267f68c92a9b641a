"""Development workflows: boot auto-apply and ``push`` (models straight to the database),
``migrate dev`` (models -> a new migration file -> applied locally)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import Connection

from vertz_engine.db import backup, database, history, recovery
from vertz_engine.db.facts import BlockingChange, annotate
from vertz_engine.db.runner import execute
from vertz_engine.errors import (
    InvalidName,
    MigrationFailed,
    ProductionGuard,
    VertzError,
)
from vertz_engine.files import file_format, migration_file, snapshot_file
from vertz_engine.gcpause import gc_paused
from vertz_engine.plan import render, safe_forms
from vertz_engine.plan.diff import diff, reverse
from vertz_engine.plan.model import Plan
from vertz_engine.plan.renames import Questioner, declined_hint, default_questioner
from vertz_engine.remedies import Hint, Option, Remedy, Text
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot
from vertz_engine.workflows import boot, restore
from vertz_engine.workflows.reconcile import reconcile
from vertz_engine.workflows.results import ApplyResult, DevResult
from vertz_engine.workflows.rewind import RewindFlows, with_undo

NEW_FILE_UP_NOTE = (
    "-- Hand-written SQL: a data migration or a backfill. Schema changes belong in the\n"
    "-- models (`migrate dev` writes them). Re-sign after editing (`migrate sign NAME`)."
)
NEW_FILE_ROLLBACK_NOTE = "-- The SQL that undoes the statements above (or leave it empty)."


def parse_renames(specs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["todos.title=name", "tasks=todos"]`` -> explicit rename decisions for :func:`diff`."""
    out: dict[str, str] = {}
    for spec in specs:
        old, sep, new = spec.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new or "." in new or old.count(".") > 1:
            raise InvalidName(
                Text(
                    Option.RENAME,
                    f" {spec!r}: expected table.old_column=new_column or old_table=new_table",
                )
            )
        out[old] = new
    return out


def check_renames(plan: Plan, renames: Mapping[str, str]) -> None:
    """Refuse explicit rename decisions that match no dropped + added pair (a typo would
    otherwise turn a rename into drop + add and lose the values)."""
    keys = {c.key: c for c, _ok in plan.renames}
    for key, new in renames.items():
        cand = keys.get(key)
        accepted = any(c.key == key and c.new == new and ok for c, ok in plan.renames)
        if new and not accepted:
            what = "column" if "." in key else "table"
            dropped = [c.key for c, _ in plan.renames]
            hint = f" (probable renames here: {', '.join(sorted(set(dropped)))})" if dropped else ""
            raise InvalidName(
                Text(
                    Option.RENAME,
                    f" {key}={new}: the changes do not drop {what} {key} and add {new}{hint}",
                )
            )
        if not new and cand is None:
            raise InvalidName(
                Text(Option.NO_RENAME, f" {key}: no probable rename of {key} in these changes")
            )


class DevFlows(RewindFlows):
    # -- boot auto-apply and push -----------------------------------------------------------

    @gc_paused
    def apply_models(
        self,
        *,
        renames: Mapping[str, str] | None = None,
        questioner: Questioner = default_questioner,
        dry_run: bool = False,
        verify_renames: bool = True,
    ) -> ApplyResult:
        """Bring the database to the models, with no migration file (boot, ``push``)."""
        if self.production:
            raise ProductionGuard(
                Text(
                    "refusing to change the schema directly in production "
                    f"({self.environment_reason}); generate a migration with `",
                    Hint(Remedy.MIGRATE_DEV),
                    "` and apply it with `",
                    Hint(Remedy.DEPLOY),
                    "`",
                )
            )
        digest, fp = boot.proven(self.metadata, self.engine.dialect, self.local_snapshot_path)
        target: Snapshot | None = None
        if fp is None:  # not proven by the digest: the snapshot of the models decides
            target = self.target()
            fp = snap_mod.fingerprint(target)
        with self._connect() as conn:
            if history.read_fingerprint(conn) == fp:  # the common case: one cheap query
                if target is not None:
                    self._save_local(target, fp, digest)
                return ApplyResult("unchanged")
            target = target or self.target()
            with database.lock(conn, timeout=self.lock_timeout):
                with database.transaction(conn, enabled=self.transactional()):
                    result = self._apply_models_locked(
                        conn, target, fp, renames, questioner, dry_run, verify_renames
                    )
        if not dry_run:
            self._save_local(target, fp, digest)
        return result

    def _apply_models_locked(
        self,
        conn: Connection,
        target: Snapshot,
        fp: str,
        renames: Mapping[str, str] | None,
        questioner: Questioner,
        dry_run: bool,
        verify_renames: bool = True,
    ) -> ApplyResult:
        if not dry_run:
            history.ensure_tables(conn)
        st = history.read_state(conn)  # read again, under the lock
        if st is not None and st.fingerprint == fp:
            return ApplyResult("unchanged")
        base = self._base(conn, st)
        if base is None:
            unfinished = recovery.unfinished(conn)
            if unfinished is not None:
                # a half-applied (or half rolled back) file: what the schema is, is unknown
                raise VertzError(recovery.unfinished_message(unfinished, self._file(unfinished)))
            rec = reconcile(conn, self.metadata, renames=renames, dry_run=dry_run)
            if not dry_run:
                # Only a database that now has exactly the models is described by them; one
                # that keeps what reconcile left alone stays unknown (compared again next time).
                history.write_state(conn, None if rec.kept else fp, target)
            return ApplyResult(
                "adopted",
                changes=rec.changes,
                statements=rec.statements,
                renames=rec.renames,
                skipped=rec.skipped,
                kept=rec.kept,
            )
        plan = diff(base, target, renames=renames, questioner=questioner)
        if verify_renames:
            check_renames(plan, renames or {})
        found = annotate(conn, plan, set(base["tables"]), in_transaction=self.transactional())
        if found:
            raise BlockingChange(
                "these changes would fail on the rows the database has; nothing was changed:\n  "
                + "\n  ".join(found)
                + declined_hint(plan.renames, Hint(Remedy.PUSH)),
                problems=found,
            )
        statements = render.render(plan, self.engine.dialect)
        kept, restored = None, []
        if not dry_run:
            folder = backup.folder_for(self.local_snapshot_path)
            kept = backup.keep(conn, plan, folder)  # what the changes destroy, kept first
            try:
                execute(conn, statements, name="model changes")
            except MigrationFailed:
                backup.discard(conn, kept, folder)
                if not self.transactional():
                    # MySQL kept what ran: nothing describes the schema now; the next boot
                    # compares the database with the models instead of trusting the record.
                    history.write_state(conn, None)
                raise
            restored = restore.added_back(conn, plan, folder)
            history.write_state(conn, fp, target)
        return ApplyResult(
            "applied" if plan.steps else "unchanged",
            changes=plan.changes(),
            statements=statements,
            renames=plan.renames,
            backup=kept,
            restored=restored,
        )

    # -- migrate dev ------------------------------------------------------------------------

    @gc_paused
    def plan_dev(
        self,
        *,
        renames: Mapping[str, str] | None = None,
        questioner: Questioner = default_questioner,
    ) -> Plan:
        """The changes the next migration file would hold (models vs migrations snapshot)."""
        self._refuse_new_start(self.files())
        ms, _ = self.files_snapshot(save=True)
        self._check_snapshot_matches_files(ms)
        plan = diff(ms or self.empty(), self.target(), renames=renames, questioner=questioner)
        check_renames(plan, renames or {})
        return plan

    @gc_paused
    def migrate_dev(
        self,
        name: str,
        *,
        create_only: bool = False,
        renames: Mapping[str, str] | None = None,
        questioner: Questioner = default_questioner,
        plan: Plan | None = None,
    ) -> DevResult:
        """Write the next migration file for the model changes, then apply it locally."""
        if self.production:
            raise ProductionGuard(
                Text(
                    f"`migrate dev` is for development ({self.environment_reason}); "
                    "in production use `",
                    Hint(Remedy.DEPLOY),
                    "`",
                )
            )
        slug = migration_file.slugify(name)
        ms, _ = self.files_snapshot(save=True)
        self._check_snapshot_matches_files(ms)
        steps = self._steps(ms)
        if plan is None:
            plan = diff(ms or self.empty(), self.target(), renames=renames, questioner=questioner)
        if plan.empty:
            return DevResult(plan)
        files = self.files()
        self._refuse_new_start(files)
        for f in files:
            f.verify()
        if not create_only:
            # what would fail on the local rows is explained before anything is written
            with self._connect() as conn:
                base = self._base(conn, history.read_state(conn))
                if base is not None:
                    local_plan = diff(base, plan.new, renames=plan.chosen_renames())
                    found = annotate(conn, local_plan, set(base["tables"]))
                    if found:
                        raise BlockingChange(
                            "these changes would fail on the rows the local database has; "
                            "no file was written:\n  "
                            + "\n  ".join(found)
                            + declined_hint(local_plan.renames, Hint(Remedy.MIGRATE_DEV, slug)),
                            problems=found,
                        )
        dialect = self.engine.dialect
        up = migration_file.with_step_markers(safe_forms.steps(plan, dialect))
        down_plan = reverse(plan)
        down = render.render(down_plan, dialect)
        up_notes = [
            f"{file_format.DESTRUCTIVE_PREFIX}{c.describe()}" for c in plan.destructive()
        ]
        rollback_notes = [
            f"-- note: the rollback restores the schema of {c.table}"
            f"{'.' + c.column if c.column else ''}, not its data"
            for c in plan.changes()
            if c.kind in ("drop_column", "drop_table")
        ] + [
            f"-- note: {c.describe()}"
            for c in down_plan.changes()
            if "cannot come back" in c.reason
        ]
        path = migration_file.next_path(self.migrations_dir, slug)
        text = migration_file.render(
            path.stem, up, down, up_notes=up_notes, rollback_notes=rollback_notes
        )
        migration_file.write_atomic(path, text)
        steps[path.stem] = new_fp = snap_mod.fingerprint(plan.new)
        # the checksum as generated: a file deployed as it is moves the schema to its step;
        # an edited (re-signed) one makes deploy read the schema from the database
        checksums = {**self._generated(ms), path.stem: migration_file.parse(path).actual_checksum}
        snapshot_file.save(
            self.migrations_snapshot_path,
            plan.new,
            fingerprint=new_fp,
            steps=steps,
            checksums=checksums,
            undo=with_undo((ms or {}).get("undo"), path.stem, ms or self.empty(), plan.new),
        )
        result = DevResult(plan, path)
        if not create_only:
            # A local database that boot or push moved off the files' path (part of these
            # changes applied, say) is brought to the models first; the files are then
            # recorded, not run twice.
            with self._connect() as conn:
                current = history.read_fingerprint(conn)
                fresh = current is None and not history.user_tables(conn)
            on_path = fresh or current in {*steps.values(), snap_mod.fingerprint(self.empty())}
            if not on_path:
                self.apply_models(renames=plan.chosen_renames(), verify_renames=False)
            result.deploy = self.deploy(force=True)
        return result

    def new_migration(self, name: str) -> Path:
        """Write the next migration file with no statements, signed, for hand-written SQL
        (a data migration, a backfill): its ``-- @rollback`` section is for the SQL that
        undoes it. The schema the files produce does not change, so ``_snapshot.json``
        records the file at the schema of the files before it."""
        slug = migration_file.slugify(name)
        self._refuse_new_start(self.files())
        ms, _ = self.files_snapshot()
        self._check_snapshot_matches_files(ms)
        steps = self._steps(ms)
        path = migration_file.next_path(self.migrations_dir, slug)
        text = migration_file.render(
            path.stem,
            [],
            [],
            up_notes=[NEW_FILE_UP_NOTE],
            rollback_notes=[NEW_FILE_ROLLBACK_NOTE],
        )
        self.migrations_dir.mkdir(parents=True, exist_ok=True)
        migration_file.write_atomic(path, text)
        snap = ms or self.empty()
        steps[path.stem] = fp = snap_mod.fingerprint(snap)
        snapshot_file.save(
            self.migrations_snapshot_path,
            snap,
            fingerprint=fp,
            steps=steps,
            checksums=self._generated(ms),  # not this file's: it is for hand-written SQL
            undo=with_undo(snap.get("undo"), path.stem, snap, snap),
        )
        return path

    def annotate(self, plan: Plan) -> None:
        """Add what the local database's rows say to each change (rows a drop loses, ...)."""
        if not database.exists(self.engine):
            return
        with self._connect() as conn:
            annotate(conn, plan, set(plan.old["tables"]) & set(history.user_tables(conn)))
