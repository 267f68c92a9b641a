"""What a development boot or ``push`` destroys, described: the tables and columns a plan
drops (or retypes) that hold data, as backup items (kept by :mod:`vertz_engine.db.backup`),
the backups that hold them, and what putting them back did."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from vertz_engine.dialects import traits
from vertz_engine.plan.model import DESTRUCTIVE, Change, Plan
from vertz_engine.remedies import Text
from vertz_engine.schema import canonical


@dataclass
class Item:
    """One dropped table or column whose data a backup holds."""

    kind: str  # "table" or "column"
    table: str  # the table's name after the change (where a restore puts the data)
    column: str | None
    count: int  # rows of a table, non-NULL values of a column
    key: list[str]  # primary key columns; empty: whole rows are kept
    columns: list[str]  # the columns kept, in order
    spec: dict[str, Any]  # the snapshot of the table, or of the column
    why: str  # the change that dropped it
    source: str  # the table that holds the rows inside the backup
    change: str = "drop_table"  # the kind of change that dropped it
    restored_at: str | None = None

    @property
    def target(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table

    def describe(self) -> str:
        if self.kind == "table":
            return f"table {self.table} ({self.count} row(s))"
        return f"column {self.target} ({self.count} value(s))"


@dataclass
class Backup:
    """What one boot or ``push`` dropped, kept before it was dropped."""

    name: str
    created_at: str
    items: list[Item] = field(default_factory=list)
    location: str = ""  # the file, or "in the database"
    id: int = 0  # server backups: the number in the data tables' names
    database: str = ""  # the database it was taken from (URL, password masked)

    def describe(self) -> str:
        return ", ".join(i.describe() for i in self.items)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "created_at": self.created_at,
            "database": self.database,
            "items": [asdict(i) for i in self.items],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, location: str = "", id: int = 0) -> Backup:
        return cls(
            str(data["name"]),
            str(data["created_at"]),
            [Item(**i) for i in data.get("items", [])],
            location,
            id,
            str(data.get("database", "")),
        )


@dataclass
class Restored:
    """What putting back one item did."""

    item: Item
    backup: str
    restored: int = 0
    present: int = 0  # already there: left alone
    gone: int = 0  # a column's rows that are not in the table any more
    problem: str | Text = ""  # why nothing was put back

    def describe(self) -> str | Text:
        if self.problem:
            return self.problem
        if self.item.kind == "table":
            return (
                f"table {self.item.table}: restored {self.restored} row(s), "
                f"{self.present} already there"
            )
        gone = f", {self.gone} row(s) no longer exist" if self.gone else ""
        return (
            f"column {self.item.target}: restored {self.restored} value(s), "
            f"{self.present} already there{gone}"
        )


# -- what a plan destroys ---------------------------------------------------------------------


def destroys(change: Change) -> bool:
    """Whether ``change`` destroys data a backup should keep first."""
    if change.level != DESTRUCTIVE or not change.table:
        return False
    if change.kind == "drop_table":
        return True
    if change.kind == "drop_column":
        return change.column is not None
    return (
        change.kind == "alter_column"
        and change.column is not None
        and getattr(change.op, "modify_type", None) is not None
    )


def wanted(conn: Connection, plan: Plan) -> list[Item]:
    """The tables and columns ``plan`` destroys that hold data in ``conn`` now."""
    q = conn.dialect.identifier_preparer.quote
    live = {c.new: c.old for c, ok in plan.renames if ok and not c.column}  # renamed tables
    unsure = {c.key: c.new for c, ok in plan.renames if not ok and c.column}
    items: list[Item] = []
    for change in plan.changes():
        if not destroys(change):
            continue
        name = live.get(change.table, change.table)
        spec = plan.old["tables"].get(name)
        if spec is None:
            continue
        key = [str(c) for c in spec["primary_key"]["columns"]]
        why = change.describe()
        if change.column is None:
            n = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {q(name)}").scalar()
            columns = [c["name"] for c in spec["columns"]]
            item_spec = spec
        else:
            col = change.column
            n = conn.exec_driver_sql(
                f"SELECT COUNT(*) FROM {q(name)} WHERE {q(col)} IS NOT NULL"
            ).scalar()
            if col in key:
                key = []
            columns = [*key, col] if key else [c["name"] for c in spec["columns"]]
            item_spec = next(c for c in spec["columns"] if c["name"] == col)
            if f"{name}.{col}" in unsure:
                why += f"; not taken as a rename to {change.table}.{unsure[f'{name}.{col}']}"
        if not n:
            continue
        items.append(
            Item(
                "table" if change.column is None else "column",
                change.table,
                change.column,
                int(n),
                key,
                columns,
                item_spec,
                why,
                name,
                change.kind,
            )
        )
    return items


def _enum_columns(item: Item) -> set[str]:
    specs = item.spec["columns"] if item.kind == "table" else [item.spec]
    return {c["name"] for c in specs if canonical.enum_values(c) is not None}


def select_sql(conn: Connection, item: Item, *, copy: bool = False) -> str:
    """The query that reads what ``item`` keeps from its table. ``copy``: the query that
    fills a backup table, where values of a native enum type (PostgreSQL) are kept as text (a backup table
    must not hold on to a type the change drops)."""
    q = conn.dialect.identifier_preparer.quote
    enums = _enum_columns(item) if copy and traits(conn).native_enums else set()
    cols = ", ".join(
        f"CAST({q(c)} AS TEXT) AS {q(c)}" if c in enums else q(c) for c in item.columns
    )
    sql = f"SELECT {cols} FROM {q(item.source)}"
    if item.column and item.key:
        sql += f" WHERE {q(item.column)} IS NOT NULL"
    return sql
