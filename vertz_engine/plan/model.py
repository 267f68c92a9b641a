"""The vocabulary of a migration plan: changes (Alembic operations with what they mean for
the data), groups of changes to one table, rename decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from vertz_engine.plan.renames import RenameCandidate
from vertz_engine.schema.snapshot import Snapshot

if TYPE_CHECKING:  # annotations only: Alembic loads when a plan is made
    from alembic.operations import ops

# What a change means for the data: nothing (safe), fails on some rows (blocking), loses
# data (destructive).
Level = Literal["safe", "destructive", "blocking"]
SAFE: Level = "safe"
DESTRUCTIVE: Level = "destructive"
BLOCKING: Level = "blocking"

# The constraints a table diff adds and drops by kind (the primary key has its own changes).
ConstraintKind = Literal["unique", "check", "foreign_key"]
# where a table's snapshot entry lists each kind
CONSTRAINT_KEY: dict[ConstraintKind, str] = {
    "unique": "unique_constraints",
    "check": "check_constraints",
    "foreign_key": "foreign_keys",
}

# What a change does (its action and what it acts on).
Kind = Literal[
    "rename_table",
    "add_enum_type",
    "alter_enum_type",
    "drop_enum_type",
    "add_table",
    "drop_table",
    "add_index",
    "drop_index",
    "add_unique",
    "drop_unique",
    "add_check",
    "drop_check",
    "add_foreign_key",
    "drop_foreign_key",
    "add_primary_key",
    "drop_primary_key",
    "add_column",
    "alter_column",
    "rename_column",
    "drop_column",
    "table_comment",
    "table_options",
    # named after Alembic's operations, where the live database is compared with the models
    "create_table",
    "create_index",
    "create_unique_constraint",
    "create_foreign_key",
    "create_check_constraint",
    "create_primary_key",
    "create_table_comment",
    "drop_table_comment",
    "drop_constraint",
]
ADD: dict[ConstraintKind, Kind] = {
    "unique": "add_unique",
    "check": "add_check",
    "foreign_key": "add_foreign_key",
}
DROP: dict[ConstraintKind, Kind] = {
    "unique": "drop_unique",
    "check": "drop_check",
    "foreign_key": "drop_foreign_key",
}


@dataclass
class Change:
    """One operation with what it means for the data."""

    op: ops.MigrateOperation
    kind: Kind
    table: str
    column: str | None = None
    level: Level = SAFE
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
