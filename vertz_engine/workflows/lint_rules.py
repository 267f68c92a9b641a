"""The lint rules: what each protects a live database (or the running old version of the
app) against, the safe alternative, and its squawk / strong_migrations equivalent.

Findings come from a plan's changes where the file is as ``migrate dev`` generated it
(:func:`plan_findings`), and from the statements' words for hand-written files
(:func:`sql_findings`). Both only look at tables that existed before the file: a table
created in the same file has no rows and no readers yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from vertz_engine.dialects import Traits, traits
from vertz_engine.files.sqlwords import Word, find_top, read_name, skip, words
from vertz_engine.plan.model import Plan


def _servers(db: Traits) -> bool:
    return db.serves_concurrent_sessions


def _concurrent_index(db: Traits) -> bool:
    return db.concurrent_indexes


def _every(_db: Traits) -> bool:
    return True


SERVERS, POSTGRESQL, EVERY = _servers, _concurrent_index, _every


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    protects: str  # what goes wrong without the safe form
    instead: str  # the safe alternative
    squawk: str  # the equivalent rule ("" where there is none)
    strong_migrations: str
    applies: Callable[[Traits], bool]  # to a database


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "VZ101",
            "index created without CONCURRENTLY on an existing table",
            "CREATE INDEX blocks every write to the table until the index is built",
            "CREATE INDEX CONCURRENTLY in a file marked -- vertz:no-transaction",
            "require-concurrent-index-creation",
            "add_index (non-concurrently)",
            POSTGRESQL,
        ),
        Rule(
            "VZ102",
            "foreign key added without NOT VALID on an existing table",
            "validating every row blocks writes to both tables (MySQL/MariaDB copy the table)",
            "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
            "adding-foreign-key-constraint",
            "add_foreign_key",
            SERVERS,
        ),
        Rule(
            "VZ103",
            "CHECK added without NOT VALID on an existing table",
            "checking every row blocks reads and writes (MySQL/MariaDB copy the table)",
            "ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT later",
            "constraint-missing-not-valid",
            "add_check_constraint",
            SERVERS,
        ),
        Rule(
            "VZ104",
            "UNIQUE constraint added on an existing table",
            "building the unique index blocks reads and writes for the whole build",
            "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX",
            "disallowed-unique-constraint",
            "add_unique_constraint",
            SERVERS,
        ),
        Rule(
            "VZ105",
            "SET NOT NULL on an existing column",
            "a full scan under an exclusive lock (MySQL/MariaDB rebuild the table)",
            "ADD CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, SET NOT NULL, drop the check",
            "adding-not-nullable-field",
            "change_column_null",
            SERVERS,
        ),
        Rule(
            "VZ106",
            "column added with a volatile default on an existing table",
            "every row is rewritten under an exclusive lock (a volatile default is computed "
            "per row)",
            "add it nullable, set the default, backfill in batches, then the NOT NULL recipe",
            "adding-field-with-default",
            "add_column (volatile default)",
            SERVERS,
        ),
        Rule(
            "VZ107",
            "column type change that rewrites the table",
            "the table is rewritten (or copied) under an exclusive lock, e.g. int -> bigint",
            "expand/contract: a new column, backfill, switch the app, drop the old column",
            "changing-column-type",
            "change_column",
            SERVERS,
        ),
        Rule(
            "VZ108",
            "column renamed",
            "instances of the old app version still use the old name during a rolling deploy",
            "keep the database name (mapped_column('old_name')), or expand/contract",
            "renaming-column",
            "rename_column",
            EVERY,
        ),
        Rule(
            "VZ109",
            "column dropped",
            "instances of the old app version still select the column during a rolling deploy",
            "deploy code that no longer maps the column first, drop it in a later release",
            "ban-drop-column",
            "remove_column",
            EVERY,
        ),
        Rule(
            "VZ110",
            "table renamed",
            "instances of the old app version still use the old name during a rolling deploy",
            "keep the table name (__tablename__), or create a view under the old name",
            "renaming-table",
            "rename_table",
            EVERY,
        ),
        Rule(
            "VZ111",
            "table dropped",
            "instances of the old app version still use the table during a rolling deploy",
            "deploy code that no longer uses the table first, drop it in a later release",
            "ban-drop-table",
            "drop_table",
            EVERY,
        ),
    )
}


@dataclass(frozen=True)
class Hit:
    """A rule one change or statement breaks."""

    rule: str
    table: str
    column: str | None
    what: str  # the change, for people


_VOLATILE = re.compile(
    r"\b(gen_random_uuid|uuid_generate_v[14]|uuid|random|rand|clock_timestamp|timeofday|"
    r"nextval|sys_guid|newid)\s*\(",
    re.I,
)


def volatile(default: object) -> bool:
    return bool(default) and _VOLATILE.search(str(default)) is not None


def _rewrites(old: object, new: object) -> bool:
    """Whether changing a column's type from ``old`` to ``new`` rewrites the table: not for
    a longer (or unbounded) string or a wider numeric of the same scale."""
    if isinstance(old, sa.String) and isinstance(new, sa.String):
        return not (new.length is None or (old.length is not None and new.length >= old.length))
    if isinstance(old, sa.Numeric) and isinstance(new, sa.Numeric):
        if type(old) is type(new) and old.scale == new.scale:
            return (new.precision or 0) < (old.precision or 0)
    return True


def _for(rule: str, db: Traits) -> bool:
    return RULES[rule].applies(db)


def plan_findings(plan: Plan) -> list[Hit]:
    """The rules the changes of ``plan`` break (tables created by the plan are left out)."""
    db = traits(plan.new["dialect"])
    existing = set(plan.old["tables"])
    out: list[Hit] = []
    for c in plan.changes():
        if c.table not in existing:
            continue
        rule = _change_rule(c.kind, c.op)
        if rule is not None and _for(rule, db):
            out.append(Hit(rule, c.table, c.column, c.describe()))
    return out


_BY_KIND = {
    "add_index": "VZ101",
    "add_foreign_key": "VZ102",
    "add_check": "VZ103",
    "add_unique": "VZ104",
    "rename_column": "VZ108",
    "drop_column": "VZ109",
    "rename_table": "VZ110",
    "drop_table": "VZ111",
}


def _change_rule(kind: str, op: object) -> str | None:
    if kind in _BY_KIND:
        return _BY_KIND[kind]
    if kind == "alter_column":
        if getattr(op, "modify_nullable", None) is False and getattr(op, "existing_nullable", None):
            return "VZ105"
        new_type = getattr(op, "modify_type", None)
        if new_type is not None and _rewrites(getattr(op, "existing_type", None), new_type):
            return "VZ107"
    if kind == "add_column":
        default = getattr(getattr(getattr(op, "column", None), "server_default", None), "arg", "")
        if volatile(getattr(default, "text", default)):
            return "VZ106"
    return None


# -- hand-written SQL -------------------------------------------------------------------------


def sql_findings(statements: list[str], dialect: str) -> list[Hit]:
    """The rules hand-written ``statements`` break, read from their words."""
    db = traits(dialect)
    created: set[str] = set()
    proven: set[tuple[str, str | None]] = set()  # columns a NOT VALID IS NOT NULL check covers
    out: list[Hit] = []
    for statement in statements:
        ws = words(statement)
        ups = [w.up for w in ws]
        what = " ".join(statement.split())[:120]
        if m := _NOT_NULL_CHECK.match(what):
            proven.add((_last(_unquoted(m.group(1))), _last(_unquoted(m.group(2)))))
        for rule, table, column in _statement_rules(ws, ups, created):
            if rule == "VZ105" and (table, column) in proven:
                continue  # SET NOT NULL after the check was validated: no scan
            if _for(rule, db):
                out.append(Hit(rule, table, column, what))
    return out


# the first statement of the safe SET NOT NULL (see plan.safe_forms): a check that, once
# validated (without blocking writes), proves the column has no NULL
_NOT_NULL_CHECK = re.compile(
    r"ALTER TABLE (\S+) ADD CONSTRAINT \S+ CHECK \((\S+) IS NOT NULL\) NOT VALID", re.I
)


def _unquoted(name: str) -> str:
    return name.replace('"', "").replace("`", "")


def _last(name: str | None) -> str:
    return (name or "").split(".")[-1].lower()


def _statement_rules(
    ws: list[Word], ups: list[str], created: set[str]
) -> list[tuple[str, str, str | None]]:
    if ups[:2] == ["CREATE", "TABLE"]:
        created.add(_last(read_name(ws, skip(ws, 2, "IF NOT EXISTS"))[0]))
        return []
    if ups[:1] == ["CREATE"] and "INDEX" in ups[:3]:
        on = ups.index("ON") if "ON" in ups else None
        table = _last(read_name(ws, skip(ws, on + 1, "ONLY"))[0]) if on is not None else ""
        if table in created or "CONCURRENTLY" in ups:
            return []
        return [("VZ101", table, None)]
    if ups[:2] == ["DROP", "TABLE"]:
        return [("VZ111", _last(read_name(ws, skip(ws, 2, "IF EXISTS"))[0]), None)]
    if ups[:2] != ["ALTER", "TABLE"]:
        return []
    name, i = read_name(ws, skip(ws, 2, "IF EXISTS", "ONLY"))
    table = _last(name)
    if table in created:
        return []
    return _alter_rules(ws[i:], [w.up for w in ws[i:]], table)


def _alter_rules(ws: list[Word], ups: list[str], table: str) -> list[tuple[str, str, str | None]]:
    out: list[tuple[str, str, str | None]] = []

    def column_after(keyword: str) -> str | None:
        if keyword not in ups:
            return None
        return _last(read_name(ws, skip(ws, ups.index(keyword) + 1, "COLUMN", "IF EXISTS"))[0])

    not_valid = any(ups[k : k + 2] == ["NOT", "VALID"] for k in range(len(ups)))
    if "RENAME" in ups:
        if ups[ups.index("RENAME") + 1 : ups.index("RENAME") + 2] == ["TO"]:
            out.append(("VZ110", table, None))
        else:
            out.append(("VZ108", table, column_after("RENAME")))
    if "DROP" in ups and ups[ups.index("DROP") + 1 : ups.index("DROP") + 2] == ["COLUMN"]:
        out.append(("VZ109", table, column_after("DROP")))
    if "ADD" in ups:
        if ("FOREIGN" in ups or "REFERENCES" in ups) and not not_valid:
            out.append(("VZ102", table, None))
        if find_top(ws, "CHECK") is not None and not not_valid:
            out.append(("VZ103", table, None))
        # USING INDEX: built concurrently before; LOCK=NONE: the server refuses to block
        if "UNIQUE" in ups and "USING" not in ups and not ("LOCK" in ups and "NONE" in ups):
            out.append(("VZ104", table, None))
        if "DEFAULT" in ups and volatile(" ".join(w.text for w in ws[ups.index("DEFAULT") :])):
            out.append(("VZ106", table, column_after("ADD")))
    if any(ups[k : k + 3] == ["SET", "NOT", "NULL"] for k in range(len(ups))):
        out.append(("VZ105", table, column_after("ALTER")))
    if "TYPE" in ups and "ALTER" in ups:
        out.append(("VZ107", table, column_after("ALTER")))
    return out
