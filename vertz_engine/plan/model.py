"""The vocabulary of a migration plan: changes (Alembic operations with what they mean for
the data), groups of changes to one table, rename decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vertz_engine.plan.renames import RenameCandidate
from vertz_engine.schema.snapshot import Snapshot

if TYPE_CHECKING:  # annotations only: Alembic loads when a plan is made
    from alembic.operations import ops

SAFE, DESTRUCTIVE, BLOCKING = "safe", "destructive", "blocking"


@dataclass
class Change:
    """One operation with what it means for the data."""

    op: ops.MigrateOperation
    kind: str
    table: str
    column: str | None = None
    level: str = SAFE
    reason: str = ""
    extra: list[ops.MigrateOperation] = field(default_factory=list)  # rendered right after op
    fact: str = ""  # what the live rows say, where a database was at hand
    # existing rows get a placeholder value: the values the column had cannot come back
    values_lost: bool = False

    def describe(self) -> str:
        target = f"{self.table}.{self.column}" if self.column else self.table
        text = f"{self.kind.replace('_', ' ')} {target}"
        return f"{text} ({self.reason})" if self.reason else text

    def describe_with_fact(self) -> str:
        return f"{self.describe()}: {self.fact}" if self.fact else self.describe()


@dataclass
class TableGroup:
    """The changes to one existing table; SQLite may rebuild the table for them at once."""

    table: str
    changes: list[Change]
    before: dict[str, Any]
    after: dict[str, Any]
    dropped_constraints: list[dict[str, Any]] = field(default_factory=list)
    added_constraints: list[dict[str, Any]] = field(default_factory=list)


Step = Change | TableGroup


@dataclass
class Plan:
    """Everything that turns ``old`` into ``new``."""

    old: Snapshot
    new: Snapshot
    steps: list[Step]
    renames: list[tuple[RenameCandidate, bool]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.steps

    def changes(self) -> list[Change]:
        out: list[Change] = []
        for step in self.steps:
            out.extend(step.changes if isinstance(step, TableGroup) else [step])
        return out

    def destructive(self) -> list[Change]:
        return [c for c in self.changes() if c.level == DESTRUCTIVE]

    def chosen_renames(self) -> dict[str, str]:
        """The renames this plan makes, in the form ``diff(renames=...)`` takes."""
        return {c.key: c.new for c, ok in self.renames if ok}
