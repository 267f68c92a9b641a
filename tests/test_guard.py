"""The production guard reads statements, not spellings: a generated corpus of spellings of
every destructive kind (comments anywhere, keyword casing, quoting and qualification, ONLY,
IF EXISTS, multi-clause ALTERs, DO / function bodies, dynamic SQL, CASCADE) and as many
harmless look-alikes, then the guard end to end through the CLI on every database."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import models
from tests.helpers import AppFactory, dev_app, run
from vertz_engine import losses
from vertz_engine.files import guard, migration_file

# -- the corpus ------------------------------------------------------------------------------

# (spelling of the table name, how the guard names it)
TABLES = [
    ("t", "t"),
    ('"t"', "t"),
    ("public.t", "public.t"),
    ('"public"."t"', "public.t"),
    ("`t`", "t"),
    ("[t]", "t"),
    ("public . t", "public.t"),
]
COLUMNS = [("v", "v"), ('"v"', "v"), ("`v`", "v")]
# what goes between two tokens
GAPS = [" ", " /* c */ ", " -- c\n ", "\n\t", "/*x*/", " /* DROP TABLE z; */ "]
LEADING = ["", "/* c */ ", "-- c\n", "-- DROP TABLE z\n"]
CASINGS: list[Callable[[str], str]] = [str.upper, str.lower, str.title]


def _destructive() -> Iterator[tuple[list[str], str, str]]:
    """(tokens, kind, target) of destructive statements; ``{T}``/``{C}`` are name slots."""
    for if_exists, cascade in itertools.product(["", "IF EXISTS"], ["", "CASCADE"]):
        yield ["DROP", "TABLE", if_exists, "{T}", cascade], losses.DROP_TABLE, "{t}"
        yield ["TRUNCATE", "TABLE" if cascade else "", "{T}", cascade], losses.TRUNCATE, "{t}"
        yield ["DROP", "SCHEMA", if_exists, "s", cascade], losses.DROP_SCHEMA, "s"
        yield ["DROP", "TYPE", if_exists, "x", "CASCADE"], losses.CASCADE, "x"
    alter_heads = [["ALTER", "TABLE"], ["ALTER", "TABLE", "ONLY"], ["ALTER", "TABLE", "IF EXISTS"]]
    before = [
        [],
        ["ADD", "COLUMN", "z", "int", ","],
        ["ALTER", "COLUMN", "y", "SET DEFAULT", "1", ","],
    ]
    after = [[], [",", "ADD", "COLUMN", "z", "int"], [",", "DROP", "CONSTRAINT", "c"]]
    drops = [["DROP", "COLUMN"], ["DROP"], ["DROP", "COLUMN", "IF EXISTS"], ["DROP", "IF EXISTS"]]
    for head, pre, drop, post in itertools.product(alter_heads, before, drops, after):
        yield [*head, "{T}", *pre, *drop, "{C}", *post], losses.DROP_COLUMN, "{t}.{c}"
    for head, pre in itertools.product(alter_heads, before):
        yield (
            [*head, "{T}", *pre, "ALTER", "COLUMN", "{C}", "TYPE", "varchar(10)"],
            losses.CHANGE_TYPE,
            "{tn}.{c}",
        )
        yield (
            [*head, "{T}", *pre, "MODIFY", "{C}", "int", "NOT NULL"],
            losses.CHANGE_TYPE,
            "{tn}.{c}",
        )
        yield [*head, "{T}", *pre, "CHANGE", "{C}", "w", "int"], losses.CHANGE_TYPE, "{tn}.w"
    yield ["DELETE", "FROM", "{T}"], losses.DELETE_ALL, "{t}"
    yield ["DELETE", "FROM", "ONLY", "{T}"], losses.DELETE_ALL, "{t}"
    yield ["ALTER", "TABLE", "{T}", "DROP", "PARTITION", "p1"], losses.DROP_PARTITION, "{t}"


def _harmless() -> Iterator[list[str]]:
    """Statements that look like the destructive ones and destroy nothing."""
    yield ["ALTER", "TABLE", "{T}", "ADD", "COLUMN", "drop_date", "date"]
    yield ["ALTER", "TABLE", "{T}", "ADD", "COLUMN", '"drop"', "int"]
    yield ["ALTER", "TABLE", "{T}", "ADD", "COLUMN", "z", "int", ",", "DROP", "CONSTRAINT", "c"]
    yield ["ALTER", "TABLE", "{T}", "DROP", "INDEX", "ix_drop", ",", "DROP", "FOREIGN KEY", "fk"]
    yield ["ALTER", "TABLE", "{T}", "ALTER", "COLUMN", "{C}", "DROP", "NOT NULL"]
    yield ["ALTER", "TABLE", "{T}", "ALTER", "COLUMN", "{C}", "DROP", "DEFAULT"]
    yield ["ALTER", "TABLE", "{T}", "DROP", "CONSTRAINT", "IF EXISTS", "drop_check", "CASCADE"]
    yield ["ALTER", "TABLE", "{T}", "RENAME", "COLUMN", "{C}", "TO", "drop_v"]
    yield ["INSERT", "INTO", "{T}", "(note)", "VALUES", "('DROP TABLE t')"]
    yield ["UPDATE", "{T}", "SET", "note", "=", "'ALTER TABLE t DROP COLUMN v'", "WHERE", "id = 1"]
    yield ["CREATE", "TABLE", "dropped", "(id int, drop_date date, truncated int)"]
    yield ["CREATE", "INDEX", "drop_idx", "ON", "{T}", "(drop_date)"]
    yield ["DELETE", "FROM", "{T}", "WHERE", "drop_date < '2020-01-01'"]
    yield ["DROP", "INDEX", "IF EXISTS", "ix_t_drop"]
    yield ["DROP", "VIEW", "dropped_rows"]
    yield ["DROP", "TYPE", "IF EXISTS", "x"]
    yield ["DROP", "SEQUENCE", "t_id_seq"]
    yield ["COMMENT", "ON", "TABLE", "{T}", "IS", "'DROP TABLE t'"]
    yield ["SELECT", "'TRUNCATE t'", "AS", "truncate_note"]


def _wrap(sql: str, how: int) -> str:
    """The statement as it is, inside a DO block, in dynamic SQL, or in a function body."""
    quoted = sql.replace("'", "''")
    return [
        sql,
        f"DO $$ BEGIN {sql}; END $$",
        f"DO $tag$ DECLARE n int; BEGIN IF true THEN {sql}; END IF; END $tag$ LANGUAGE plpgsql",
        f"DO $$ BEGIN EXECUTE '{quoted}'; END $$",
        f"CREATE FUNCTION f() RETURNS void AS $body$ BEGIN {sql}; END $body$ LANGUAGE plpgsql",
        f"DO '{quoted.replace(chr(10), ' ')}'" if "--" not in sql else f"DO $$ BEGIN {sql}; END $$",
    ][how]


WRAPS = 6


def _spell(tokens: list[str], variant: int, table: str, column: str) -> str:
    """Keywords (the all-capital tokens) cased, gaps and a leading comment chosen from the
    variant number so that every choice meets every position across the corpus."""
    case = CASINGS[variant % len(CASINGS)]
    words = [t for t in tokens if t]
    out = LEADING[variant % len(LEADING)]
    for i, tok in enumerate(words):
        text = case(tok) if tok.replace(" ", "").isalpha() and tok.isupper() else tok
        text = text.replace("{T}", table).replace("{C}", column)
        gap = GAPS[(variant + i) % len(GAPS)] if i else ""
        out += gap + text
    return out


def _corpus(templates: list[tuple[list[str], str, str]], size: int) -> list[tuple[str, str, str]]:
    rng = random.Random(9)
    out = []
    for n in range(size):
        tokens, kind, target = templates[n % len(templates)]
        table, t = TABLES[rng.randrange(len(TABLES))]
        column, c = COLUMNS[rng.randrange(len(COLUMNS))]
        sql = _wrap(_spell(tokens, rng.randrange(1000), table, column), rng.randrange(WRAPS))
        expected = target.format(t=t, tn=t.rsplit(".", 1)[-1], c=c)
        out.append((sql, kind, expected))
    return out


SIZE = 1500
DESTRUCTIVE = _corpus(list(_destructive()), SIZE)
HARMLESS = _corpus([(tokens, "", "") for tokens in _harmless()], SIZE)


def test_every_destructive_spelling_is_seen() -> None:
    missed = []
    for sql, kind, target in DESTRUCTIVE:
        found = guard.read([sql], "postgresql")
        if not any(f.kind == kind and f.target == target and f.statement == 1 for f in found):
            missed.append((sql, kind, target, found))
    assert missed == [], f"{len(missed)} of {len(DESTRUCTIVE)} missed, e.g. {missed[:3]}"


def test_no_harmless_look_alike_is_flagged() -> None:
    flagged = [(sql, found) for sql, _, _ in HARMLESS if (found := guard.read([sql], "postgresql"))]
    assert flagged == [], f"{len(flagged)} of {len(HARMLESS)} flagged, e.g. {flagged[:3]}"


def test_the_corpus_covers_every_choice() -> None:
    """The generator really produced each spelling feature (so the tests above mean it)."""
    text = "\n".join(sql for sql, _, _ in DESTRUCTIVE + HARMLESS)
    for feature in [
        "/* c */",
        "-- c\n",
        '"public"."t"',
        "`t`",
        "[t]",
        "only",
        "If Exists",
        "$tag$",
        "EXECUTE '",
        "$body$",
        "DO '",
        "cascade",
        "Drop",
    ]:
        assert feature in text, feature
    kinds = {kind for _, kind, _ in DESTRUCTIVE}
    assert len(kinds) == 8 and len(DESTRUCTIVE) == len(HARMLESS)


# -- what the corpus does not generate -----------------------------------------------------


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        # a column named like a keyword, quoted or qualified away
        (['ALTER TABLE t DROP COLUMN "table"'], [(losses.DROP_COLUMN, "t.table")]),
        (["ALTER TABLE t DROP user"], [(losses.DROP_COLUMN, "t.user")]),
        (['DROP TABLE a, "b", s.c'], [(losses.DROP_TABLE, n) for n in ("a", "b", "s.c")]),
        (["DROP DATABASE d"], [(losses.DROP_DATABASE, "d")]),
        (["DROP OWNED BY app_user"], [(losses.DROP_OTHER, "app_user")]),
        (["DROP TEMPORARY TABLE scratch"], []),
        (["TRUNCATE a, ONLY b RESTART IDENTITY"], [(losses.TRUNCATE, "a"), (losses.TRUNCATE, "b")]),
        (["ALTER TABLE t DROP SYSTEM VERSIONING"], [(losses.DROP_VERSIONING, "t")]),
        (
            ["WITH gone AS (DELETE FROM t RETURNING *) SELECT count(*) FROM gone"],
            [(losses.DELETE_ALL, "t")],
        ),
        # MySQL's catalog-driven SQL: the built statement is read
        (
            [
                "SET @s = (SELECT CONCAT('ALTER TABLE t DROP FOREIGN KEY ', constraint_name) "
                "FROM information_schema.table_constraints WHERE table_name = 't')",
                "PREPARE st FROM @s",
                "EXECUTE st",
                "DEALLOCATE PREPARE st",
            ],
            [],
        ),
        (
            [
                "SET @s = CONCAT('ALTER TABLE t DROP COLUMN ', @c)",
                "PREPARE st FROM @s",
                "EXECUTE st",
            ],
            [(losses.DROP_COLUMN, f"t.{losses.RUNTIME_NAME}")],
        ),
        (["PREPARE st FROM 'DROP TABLE t'"], [(losses.DROP_TABLE, "t")]),
        (["PREPARE st FROM @never_set"], [(losses.DYNAMIC, "PREPARE")]),
        # PostgreSQL's catalog-driven SQL: constraint drops are harmless, built drops are not
        (
            [
                "DO $$ DECLARE r record; BEGIN FOR r IN SELECT conname FROM pg_constraint LOOP "
                "EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', 't', r.conname); "
                "END LOOP; END $$"
            ],
            [],
        ),
        (
            ["DO $$ BEGIN EXECUTE 'DROP TABLE ' || quote_ident('t'); END $$"],
            [(losses.DROP_TABLE, losses.RUNTIME_NAME)],
        ),
        (["DO $$ DECLARE q text := 'x'; BEGIN EXECUTE q; END $$"], [(losses.DYNAMIC, "EXECUTE")]),
        # procedures: a body defined in the file is read, a call of an unknown one is not
        (["CREATE PROCEDURE p() BEGIN DELETE FROM t; END", "CALL p()"], [(losses.DELETE_ALL, "t")]),
        (["CALL cleanup()"], [(losses.CALL, "cleanup")]),
        # a trigger's body runs on later writes, not at deploy
        (["CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM log; END"], []),
        (["MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE"], []),
        (["FROBNICATE t"], [(losses.UNKNOWN, "FROBNICATE")]),
        (["VACUUM", "ANALYZE t", "PRAGMA foreign_keys=ON", "UPDATE t SET v = 0"], []),
    ],
)
def test_statements(statements: list[str], expected: list[tuple[str, str]]) -> None:
    assert [(f.kind, f.target) for f in guard.read(statements, "postgresql")] == expected


@pytest.mark.parametrize(
    ("up", "rollback", "expected"),
    [
        # the other section restates the old type: widening keeps every value
        (
            "ALTER TABLE t ALTER COLUMN c TYPE VARCHAR(100) USING c::VARCHAR(100)",
            "ALTER TABLE t ALTER COLUMN c TYPE VARCHAR(50) USING c::VARCHAR(50)",
            [],
        ),
        (
            "ALTER TABLE t ALTER COLUMN c TYPE VARCHAR(50)",
            "ALTER TABLE t ALTER COLUMN c TYPE VARCHAR(100)",
            [(losses.CHANGE_TYPE, "t.c", "from VARCHAR(100) to VARCHAR(50)")],
        ),
        (
            "ALTER TABLE t ALTER COLUMN c SET DATA TYPE NUMERIC(12, 2)",
            "ALTER TABLE t ALTER COLUMN c TYPE NUMERIC(10,2)",
            [],
        ),
        (
            "ALTER TABLE t ALTER COLUMN c TYPE NUMERIC(12,3)",
            "ALTER TABLE t ALTER COLUMN c TYPE NUMERIC(10,2)",
            [(losses.CHANGE_TYPE, "t.c", "from NUMERIC(10,2) to NUMERIC(12,3)")],
        ),
        (
            "ALTER TABLE t ALTER COLUMN c TYPE TEXT",
            "ALTER TABLE t ALTER COLUMN c TYPE INTEGER",
            [(losses.CHANGE_TYPE, "t.c", "from INTEGER to TEXT")],
        ),
        # MySQL restates the type for a nullability change: not a type change
        (
            "ALTER TABLE `t` MODIFY `c` VARCHAR(50) NULL",
            "ALTER TABLE t MODIFY c varchar(50) NOT NULL",
            [],
        ),
        (
            "ALTER TABLE t MODIFY c ENUM('a','b') NOT NULL",
            "ALTER TABLE t MODIFY c ENUM('a','b','c') NOT NULL",
            [(losses.DROP_ENUM_VALUE, "t.c", "'c'")],
        ),
        (
            "ALTER TABLE t MODIFY c ENUM('a','b','c') NULL",
            "ALTER TABLE t MODIFY c ENUM('a','b') NULL",
            [],
        ),
        (
            "ALTER TABLE t CHANGE a b VARCHAR(10)",
            "ALTER TABLE t CHANGE b a VARCHAR(20)",
            [(losses.CHANGE_TYPE, "t.b", "from VARCHAR(20) to VARCHAR(10)")],
        ),
        # a PostgreSQL enum swapped for a new type of the same name
        (
            'ALTER TABLE t ALTER COLUMN s TYPE "status" USING s::text::"status"',
            "ALTER TABLE t ALTER COLUMN s TYPE status USING s::text::status",
            [],
        ),
    ],
)
def test_type_changes_are_read_against_the_other_section(
    up: str, rollback: str, expected: list[tuple[str, str, str]]
) -> None:
    found = guard.read([up], "mysql", other=[rollback])
    assert [(f.kind, f.target, f.detail) for f in found] == expected


# -- the SQLite rebuild ----------------------------------------------------------------------

REBUILD = [
    "CREATE TABLE {q}_alembic_tmp_{name}{q} (id INTEGER NOT NULL, PRIMARY KEY (id))",
    "INSERT INTO {q}_alembic_tmp_{name}{q} (id) SELECT {q}{name}{q}.id FROM {q}{name}{q}",
    "DROP TABLE {q}{name}{q}",
    "ALTER TABLE {q}_alembic_tmp_{name}{q} RENAME TO {q}{name}{q}",
    "CREATE INDEX ix ON {q}{name}{q} (id)",
]


@pytest.mark.parametrize(
    ("name", "q"), [("todos", ""), ("UserAccounts", '"'), ("user accounts", '"')]
)
def test_the_rebuild_is_exempt_on_sqlite_only(name: str, q: str) -> None:
    statements = [s.format(name=name, q=q) for s in REBUILD]
    assert guard.read(statements, "sqlite") == []
    for dialect in ("postgresql", "mysql"):
        found = guard.read(statements, dialect)
        assert [(f.statement, f.kind, f.target) for f in found] == [(3, losses.DROP_TABLE, name)]


@pytest.mark.parametrize(
    "broken",
    [
        [0, 2, 3],  # no copy of the rows
        [0, 1, 2],  # never renamed back
        [2, 0, 1, 3],  # dropped before the copy
        [1, 2, 3],  # no temporary table
    ],
)
def test_a_broken_rebuild_is_destructive_on_sqlite(broken: list[int]) -> None:
    statements = [REBUILD[i].format(name="todos", q="") for i in broken]
    found = guard.read(statements, "sqlite")
    assert [(f.kind, f.target) for f in found] == [(losses.DROP_TABLE, "todos")]


def test_another_tables_rebuild_exempts_nothing() -> None:
    statements = [s.format(name="todos", q="") for s in REBUILD]
    statements[3] = "ALTER TABLE _alembic_tmp_todos RENAME TO archive"
    assert [f.kind for f in guard.read(statements, "sqlite")] == [losses.DROP_TABLE]


# -- files: lines, sections, generator notes ---------------------------------------------------


def test_file_losses_name_lines_and_sections(tmp_path: Path) -> None:
    path = tmp_path / "0002_x.sql"
    path.write_text(
        migration_file.render(
            "0002_x",
            ["ALTER TABLE t ADD COLUMN z INT", "/* tidy */\nALTER TABLE t\n  DROP COLUMN v"],
            ["ALTER TABLE t DROP COLUMN z", "ALTER TABLE t ADD COLUMN v INT"],
            up_notes=["-- vertz:destructive rebuild of t loses column w"],
        )
    )
    f = migration_file.parse(path)
    up = guard.file_losses(f, "sqlite")
    assert [x.located(f.name) for x in up] == [
        "0002_x.sql line 5 (generator note): rebuild of t loses column w",
        "0002_x.sql line 10 (statement 2): drop column t.v (its values are lost)",
    ]
    down = guard.file_losses(f, "sqlite", rollback=True)
    assert [x.located(f.name) for x in down] == [
        "0002_x.sql line 15 (rollback statement 1): drop column t.z (its values are lost)"
    ]


# -- end to end through the CLI ---------------------------------------------------------------

DISGUISED = {
    # SQLite's ALTER TABLE takes one action
    "sqlite": 'ALTER TABLE /* keep */ "todos" -- tidy up\n  DROP COLUMN "title"',
    "postgresql": 'ALTER TABLE /* keep */ ONLY "public"."todos" -- tidy\n  ADD note INT, DROP "title"',
    "mysql": "ALTER TABLE /* keep */ `todos` -- tidy up\n  ADD COLUMN note INT, DROP `title`",
}


def _prod_with_rows(make_app_on, fresh_url, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A production app on the test's database with 0001 (v1) deployed and a row in it."""
    url = fresh_url()
    factory = make_app_on(url)
    dev = dev_app(factory, models.v1, VERTZ_ENV="development")
    assert run(dev, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    prod = factory(models.v1, VERTZ_ENV="production")
    r = run(prod, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    with factory.engine(prod).begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (id, title) VALUES (1, 'keep me')"))
    return factory, prod


def _title_count(factory: AppFactory, app) -> int:  # type: ignore[no-untyped-def]
    cols = {c["name"] for c in sa.inspect(factory.engine(app)).get_columns("todos")}
    if "title" not in cols:
        return 0
    with factory.engine(app).connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(title) FROM todos")).scalar_one())


def test_disguised_drop_is_refused_then_forced(make_app_on, fresh_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    factory, prod = _prod_with_rows(make_app_on, fresh_url, tmp_path)
    dialect = factory.url.split(":")[0].split("+")[0]
    body = DISGUISED[dialect]
    table = "public.todos" if dialect == "postgresql" else "todos"
    path = tmp_path / "migrations" / "0002_tidy.sql"
    path.write_text(migration_file.render("0002_tidy", [body], ["SELECT 1"]))
    expected = (
        "Error: refusing to apply destructive changes in production without --force "
        "(VERTZ_ENV=production in the app config):\n"
        f"  0002_tidy.sql line 5 (statement 1): drop column {table}.title (its values are lost)"
    )
    r = run(prod, "migrate", "deploy")
    assert (r.exit_code, r.output.strip()) == (1, expected)
    assert _title_count(factory, prod) == 1  # nothing ran
    r = run(prod, "migrate", "deploy", "--dry-run")
    assert r.exit_code == 0, r.output
    assert (
        f"-- ! destructive: drop column {table}.title (its values are lost), line 5 (statement 1)"
        in r.output
    )
    assert _title_count(factory, prod) == 1
    r = run(prod, "migrate", "deploy", "--force")
    assert r.exit_code == 0, r.output
    assert "applied 0002_tidy" in r.output
    assert _title_count(factory, prod) == 0


def test_rollback_in_production_needs_force(make_app_on, fresh_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    factory, prod = _prod_with_rows(make_app_on, fresh_url, tmp_path)
    dev = dev_app(factory, models.v2, VERTZ_ENV="development")
    assert run(dev, "migrate", "dev", "--name", "add_priority", "--create-only").exit_code == 0
    prod = factory(models.v2, VERTZ_ENV="production")
    r = run(prod, "migrate", "deploy")  # adding a column destroys nothing: no --force
    assert r.exit_code == 0, r.output
    with factory.engine(prod).begin() as conn:
        conn.execute(sa.text("UPDATE todos SET priority = 3"))

    def priorities() -> list[int]:
        with factory.engine(prod).connect() as conn:
            return list(conn.execute(sa.text("SELECT priority FROM todos")).scalars())

    located = "0002_add_priority.sql line 9 (rollback statement 1)"
    r = run(prod, "rollback")
    assert (r.exit_code, r.output.strip()) == (
        1,
        "Error: refusing to roll back in production without --force (VERTZ_ENV=production in "
        "the app config); the rollback SQL destroys data:\n"
        f"  {located}: drop column todos.priority (its values are lost)",
    )
    assert priorities() == [3]
    r = run(prod, "rollback", "--dry-run")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[:2] == [
        "-- rollback of 0002_add_priority",
        "-- ! destructive: drop column todos.priority (its values are lost), line 9 "
        "(rollback statement 1)",
    ]
    assert priorities() == [3]
    r = run(prod, "rollback", "--force")
    assert r.exit_code == 0, r.output
    assert "rolled back 0002_add_priority" in r.output
    cols = {c["name"] for c in sa.inspect(factory.engine(prod)).get_columns("todos")}
    assert "priority" not in cols
    # rolling back 0001 drops the table with its row: refused too, for both steps at once
    r = run(prod, "rollback")
    assert r.exit_code == 1
    assert "0001_init.sql line" in r.output and "drop table todos (its rows are lost)" in r.output
    assert _title_count(factory, prod) == 1


def test_generated_widening_deploys_and_narrowing_rollback_is_refused(
    make_app_on, fresh_url, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A generated file that widens a type (and adds a table and a foreign key) needs no
    --force; on SQLite it is a table rebuild, exempt there. Its rollback narrows the type and
    drops the new table: refused without --force."""
    factory, prod = _prod_with_rows(make_app_on, fresh_url, tmp_path)
    dev = dev_app(factory, models.v3, VERTZ_ENV="development")
    assert run(dev, "migrate", "dev", "--name", "projects", "--create-only").exit_code == 0
    prod = factory(models.v3, VERTZ_ENV="production")
    r = run(prod, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    assert _title_count(factory, prod) == 1
    r = run(prod, "rollback", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "drop table projects (its rows are lost)" in r.output
    r = run(prod, "rollback")
    assert r.exit_code == 1
    assert "drop table projects (its rows are lost)" in r.output


def test_production_dry_run_prints_destructive_sql(make_app: AppFactory) -> None:
    app = dev_app(make_app, models.v2)
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    app2 = dev_app(make_app, models.v1)
    assert run(app2, "migrate", "dev", "--name", "drop_prio", "--create-only").exit_code == 0
    prod = make_app(models.v1, VERTZ_ENV="production")
    r = run(prod, "migrate", "deploy", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "ALTER TABLE todos DROP COLUMN priority;" in r.output
    assert "destructive: drop column todos.priority" in r.output
    r = run(prod, "migrate", "deploy")
    assert r.exit_code == 1
    assert "refusing to apply destructive changes in production without --force" in r.output
