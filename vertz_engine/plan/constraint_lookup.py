"""SQL that acts on a constraint the database named, finding its real name in the catalog at
apply time by its definition (kind, columns, referred table and columns, check expression).

When not exactly one constraint matches, the statement fails with a clear message and
nothing is dropped: a guessed name could drop the wrong constraint.

PostgreSQL: one ``DO`` block reading ``pg_constraint``. MySQL / MariaDB: a statement built
from ``information_schema`` into a user variable, then ``PREPARE`` / ``EXECUTE`` /
``DEALLOCATE`` (plain statements, so any splitter carries them). No ``%`` and no ``:name``
appear in the SQL (drivers and ``text()`` would read them as parameters).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
import sqlparse
from alembic.operations import ops
from sqlparse import tokens as T

from vertz_engine.dialects import MYSQL, POSTGRESQL, Traits, dialect_for
from vertz_engine.plan.model import ConstraintKind
from vertz_engine.plan.sqltext import literal as _lit
from vertz_engine.plan.sqltext import quote
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.constraint_names import pg_default_name

_KIND_WORDS: dict[ConstraintKind, str] = {
    "unique": "unique constraint",
    "foreign_key": "foreign key",
    "check": "check",
}


def _pg_table(table: str) -> str:
    schema, _, name = table.rpartition(".")
    quoted = quote(POSTGRESQL, name)
    return f"{quote(POSTGRESQL, schema)}.{quoted}" if schema else quoted


def _backslashes(value: str, db: Traits) -> str:
    """Where a backslash in a string is an escape (MySQL), double it."""
    return value.replace("\\", "\\\\") if db.backslash_escapes else value


def check_columns(sqltext: str, columns: list[str]) -> list[str]:
    """The columns of a table that a CHECK expression names, sorted (by code point)."""
    wanted = {c.lower(): c for c in columns}
    found: set[str] = set()
    tokens = sqlparse.parse(sqltext)[0].flatten() if sqltext.strip() else []  # type: ignore[no-untyped-call]
    for tok in tokens:
        if tok.ttype in T.Name or tok.ttype in T.Keyword or tok.ttype is T.Literal.String.Symbol:
            word = tok.value
            if word[:1] in ('"', "`") and word[-1:] == word[:1]:
                word = word[1:-1].replace(word[0] * 2, word[0])
                if word in columns:
                    found.add(word)
                continue
            if word.lower() in wanted:
                found.add(wanted[word.lower()])
    return sorted(found)


def normalized_check(sqltext: str, table: str | None = None) -> str:
    """A CHECK expression without quotes of identifiers, blanks, parentheses, case and
    ``table.`` before its columns: the form both sides are compared in (the catalog rewrites
    spacing and parentheses, and never qualifies a column)."""
    out = sqltext.lower()
    if table:
        name = re.escape(table.rpartition(".")[2].lower())
        out = re.sub(rf'(?<![\w$"`])(?:"{name}"|`{name}`|{name})\.', "", out)
    for ch in ('"', "`", "(", ")", " ", "\t", "\n", "\r"):
        out = out.replace(ch, "")
    return out


def describe(kind: ConstraintKind, table: str, item: dict[str, Any]) -> str:
    if kind == "check":
        text = " ".join(item["sqltext"].split())
        return f"check ({text[:40]}) on {table}"
    what = f"{_KIND_WORDS[kind]} on {table} ({', '.join(item['columns'])})"
    if kind == "foreign_key":
        what += f" -> {item['referred_table']} ({', '.join(item['referred_columns'])})"
    return what


def _known_names(data: dict[str, Any]) -> list[str]:
    """The names the models give other constraints and indexes of the table: never a match."""
    names = {
        i["name"]
        for key in ("indexes", "unique_constraints", "foreign_keys", "check_constraints")
        for i in data.get(key, [])
        if i.get("name")
    }
    if data["primary_key"].get("name"):
        names.add(data["primary_key"]["name"])
    return sorted(names)


def drop(
    db: Traits, table: str, kind: ConstraintKind, item: dict[str, Any], data: dict[str, Any]
) -> list[ops.MigrateOperation]:
    """Statements that drop the unnamed constraint ``item`` of ``table`` (described by
    ``data``, its snapshot entry) under the name the database gave it."""
    if db.postgresql:
        return [ops.ExecuteSQLOp(_pg_drop(table, kind, item, data))]
    return [ops.ExecuteSQLOp(s) for s in _mysql_drop(db, table, kind, item, data)]


# -- PostgreSQL -------------------------------------------------------------------------------


def _pg_array(values: list[str]) -> str:
    return (
        "ARRAY[" + ", ".join(_lit(v) for v in values) + "]::text[]"
        if values
        else ("ARRAY[]::text[]")
    )


def _pg_keys(column: str, rel: str, ordered: bool) -> str:
    order = "k.n" if ordered else 'a.attname::text COLLATE "C"'
    return (
        f"COALESCE((SELECT array_agg(a.attname::text ORDER BY {order}) "
        f"FROM unnest(c.{column}) WITH ORDINALITY AS k(attnum, n) "
        f"JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum), ARRAY[]::text[])"
    )


def _pg_where(table: str, kind: ConstraintKind, item: dict[str, Any], data: dict[str, Any]) -> str:
    rel = f"{_lit(_pg_table(table))}::regclass"
    conds = [f"c.conrelid = {rel}"]
    if kind == "unique":
        conds += [
            "c.contype = 'u'",
            f"{_pg_keys('conkey', 'c.conrelid', True)} = {_pg_array(item['columns'])}",
        ]
    elif kind == "foreign_key":
        ref = f"{_lit(_pg_table(item['referred_table']))}::regclass"
        conds += [
            "c.contype = 'f'",
            f"c.confrelid = {ref}",
            f"{_pg_keys('conkey', 'c.conrelid', True)} = {_pg_array(item['columns'])}",
            f"{_pg_keys('confkey', 'c.confrelid', True)} = {_pg_array(item['referred_columns'])}",
        ]
    else:
        cols = check_columns(item["sqltext"], [c["name"] for c in data["columns"]])
        conds += [
            "c.contype = 'c'",
            f"{_pg_keys('conkey', 'c.conrelid', False)} = {_pg_array(cols)}",
        ]
    known = _known_names(data)
    if known:
        conds.append(f"c.conname::text <> ALL ({_pg_array(known)})")
    return "\n  AND ".join(conds)


def _pg_found(where: str, extra: str = "", indent: str = "    ") -> str:
    text = (
        "SELECT array_agg(c.conname::text ORDER BY c.conname) INTO found\n"
        f"FROM pg_constraint c\nWHERE {where}{extra};\n"
    )
    return "".join(indent + line for line in text.splitlines(keepends=True))


def _pg_drop(table: str, kind: ConstraintKind, item: dict[str, Any], data: dict[str, Any]) -> str:
    where = _pg_where(table, kind, item, data)
    body = _pg_found(where)
    if kind == "check":
        # several checks on the same columns: the one whose expression matches
        norm = "check" + normalized_check(item["sqltext"], table)
        body += (
            "    IF COALESCE(array_length(found, 1), 0) > 1 THEN\n"
            + _pg_found(
                where,
                "\n  AND lower(regexp_replace(pg_get_constraintdef(c.oid), "
                f"'[[:space:]()\"]', '', 'g')) = {_lit(norm)}",
                " " * 8,
            )
            + "    END IF;\n"
        )
    message = f"flask-vertz: cannot tell which {describe(kind, table, item)} to drop: "
    return (
        "DO $$\nDECLARE\n    found text[];\nBEGIN\n"
        + body
        + "    IF COALESCE(array_length(found, 1), 0) <> 1 THEN\n"
        + f"        RAISE EXCEPTION USING MESSAGE = {_lit(message)} || "
        "COALESCE(array_length(found, 1), 0) || ' match; nothing dropped';\n"
        "    END IF;\n"
        f"    EXECUTE {_lit('ALTER TABLE ' + _pg_table(table) + ' DROP CONSTRAINT ')}"
        " || quote_ident(found[1]);\nEND\n$$"
    )


def pg_rename_for_table(
    old: str, new: str, kind: ConstraintKind, item: dict[str, Any], data: dict[str, Any]
) -> ops.ExecuteSQLOp:
    """After ``ALTER TABLE old RENAME TO new``: give the unnamed constraint ``item`` the name
    PostgreSQL would give it on ``new`` (as ``create_all`` names it), found by definition."""
    cols = check_columns(item.get("sqltext", ""), [c["name"] for c in data["columns"]])
    target = pg_default_name(new, kind, item, cols)
    where = _pg_where(new, kind, item, data)
    sql = (
        "DO $$\nDECLARE\n    found text[];\nBEGIN\n"
        + _pg_found(where)
        + "    IF COALESCE(array_length(found, 1), 0) = 1 AND found[1] <> "
        f"{_lit(target)} THEN\n"
        f"        EXECUTE {_lit('ALTER TABLE ' + _pg_table(new) + ' RENAME CONSTRAINT ')}"
        f" || quote_ident(found[1]) || ' TO ' || quote_ident({_lit(target)});\n"
        "    END IF;\nEND\n$$"
    )
    return ops.ExecuteSQLOp(sql)


# -- MySQL / MariaDB --------------------------------------------------------------------------


def _my_list(db: Traits, values: list[str]) -> str:
    return _lit(_backslashes(",".join(db.quote(v) for v in values), db))


def _my_concat(column: str, order: str) -> str:
    return (
        f"GROUP_CONCAT(CONCAT('`', REPLACE({column}, '`', '``'), '`') "
        f"ORDER BY {order} SEPARATOR ',')"
    )


def _my_not_known(db: Traits, column: str, data: dict[str, Any]) -> str:
    known = _known_names(data)
    if not known:
        return ""
    names = ", ".join(_lit(_backslashes(n, db)) for n in known)
    return f" AND {column} NOT IN ({names})"


def _mysql_candidates(
    db: Traits, table: str, kind: ConstraintKind, item: dict[str, Any], data: dict[str, Any]
) -> tuple[str, str]:
    """(a query of one column ``n``: the matching names, the ALTER TABLE clause)."""
    name = table.rpartition(".")[2]
    tlit = _lit(_backslashes(name, db))
    if kind == "unique":
        sql = (
            "SELECT s.INDEX_NAME AS n FROM information_schema.STATISTICS s "
            f"WHERE s.TABLE_SCHEMA = DATABASE() AND s.TABLE_NAME = {tlit} "
            "AND s.NON_UNIQUE = 0 AND s.INDEX_NAME <> 'PRIMARY'"
            + _my_not_known(db, "s.INDEX_NAME", data)
            + " GROUP BY s.INDEX_NAME "
            f"HAVING {_my_concat('s.COLUMN_NAME', 's.SEQ_IN_INDEX')} = "
            f"{_my_list(db, item['columns'])}"
        )
        return sql, "DROP INDEX"
    if kind == "foreign_key":
        ref = item["referred_table"].rpartition(".")[2]
        sql = (
            "SELECT k.CONSTRAINT_NAME AS n FROM information_schema.KEY_COLUMN_USAGE k "
            f"WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = {tlit} "
            f"AND k.REFERENCED_TABLE_NAME = {_lit(_backslashes(ref, db))}"
            + _my_not_known(db, "k.CONSTRAINT_NAME", data)
            + " GROUP BY k.CONSTRAINT_NAME "
            f"HAVING {_my_concat('k.COLUMN_NAME', 'k.ORDINAL_POSITION')} = "
            f"{_my_list(db, item['columns'])} "
            f"AND {_my_concat('k.REFERENCED_COLUMN_NAME', 'k.ORDINAL_POSITION')} = "
            f"{_my_list(db, item['referred_columns'])}"
        )
        return sql, "DROP FOREIGN KEY"
    # NATURAL JOIN: on schema and name (MySQL), and on the table too where the view has it
    # (MariaDB, whose check names repeat across tables)
    clause = "CHECK_CLAUSE"
    for ch in ("`", "(", ")", " ", "CHAR(9)", "CHAR(10)", "CHAR(13)"):
        clause = f"REPLACE({clause}, {ch if ch.startswith('CHAR') else _lit(ch)}, '')"
    sql = (
        "SELECT CONSTRAINT_NAME AS n FROM information_schema.TABLE_CONSTRAINTS "
        "NATURAL JOIN information_schema.CHECK_CONSTRAINTS "
        f"WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = {tlit} "
        f"AND CONSTRAINT_TYPE = 'CHECK' AND LOWER({clause}) = "
        f"{_lit(_backslashes(normalized_check(item['sqltext'], table), db))}"
        + _my_not_known(db, "CONSTRAINT_NAME", data)
    )
    return sql, "DROP CONSTRAINT"


def _mysql_prepared(
    db: Traits,
    table: str,
    found: str,
    clause: str,
    otherwise: str,
    column_level: tuple[str, str] | None = None,
) -> list[str]:
    """SET @vertz_sql from the names ``found`` (exactly one, else the statement ``otherwise``,
    a SQL string); run it. ``column_level``: the statement for a check MariaDB keeps on its
    column (named after the column, dropped only by redefining the column)."""
    prefix = f"ALTER TABLE {db.quote(table.rpartition('.')[2])} {clause} `"
    statement = f"CONCAT({_lit(_backslashes(prefix, db))}, REPLACE(MIN(found.n), '`', '``'), '`')"
    if column_level:
        statement = (
            f"IF(MIN(found.n) = {_lit(_backslashes(column_level[0], db))}, "
            f"{_lit(_backslashes(column_level[1], db))}, {statement})"
        )
    return [
        "SET @vertz_sql = (SELECT IF(COUNT(*) = 1, "
        f"{statement}, "
        f"{otherwise}) FROM ({found}) AS found)",
        "PREPARE vertz_stmt FROM @vertz_sql",
        "EXECUTE vertz_stmt",
        "DEALLOCATE PREPARE vertz_stmt",
    ]


def _mysql_drop(
    db: Traits, table: str, kind: ConstraintKind, item: dict[str, Any], data: dict[str, Any]
) -> list[str]:
    found, clause = _mysql_candidates(db, table, kind, item, data)
    message = f"flask-vertz: not exactly one {describe(kind, table, item)}; nothing dropped"
    signal = "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = " + _lit(
        message[:120].replace("'", "").replace("\\", "")
    )
    column_level = None
    if kind == "check" and item.get("column"):
        column_level = (item["column"], _mysql_redefine(db, table, item["column"], data))
    return _mysql_prepared(db, table, found, clause, _lit(signal), column_level)


def _mysql_redefine(db: Traits, table: str, column: str, data: dict[str, Any]) -> str:
    """``ALTER TABLE t MODIFY`` the column as the snapshot has it, without its checks."""
    from sqlalchemy.schema import CreateColumn

    d = dialect_for(MYSQL.name)
    bare = {"columns": data["columns"], "primary_key": data["primary_key"]}
    t = snap_mod.add_table(sa.MetaData(), table, bare)
    spec = str(CreateColumn(t.c[column]).compile(dialect=d)).strip()
    return f"ALTER TABLE {db.quote(table.rpartition('.')[2])} MODIFY {spec}"


def mysql_drop_fk_index(
    db: Traits, table: str, columns: list[str], data: dict[str, Any]
) -> list[ops.MigrateOperation]:
    """Drop the index MySQL made behind a dropped unnamed foreign key (a plain index on
    exactly its columns that the models do not name); nothing when there is none."""
    name = table.rpartition(".")[2]
    found = (
        "SELECT s.INDEX_NAME AS n FROM information_schema.STATISTICS s "
        f"WHERE s.TABLE_SCHEMA = DATABASE() AND s.TABLE_NAME = {_lit(_backslashes(name, db))} "
        "AND s.NON_UNIQUE = 1"
        + _my_not_known(db, "s.INDEX_NAME", data)
        + f" GROUP BY s.INDEX_NAME HAVING {_my_concat('s.COLUMN_NAME', 's.SEQ_IN_INDEX')} = "
        f"{_my_list(db, columns)}"
    )
    statements = _mysql_prepared(db, name, found, "DROP INDEX", "'DO 0'")
    return [ops.ExecuteSQLOp(s) for s in statements]
