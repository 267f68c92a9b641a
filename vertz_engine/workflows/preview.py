"""What a command would do, decided before it does it: the changes and SQL of the next
``migrate dev`` file, and the probable renames a terminal is asked about before ``push``
locks the database. Front ends show these and ask; the
decisions stay here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from vertz_engine.files import migration_file
from vertz_engine.plan import render
from vertz_engine.plan.diff import diff, reverse
from vertz_engine.plan.model import Plan
from vertz_engine.plan.renames import RenameCandidate
from vertz_engine.schema import erd
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.workflows.dev import MigrateDev
from vertz_engine.workflows.position import Position
from vertz_engine.workflows.push import ApplyModels
from vertz_engine.workflows.rename_choices import ASK, RenameChoices
from vertz_engine.workflows.workspace import Workspace

_TABLE_MARKS = {"add_table": "added", "drop_table": "dropped"}
_COLUMN_MARKS = {"add_column": "added", "drop_column": "dropped", "alter_column": "changed"}


def erd_marks(plan: Plan) -> erd.Marks:
    """Where ``plan`` adds, drops, renames or changes tables and columns, for the diagram."""
    renamed = plan.chosen_renames()
    tables: dict[str, str] = {}
    columns: dict[tuple[str, str], str] = {}
    for change in plan.changes():
        table, column = change.table, change.column
        if change.kind == "rename_table":
            tables[renamed.get(table, table)] = "renamed"
        elif change.kind in _TABLE_MARKS:
            tables[table] = _TABLE_MARKS[change.kind]
        elif column is not None and change.kind == "rename_column":
            columns[(table, renamed.get(f"{table}.{column}", column))] = "renamed"
        elif column is not None and change.kind in _COLUMN_MARKS:
            columns[(table, column)] = _COLUMN_MARKS[change.kind]
    for change in plan.changes():
        if change.table in plan.new["tables"]:
            tables.setdefault(change.table, "changed")
    for table, _column in columns:
        tables.setdefault(table, "changed")
    return erd.Marks(tables, columns, snap_mod.to_metadata(plan.old))


@dataclass
class DevPreview:
    """The next ``migrate dev`` file, not written: its name, changes and SQL."""

    plan: Plan
    name: str | None = None  # the file's name (``0003_add_priority``); None: no changes
    statements: list[str] = field(default_factory=list)
    rollback_statements: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.plan.empty


class Preview:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def dev(self, name: str, choices: RenameChoices = ASK) -> DevPreview:
        """The file ``migrate dev --name NAME`` would write. A bad name is refused before
        anything is computed or asked; each change carries what the local rows say."""
        slug = migration_file.slugify(name)
        dev = MigrateDev(self.ws, choices)
        plan = dev.plan()
        if plan.empty:
            return DevPreview(plan)
        dev.annotate(plan)
        dialect = self.ws.engine.dialect
        return DevPreview(
            plan,
            name=migration_file.next_path(self.ws.loader.migrations_dir, slug).stem,
            statements=render.render(plan, dialect),
            rollback_statements=render.render(reverse(plan), dialect),
        )

    def diagram(self, *, changes: bool = False) -> str:
        """The Mermaid ER diagram of the models; ``changes``: with what the next
        ``migrate dev`` file would add, drop, rename or change marked (no database needed)."""
        loader = self.ws.loader
        marks = None
        if changes:
            ms, _ = Position(self.ws).files_snapshot()
            loader.check_snapshot_matches_files(ms)
            marks = erd_marks(diff(ms or loader.empty(), loader.target()))
        return erd.diagram(self.ws.metadata, self.ws.engine.dialect, marks)

    def rename_questions(self, explicit: Mapping[str, str]) -> list[RenameCandidate]:
        """The probable renames ``push`` should ask about: those no explicit decision
        covers. Asked before the database is locked (a question must not hold the lock
        other processes wait for); the preview takes every candidate as a rename, so a drop
        + add not yet chosen cannot block it."""
        every = RenameChoices(explicit, lambda _c: True)
        preview = ApplyModels(self.ws, every, dry_run=True).run()
        return [
            cand
            for cand, _taken in preview.renames
            if cand.key not in explicit and cand.new not in explicit.values()
        ]
