"""The production guard: what each statement of a migration destroys, read from its tokens.

One reading serves ``deploy`` (refused in production without force), ``rollback`` (the same)
and every dry run (which shows it). Statements are read as sqlparse tokens with comments and
whitespace dropped, so spelling does not matter: names in any quoting or qualification,
``ONLY`` / ``IF EXISTS``, multi-clause ``ALTER TABLE`` (split at top-level commas), bodies in
``$$`` / ``$tag$`` (``DO`` blocks, functions) and dynamic SQL (``EXECUTE``, ``PREPARE``) are
read as SQL again, ``CASCADE`` counts.

Destructive: dropping a table, column, schema, database or partition, ``TRUNCATE``,
``DELETE`` without ``WHERE``, a type change that can narrow or convert values, dropping an
enum value, any ``DROP ... CASCADE``, and what cannot be read (SQL built at run time, a call
of a procedure the file does not define, a statement the guard does not know). Dropping an
index, constraint, view, trigger, function, sequence or type (without ``CASCADE``) keeps every
row and is not destructive; neither is ``UPDATE`` (a data migration says what it writes).

The only exemption is the generator's own SQLite table rebuild (``CREATE TABLE
_alembic_tmp_x``, ``INSERT INTO _alembic_tmp_x ... SELECT ... FROM x``, ``DROP TABLE x``,
``ALTER TABLE _alembic_tmp_x RENAME TO x``), and only on SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from vertz_engine.dialects import traits
from vertz_engine.errors import DestructiveChanges
from vertz_engine.files import file_format
from vertz_engine.files.guard_rules import type_loss
from vertz_engine.files.guard_scan import read_section
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.files.sqlwords import Word, find_top, read_name, skip
from vertz_engine.losses import DROP_TABLE, NOTE, Loss


def read(
    statements: Sequence[str], dialect: str, *, other: Sequence[str] | None = None
) -> list[Loss]:
    """What ``statements`` (one section of a file, in order) destroy on ``dialect``.
    ``other`` is the file's other section: a type change there restates the old type of a
    column, so a change to a wider type is not destructive."""
    found, ctx, all_words = read_section(statements)
    old_types: dict[tuple[str, str], str] = {}
    if other is not None:
        retyping = [s for s in other if any(w in s.upper() for w in ("TYPE", "MODIFY", "CHANGE"))]
        for change in read_section(retyping)[1].types:
            for column in change.columns:
                old_types[(change.table, column)] = change.type
    for change in ctx.types:
        old = old_types.get((change.table, change.columns[0]))
        loss = type_loss(change.table, change.columns, change.type, old)
        if loss is not None:
            found.append(replace(loss, statement=change.statement))
    if traits(dialect).rebuilds_tables:  # the generator's rebuild is no loss
        exempt = _rebuild_drops(all_words)
        found = [f for f in found if not (f.kind == DROP_TABLE and f.statement in exempt)]
    unique = {(f.statement, f.kind, f.target, f.detail): f for f in found}
    return sorted(unique.values(), key=lambda f: f.statement or 0)


# -- the SQLite rebuild ------------------------------------------------------------------


def _rebuild_drops(statements: list[list[Word]]) -> set[int]:
    """Positions of the ``DROP TABLE x`` statements that are the middle of the generator's
    table rebuild: created ``_alembic_tmp_x``, copied from ``x``, renamed to ``x`` after."""
    created: list[tuple[int, str]] = []
    copied: list[tuple[int, str, str]] = []
    renamed: list[tuple[int, str, str]] = []
    drops: list[tuple[int, str]] = []
    for index, ws in enumerate(statements, 1):
        head = [w.up for w in ws[:2]]
        if head == ["CREATE", "TABLE"]:
            name = read_name(ws, skip(ws, 2, "IF NOT EXISTS"))[0]
            created.append((index, (name or "").lower()))
        elif head == ["INSERT", "INTO"] and (at := find_top(ws, "FROM")) is not None:
            into, source = read_name(ws, 2)[0], read_name(ws, at + 1)[0]
            copied.append((index, (into or "").lower(), (source or "").lower()))
        elif head == ["DROP", "TABLE"] and len(ws) == 3:
            drops.append((index, (read_name(ws, 2)[0] or "").lower()))
        elif head == ["ALTER", "TABLE"]:
            tmp, i = read_name(ws, 2)
            if [w.up for w in ws[i : i + 2]] == ["RENAME", "TO"]:
                renamed.append(
                    (index, (tmp or "").lower(), (read_name(ws, i + 2)[0] or "").lower())
                )
    exempt = set()
    for d, table in drops:
        tmp = file_format.REBUILD_PREFIX + table
        if (
            any(c < d and name == tmp for c, name in created)
            and any(i < d and into == tmp and src == table for i, into, src in copied)
            and any(r > d and old == tmp and new == table for r, old, new in renamed)
        ):
            exempt.add(d)
    return exempt


# -- files -------------------------------------------------------------------------------


def file_losses(f: MigrationFile, dialect: str, *, rollback: bool = False) -> list[Loss]:
    """What the up (or rollback) section of ``f`` destroys, with file line numbers; for the up
    section also what the generator noted (``-- vertz:destructive``: a SQLite rebuild that
    leaves a column out, say) and the statements do not show."""
    statements = f.rollback_statements() if rollback else f.up_statements()
    other = f.up_statements() if rollback else f.rollback_statements()
    found = [
        replace(x, section="rollback" if rollback else "up")
        for x in read(statements, dialect, other=other)
    ]
    try:
        text = file_format.normalise(Path(f.path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return found
    up_end = len(text) - len(f.rollback) if text.endswith(f.rollback) else len(text)
    lines = _statement_lines(text, up_end if rollback else 0, statements)
    found = [replace(x, line=lines[x.statement - 1]) if x.statement else x for x in found]
    if not rollback:
        for number, line in enumerate(text[:up_end].splitlines(), 1):
            note = file_format.destructive_note(line)
            if note is not None and not any(x.target in note for x in found):
                found.append(Loss(None, NOTE, note, line=number))
    return sorted(found, key=lambda x: x.line or 0)


_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.S)


def _statement_lines(text: str, start: int, statements: list[str]) -> list[int | None]:
    out: list[int | None] = []
    pos = start
    for statement in statements:
        at = text.find(statement, pos)
        if at < 0:
            out.append(None)
            continue
        code = at + (m.end() if (m := _LEADING.match(statement)) else 0)
        out.append(text.count("\n", 0, code) + 1)
        pos = at + len(statement)
    return out


def losses_by_file(
    files: Sequence[MigrationFile], dialect: str, *, rollback: bool = False
) -> dict[str, list[Loss]]:
    """What each file's up (or rollback) section destroys, by migration name (files that
    destroy nothing left out)."""
    found = {f.name: file_losses(f, dialect, rollback=rollback) for f in files}
    return {name: losses for name, losses in found.items() if losses}


_REFUSALS = {
    "deploy": "refusing to apply destructive changes in production ({reason})",
    "rollback": "refusing to roll back in production ({reason}): the rollback SQL destroys data",
}


def refuse(action: str, losses: dict[str, list[Loss]], reason: str) -> DestructiveChanges:
    """The error for ``action`` (``deploy``/``rollback``) refused over ``losses`` (by name);
    ``reason`` says what decided production."""
    changes = [loss.located(name) for name, found in losses.items() for loss in found]
    return DestructiveChanges(
        _REFUSALS[action].format(reason=reason) + ":\n  " + "\n  ".join(changes),
        action=action,
        losses=losses,
        changes=changes,
        reason=reason,
    )
