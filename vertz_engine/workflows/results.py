"""What the workflows return: plain data for a front end to show."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vertz_engine.db.backup_items import Backup, Restored
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.losses import Loss
from vertz_engine.plan.model import DESTRUCTIVE, Change, Plan
from vertz_engine.plan.renames import RenameCandidate
from vertz_engine.remedies import Text


@dataclass
class ApplyResult:
    """What bringing a database to the models did (boot auto-apply, ``push``)."""

    action: str  # "unchanged", "applied", "adopted"
    changes: list[Change] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    renames: list[tuple[RenameCandidate, bool]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    backup: Backup | None = None  # what the destructive changes dropped, kept first
    restored: list[Restored] = field(default_factory=list)  # added back from a backup
    kept: list[str | Text] = field(default_factory=list)  # what the database has beyond the models

    @property
    def destructive(self) -> list[Change]:
        return [c for c in self.changes if c.level == DESTRUCTIVE]


@dataclass
class DeployResult:
    applied: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)  # already in the schema, not run
    data_run: dict[str, int] = field(default_factory=dict)  # recorded: data statements run
    pending: list[MigrationFile] = field(default_factory=list)  # for dry runs
    losses: dict[str, list[Loss]] = field(default_factory=dict)  # dry runs: what files destroy


@dataclass
class DevResult:
    plan: Plan
    path: Path | None = None
    deploy: DeployResult | None = None


@dataclass
class RollbackResult:
    rolled_back: list[str] = field(default_factory=list)
    statements: dict[str, list[str]] = field(default_factory=dict)
    losses: dict[str, list[Loss]] = field(default_factory=dict)  # what each rollback destroys


@dataclass
class Status:
    applied: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    model_changes: list[dict[str, Any]]
    checksum_drift: list[dict[str, Any]]
    out_of_order: list[dict[str, Any]]
    missing_files: list[str]
    database: str
    failed: list[dict[str, Any]] = field(default_factory=list)
    duplicate_numbers: list[list[str]] = field(default_factory=list)
    db_drift: list[str] = field(default_factory=list)
    db_drift_basis: str = ""
    snapshot_problems: list[str | Text] = field(default_factory=list)
    # pending files that are applied migrations under another name (renamed or copied)
    applied_elsewhere: list[dict[str, Any]] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.pending
            or self.model_changes
            or self.checksum_drift
            or self.out_of_order
            or self.failed
            or self.duplicate_numbers
            or self.db_drift
            or self.snapshot_problems
            or self.applied_elsewhere
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "applied": self.applied,
            "failed": self.failed,
            "pending": self.pending,
            "model_changes": self.model_changes,
            "checksum_drift": self.checksum_drift,
            "out_of_order": self.out_of_order,
            "duplicate_numbers": self.duplicate_numbers,
            "missing_files": self.missing_files,
            "db_drift": self.db_drift,
            "db_drift_basis": self.db_drift_basis,
            "snapshot_problems": self.snapshot_problems,
            "applied_elsewhere": self.applied_elsewhere,
        }


@dataclass
class CheckResult:
    model_changes: list[Change]
    unsigned: list[str]

    @property
    def ok(self) -> bool:
        return not self.model_changes and not self.unsigned


@dataclass
class InitResult:
    created: list[Path] = field(default_factory=list)
    existing: list[Path] = field(default_factory=list)
    gitignore_updated: bool = False


def change_dict(change: Change) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "table": change.table,
        "column": change.column,
        "class": change.level,
        "reason": change.reason,
        "description": change.describe(),
    }
