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
from dataclasses import dataclass, field, replace
from pathlib import Path

from vertz_engine.errors import DestructiveChanges
from vertz_engine.files import file_format
from vertz_engine.files.migration_file import MigrationFile, normalise
from vertz_engine.files.sqlwords import (
    Word,
    find_top,
    is_name,
    read_name,
    skip,
    split_top,
    strings_joined,
    words,
)
from vertz_engine.losses import (
    CALL,
    CASCADE,
    CHANGE_TYPE,
    DELETE_ALL,
    DROP_COLUMN,
    DROP_DATABASE,
    DROP_ENUM_VALUE,
    DROP_OTHER,
    DROP_PARTITION,
    DROP_SCHEMA,
    DROP_TABLE,
    DROP_VERSIONING,
    DYNAMIC,
    NOTE,
    RUNTIME_NAME,
    TRUNCATE,
    UNKNOWN,
    Loss,
)

# first words of statements the guard knows (anything else at the top level is unknown)
_KNOWN = set(
    """SELECT INSERT UPDATE REPLACE MERGE WITH VALUES TABLE CREATE COMMENT GRANT REVOKE SET RESET
    SHOW PRAGMA ANALYZE ANALYSE VACUUM REINDEX CLUSTER REFRESH LOCK UNLOCK BEGIN START COMMIT
    END ROLLBACK SAVEPOINT RELEASE DEALLOCATE EXECUTE PREPARE DO CALL DECLARE RENAME USE
    OPTIMIZE CHECKPOINT DISCARD LISTEN NOTIFY UNLISTEN COPY EXPLAIN FLUSH ATTACH SECURITY
    IMPORT LOAD DETACH ABORT DROP TRUNCATE DELETE ALTER""".split()
)
# words that start a statement wherever a statement may start (also inside bodies)
_VERBS = _KNOWN - {"TABLE", "VALUES", "BEGIN", "END", "START", "DECLARE", "USE"}
_STARTS_AFTER = {"THEN", "ELSE", "LOOP", "BEGIN", "AS"}
_HARMLESS_DROP_KINDS = """MATERIALIZED VIEW|EVENT TRIGGER|OPERATOR CLASS|OPERATOR FAMILY|
USER MAPPING|FOREIGN DATA WRAPPER|FOREIGN TABLE|TEXT SEARCH CONFIGURATION|TEXT SEARCH DICTIONARY|
TEXT SEARCH PARSER|TEXT SEARCH TEMPLATE|PROCEDURAL LANGUAGE|ACCESS METHOD|INDEX|VIEW|TRIGGER|
FUNCTION|PROCEDURE|ROUTINE|AGGREGATE|TYPE|DOMAIN|SEQUENCE|EXTENSION|RULE|POLICY|EVENT|
STATISTICS|CAST|OPERATOR|COLLATION|CONVERSION|PUBLICATION|SUBSCRIPTION|SERVER|USER|ROLE|GROUP|
LANGUAGE|TRANSFORM|TABLESPACE|CONSTRAINT|SYNONYM|PACKAGE"""
_HARMLESS_DROPS = [kind.split() for kind in _HARMLESS_DROP_KINDS.replace("\n", "").split("|")]
_DESTRUCTIVE_DROPS = {"TABLE": DROP_TABLE, "SCHEMA": DROP_SCHEMA, "DATABASE": DROP_DATABASE}
_KEEPS_ROWS = {"CONSTRAINT", "INDEX", "KEY", "PRIMARY", "FOREIGN", "CHECK", "UNIQUE", "DEFAULT"}
_KEEPS_ROWS |= {"FULLTEXT", "SPATIAL", "PERIOD", "EXPRESSION", "IDENTITY", "NOT", "TRIGGER"}
_TYPE_ENDS = set(
    """NULL NOT DEFAULT COMMENT AUTO_INCREMENT COLLATE PRIMARY UNIQUE KEY REFERENCES CHECK
    GENERATED FIRST AFTER ON INVISIBLE VISIBLE COLUMN_FORMAT STORAGE CONSTRAINT USING""".split()
)
_REBUILD_PREFIX = "_alembic_tmp_"


@dataclass
class _Context:
    dialect: str
    in_body: bool = False
    variables: dict[str, str | None] = field(default_factory=dict)
    procedures: set[str] = field(default_factory=set)
    types: list[tuple[int, str, tuple[str, ...], str]] = field(default_factory=list)
    statement: int = 0

    def body(self) -> _Context:
        return replace(self, in_body=True)


