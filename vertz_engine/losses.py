"""What a statement destroys: the kinds of loss and their wording, one :class:`Loss` per
finding. The production guard (``files.guard``) finds them; errors and reports carry them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

LossKind = Literal[
    "drop table",
    "drop column",
    "drop schema",
    "drop database",
    "drop partition",
    "drop system versioning",
    "drop",
    "drop cascade",
    "truncate",
    "delete all rows",
    "change type",
    "drop enum value",
    "dynamic sql",
    "call",
    "unknown statement",
    "generator note",
]
Section = Literal["up", "rollback"]

DROP_TABLE: Final = "drop table"
DROP_COLUMN: Final = "drop column"
DROP_SCHEMA: Final = "drop schema"
DROP_DATABASE: Final = "drop database"
DROP_PARTITION: Final = "drop partition"
DROP_VERSIONING: Final = "drop system versioning"
DROP_OTHER: Final = "drop"
CASCADE: Final = "drop cascade"
TRUNCATE: Final = "truncate"
DELETE_ALL: Final = "delete all rows"
CHANGE_TYPE: Final = "change type"
DROP_ENUM_VALUE: Final = "drop enum value"
DYNAMIC: Final = "dynamic sql"
CALL: Final = "call"
UNKNOWN: Final = "unknown statement"
NOTE: Final = "generator note"

RUNTIME_NAME = "vertz_runtime_name"  # stands for a name computed when dynamic SQL runs

_WHY: dict[LossKind, str] = {
    DROP_TABLE: "drop table {t} (its rows are lost)",
    DROP_COLUMN: "drop column {t} (its values are lost)",
    DROP_SCHEMA: "drop schema {t} (everything in it is lost)",
    DROP_DATABASE: "drop database {t} (everything in it is lost)",
    DROP_PARTITION: "drop partition {d} of {t} (its rows are lost)",
    DROP_VERSIONING: "drop system versioning of {t} (its history rows are lost)",
    DROP_OTHER: "drop {d} {t} (what it holds is lost)",
    CASCADE: "drop {d} {t} with CASCADE (everything that depends on it is dropped too)",
    TRUNCATE: "truncate {t} (its rows are lost)",
    DELETE_ALL: "delete from {t} without WHERE (every row is lost)",
    CHANGE_TYPE: "change type of {t} {d} (values may not fit or convert)",
    DROP_ENUM_VALUE: "drop enum value(s) {d} of {t} (rows that use them fail or lose them)",
    DYNAMIC: "run SQL built at run time ({t}) that cannot be read before it runs",
    CALL: "call {t}, a procedure this file does not define (what it does cannot be read)",
    UNKNOWN: "a {t} statement, which the guard cannot read (so it counts as destructive)",
    NOTE: "{t}",
}


@dataclass(frozen=True)
class Loss:
    """One thing a statement destroys. ``statement`` is the 1-based position of the
    statement in its section (``None`` for a generator note), ``line`` its line in the file."""

    statement: int | None
    kind: LossKind
    target: str
    detail: str = ""
    line: int | None = None
    section: Section = "up"

    def describe(self) -> str:
        target = self.target.replace(RUNTIME_NAME, "<name chosen at run time>")
        return _WHY[self.kind].format(t=target, d=self.detail)

    def where(self) -> str:
        """``line 7 (statement 2)``, or what of it is known."""
        if self.statement is None:
            what = "generator note"
        else:
            what = f"{'rollback ' if self.section == 'rollback' else ''}statement {self.statement}"
        return f"line {self.line} ({what})" if self.line is not None else what

    def text(self) -> str:
        """``drop table t (its rows are lost), line 7 (statement 2)``."""
        return f"{self.describe()}, {self.where()}"

    def located(self, migration: str) -> str:
        """``0002_x.sql line 7 (statement 2): drop table t (its rows are lost)``."""
        return f"{migration}.sql {self.where()}: {self.describe()}"
