"""Splitting migration files into statements, per dialect: statements assembled from pieces
(strings, identifiers, comments, bodies, keywords used as names) must come back exactly."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.oracle import expected, reflect
from vertz_engine.errors import MigrationFileError
from vertz_engine.files.sqlsplit import split

TRICKY = ["", ";", "C:\\", "\\", "a;b", "--", "/*", "*/", "$$", "#", "begin", "end;", "x\\;y"]


def pg_string(v: str) -> list[str]:
    """Spellings of ``v`` as a PostgreSQL literal: standard (backslash is a plain character)
    and E'...' (backslash escapes)."""
    esc = v.replace("\\", "\\\\")
    return [
        "'" + v.replace("'", "''") + "'",
        "E'" + esc.replace("'", "\\'") + "'",
        "e'" + esc.replace("'", "''") + "'",
    ]


def mysql_string(v: str) -> list[str]:
    esc = v.replace("\\", "\\\\")
    return [
        "'" + esc.replace("'", "\\'") + "'",
        "'" + esc.replace("'", "''") + "'",
        '"' + esc.replace('"', '\\"') + '"',
        '"' + esc.replace('"', '""') + '"',
    ]


def sqlite_string(v: str) -> list[str]:
    return ["'" + v.replace("'", "''") + "'"]


VALUES = [v + q for v in TRICKY for q in ("", "'")] + ['"', 'a"b']
LITERALS: dict[str, list[str]] = {
    "postgresql": [s for v in VALUES for s in pg_string(v)],
    "mysql": [s for v in VALUES for s in mysql_string(v)],
    "sqlite": [s for v in VALUES for s in sqlite_string(v)],
}
NAMES = {  # a column's name: quoted with tricky contents, or an unquoted keyword
    "postgresql": ['"a;b"', '"x""y;"', '"case"', '"end"', "begin", '"--"'],
    "mysql": ["`a;b`", "`x``y;`", "`case`", "`if`", "begin", "end", "`#`"],
    "sqlite": ['"a;b"', "[x;y]", "`c;d`", '"case"', "begin", "end", '"x""y"'],
}
COMMENTS = {
    "postgresql": ["-- a; b\n", "/* a; b */", "/* a /* nested; */ b; */", "--'\n"],
    "mysql": ["-- a; b\n", "/* a; b */", "# a; 'b\n", "/* ' */", "--\t;\n"],
    "sqlite": ["-- a; b\n", "/* a; b */", "/* ' */", "--\n"],
}
# {n} a name, {s} a literal, {c} a comment; each template is one statement
TEMPLATES = [
    "ALTER TABLE t ADD COLUMN {n} VARCHAR(20) DEFAULT {s}",
    "INSERT INTO t ({n}) VALUES ({s}){c}",
    "CREATE TABLE {n} (begin INTEGER, {n} VARCHAR(9) DEFAULT {s} NOT NULL)",
    "UPDATE t SET begin = 1, {n} = {s} WHERE {c} {n} <> {s}",
    "SELECT CASE WHEN {n} = {s} THEN 1 ELSE 0 END FROM t",
]
BODIES = {
    "postgresql": [
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $b$ BEGIN NEW.x := {s}; "
        "RETURN NEW; END; $b$",
        "CREATE OR REPLACE FUNCTION f() RETURNS text AS $fn$ SELECT '$$;'; $fn$ LANGUAGE sql",
        "CREATE FUNCTION g(begin int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT {s}; "
        "SELECT CASE WHEN begin > 0 THEN 1 END; END",
        "DO $do$ BEGIN PERFORM {s}; END $do$",  # (a $$ body ends at the first $$)
    ],
    "mysql": [
        "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN IF NEW.begin IS NULL THEN "
        "SET NEW.begin = 1; ELSEIF NEW.end = 2 THEN SET NEW.x = {s}; END IF; END",
        "CREATE DEFINER=`root`@`%` PROCEDURE p(IN begin INT) BEGIN DECLARE x INT; "
        "CASE begin WHEN 1 THEN SELECT {s}; ELSE BEGIN SELECT 2; END; END CASE; "
        "lbl: LOOP LEAVE lbl; END LOOP lbl; WHILE x < 2 DO SET x = x + 1; END WHILE; "
        "REPEAT SET x = IF(x > 1, 0, 1); UNTIL x END REPEAT; END",
        "CREATE FUNCTION fn(x INT) RETURNS INT DETERMINISTIC BEGIN RETURN CASE WHEN x THEN "
        "1 END; END",
        "CREATE TRIGGER tr2 AFTER UPDATE ON t FOR EACH ROW SET @end = {s}",
        "CREATE TRIGGER tr3 BEFORE UPDATE ON t FOR EACH ROW SET NEW.x = CASE WHEN NEW.begin "
        "THEN {s} ELSE 'z' END",
        "CREATE PROCEDURE q() COMMENT 'x;' BEGIN DECLARE CONTINUE HANDLER FOR SQLEXCEPTION "
        "BEGIN SELECT {s}; END; IF NOT EXISTS (SELECT 1 FROM t WHERE begin) THEN SELECT 1; "
        "END IF; END",
        "/*!40101 SET NAMES utf8mb4 */",  # MySQL runs it: a statement, not a comment
        "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t WHERE begin < 1; END",
        "BEGIN NOT ATOMIC DECLARE x INT; IF x IS NULL THEN SELECT {s}; END IF; END",
    ],
    "sqlite": [
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET begin = {s}; "
        "DELETE FROM u WHERE end = 1; END",
        "CREATE TEMP TRIGGER IF NOT EXISTS tr BEFORE DELETE ON t BEGIN SELECT CASE WHEN "
        "1 THEN RAISE(ABORT, {s}) END; END",
    ],
}
SEPARATORS = ["\n", "\n\n", " ", "\n-- next; one\n", "\n/* ; */\n"]


def statements(dialect: str) -> st.SearchStrategy[str]:
    def fill(template: str, n: str, s: str, c: str) -> str:
        return template.format(n=n, s=s, c=c if c.endswith("\n") or not c else c + " ") + ";"

    return st.builds(
        fill,
        st.sampled_from(TEMPLATES + BODIES[dialect]),
        st.sampled_from(NAMES[dialect]),
        st.sampled_from(LITERALS[dialect]),
        st.sampled_from(["", *COMMENTS[dialect]]),
    )


def assemble(pieces: list[str], seps: list[str], trailing: str) -> tuple[str, list[str]]:
    text = "".join(sep + p for sep, p in zip(seps, pieces, strict=False)) + trailing
    want = [(sep + p).strip() for sep, p in zip(seps, pieces, strict=False)]
    return text, want


def files(dialect: str) -> st.SearchStrategy[tuple[str, list[str]]]:
    return st.integers(1, 5).flatmap(
        lambda k: st.builds(
            assemble,
            st.lists(statements(dialect), min_size=k, max_size=k),
            st.lists(st.sampled_from(SEPARATORS), min_size=k, max_size=k),
            st.sampled_from(["", "\n", "\n-- the end; really\n", "\n/* done; */"]),
        )
    )


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_split_returns_the_pieces_a_file_was_built_from(dialect: str) -> None:
    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(files(dialect))
    def check(built: tuple[str, list[str]]) -> None:
        text, want = built
        assert split(text, dialect=dialect) == want

    check()


@settings(max_examples=400, deadline=None, derandomize=True)
@given(files("sqlite"))
def test_sqlite_itself_agrees_where_each_statement_ends(built: tuple[str, list[str]]) -> None:
    """``sqlite3_complete`` (SQLite's own tokenizer): each piece is complete, and no text
    cut at an earlier ``;`` of it is."""
    text, _ = built
    for statement in split(text, dialect="sqlite"):
        assert sqlite3.complete_statement(statement)
        cuts = [i for i, ch in enumerate(statement[:-1]) if ch == ";"]
        assert not any(sqlite3.complete_statement(statement[: i + 1]) for i in cuts)


def test_the_dialect_decides_what_a_backslash_does() -> None:
    text = "INSERT INTO t VALUES ('C:\\');\nINSERT INTO t VALUES ('x;y');\n"
    assert (
        split(text, dialect="postgresql")
        == split(text, dialect="sqlite")
        == [
            "INSERT INTO t VALUES ('C:\\');",
            "INSERT INTO t VALUES ('x;y');",
        ]
    )
    # MySQL reads \' as a quote: the string runs on to the next quote, as the server reads it
    assert (
        split(text, dialect="mysql")
        == split(text, dialect="mariadb")
        == [
            "INSERT INTO t VALUES ('C:\\');\nINSERT INTO t VALUES ('x;",
            "y');",
        ]
    )
    mysql_text = text.replace("\\", "\\\\")  # MySQL's own spelling: 'C:\\'
    assert split(mysql_text, dialect="mysql") == mysql_text.strip().split("\n")


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite", None])
def test_keywords_as_names_open_no_block(dialect: str | None) -> None:
    text = (
        "ALTER TABLE t ADD COLUMN begin INTEGER;\n"
        "CREATE TABLE begin (id INTEGER, begin INTEGER);\n"
        "UPDATE t SET begin = 1;\n"
        "CREATE INDEX ix_begin ON t (begin);\n"
    )
    assert split(text, dialect=dialect) == text.strip().split("\n")


def test_mysql_dashes_need_a_space_and_hash_comments() -> None:
    text = "SELECT 1--1;\nSELECT 2;# x; y\n-- z; w\nSELECT 3"
    assert split(text, dialect="mysql") == [
        "SELECT 1--1;",
        "SELECT 2;",
        "# x; y\n-- z; w\nSELECT 3",
    ]


def test_delimiter_is_refused_on_mysql_with_the_line() -> None:
    text = "SELECT 1;\nDELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\n"
    with pytest.raises(MigrationFileError) as err:
        split(text, dialect="mysql")
    assert str(err.value) == (
        "line 2: DELIMITER is a command of the mysql client, not SQL; remove the DELIMITER "
        "lines and end each statement with ';' (BEGIN ... END bodies are recognised without it)"
    )


def test_unterminated_pieces_run_to_the_end() -> None:
    assert split("SELECT 1; SELECT 'a;b", dialect="sqlite") == ["SELECT 1;", "SELECT 'a;b"]
    assert split("SELECT 1; /* a; b", dialect="postgresql") == ["SELECT 1;"]
    assert split("SELECT $x$ a; b", dialect="postgresql") == ["SELECT $x$ a; b"]
    assert split(";;\n-- only a comment;\n", dialect="sqlite") == []


def test_generated_style_sql_splits_as_sqlparse_does() -> None:
    """sqlparse's splitter (a full tokenizer) and ours agree where sqlparse reads the dialect
    right: no backslashes, no keywords as names, comments on their own lines."""
    from sqlparse import tokens as T
    from sqlparse.engine import FilterStack

    def sqlparse_split(sql: str) -> list[str]:
        out = []
        for stmt in FilterStack().run(sql):  # type: ignore[no-untyped-call]
            toks = [t for t in stmt.flatten() if not (t.ttype is T.Punctuation and t.value == ";")]
            if any(t.ttype not in T.Whitespace and t.ttype not in T.Comment for t in toks):
                out.append(str(stmt).strip())
        return out

    word = st.sampled_from(
        [
            "ALTER",
            "TABLE",
            "t",
            "ADD",
            "COLUMN",
            "c",
            "INTEGER",
            "DROP",
            "x",
            "(a, b)",
            ",",
            "DEFAULT",
            "'it''s; fine'",
            "'--'",
            '"odd;name"',
            "'/* ; */'",
            "$$ ; $$",
        ]
    )
    statement = st.lists(word, min_size=1, max_size=8).map(" ".join)
    comment = st.sampled_from(
        ["", "-- note\n", "-- vertz:destructive drop column t.c\n", "/* a; b */\n"]
    )
    text = st.lists(st.tuples(comment, statement), min_size=1, max_size=5).map(
        lambda items: "\n\n".join(c + s + ";" for c, s in items) + "\n"
    )

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(
        st.one_of(text, st.text(alphabet="();,' \n-ab", max_size=40)),
        st.sampled_from(["postgresql", "sqlite"]),
    )
    def check(sql: str, dialect: str) -> None:
        if "$$" in sql and dialect == "sqlite" or sql.count("'") % 2:
            return  # (sqlparse reads an unterminated string differently)
        depth = 0  # sqlparse keeps a ";" inside parentheses (invalid SQL) in the statement
        for ch in sql:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth and ch == ";":
                return
        assert split(sql, dialect=dialect) == sqlparse_split(sql)

    check()


# -- end to end: a file with 'C:\' and a column named begin, through the CLI --------------------


def _models(db: SQLAlchemy) -> None:
    class Item(db.Model):  # type: ignore[name-defined]
        __tablename__ = "items"
        id = sa.Column(sa.Integer, primary_key=True)
        path = sa.Column(sa.String(20), nullable=False, server_default="C:\\")
        begin = sa.Column(sa.Integer, nullable=True)
        note = sa.Column(sa.String(20), nullable=False, server_default="a;b")

    class After(db.Model):  # type: ignore[name-defined]
        __tablename__ = "after_items"
        id = sa.Column(sa.Integer, primary_key=True)
        end = sa.Column(sa.String(20), nullable=False, server_default="--")


def test_backslash_default_and_begin_column_deploy(
    make_app_on: Callable[[str], object],
    fresh_url: Callable[[], str],
    dialect_kind: str,
    tmp_path: Path,
) -> None:
    factory = make_app_on(fresh_url())
    backslash = "\\\\" if dialect_kind == "mysql" else "\\"  # how each database spells \\
    dev = factory(_models, VERTZ_ENV="development", VERTZ_AUTO_APPLY=False)  # type: ignore[operator]
    r = dev.test_cli_runner().invoke(args=["vertz-db", "migrate", "dev", "--name", "init"])
    assert r.exit_code == 0, r.output
    # a hand-written file after it: data statements with the same traps
    (tmp_path / "migrations" / "0002_data.sql").write_text(
        "-- Migration: 0002_data\n-- Created: x\n-- Checksum: sha256:0\n\n"
        "INSERT INTO items (begin) VALUES (1);\n"
        f"INSERT INTO items (path, begin) VALUES ('D:{backslash}', 2);\n"
        "INSERT INTO after_items (id) VALUES (7);\n\n-- @rollback\nDELETE FROM items;\n"
    )
    r = dev.test_cli_runner().invoke(args=["vertz-db", "migrate", "sign", "0002"])
    assert r.exit_code == 0, r.output

    other = make_app_on(fresh_url())
    prod = other(_models, VERTZ_ENV="production")  # type: ignore[operator]
    st_json = json.loads(
        prod.test_cli_runner().invoke(args=["vertz-db", "status", "--json"]).output
    )
    assert [p["statements"] for p in st_json["pending"]][1] == 3
    r = prod.test_cli_runner().invoke(args=["vertz-db", "migrate", "deploy"])
    assert r.exit_code == 0, r.output
    engine = other.engine(prod)  # type: ignore[attr-defined]
    assert reflect(engine) == expected(_models, fresh_url())
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT path, begin, note FROM items ORDER BY begin")).all()
        assert [tuple(r) for r in rows] == [("C:\\", 1, "a;b"), ("D:\\", 2, "a;b")]
        assert conn.execute(
            sa.text(
                'SELECT id, "end" FROM after_items'.replace(
                    '"', "`" if engine.dialect.name == "mysql" else '"'
                )
            )
        ).all() == [(7, "--")]


BODY_FILES = {
    "sqlite": [
        'CREATE TABLE audit (id INTEGER PRIMARY KEY, begin INTEGER, "end" TEXT)',
        "CREATE TRIGGER audit_ins AFTER INSERT ON audit BEGIN\n"
        "  UPDATE audit SET \"end\" = 'x;y' WHERE id = NEW.id;\n"
        "  UPDATE audit SET begin = CASE WHEN NEW.begin > 0 THEN NEW.begin * 2 END"
        " WHERE id = NEW.id;\nEND",
        "INSERT INTO audit (begin) VALUES (1)",
    ],
    "postgres": [
        'CREATE TABLE audit (id SERIAL PRIMARY KEY, begin INTEGER, "end" TEXT)',
        "CREATE FUNCTION audit_fn() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n"
        "  NEW.\"end\" := 'x;y'; RETURN NEW;\nEND; $fn$",
        "CREATE TRIGGER audit_ins BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION audit_fn()",
        "CREATE FUNCTION twice(begin int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n"
        "  SELECT CASE WHEN begin > 0 THEN begin * 2 END;\nEND",
        "INSERT INTO audit (begin) VALUES (twice(1))",
    ],
    "mysql": [
        "CREATE TABLE audit (id INTEGER AUTO_INCREMENT PRIMARY KEY, begin INTEGER, "
        "`end` VARCHAR(20))",
        "CREATE TRIGGER audit_ins BEFORE INSERT ON audit FOR EACH ROW BEGIN\n"
        "  IF NEW.begin > 0 THEN SET NEW.`end` = 'x;y';\n  ELSE SET NEW.`end` = 'C:\\\\';\n"
        "  END IF;\nEND",
        "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC BEGIN\n"
        "  RETURN CASE WHEN x > 0 THEN x * 2 END;\nEND",
        "INSERT INTO audit (begin) VALUES (twice(1))",
    ],
}


def test_trigger_and_routine_bodies_deploy(
    make_app_on: Callable[[str], object],
    fresh_url: Callable[[], str],
    dialect_kind: str,
    tmp_path: Path,
) -> None:
    """Hand-written bodies with ``;`` inside, a column named ``begin``: each is one statement
    to the server, and they work."""
    from vertz_engine.files import migration_file

    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_bodies.sql").write_text(
        migration_file.render("0001_bodies", BODY_FILES[dialect_kind], ["DROP TABLE audit"])
    )
    factory = make_app_on(fresh_url())
    prod = factory(_models, VERTZ_ENV="production")  # type: ignore[operator]
    r = prod.test_cli_runner().invoke(args=["vertz-db", "migrate", "deploy"])
    assert r.exit_code == 0, r.output
    engine = factory.engine(prod)  # type: ignore[attr-defined]
    end = "`end`" if dialect_kind == "mysql" else '"end"'
    with engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT begin, {end} FROM audit")).all() == [(2, "x;y")]


def test_hash_comments_are_not_split_on_semicolons() -> None:
    assert split("# add a column; see ticket 12\nALTER TABLE t ADD COLUMN a INT;\n") == [
        "# add a column; see ticket 12\nALTER TABLE t ADD COLUMN a INT;"
    ]