def read(
    statements: Sequence[str], dialect: str, *, other: Sequence[str] | None = None
) -> list[Loss]:
    """What ``statements`` (one section of a file, in order) destroy on ``dialect``.
    ``other`` is the file's other section: a type change there restates the old type of a
    column, so a change to a wider type is not destructive."""
    found, ctx, all_words = _read(statements, dialect)
    old_types: dict[tuple[str, str], str] = {}
    if other is not None:
        retyping = [s for s in other if any(w in s.upper() for w in ("TYPE", "MODIFY", "CHANGE"))]
        for _, table, columns, typ in _read(retyping, dialect)[1].types:
            for column in columns:
                old_types[(table, column)] = typ
    for index, table, columns, typ in ctx.types:
        loss = _type_loss(table, columns, typ, old_types.get((table, columns[0])))
        if loss is not None:
            found.append(replace(loss, statement=index))
    if dialect == "sqlite":
        exempt = _rebuild_drops(all_words)
        found = [f for f in found if not (f.kind == DROP_TABLE and f.statement in exempt)]
    unique = {(f.statement, f.kind, f.target, f.detail): f for f in found}
    return sorted(unique.values(), key=lambda f: f.statement or 0)


def _read(statements: Sequence[str], dialect: str) -> tuple[list[Loss], _Context, list[list[Word]]]:
    ctx = _Context(dialect)
    found: list[Loss] = []
    all_words = []
    for index, statement in enumerate(statements, 1):
        ws = [] if _cannot_destroy(statement) else words(statement)
        while ws and ws[-1].text == ";":
            ws.pop()
        all_words.append(ws)
        ctx.statement = index
        if ws and ws[0].kind == "word" and ws[0].up not in _KNOWN:
            found.append(Loss(index, UNKNOWN, ws[0].up))
            continue
        found.extend(replace(f, statement=index) for f in _scan(ws, ctx, start=True))
    return found, ctx, all_words


# Every loss needs one of these words in the statement's text (or an unknown first word:
# ALTER TABLE loses data only by DROP, TRUNCATE PARTITION or a type change);
# a statement without them is not tokenized (a data file of INSERTs is read in no time).
_LOSS_WORDS = "DROP TRUNCATE DELETE TYPE MODIFY CHANGE EXECUTE PREPARE CALL PROCEDURE FUNCTION"
_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*\n|/\*.*?\*/)*([A-Za-z_]+)\b", re.S)


def _cannot_destroy(statement: str) -> bool:
    """Cheap and sound: no loss word, a known first word (not SET, which records a variable
    for a later PREPARE), and not part of a SQLite rebuild."""
    m = _FIRST_WORD.match(statement)
    if m is None or m.group(1).upper() not in _KNOWN - {"SET"}:
        return False
    text = statement.upper()
    return not any(word in text for word in _LOSS_WORDS.split()) and "_ALEMBIC_TMP_" not in text


def _scan(ws: list[Word], ctx: _Context, *, start: bool) -> list[Loss]:
    """Find the statements in ``ws`` (a statement, or a body of several) and read each."""
    found: list[Loss] = []
    i = 0
    while i < len(ws):
        w = ws[i]
        if w.kind == "body":
            found.extend(_scan(words(w.text), ctx.body(), start=True))
        elif start and w.up in _VERBS:
            end = _segment_end(ws, i)
            found.extend(_statement(ws[i:end], ctx))
            i, start = end, False
            continue
        start = (w.kind == "punct" and w.text in (";", "(")) or w.up in _STARTS_AFTER
        i += 1
    return found


def _segment_end(ws: list[Word], i: int) -> int:
    creates_trigger = ws[i].up == "CREATE" and any(w.up == "TRIGGER" for w in ws[i : i + 8])
    depth = 0
    for j in range(i + 1, len(ws)):
        w = ws[j]
        if w.kind == "punct" and w.text == "(":
            depth += 1
        elif w.kind == "punct" and w.text == ")":
            depth -= 1
            if depth < 0:
                return j
        elif depth == 0 and w.kind == "punct" and w.text == ";":
            return j
        elif depth == 0 and w.up == "BEGIN" and ws[i].up == "CREATE":
            # a trigger's body runs on later writes, not now; a procedure's body is read
            return len(ws) if creates_trigger else j
    return len(ws)


def _statement(seg: list[Word], ctx: _Context) -> list[Loss]:
    verb = seg[0].up
    reader = _READERS.get(verb)
    found = reader(seg, ctx) if reader is not None else []
    if verb == "CREATE" and any(w.up == "TRIGGER" for w in seg[:8]):
        return found
    return found + _scan(seg[1:], ctx, start=False)


