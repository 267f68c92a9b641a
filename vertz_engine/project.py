"""The facade the front ends call: one app's models, database and migration folders, and
every workflow on them.

A :class:`Project` builds a :class:`~vertz_engine.workflows.workspace.Workspace` (the
loader of files and snapshots, the database, the environment) once, and each method runs
one workflow object on it (``Deploy(ws).run(...)``), as Django composes its loader,
recorder and executor. It never prints and never exits; front ends (the Flask CLI, a
script, another framework) show its results.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from vertz_engine.db.backup_items import Backup
from vertz_engine.db.ddl_locks import LockPolicy
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.plan.model import Plan
from vertz_engine.plan.renames import Questioner, RenameCandidate, default_questioner
from vertz_engine.workflows.baseline import Baseline
from vertz_engine.workflows.check import Check
from vertz_engine.workflows.deploy import Deploy, DeployOptions
from vertz_engine.workflows.dev import MigrateDev
from vertz_engine.workflows.discard import Discard, DiscardResult
from vertz_engine.workflows.environment import PRODUCTION, Environment
from vertz_engine.workflows.lint import Lint, LintResult
from vertz_engine.workflows.loader import MIGRATIONS_SNAPSHOT, Loader
from vertz_engine.workflows.new_file import NewMigration
from vertz_engine.workflows.preview import DevPreview, Preview
from vertz_engine.workflows.push import ApplyModels
from vertz_engine.workflows.rename_choices import (
    RenameChoices,
    check_renames,
    parse_renames,
    rename_decisions,
)
from vertz_engine.workflows.reset import Reset
from vertz_engine.workflows.resolve import Resolve
from vertz_engine.workflows.restore import Restore, RestoreResult
from vertz_engine.workflows.results import (
    ApplyResult,
    CheckResult,
    DeployResult,
    DevResult,
    InitResult,
    RollbackResult,
    Status,
)
from vertz_engine.workflows.rollback import Rollback
from vertz_engine.workflows.scaffold import Init
from vertz_engine.workflows.sign import Sign
from vertz_engine.workflows.status import StatusReport
from vertz_engine.workflows.workspace import ProgressFn, Workspace

__all__ = [
    "MIGRATIONS_SNAPSHOT",
    "PRODUCTION",
    "ApplyResult",
    "CheckResult",
    "DeployResult",
    "DevPreview",
    "DevResult",
    "DiscardResult",
    "InitResult",
    "LintResult",
    "Project",
    "RestoreResult",
    "RollbackResult",
    "Status",
    "check_renames",
    "parse_renames",
    "rename_decisions",
]


@dataclass
class Project:
    """One app's models, database and migration folders, and every workflow on them."""

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
    ws: Workspace = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.ws = self._workspace(None)

    def _workspace(self, last: str | None) -> Workspace:
        loader = Loader(
            self.engine, self.metadata, self.migrations_dir, self.local_snapshot_path, last
        )
        env = Environment(self.environment, self.environment_source)
        return Workspace(
            loader,
            env,
            self.lock_timeout,
            self.root,
            ddl_lock_timeout=self.ddl_lock_timeout,
            ddl_lock_retries=self.ddl_lock_retries,
        )

    def up_to(self, last: str | None) -> Project:
        """The same project with its folder ending at file ``last`` (inclusive)."""
        other = dataclasses.replace(self)
        other.ws = other._workspace(last)
        return other

    # -- what front ends read --------------------------------------------------------------

    @property
    def production(self) -> bool:
        return self.ws.env.production

    @property
    def lock_policy(self) -> LockPolicy:
        return self.ws.lock_policy

    @property
    def migrations_snapshot_path(self) -> Path:
        return self.ws.loader.migrations_snapshot_path

    def safe_url(self) -> str:
        return self.ws.safe_url()

    def files(self) -> list[MigrationFile]:
        """The migration files in order."""
        return self.ws.loader.files()

    # -- development -----------------------------------------------------------------------

    def init(self) -> InitResult:
        """Create the migrations folder, both snapshots and the .gitignore line."""
        return Init(self.ws).run()

    def apply_models(
        self,
        *,
        renames: Mapping[str, str] | None = None,
        questioner: Questioner = default_questioner,
        dry_run: bool = False,
        verify_renames: bool = True,
    ) -> ApplyResult:
        """Bring the database to the models, with no migration file (boot, ``push``)."""
        choices = RenameChoices(renames, questioner)
        return ApplyModels(self.ws, choices, dry_run=dry_run, verify_renames=verify_renames).run()

    def plan_dev(
        self,
        *,
        renames: Mapping[str, str] | None = None,
        questioner: Questioner = default_questioner,
    ) -> Plan:
        """The changes the next migration file would hold (models vs migrations snapshot)."""
        return MigrateDev(self.ws, RenameChoices(renames, questioner)).plan()

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
        dev = MigrateDev(self.ws, RenameChoices(renames, questioner))
        return dev.run(name, create_only=create_only, plan=plan)

    def preview_dev(
        self,
        name: str,
        *,
        renames: Mapping[str, str] | None = None,
        questioner: Questioner = default_questioner,
    ) -> DevPreview:
        """The file ``migrate dev --name NAME`` would write, not written."""
        return Preview(self.ws).dev(name, RenameChoices(renames, questioner))

    def rename_questions(self, explicit: Mapping[str, str]) -> list[RenameCandidate]:
        """The probable renames ``push`` should ask about (no explicit decision covers)."""
        return Preview(self.ws).rename_questions(explicit)

    def diagram(self, *, changes: bool = False) -> str:
        """The Mermaid ER diagram of the models (``changes``: the next file's marked)."""
        return Preview(self.ws).diagram(changes=changes)

    def annotate(self, plan: Plan) -> None:
        """Add what the local database's rows say to each change (rows a drop loses, ...)."""
        MigrateDev(self.ws).annotate(plan)

    def new_migration(self, name: str) -> Path:
        """Write the next migration file with no statements, for hand-written SQL."""
        return NewMigration(self.ws).run(name)

    def discard(self) -> DiscardResult:
        """Remove the last migration file, which the database has not applied."""
        return Discard(self.ws).run()

    def guard_reset(self) -> None:
        """Refuse ``reset`` in production, before anyone is asked to confirm it."""
        self.ws.env.refuse("reset")

    def reset(self) -> list[str]:
        """Development only: drop every table (and enum type) and apply every file again."""
        return Reset(self.ws).run()

    # -- deploying -------------------------------------------------------------------------

    def deploy(
        self,
        *,
        dry_run: bool = False,
        force: bool = False,
        progress: ProgressFn | None = None,
        allow_out_of_order: bool = False,
    ) -> DeployResult:
        """Apply pending migration files in order, each in its own transaction, locked."""
        options = DeployOptions(dry_run, force, progress, allow_out_of_order)
        return Deploy(self.ws).run(options)

    def rollback(
        self, steps: int = 1, *, dry_run: bool = False, force: bool = False
    ) -> RollbackResult:
        """Run the ``@rollback`` section of the last ``steps`` applied migrations."""
        return Rollback(self.ws).run(steps, dry_run=dry_run, force=force)

    def resolve(self, name: str, *, applied: bool) -> str:
        """Mark a failed or interrupted migration as applied or rolled back by hand."""
        return Resolve(self.ws).run(name, applied=applied)

    def baseline(self) -> list[str]:
        """Record every file not yet recorded as applied, without running it."""
        return Baseline(self.ws).run()

    def sign(self, name: str) -> bool:
        """Re-sign an edited migration file that is not applied yet."""
        return Sign(self.ws).run(name)

    # -- reporting and backups -------------------------------------------------------------

    def status(self) -> Status:
        return StatusReport(self.ws).run()

    def check(self) -> CheckResult:
        """For CI, no database needed: model changes no file captures, unsigned files."""
        return Check(self.ws).run()

    def lint(self) -> LintResult:
        """The changes of the migration files that hurt a busy production database (no
        database needed)."""
        return Lint(self.ws).run()

    def backups(self) -> list[Backup]:
        """The kept backups, oldest first."""
        return Restore(self.ws).backups()

    def restore(self, name: str | None = None) -> RestoreResult:
        """Put back what backup ``name`` (default: the newest) keeps."""
        return Restore(self.ws).run(name)
