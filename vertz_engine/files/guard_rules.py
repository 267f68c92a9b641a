"""The production guard's per-statement rules: what one ``DROP``, ``TRUNCATE``, ``DELETE``,
``ALTER TABLE``, ``DO``, ``EXECUTE``, ``PREPARE``, ``SET``, ``CREATE`` or ``CALL`` destroys,
and whether a column's type change can lose values (see :mod:`.guard` for the whole rule).

A rule reads one statement's words (:mod:`.sqlwords`); a body inside it (a ``DO`` block,
dynamic SQL) is read again as statements through :attr:`Context.scan`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

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
    RUNTIME_NAME,
    TRUNCATE,
    UNKNOWN,
    Loss,
    LossKind,
)

_HARMLESS_DROP_KINDS = """MATERIALIZED VIEW|EVENT TRIGGER|OPERATOR CLASS|OPERATOR FAMILY|
USER MAPPING|FOREIGN DATA WRAPPER|FOREIGN TABLE|TEXT SEARCH CONFIGURATION|TEXT SEARCH DICTIONARY|
TEXT SEARCH PARSER|TEXT SEARCH TEMPLATE|PROCEDURAL LANGUAGE|ACCESS METHOD|INDEX|VIEW|TRIGGER|
FUNCTION|PROCEDURE|ROUTINE|AGGREGATE|TYPE|DOMAIN|SEQUENCE|EXTENSION|RULE|POLICY|EVENT|
STATISTICS|CAST|OPERATOR|COLLATION|CONVERSION|PUBLICATION|SUBSCRIPTION|SERVER|USER|ROLE|GROUP|
LANGUAGE|TRANSFORM|TABLESPACE|CONSTRAINT|SYNONYM|PACKAGE"""
_HARMLESS_DROPS = [kind.split() for kind in _HARMLESS_DROP_KINDS.replace("\n", "").split("|")]
_DESTRUCTIVE_DROPS: dict[str, LossKind] = {
    "TABLE": DROP_TABLE,
    "SCHEMA": DROP_SCHEMA,
    "DATABASE": DROP_DATABASE,
}
_KEEPS_ROWS = {"CONSTRAINT", "INDEX", "KEY", "PRIMARY", "FOREIGN", "CHECK", "UNIQUE", "DEFAULT"}
_KEEPS_ROWS |= {"FULLTEXT", "SPATIAL", "PERIOD", "EXPRESSION", "IDENTITY", "NOT", "TRIGGER"}
_TYPE_ENDS = set(
    """NULL NOT DEFAULT COMMENT AUTO_INCREMENT COLLATE PRIMARY UNIQUE KEY REFERENCES CHECK
    GENERATED FIRST AFTER ON INVISIBLE VISIBLE COLUMN_FORMAT STORAGE CONSTRAINT USING""".split()
)


@dataclass(frozen=True)
class TypeChange:
    """A column's type set by a statement (``ALTER ... TYPE``, ``MODIFY``, ``CHANGE``)."""

    statement: int
    table: str  # lower-case, unqualified
    columns: tuple[str, ...]  # lower-case; CHANGE names the old column and the new one
    type: str  # as written, upper-cased (``VARCHAR(50)``)


@dataclass
class Context:
    """What reading one section has learnt so far (shared by the bodies read inside it)."""

    # reads the statements of a body (``guard_scan``): the rules read bodies through it
    scan: Callable[[list[Word], Context], list[Loss]]
    in_body: bool = False
    variables: dict[str, str | None] = field(default_factory=dict)
    procedures: set[str] = field(default_factory=set)
    types: list[TypeChange] = field(default_factory=list)
    statement: int = 0

    def body(self) -> Context:
        return replace(self, in_body=True)


def _drop(seg: list[Word], ctx: Context) -> list[Loss]:
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


def _truncate(seg: list[Word], ctx: Context) -> list[Loss]:
    parts = split_top(seg[skip(seg, 1, "TABLE") :])
    names = [read_name(p, skip(p, 0, "ONLY"))[0] for p in parts]
    return [Loss(ctx.statement, TRUNCATE, n) for n in names if n]


def _delete(seg: list[Word], ctx: Context) -> list[Loss]:
    if find_top(seg, "WHERE") is not None:
        return []
    at = find_top(seg, "FROM")
    if at is None:  # MERGE's WHEN MATCHED THEN DELETE: rows that match, not all
        return []
    name = read_name(seg, skip(seg, at + 1, "ONLY"))[0]
    return [Loss(ctx.statement, DELETE_ALL, name or "?")]


def _alter(seg: list[Word], ctx: Context) -> list[Loss]:
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


def _alter_action(table: str, a: list[Word], ctx: Context) -> list[Loss]:
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
        ctx.types.append(TypeChange(ctx.statement, key, tuple(c.lower() for c in columns), typ))
    return []


def _do(seg: list[Word], ctx: Context) -> list[Loss]:
    found = []
    for w in seg[1:]:
        if w.kind == "string":
            found.extend(ctx.scan(words(w.text), ctx.body()))
    return found


def _execute(seg: list[Word], ctx: Context) -> list[Loss]:
    if not ctx.in_body:
        return []  # EXECUTE of a prepared statement: read where it was prepared
    end = min(i for i in (find_top(seg, "INTO"), find_top(seg, "USING"), len(seg)) if i)
    return _dynamic(strings_joined(seg[1:end], RUNTIME_NAME), ctx, "EXECUTE")


def _prepare(seg: list[Word], ctx: Context) -> list[Loss]:
    at = find_top(seg, "FROM")
    if at is None or at + 1 >= len(seg):
        return []  # PostgreSQL's PREPARE name AS statement: read by the scan
    source = seg[at + 1 :]
    if source[0].kind == "string":
        text: str | None = source[0].text
    else:
        text = ctx.variables.get("".join(w.text for w in source[:2]).lower())
    return _dynamic(text, ctx, "PREPARE")


def _set(seg: list[Word], ctx: Context) -> list[Loss]:
    if len(seg) > 3 and seg[1].text == "@" and seg[3].text in ("=", ":="):
        ctx.variables["@" + seg[2].text.lower()] = strings_joined(seg[4:], RUNTIME_NAME)
    return []


def _dynamic(text: str | None, ctx: Context, verb: str) -> list[Loss]:
    if text is None:
        return [Loss(ctx.statement, DYNAMIC, verb)]
    return ctx.scan(words(text), replace(ctx, in_body=False))


def _create(seg: list[Word], ctx: Context) -> list[Loss]:
    i = skip(seg, 1, "OR REPLACE", "OR ALTER")
    if i < len(seg) and seg[i].up.startswith("DEFINER"):
        i = next((j for j in range(i, len(seg)) if seg[j].up in ("PROCEDURE", "FUNCTION")), i)
    if i < len(seg) and seg[i].up in ("PROCEDURE", "FUNCTION"):
        name = read_name(seg, skip(seg, i + 1, "IF NOT EXISTS"))[0]
        if name:
            ctx.procedures.add(name.lower())
    return []


def _call(seg: list[Word], ctx: Context) -> list[Loss]:
    name = read_name(seg, 1)[0] or "?"
    return [] if name.lower() in ctx.procedures else [Loss(ctx.statement, CALL, name)]


READERS: dict[str, Callable[[list[Word], Context], list[Loss]]] = {
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


def type_loss(table: str, columns: tuple[str, ...], new: str, old: str | None) -> Loss | None:
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