def _drop(seg: list[Word], ctx: _Context) -> list[Loss]:
    i = skip(seg, 1, "TEMPORARY", "TEMP")
    temporary = i > 1
    kind = next((p for p in _HARMLESS_DROPS if [w.up for w in seg[i : i + len(p)]] == p), None)
    if kind is None:
        kind = [seg[i].up] if i < len(seg) and seg[i].kind == "word" else []
        if kind == ["OWNED"]:
            kind = ["OWNED", "BY"]
    i = skip(seg, i + len(kind), "IF EXISTS", "CONCURRENTLY")
    names = [n for part in split_top(seg[i:]) if (n := read_name(part, 0)[0])]
    cascade = find_top(seg, "CASCADE") is not None
    what = " ".join(kind).lower()
    out = []
    for name in names or ["?"]:
        if kind in _HARMLESS_DROPS or temporary:
            if cascade:
                out.append(Loss(ctx.statement, CASCADE, name, what))
        elif kind and kind[0] in _DESTRUCTIVE_DROPS:
            out.append(Loss(ctx.statement, _DESTRUCTIVE_DROPS[kind[0]], name))
        else:
            out.append(Loss(ctx.statement, DROP_OTHER, name, what))
    return out


def _truncate(seg: list[Word], ctx: _Context) -> list[Loss]:
    parts = split_top(seg[skip(seg, 1, "TABLE") :])
    names = [read_name(p, skip(p, 0, "ONLY"))[0] for p in parts]
    return [Loss(ctx.statement, TRUNCATE, n) for n in names if n]


def _delete(seg: list[Word], ctx: _Context) -> list[Loss]:
    if find_top(seg, "WHERE") is not None:
        return []
    at = find_top(seg, "FROM")
    if at is None:  # MERGE's WHEN MATCHED THEN DELETE: rows that match, not all
        return []
    name = read_name(seg, skip(seg, at + 1, "ONLY"))[0]
    return [Loss(ctx.statement, DELETE_ALL, name or "?")]


def _alter(seg: list[Word], ctx: _Context) -> list[Loss]:
    i = skip(seg, 1, "ONLINE", "IGNORE")
    if i >= len(seg) or seg[i].up != "TABLE":
        return []
    table, i = read_name(seg, skip(seg, i + 1, "IF EXISTS", "ONLY"))
    if table is None:
        return [Loss(ctx.statement, UNKNOWN, "ALTER TABLE")]
    if i < len(seg) and seg[i].text == "*":
        i += 1
    out: list[Loss] = []
    for action in split_top(seg[i:]):
        out.extend(_alter_action(table, action, ctx))
    return out


def _alter_action(table: str, a: list[Word], ctx: _Context) -> list[Loss]:
    first = a[0].up
    second = a[1].up if len(a) > 1 else ""
    key = table.rsplit(".", 1)[-1].lower()
    if first == "DROP":
        if second in _KEEPS_ROWS:
            return []
        if second == "PARTITION":
            names = ", ".join(w.text for w in a[2:] if is_name(w))
            return [Loss(ctx.statement, DROP_PARTITION, table, names)]
        if second == "SYSTEM":
            return [Loss(ctx.statement, DROP_VERSIONING, table)]
        column = read_name(a, skip(a, 1, "COLUMN", "IF EXISTS"))[0]
        return [Loss(ctx.statement, DROP_COLUMN, f"{table}.{column or '?'}")]
    if first == "TRUNCATE" and second == "PARTITION":
        names = ", ".join(w.text for w in a[2:] if is_name(w))
        return [Loss(ctx.statement, DROP_PARTITION, table, names)]
    if first in ("ALTER", "MODIFY", "CHANGE"):
        i = skip(a, 1, "COLUMN")
        column, i = read_name(a, i)
        columns = [column or "?"]
        if first == "CHANGE":
            new, i = read_name(a, i)
            columns.append(new or "?")
        if first == "ALTER":
            at = skip(a, i, "SET DATA")
            if at >= len(a) or a[at].up != "TYPE":
                return []  # SET/DROP DEFAULT, SET/DROP NOT NULL, ... keep every value
            i = at + 1
        typ = _type_text(a[i:])
        ctx.types.append((ctx.statement, key, tuple(c.lower() for c in columns), typ))
    return []


def _do(seg: list[Word], ctx: _Context) -> list[Loss]:
    found = []
    for w in seg[1:]:
        if w.kind == "string":
            found.extend(_scan(words(w.text), ctx.body(), start=True))
    return found


