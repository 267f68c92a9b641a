"""What a development boot or ``push`` destroys is kept first, and ``flask vertz-db restore``
puts it back (issue 8), on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from tests.helpers import AppFactory, run
from vertz_engine.db.backup import KEEP

DEV = {"VERTZ_ENV": "development"}


def _todos(db: SQLAlchemy, *, priority: Any = sa.Integer, column: str = "priority") -> None:
    columns: dict[str, Any] = {
        "__tablename__": "todos",
        "id": sa.Column(sa.Integer, primary_key=True),
        "title": sa.Column(sa.String(200), nullable=False),
    }
    if priority is not None:
        columns[column] = sa.Column(priority, nullable=True)
    type("Todo", (db.Model,), columns)


def _tags(db: SQLAlchemy, *, color: bool = False) -> None:
    columns: dict[str, Any] = {
        "__tablename__": "tags",
        "id": sa.Column(sa.Integer, primary_key=True),
        "name": sa.Column(sa.String(50), nullable=False),
    }
    if color:
        columns["color"] = sa.Column(sa.String(20), nullable=True)
    type("Tag", (db.Model,), columns)


def full(db: SQLAlchemy) -> None:
    _todos(db)
    _tags(db)


def no_priority(db: SQLAlchemy) -> None:
    _todos(db, priority=None)
    _tags(db)


def big_priority(db: SQLAlchemy) -> None:
    _todos(db, priority=sa.BigInteger)
    _tags(db)


def rank_not_priority(db: SQLAlchemy) -> None:
    _todos(db, column="rank")
    _tags(db)


def no_tags(db: SQLAlchemy) -> None:  # the tags model module was not imported
    _todos(db)


def tags_with_color(db: SQLAlchemy) -> None:
    _todos(db)
    _tags(db, color=True)


def rows(app_factory: AppFactory, app: Flask, sql: str) -> list[tuple[Any, ...]]:
    with app_factory.engine(app).connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def seed(app_factory: AppFactory, app: Flask) -> None:
    with app_factory.engine(app).begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO todos (id, title, priority) VALUES (1, 'a', 3), (2, 'b', NULL), "
                "(3, 'c', 1)"
            )
        )
        conn.execute(sa.text("INSERT INTO tags (id, name) VALUES (1, 'x'), (2, 'y'), (3, 'z')"))


def backup_names(app: Flask) -> list[str]:
    with app.app_context():
        return [b.name for b in app.extensions["vertz"].project(app).backups()]


@pytest.fixture
def factory(fresh_url: Callable[[], str], make_app_on: Callable[[str], AppFactory]) -> AppFactory:
    return make_app_on(fresh_url())


def kept_line(name: str, what: str) -> str:
    return (
        f"flask-vertz: kept in backup {name}: {what}; bring it back with "
        f"`flask vertz-db restore {name}`"
    )


def test_boot_that_drops_a_column_keeps_it_and_restore_brings_it_back(
    factory: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(factory, factory(full, **DEV))
    capsys.readouterr()
    app = factory(no_priority, **DEV)
    [name] = backup_names(app)
    err = capsys.readouterr().err
    assert kept_line(name, "column todos.priority (2 value(s))") in err
    assert f"! drop column todos.priority (2 value(s) kept in backup {name})" in err

    r = run(app, "restore")
    assert r.exit_code == 1, r.output
    assert r.output == (
        f"Restoring from backup {name} (column todos.priority (2 value(s))):\n"
        "  column todos.priority is not in the database: add it back to its model, start the "
        f"app so it is created, then run `flask vertz-db restore {name}` again\n"
    )

    # back with another type: not put back by itself, the restore command does it
    app = factory(big_priority, **DEV)
    assert "restored" not in capsys.readouterr().err
    assert rows(factory, app, "SELECT id, priority FROM todos ORDER BY id") == [
        (1, None),
        (2, None),
        (3, None),
    ]
    r = run(app, "restore")
    assert r.exit_code == 0, r.output
    assert r.output == (
        f"Restoring from backup {name} (column todos.priority (2 value(s))):\n"
        "  column todos.priority: restored 2 value(s), 0 already there\n"
    )
    assert rows(factory, app, "SELECT id, priority FROM todos ORDER BY id") == [
        (1, 3),
        (2, None),
        (3, 1),
    ]
    r = run(app, "restore", name)  # twice: restores once
    assert r.exit_code == 0, r.output
    assert "  column todos.priority: restored 0 value(s), 2 already there\n" in r.output


def test_table_missing_from_the_models_is_called_out_and_comes_back(
    factory: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(factory, factory(full, **DEV))
    capsys.readouterr()
    app = factory(no_tags, **DEV)
    [name] = backup_names(app)
    err = capsys.readouterr().err
    assert (
        "flask-vertz: table tags has 3 row(s) and is no longer in the models: is its model "
        "module imported before vertz.init_app?"
    ) in err
    assert kept_line(name, "table tags (3 row(s))") in err

    # the import is fixed: the next boot creates the table and puts its rows back
    app = factory(full, **DEV)
    assert f"flask-vertz: restored 3 row(s) of table tags from backup {name}" in (
        capsys.readouterr().err
    )
    assert rows(factory, app, "SELECT id, name FROM tags ORDER BY id") == [
        (1, "x"),
        (2, "y"),
        (3, "z"),
    ]
    with factory.engine(app).begin() as conn:  # the id sequence moved past the restored rows
        conn.execute(sa.text("INSERT INTO tags (name) VALUES ('new')"))
    assert rows(factory, app, "SELECT id FROM tags WHERE name = 'new'") == [(4,)]
    r = run(app, "restore")  # already back: nothing doubles
    assert r.exit_code == 0, r.output
    assert "  table tags: restored 0 row(s), 3 already there\n" in r.output
    assert rows(factory, app, "SELECT COUNT(*) FROM tags") == [(4,)]


def test_restore_of_a_table_back_with_another_shape(factory: AppFactory) -> None:
    seed(factory, factory(full, **DEV))
    factory(no_tags, **DEV)
    app = factory(tags_with_color, **DEV)  # not the same table: not restored by itself
    assert rows(factory, app, "SELECT COUNT(*) FROM tags") == [(0,)]
    with factory.engine(app).begin() as conn:
        conn.execute(sa.text("INSERT INTO tags (id, name, color) VALUES (2, 'kept', 'red')"))
    r = run(app, "restore")
    assert r.exit_code == 0, r.output
    assert "  table tags: restored 2 row(s), 1 already there\n" in r.output
    assert rows(factory, app, "SELECT id, name, color FROM tags ORDER BY id") == [
        (1, "x", None),
        (2, "kept", "red"),
        (3, "z", None),
    ]


def test_reloader_round_trip_restores_the_column(
    factory: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    app = factory(full, **DEV)
    seed(factory, app)
    for _ in range(2):  # cut the column line, save, paste it back, save: twice
        factory(no_priority, **DEV)
        name = backup_names(app)[-1]
        capsys.readouterr()
        app = factory(full, **DEV)
        assert (
            f"flask-vertz: restored 2 value(s) of todos.priority from backup {name}"
            in capsys.readouterr().err
        )
        assert rows(factory, app, "SELECT id, priority FROM todos ORDER BY id") == [
            (1, 3),
            (2, None),
            (3, 1),
        ]
    first, second = backup_names(app)
    r = run(app, "restore", "--list")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith(f"{first}  ")
    assert lines[0].endswith("  column todos.priority (2 value(s))  (restored: todos.priority)")
    assert lines[2].startswith(f"{second}  ")

    # a column dropped while empty leaves no backup, and an old one is not put back again
    with factory.engine(app).begin() as conn:
        conn.execute(sa.text("UPDATE todos SET priority = NULL"))
    factory(no_priority, **DEV)
    capsys.readouterr()
    app = factory(full, **DEV)
    assert "restored" not in capsys.readouterr().err
    assert backup_names(app) == [first, second]
    assert rows(factory, app, "SELECT COUNT(*) FROM todos WHERE priority IS NOT NULL") == [(0,)]


def test_restore_by_name(factory: AppFactory) -> None:
    app = factory(full, **DEV)
    seed(factory, app)
    factory(no_tags, **DEV)  # backup 1: the tags
    factory(tags_with_color, **DEV)
    app = factory(big_priority, **DEV)  # backup 2: tags.color is empty; priority retyped
    first, second = backup_names(app)
    r = run(app, "restore", "--name", first)
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"Restoring from backup {first} (table tags (3 row(s))):\n")
    assert rows(factory, app, "SELECT COUNT(*) FROM tags") == [(3,)]
    r = run(app, "restore", "no-such-backup")
    assert r.exit_code == 1
    assert r.output == (
        "Error: no backup named 'no-such-backup'; `flask vertz-db restore --list` shows them "
        f"({first}, {second})\n"
    )


def test_pruning_keeps_the_last_backups(factory: AppFactory) -> None:
    app = factory(full, **DEV)
    seed(factory, app)
    for _ in range(KEEP + 2):
        factory(no_priority, **DEV)
        app = factory(full, **DEV)
    names = backup_names(app)
    assert len(names) == KEEP
    assert names == sorted(names)
    if factory.url.startswith("sqlite"):
        folder = Path(factory.root) / ".vertz" / "backups"
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            [f"{n}.json" for n in names] + [f"{n}.sqlite3" for n in names]
        )
    else:
        with factory.engine(app).connect() as conn:
            tables = [t for t in sa.inspect(conn).get_table_names() if "backup" in t]
        assert len(tables) == KEEP + 1  # one per backup, and the manifest


def test_push_keeps_a_backup_and_drop_plus_add_says_so(factory: AppFactory) -> None:
    app = factory(full, **DEV)
    seed(factory, app)
    app = factory(rank_not_priority, VERTZ_AUTO_APPLY=False, **DEV)
    r = run(app, "push", "--no-rename", "todos.priority")
    assert r.exit_code == 0, r.output
    [name] = backup_names(app)
    assert f"! drop column todos.priority (2 value(s) kept in backup {name})" in r.output, r.output
    assert (
        kept_line(name, "column todos.priority (2 value(s))").removeprefix("flask-vertz: ")
        in r.output
    )
    r = run(app, "restore", "--list")
    assert "column todos.priority (2 value(s))" in r.output


def test_dropping_what_holds_no_data_keeps_no_backup(
    factory: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    factory(full, **DEV)
    capsys.readouterr()
    app = factory(no_tags, **DEV)
    err = capsys.readouterr().err
    assert "warning: destructive change applied: drop table tags" in err
    assert "backup" not in err and "no longer in the models" not in err
    assert backup_names(app) == []


def test_restore_without_backups_is_one_message(make_app: AppFactory) -> None:
    app = make_app(full, **DEV)
    r = run(app, "restore")
    assert r.exit_code == 1
    assert r.output == (
        "Error: there is no backup to restore: a development boot or `push` keeps one only "
        "when it drops a table or column that holds data\n"
    )
    r = run(app, "restore", "--list")
    assert r.output == "No backups: nothing a boot or push dropped is kept here.\n"


def text_priority(db: SQLAlchemy) -> None:
    _todos(db, priority=sa.String(10))
    _tags(db)


def test_a_type_change_keeps_the_old_values(
    factory: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(factory, factory(full, **DEV))
    capsys.readouterr()
    app = factory(text_priority, **DEV)
    [name] = backup_names(app)
    err = capsys.readouterr().err
    assert f"values may not convert; 2 value(s) kept in backup {name})" in err
    assert kept_line(name, "column todos.priority (2 value(s))") in err
    with factory.engine(app).begin() as conn:
        conn.execute(sa.text("UPDATE todos SET priority = 'high' WHERE id = 1"))
    app = factory(full, VERTZ_AUTO_APPLY=False, **DEV)
    r = run(app, "restore")
    assert r.exit_code == 0, r.output
    assert "  column todos.priority: restored 2 value(s), 0 already there\n" in r.output
    assert rows(factory, app, "SELECT id, priority FROM todos ORDER BY id") == [
        (1, "3"),
        (2, None),
        (3, "1"),
    ]


def test_a_new_database_is_not_refilled_from_an_old_one(
    make_app: AppFactory, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(full, **DEV)
    seed(make_app, app)
    make_app(no_tags, **DEV)
    make_app.close()
    Path(sa.make_url(sqlite_url).database or "").unlink()  # start afresh
    capsys.readouterr()
    app = make_app(full, **DEV)
    assert "restored" not in capsys.readouterr().err
    assert rows(make_app, app, "SELECT COUNT(*) FROM tags") == [(0,)]
    assert len(backup_names(app)) == 1


def enum_tags(db: SQLAlchemy) -> None:
    _todos(db)
    type(
        "Tag",
        (db.Model,),
        {
            "__tablename__": "tags",
            "id": sa.Column(sa.Integer, primary_key=True),
            "kind": sa.Column(sa.Enum("home", "work", name="tag_kind"), nullable=False),
        },
    )


def test_a_dropped_table_with_an_enum_type_comes_back(factory: AppFactory) -> None:
    app = factory(enum_tags, **DEV)
    with factory.engine(app).begin() as conn:
        conn.execute(sa.text("INSERT INTO tags (id, kind) VALUES (1, 'home'), (2, 'work')"))
    factory(no_tags, **DEV)  # drops the table and (PostgreSQL) its enum type
    app = factory(enum_tags, **DEV)
    assert rows(factory, app, "SELECT id, kind FROM tags ORDER BY id") == [
        (1, "home"),
        (2, "work"),
    ]


def with_log(db: SQLAlchemy, *, level: bool = True, extra: bool = False) -> None:
    _todos(db)
    cols = [sa.Column("msg", sa.String(50))]
    if level:
        cols.append(sa.Column("level", sa.Integer))
    if extra:
        cols.append(sa.Column("note", sa.String(20)))
    sa.Table("log", db.metadata, *cols)  # no primary key


def test_a_table_without_primary_key_keeps_whole_rows(factory: AppFactory) -> None:
    app = factory(with_log, **DEV)
    with factory.engine(app).begin() as conn:
        conn.execute(sa.text("INSERT INTO log (msg, level) VALUES ('a', 1), ('a', 1), ('b', 2)"))
    app = factory(lambda db: with_log(db, level=False), **DEV)
    [first] = backup_names(app)
    r = run(app, "restore")  # the values cannot be matched to rows: never guessed
    assert r.exit_code == 1
    assert (
        "  column log.level: table log has no primary key, so the values cannot be matched "
        f"to rows; backup {first} keeps the whole rows ("
    ) in r.output
    app = factory(_todos, **DEV)  # the whole table goes: its whole rows are kept
    app = factory(lambda db: with_log(db, extra=True), **DEV)
    with factory.engine(app).begin() as conn:
        conn.execute(sa.text("INSERT INTO log (msg, level) VALUES ('a', 1)"))
    r = run(app, "restore", first)
    assert r.exit_code == 1  # log.level is there again, but still no primary key
    second = backup_names(app)[-1]
    r = run(app, "restore", second)
    assert r.exit_code == 0, r.output
    assert "  table log: restored 2 row(s), 1 already there\n" in r.output
    # the table was dropped after log.level: its rows come back without it
    assert sorted(rows(factory, app, "SELECT msg, COALESCE(level, 0) FROM log")) == [
        ("a", 0),
        ("a", 1),
        ("b", 0),
    ]


def test_each_bind_keeps_its_own_backups(tmp_path: Path) -> None:
    from flask_vertz import Vertz

    def build(extra: bool) -> tuple[Flask, SQLAlchemy]:
        db = SQLAlchemy()
        _todos(db, priority=sa.Integer if extra else None)
        type(
            "Report",
            (db.Model,),
            {
                "__bind_key__": "reports",
                "__tablename__": "reports",
                "id": sa.Column(sa.Integer, primary_key=True),
                **({"total": sa.Column(sa.Integer)} if extra else {}),
            },
        )
        app = Flask("bindsapp", root_path=str(tmp_path))
        app.config.update(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'main.db'}",
            SQLALCHEMY_BINDS={"reports": f"sqlite:///{tmp_path / 'reports.db'}"},
            **DEV,
        )
        db.init_app(app)
        Vertz().init_app(app, db)
        return app, db

    app, db = build(True)
    with app.app_context():
        with db.engines[None].begin() as conn:
            conn.execute(sa.text("INSERT INTO todos (id, title, priority) VALUES (1, 'a', 5)"))
        with db.engines["reports"].begin() as conn:
            conn.execute(sa.text("INSERT INTO reports (id, total) VALUES (1, 7), (2, 8)"))
        db.engines[None].dispose()
        db.engines["reports"].dispose()
    app, db = build(False)
    r = run(app, "restore", "--list", "--bind", "reports")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert len(lines) == 2 and lines[0].endswith("  column reports.total (2 value(s))")
    r = run(app, "restore", "--list", "--bind", "default")
    assert r.output.splitlines()[0].endswith("  column todos.priority (1 value(s))")
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()
