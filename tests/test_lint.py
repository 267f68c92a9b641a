"""``flask vertz-db lint`` (issue 12): a corpus of change kinds, each written by
``migrate dev`` (PostgreSQL and MariaDB), gives exactly the documented rule ids, with no
database reachable; ``-- vertz:allow RULE reason`` accepts exactly one finding, and an
edited allow marker is a checksum mismatch.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from tests.test_cli import run
from vertz_engine.dialects import traits
from vertz_engine.files import migration_file
from vertz_engine.workflows.lint_rules import RULES

UNREACHABLE = {
    "postgres": "postgresql://nobody@127.0.0.1:9/none",
    "mysql": "mysql+pymysql://nobody@127.0.0.1:9/none",
}

#: on the database servers only (PostgreSQL, MariaDB), or on PostgreSQL only
servers = pytest.mark.parametrize("dialect_kind", ["postgres", "mysql"], indirect=True)
postgres_only = pytest.mark.parametrize("dialect_kind", ["postgres"], indirect=True)


def schema(**change: Any) -> Callable[[SQLAlchemy], None]:
    """users and posts, with one change to them at a time (the corpus)."""
    o = {
        "name_index": False,
        "fk": False,
        "check": False,
        "unique": False,
        "name_not_null": False,
        "token": False,
        "age_type": sa.Integer,
        "age": "age",
        "legacy": True,
        "posts": "posts",
        "extra": True,
        **change,
    }

    def declare(db: SQLAlchemy) -> None:
        user_args: list[Any] = []
        if o["check"]:
            user_args.append(sa.CheckConstraint("id >= 0", name="ck_users_id"))
        if o["unique"]:
            user_args.append(sa.UniqueConstraint("email", name="uq_users_email"))
        cols: dict[str, Any] = {
            "__tablename__": "users",
            "__table_args__": tuple(user_args),
            "id": sa.Column(sa.Integer, primary_key=True),
            "name": sa.Column(
                sa.String(50), nullable=not o["name_not_null"], index=o["name_index"]
            ),
            "email": sa.Column(sa.String(80), nullable=True),
            o["age"]: sa.Column(o["age_type"], nullable=True),
        }
        if o["legacy"]:
            cols["legacy"] = sa.Column(sa.Integer, nullable=True)
        if o["token"]:
            cols["token"] = sa.Column(
                sa.String(36), nullable=False, server_default=sa.text("(uuid())")
            )
        type("User", (db.Model,), cols)
        post_cols: dict[str, Any] = {
            "__tablename__": o["posts"],
            "id": sa.Column(sa.Integer, primary_key=True),
            "user_id": sa.Column(
                sa.Integer, sa.ForeignKey("users.id") if o["fk"] else None, nullable=True
            ),
            "title": sa.Column(sa.String(200), nullable=True),
        }
        type("Post", (db.Model,), post_cols)
        if o["extra"]:
            type(
                "Extra",
                (db.Model,),
                {"__tablename__": "extra", "id": sa.Column(sa.Integer, primary_key=True)},
            )

    return declare


# (name, change to the schema so far, --rename options, the rule ids expected)
CORPUS: list[tuple[str, dict[str, Any], list[str], list[str]]] = [
    ("index", {"name_index": True}, [], ["VZ101"]),
    ("fk", {"fk": True}, [], ["VZ102"]),
    ("check", {"check": True}, [], ["VZ103"]),
    ("unique", {"unique": True}, [], ["VZ104"]),
    ("not_null", {"name_not_null": True}, [], ["VZ105"]),
    ("token", {"token": True}, [], ["VZ106"]),
    ("bigint", {"age_type": sa.BigInteger}, [], ["VZ107"]),
    ("rename_col", {"age": "age_years"}, ["--rename", "users.age=age_years"], ["VZ108"]),
    ("drop_col", {"legacy": False}, [], ["VZ109"]),
    ("rename_tab", {"posts": "articles"}, ["--rename", "posts=articles"], ["VZ110"]),
    ("drop_tab", {"extra": False}, [], ["VZ111"]),
]


#: the change kinds ``migrate dev`` writes in their safe form on each server (safe-ddl:
#: concurrent index, NOT VALID + VALIDATE, the checked SET NOT NULL; LOCK=NONE): no finding
SAFE_FORMS = {
    "postgres": {"VZ101", "VZ102", "VZ103", "VZ104", "VZ105"},
    "mysql": {"VZ104"},
}


def _lint(app: Flask) -> tuple[int, dict[str, Any]]:
    r = run(app, "lint", "--json")
    assert r.exit_code in (0, 1), r.output
    return r.exit_code, json.loads(r.output)


def _corpus(make_app_on: Callable[[str], Any], url: str, kind: str) -> Callable[..., Flask]:
    """Every corpus file written by ``migrate dev --create-only``; returns a factory of apps
    on the same folder whose database cannot be reached."""
    factory = make_app_on(url)
    so_far: dict[str, Any] = {}
    app = factory(schema(**so_far), VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    for name, change, options, _ in CORPUS:
        so_far.update(change)
        app = factory(schema(**so_far), VERTZ_AUTO_APPLY=False)
        r = run(app, "migrate", "dev", "--name", name, "--create-only", *options)
        assert r.exit_code == 0, (name, r.output)
    offline = make_app_on(UNREACHABLE[kind])
    return lambda: offline(schema(**so_far), VERTZ_AUTO_APPLY=False, VERTZ_ENV="production")


@servers
def test_the_corpus_gives_the_documented_rule_ids_without_a_database(
    make_app_on: Callable[[str], Any], fresh_url: Callable[[], str], dialect_kind: str
) -> None:
    app = _corpus(make_app_on, fresh_url(), dialect_kind)()
    code, out = _lint(app)
    assert code == 1
    assert out["format"] == 1
    assert out["files"] == 1 + len(CORPUS)
    got = [(f["file"], f["rule"]) for f in out["findings"]]
    want = [
        (f"{i:04d}_{name}", rule)
        for i, (name, _, _, rules) in enumerate(CORPUS, 2)
        for rule in rules
        if RULES[rule].applies(traits(dialect_kind)) and rule not in SAFE_FORMS[dialect_kind]
    ]
    assert got == want
    assert out["allowed"] == [] and out["unused_allows"] == []
    # the oldest files are past the ledger of replayable snapshots: read from their SQL
    sources = {f["file"]: f["source"] for f in out["findings"]}
    assert sources.pop("0002_index", "sql") == "sql"
    assert set(sources.values()) == {"plan"}


@postgres_only  # the marker works the same on every database
def test_an_allow_marker_accepts_exactly_one_finding(
    make_app_on: Callable[[str], Any], fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    factory = make_app_on(fresh_url())
    app = factory(schema(), VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    app = factory(schema(legacy=False, extra=False), VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "drops", "--create-only").exit_code == 0
    code, out = _lint(app)
    assert code == 1
    assert [f["rule"] for f in out["findings"]] == ["VZ109", "VZ111"]
    path = tmp_path / "migrations" / "0002_drops.sql"
    text = path.read_text()
    marker = "-- vertz:allow VZ111 the extra table is unused since release 4\n"
    path.write_text(text.replace("\n\n", "\n\n" + marker, 1))
    r = run(app, "migrate", "sign", "0002_drops")
    assert r.exit_code == 0, r.output
    code, out = _lint(app)
    assert code == 1
    assert [f["rule"] for f in out["findings"]] == ["VZ109"]
    assert [(f["rule"], f["reason"]) for f in out["allowed"]] == [
        ("VZ111", "the extra table is unused since release 4")
    ]
    # still read from its plan: the marker is not an edit of the generated SQL
    assert out["allowed"][0]["source"] == "plan"
    # a second marker for the same rule accepts nothing more
    path.write_text(path.read_text().replace(marker, marker * 2))
    assert run(app, "migrate", "sign", "0002_drops").exit_code == 0
    code, out = _lint(app)
    assert [f["rule"] for f in out["findings"]] == ["VZ109"]
    assert out["unused_allows"] == [{"file": "0002_drops", "rule": "VZ111"}]
    # accepting the last finding: clean, exit 0, and the text says what was accepted
    path.write_text(path.read_text().replace(marker, "-- vertz:allow VZ109 unmapped in 3.2\n", 1))
    assert run(app, "migrate", "sign", "0002_drops").exit_code == 0
    r = run(app, "lint")
    assert r.exit_code == 0, r.output
    assert r.output == "No findings in 2 file(s) (2 accepted by -- vertz:allow).\n"


@postgres_only
def test_an_edited_allow_marker_is_a_checksum_mismatch(
    make_app_on: Callable[[str], Any], fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    factory = make_app_on(fresh_url())
    app = factory(schema(), VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    app = factory(schema(extra=False), VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "drop", "--create-only").exit_code == 0
    path = tmp_path / "migrations" / "0002_drop.sql"
    path.write_text(path.read_text().replace("\n\n", "\n\n-- vertz:allow VZ111 unused\n", 1))
    assert run(app, "migrate", "sign", "0002_drop").exit_code == 0
    assert run(app, "lint").exit_code == 0
    path.write_text(path.read_text().replace("VZ111 unused", "VZ111 unused, and VZ109 too"))
    r = run(app, "lint")
    assert r.exit_code == 1
    assert r.output.startswith(
        "Error: 0002_drop.sql: its contents do not match the checksum in its header"
    ), r.output


def test_hand_written_sql_is_read_statement_by_statement() -> None:
    from vertz_engine.workflows.lint_rules import sql_findings

    statements = [
        "CREATE TABLE fresh (id integer PRIMARY KEY, a integer)",
        "CREATE INDEX ix_fresh_a ON fresh (a)",  # a new table: no finding
        "CREATE INDEX ix_t_a ON public.t (a)",
        "CREATE INDEX CONCURRENTLY ix_t_b ON t (b)",
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id)",
        "ALTER TABLE t ADD CONSTRAINT fk2 FOREIGN KEY (u) REFERENCES u (id) NOT VALID",
        "ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0)",
        "ALTER TABLE t ADD CONSTRAINT uq UNIQUE (a)",
        "ALTER TABLE t ADD CONSTRAINT uq2 UNIQUE USING INDEX ix_u",
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
        "ALTER TABLE t ADD COLUMN g uuid NOT NULL DEFAULT gen_random_uuid()",
        "ALTER TABLE t ALTER COLUMN a TYPE bigint",
        'ALTER TABLE t RENAME COLUMN a TO "b"',
        "ALTER TABLE t DROP COLUMN IF EXISTS c",
        "ALTER TABLE t RENAME TO t2",
        "DROP TABLE IF EXISTS old",
        "UPDATE t SET a = 1",
    ]
    hits = sql_findings(statements, "postgresql")
    assert [(h.rule, h.table, h.column) for h in hits] == [
        ("VZ101", "t", None),
        ("VZ102", "t", None),
        ("VZ103", "t", None),
        ("VZ104", "t", None),
        ("VZ105", "t", "a"),
        ("VZ106", "t", "g"),
        ("VZ107", "t", "a"),
        ("VZ108", "t", "a"),
        ("VZ109", "t", "c"),
        ("VZ110", "t", None),
        ("VZ111", "old", None),
    ]
    # SQLite: only what breaks the running old version of the app
    assert [h.rule for h in sql_findings(statements, "sqlite")] == [
        "VZ108",
        "VZ109",
        "VZ110",
        "VZ111",
    ]


def test_the_safe_forms_migrate_dev_writes_read_from_sql_are_no_finding() -> None:
    from vertz_engine.workflows.lint_rules import sql_findings

    checked_not_null = [
        'ALTER TABLE "t" ADD CONSTRAINT "t_a_not_null" CHECK ("a" IS NOT NULL) NOT VALID',
        'ALTER TABLE "t" VALIDATE CONSTRAINT "t_a_not_null"',
        'ALTER TABLE "t" ALTER COLUMN "a" SET NOT NULL',
        'ALTER TABLE "t" ALTER COLUMN "b" SET NOT NULL',  # no check proves b
        'ALTER TABLE "t" DROP CONSTRAINT "t_a_not_null"',
    ]
    assert [(h.rule, h.column) for h in sql_findings(checked_not_null, "postgresql")] == [
        ("VZ105", "b")
    ]
    online = ["ALTER TABLE t ADD CONSTRAINT uq UNIQUE (a), ALGORITHM=INPLACE, LOCK=NONE"]
    assert sql_findings(online, "mysql") == []
    assert [h.rule for h in sql_findings([online[0].split(",")[0]], "mysql")] == ["VZ104"]


def test_every_rule_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for rule in RULES.values():
        row = next((ln for ln in readme.splitlines() if ln.startswith(f"| `{rule.id}`")), None)
        assert row is not None, rule.id
        for text in (rule.squawk, rule.strong_migrations):
            assert text in row, (rule.id, text)


def test_lint_needs_no_migrations_snapshot_to_read_hand_written_files(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(schema(), VERTZ_AUTO_APPLY=False)
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_x.sql").write_text(
        migration_file.render("0001_x", ["ALTER TABLE users RENAME COLUMN age TO years"], [])
    )
    r = run(app, "lint")
    assert r.exit_code == 1
    assert r.output == (
        "0001_x: VZ108 column renamed: ALTER TABLE users RENAME COLUMN age TO years;\n"
        "    risk: instances of the old app version still use the old name during a rolling "
        "deploy\n"
        "    instead: keep the database name (mapped_column('old_name')), or expand/contract\n"
        "1 finding(s) in 1 file(s). To accept one, add a line `-- vertz:allow <RULE> <reason>` "
        "to the file's SQL and re-sign it with `flask vertz-db migrate sign <name>`.\n"
    )
