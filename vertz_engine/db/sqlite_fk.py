"""SQLite's foreign key check around a change (foreign keys are off while it runs, so a
table rebuild does not cascade): only violations the change introduced are refused.

Rows that pointed nowhere before (written while foreign keys were off, SQLite's default)
are not the change's doing and must not block it. So the check runs before the change and
again before ``COMMIT``, on the tables the change's statements name and the tables whose
foreign keys point at them, and compares the counts per (table, referred table).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from vertz_engine.db.raw import Raw
from vertz_engine.errors import VertzError

Key = tuple[str, str]  # (table with the foreign key, the table it refers to)


class ForeignKeyBaseline:
    """The violations before a change; :meth:`verify` refuses the ones it adds."""

    def __init__(self, raw: Raw, statements: Sequence[str] | None) -> None:
        self.statements = list(statements) if statements is not None else None
        self.before, _ = _violations(raw, _scope(raw, self.statements))

    def verify(self, raw: Raw) -> None:
        after, rows = _violations(raw, _scope(raw, self.statements))
        added = after - self.before
        if not added:
            return
        first = next(r for r in rows if (r[0].lower(), r[2].lower()) in added)
        raise VertzError(
            f"foreign key check failed: {sum(added.values())} row(s) point nowhere "
            f"(first: {first[0]} rowid {first[1]} -> {first[2]}); nothing was changed"
        )


def _scope(raw: Raw, statements: list[str] | None) -> list[str] | None:
    """The tables to check: those the statements name, and those that refer to them (None:
    every table)."""
    if statements is None:
        return None
    raw.run("SELECT name FROM sqlite_master WHERE type = 'table'")
    tables = [str(row[0]) for row in raw.cursor.fetchall()]
    text = "\n".join(statements)
    named = {
        t.lower()
        for t in tables
        if re.search(rf"(?<![\w$]){re.escape(t)}(?![\w$])", text, re.IGNORECASE)
    }
    if not named:
        return []
    raw.run(
        'SELECT m.name, f."table" FROM sqlite_master m, pragma_foreign_key_list(m.name) f '
        "WHERE m.type = 'table'"
    )
    children = {str(r[0]).lower() for r in raw.cursor.fetchall() if str(r[1]).lower() in named}
    return sorted(t for t in tables if t.lower() in named | children)


def _violations(
    raw: Raw, scope: list[str] | None
) -> tuple[Counter[Key], list[tuple[str, object, str]]]:
    rows: list[tuple[str, object, str]] = []
    for table in [None] if scope is None else scope:
        if table is None:
            raw.run("PRAGMA foreign_key_check")
        else:
            raw.run('PRAGMA foreign_key_check("' + table.replace('"', '""') + '")')
        rows.extend((str(r[0]), r[1], str(r[2])) for r in raw.cursor.fetchall())
    return Counter((r[0].lower(), r[2].lower()) for r in rows), rows
