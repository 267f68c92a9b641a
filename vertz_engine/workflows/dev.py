"""``migrate dev``: the model changes -> a new migration file -> applied locally."""

from __future__ import annotations

from pathlib import Path

from vertz_engine.db import database, history
from vertz_engine.db.facts import BlockingChange, annotate
from vertz_engine.files import file_format, migration_file
from vertz_engine.plan import render, safe_forms
from vertz_engine.plan.diff import diff, reverse
from vertz_engine.plan.model import Plan
from vertz_engine.plan.renames import declined_hint
from vertz_engine.remedies import Hint, Remedy
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot
from vertz_engine.workflows.deploy import Deploy, DeployOptions
from vertz_engine.workflows.loader import generated, steps, with_undo
from vertz_engine.workflows.position import Position
from vertz_engine.workflows.push import ApplyModels
from vertz_engine.workflows.rename_choices import ASK, RenameChoices, check_renames
from vertz_engine.workflows.results import DevResult
from vertz_engine.workflows.workspace import Workspace


class MigrateDev:
    def __init__(self, ws: Workspace, choices: RenameChoices = ASK) -> None:
        self.ws = ws
        self.position = Position(ws)
        self.renames = choices.explicit
        self.questioner = choices.questioner

    def plan(self) -> Plan:
        """The changes the next migration file would hold (models vs migrations snapshot)."""
        self.ws.refuse_new_start(self.ws.loader.files())
        ms = self._files_snapshot()
        plan = self._diff(ms)
        check_renames(plan, self.renames or {})
        return plan

    def run(self, name: str, *, create_only: bool = False, plan: Plan | None = None) -> DevResult:
        """Write the next migration file for the model changes, then apply it locally."""
        self.ws.env.refuse("migrate_dev")
        slug = migration_file.slugify(name)
        ms = self._files_snapshot()
        if plan is None:
            plan = self._diff(ms)
        if plan.empty:
            return DevResult(plan)
        files = self.ws.loader.files()
        self.ws.refuse_new_start(files)
        for f in files:
            f.verify()
        if not create_only:
            self._refuse_what_fails_locally(plan, slug)
        path = self._write(plan, ms, slug)
        result = DevResult(plan, path)
        if not create_only:
            # A local database that boot or push moved off the files' path (part of these
            # changes applied, say) is brought to the models first; the files are then
            # recorded, not run twice.
            if not self.position.on_files_path(self.ws.loader.migrations_snapshot()):
                chosen = RenameChoices(plan.chosen_renames())
                ApplyModels(self.ws, chosen, verify_renames=False).run()
            result.deploy = Deploy(self.ws).run(DeployOptions(force=True))
        return result

    def _files_snapshot(self) -> Snapshot | None:
        ms, _ = self.position.files_snapshot(save=True)
        self.ws.loader.check_snapshot_matches_files(ms)
        return ms

    def _diff(self, ms: Snapshot | None) -> Plan:
        old = ms or self.ws.loader.empty()
        target = self.ws.loader.target()
        return diff(old, target, renames=self.renames, questioner=self.questioner)

    def _refuse_what_fails_locally(self, plan: Plan, slug: str) -> None:
        """What would fail on the local rows is explained before anything is written."""
        with self.ws.connect() as conn:
            base = self.position.base(conn, history.read_state(conn))
            if base is None:
                return
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

    def _write(self, plan: Plan, ms: Snapshot | None, slug: str) -> Path:
        """Write the file and move the migrations snapshot (and its ledgers) to it."""
        loader = self.ws.loader
        path = migration_file.next_path(loader.migrations_dir, slug)
        migration_file.write_atomic(path, _file_text(plan, path.stem, self.ws))
        ledger = steps(ms)
        ledger[path.stem] = new_fp = snap_mod.fingerprint(plan.new)
        # the checksum as generated: a file deployed as it is moves the schema to its step;
        # an edited (re-signed) one makes deploy read the schema from the database
        checksums = {**generated(ms), path.stem: migration_file.parse(path).actual_checksum}
        before = ms or loader.empty()
        loader.save_migrations_snapshot(
            plan.new,
            fingerprint=new_fp,
            steps=ledger,
            checksums=checksums,
            undo=with_undo((ms or {}).get("undo"), path.stem, before, plan.new),
        )
        return path

    def annotate(self, plan: Plan) -> None:
        """Add what the local database's rows say to each change (rows a drop loses, ...)."""
        if not database.exists(self.ws.engine):
            return
        with self.ws.connect() as conn:
            annotate(conn, plan, set(plan.old["tables"]) & set(history.user_tables(conn)))


def _file_text(plan: Plan, name: str, ws: Workspace) -> str:
    dialect = ws.engine.dialect
    down_plan = reverse(plan)
    up_notes = [f"{file_format.DESTRUCTIVE_PREFIX}{c.describe()}" for c in plan.destructive()]
    rollback_notes = [
        f"-- note: the rollback restores the schema of {c.table}"
        f"{'.' + c.column if c.column else ''}, not its data"
        for c in plan.changes()
        if c.kind in ("drop_column", "drop_table")
    ] + [f"-- note: {c.describe()}" for c in down_plan.changes() if c.values_lost]
    return migration_file.render(
        name,
        migration_file.with_step_markers(safe_forms.steps(plan, dialect)),
        render.render(down_plan, dialect),
        up_notes=up_notes,
        rollback_notes=rollback_notes,
    )
