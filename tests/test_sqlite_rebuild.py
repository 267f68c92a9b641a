"""SQLite table rebuilds lose nothing: rows, indexes, foreign keys, ON DELETE CASCADE
children, triggers and views (which the models do not even know about)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.oracle import reflect
from vertz_engine import Project


def _models(title: str, length: int) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table(
        "todos",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(title, sa.String(length), nullable=False, index=True),
    )
    sa.Table(
        "comments",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("todo_id", sa.ForeignKey("todos.id", ondelete="CASCADE"), nullable=False),
    )
    sa.Table("log", md, sa.Column("msg", sa.String(200), primary_key=True))
    return md


def _fk_on(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
    dbapi_conn.execute("PRAGMA foreign_keys=ON")


def test_rebuild_keeps_triggers_views_and_cascade_children(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    sa.event.listen(engine, "connect", _fk_on)

    def project(md: sa.MetaData) -> Project:
        return Project(engine, md, tmp_path / "migrations", tmp_path / ".vertz" / "s.json")

    project(_models("title", 50)).migrate_dev("init")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE VIEW open_todos AS SELECT id, title FROM todos")
        conn.exec_driver_sql(
            "CREATE TRIGGER todo_log AFTER INSERT ON todos "
            "BEGIN INSERT INTO log (msg) VALUES ('added ' || new.title); END"
        )
        conn.exec_driver_sql("INSERT INTO todos (id, title) VALUES (1, 'a'), (2, 'b')")
        conn.exec_driver_sql("INSERT INTO comments (todo_id) VALUES (1), (1), (2)")

    # rename the column and widen it: a rename in place plus a rebuild of the parent table
    result = project(_models("name", 100)).migrate_dev("rename", renames={"todos.title": "name"})
    assert result.path is not None and "_alembic_tmp_todos" in result.path.read_text()
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM comments").scalar() == 3
        assert conn.exec_driver_sql("SELECT name FROM open_todos ORDER BY id").all() == [
            ("a",),
            ("b",),
        ]
        conn.exec_driver_sql("INSERT INTO todos (id, name) VALUES (3, 'c')")
        assert conn.exec_driver_sql("SELECT msg FROM log ORDER BY msg").all() == [
            ("added a",),
            ("added b",),
            ("added c",),
        ]
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        # the cascade still works after the rebuild
        conn.exec_driver_sql("DELETE FROM todos WHERE id = 2")
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM comments").scalar() == 2

    project(_models("name", 100)).rollback()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT title FROM open_todos ORDER BY id").all() == [
            ("a",),
            ("c",),
        ]
        names = {
            r[0]
            for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
        assert names == {"todo_log"}
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM comments").scalar() == 2
    assert "ix_todos_title" in {i[0] for t in [reflect(engine)["todos"]] for i in t["indexes"]}
    engine.dispose()