def _execute(seg: list[Word], ctx: _Context) -> list[Loss]:
    if not ctx.in_body:
        return []  # EXECUTE of a prepared statement: read where it was prepared
    end = min(i for i in (find_top(seg, "INTO"), find_top(seg, "USING"), len(seg)) if i)
    return _dynamic(strings_joined(seg[1:end], RUNTIME_NAME), ctx, "EXECUTE")


def _prepare(seg: list[Word], ctx: _Context) -> list[Loss]:
    at = find_top(seg, "FROM")
    if at is None or at + 1 >= len(seg):
        return []  # PostgreSQL's PREPARE name AS statement: read by the scan
    source = seg[at + 1 :]
    if source[0].kind == "string":
        text: str | None = source[0].text
    else:
        text = ctx.variables.get("".join(w.text for w in source[:2]).lower())
    return _dynamic(text, ctx, "PREPARE")


def _set(seg: list[Word], ctx: _Context) -> list[Loss]:
    if len(seg) > 3 and seg[1].text == "@" and seg[3].text in ("=", ":="):
        ctx.variables["@" + seg[2].text.lower()] = strings_joined(seg[4:], RUNTIME_NAME)
    return []


def _dynamic(text: str | None, ctx: _Context, verb: str) -> list[Loss]:
    if text is None:
        return [Loss(ctx.statement, DYNAMIC, verb)]
    return _scan(words(text), replace(ctx, in_body=False), start=True)


def _create(seg: list[Word], ctx: _Context) -> list[Loss]:
    i = skip(seg, 1, "OR REPLACE", "OR ALTER")
    if i < len(seg) and seg[i].up.startswith("DEFINER"):
        i = next((j for j in range(i, len(seg)) if seg[j].up in ("PROCEDURE", "FUNCTION")), i)
    if i < len(seg) and seg[i].up in ("PROCEDURE", "FUNCTION"):
        name = read_name(seg, skip(seg, i + 1, "IF NOT EXISTS"))[0]
        if name:
            ctx.procedures.add(name.lower())
    return []


def _call(seg: list[Word], ctx: _Context) -> list[Loss]:
    name = read_name(seg, 1)[0] or "?"
    return [] if name.lower() in ctx.procedures else [Loss(ctx.statement, CALL, name)]


_READERS = {
    "DROP": _drop,
    "TRUNCATE": _truncate,
    "DELETE": _delete,
    "ALTER": _alter,
    "DO": _do,
    "EXECUTE": _execute,
    "PREPARE": _prepare,
    "SET": _set,
    "CREATE": _create,
    "CALL": _call,
}


# -- type changes ------------------------------------------------------------------------


def _type_text(ws: list[Word]) -> str:
    out = ""
    depth = 0
    for w in ws:
        if depth == 0 and w.up in _TYPE_ENDS:
            break
        depth += (w.text == "(") - (w.text == ")") if w.kind == "punct" else 0
        text = f"'{w.text}'" if w.kind == "string" else w.text.upper()
        glue = "" if not out or w.kind == "punct" or out[-1] in "(," else " "
        out += glue + text
    return out


_TYPE_PARTS = re.compile(r"\A(?P<base>[^(]*?)\s*(?:\((?P<args>.*)\))?\s*(?P<tail>[^()]*)\Z", re.S)


def _type_loss(table: str, columns: tuple[str, ...], new: str, old: str | None) -> Loss | None:
    target = f"{table}.{columns[-1]}"
    if old is None:
        return Loss(None, CHANGE_TYPE, target, f"to {new}")
    if old == new:
        return None
    o, n = _TYPE_PARTS.match(old), _TYPE_PARTS.match(new)
    if o and n and o["base"] == n["base"] and o["tail"] == n["tail"]:
        old_args, new_args = _args(o["args"]), _args(n["args"])
        if o["base"] in ("ENUM", "SET"):
            removed = [v for v in old_args if v not in new_args]
            return Loss(None, DROP_ENUM_VALUE, target, ", ".join(removed)) if removed else None
        if _wider(old_args, new_args):
            return None
    return Loss(None, CHANGE_TYPE, target, f"from {old} to {new}")


def _args(text: str | None) -> list[str]:
    return [a.strip() for a in re.findall(r"'(?:[^']|'')*'|[^,]+", text or "")]


def _wider(old: list[str], new: list[str]) -> bool:
    """Length or precision grows (or becomes unbounded), scale stays."""
    if not new:
        return True
    if len(old) != len(new) or not all(a.isdigit() for a in old + new):
        return False
    return int(new[0]) >= int(old[0]) and old[1:] == new[1:]


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
        tmp = _REBUILD_PREFIX + table
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
        text = normalise(Path(f.path).read_text(encoding="utf-8"))
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
