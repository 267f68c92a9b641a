"""What the phases of a diff share: :class:`DiffContext` for one ``diff()`` call,
:class:`TableDiff` for one table that exists before and after. Each phase reads what the
phases before it found and adds its own findings and changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from vertz_engine.dialects import Traits
from vertz_engine.plan.model import Change, Step
from vertz_engine.plan.renames import Questioner, RenameCandidate
from vertz_engine.schema.snapshot import Snapshot


@dataclass
class DiffContext:
    """One ``diff(old, new)``: its inputs, the decisions taken so far, the steps so far."""

    old: Snapshot
    new: Snapshot
    db: Traits
    explicit: Mapping[str, str]  # rename decisions given up front
    questioner: Questioner
    fill_not_null: bool
    decisions: list[tuple[RenameCandidate, bool]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    renamed_tables: dict[str, str] = field(default_factory=dict)  # old name -> new name
    dropped: list[str] = field(default_factory=list)  # tables gone (not renamed)
    added: list[str] = field(default_factory=list)  # tables new (not renamed)
    changed: set[str] = field(default_factory=set)  # tables in both that differ (new names)
    old_enums: dict[str, list[str]] = field(default_factory=dict)  # enum types: name -> values
    new_enums: dict[str, list[str]] = field(default_factory=dict)
    # SQLAlchemy tables of the tables that change (a large app's others cost nothing)
    old_md: sa.MetaData = field(default_factory=sa.MetaData)
    new_md: sa.MetaData = field(default_factory=sa.MetaData)
    deferred_fks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.old_tables: dict[str, Any] = self.old["tables"]
        self.new_tables: dict[str, Any] = self.new["tables"]

    def old_name(self, table: str) -> str:
        """The name a table of the new snapshot has in the old one."""
        return next((o for o, n in self.renamed_tables.items() if n == table), table)


@dataclass
class TableDiff:
    """The diff of one table that exists before and after. The change lists are in the
    order the database needs them (``ordered()``)."""

    ctx: DiffContext
    name: str
    old: dict[str, Any]
    new: dict[str, Any]
    old_table: sa.Table
    new_table: sa.Table
    renamed: dict[str, str] = field(default_factory=dict)  # old column -> new column
    dropped: list[str] = field(default_factory=list)  # columns gone (not renamed)
    added: list[str] = field(default_factory=list)  # columns new (not renamed)
    recreated: set[str] = field(default_factory=set)  # columns dropped and added again
    # columns losing autoincrement or identity: first, before the primary key goes
    off_before_primary_key: list[Change] = field(default_factory=list)
    # indexes and constraints dropped: before the columns they are on change
    drops_before_columns: list[Change] = field(default_factory=list)
    columns: list[Change] = field(default_factory=list)
    # indexes and constraints added: once their columns are as the models say
    adds_after_columns: list[Change] = field(default_factory=list)
    # columns gaining autoincrement or identity: after the new primary key
    on_after_primary_key: list[Change] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.old_cols: dict[str, Any] = {c["name"]: c for c in self.old["columns"]}
        self.new_cols: dict[str, Any] = {c["name"]: c for c in self.new["columns"]}

    @property
    def db(self) -> Traits:
        return self.ctx.db

    def old_name(self, column: str) -> str:
        """The name a column of the new table has in the old one."""
        return next((o for o, n in self.renamed.items() if n == column), column)
