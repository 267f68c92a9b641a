"""Schema-change cases: models before -> models after, many from real-world patterns.

Each case builds its tables on a ``MetaData`` (``before(md)`` / ``after(md)``), may insert
rows after ``before`` and may check, after ``up``, that values survived (``keeps``: table ->
(SQL query, expected rows)). ``renames`` are explicit rename decisions, as ``--rename``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

Build = Callable[[sa.MetaData], None]


@dataclass
class Case:
    name: str
    before: Build
    after: Build
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    keeps: list[tuple[str, list[tuple[Any, ...]]]] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    dialects: tuple[str, ...] = ("sqlite", "postgresql", "mysql")
    data_kept_on_rollback: bool = True  # rows of ``before`` survive up + rollback

    def __str__(self) -> str:
        return self.name


CASES: list[Case] = []


def case(name: str, **kw: Any) -> Callable[[Callable[[], tuple[Build, Build]]], None]:
    def register(fn: Callable[[], tuple[Build, Build]]) -> None:
        before, after = fn()
        CASES.append(Case(name, before, after, **kw))

    return register


def pk() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True)


def todos(md: sa.MetaData, *cols: Any, name: str = "todos", title: Any = None) -> sa.Table:
    title = title if title is not None else sa.Column("title", sa.String(100), nullable=False)
    return sa.Table(name, md, pk(), title, *cols)


def users(md: sa.MetaData, *cols: Any) -> sa.Table:
    return sa.Table("users", md, pk(), sa.Column("email", sa.String(120), nullable=False), *cols)


TODO_ROWS = {"todos": [{"id": 1, "title": "a"}, {"id": 2, "title": "b"}]}
TITLES = ("SELECT title FROM todos ORDER BY id", [("a",), ("b",)])


@case("add table")
def _c1() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (lambda md: (todos(md), users(md)))


@case("drop table", rows={"users": [{"id": 1, "email": "x"}]}, data_kept_on_rollback=False)
def _c2() -> tuple[Build, Build]:
    return (lambda md: (todos(md), users(md))), (lambda md: todos(md))


@case(
    "rename table",
    rows={"tasks": [{"id": 1, "title": "a"}]},
    renames={"tasks": "todos"},
    keeps=[("SELECT title FROM todos", [("a",)])],
)
def _c3() -> tuple[Build, Build]:
    return (lambda md: todos(md, name="tasks")), (lambda md: todos(md))


@case("add nullable column", rows=TODO_ROWS, keeps=[TITLES])
def _c4() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(md, sa.Column("priority", sa.Integer, nullable=True))
    )


@case(
    "add NOT NULL column with server default",
    rows=TODO_ROWS,
    keeps=[("SELECT title, priority FROM todos ORDER BY id", [("a", 0), ("b", 0)])],
)
def _c5() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(md, sa.Column("priority", sa.Integer, nullable=False, server_default="0"))
    )


@case("drop column", rows=TODO_ROWS, keeps=[TITLES])
def _c6() -> tuple[Build, Build]:
    return (lambda md: todos(md, sa.Column("notes", sa.Text))), (lambda md: todos(md))


@case(
    "rename column (explicit)",
    rows=TODO_ROWS,
    renames={"todos.title": "name"},
    keeps=[("SELECT name FROM todos ORDER BY id", [("a",), ("b",)])],
)
def _c7() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(md, title=sa.Column("name", sa.String(100), nullable=False))
    )


@case(
    "rename column (similar name, decided)",
    rows={"todos": [{"id": 1, "title": "a", "descr": "d"}]},
    keeps=[("SELECT description FROM todos", [("d",)])],
)
def _c8() -> tuple[Build, Build]:
    return (lambda md: todos(md, sa.Column("descr", sa.String(200)))), (
        lambda md: todos(md, sa.Column("description", sa.String(200)))
    )


@case("String lengthened", rows=TODO_ROWS, keeps=[TITLES])
def _c9() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(md, title=sa.Column("title", sa.String(300), nullable=False))
    )


@case("String shortened (values fit)", rows=TODO_ROWS, keeps=[TITLES])
def _c10() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(md, title=sa.Column("title", sa.String(50), nullable=False))
    )


@case(
    "Numeric precision raised",
    rows={"prices": [{"id": 1, "amount": 12.5}]},
    keeps=[("SELECT amount FROM prices", [(12.5,)])],
)
def _c11() -> tuple[Build, Build]:
    return (lambda md: sa.Table("prices", md, pk(), sa.Column("amount", sa.Numeric(10, 2)))), (
        lambda md: sa.Table("prices", md, pk(), sa.Column("amount", sa.Numeric(12, 4)))
    )


@case(
    "Integer to BigInteger",
    rows={"counters": [{"id": 1, "n": 7}]},
    keeps=[("SELECT n FROM counters", [(7,)])],
)
def _c12() -> tuple[Build, Build]:
    return (lambda md: sa.Table("counters", md, pk(), sa.Column("n", sa.Integer))), (
        lambda md: sa.Table("counters", md, pk(), sa.Column("n", sa.BigInteger))
    )


@case(
    "Text to String(200)",
    rows={"notes": [{"id": 1, "body": "hello"}]},
    keeps=[("SELECT body FROM notes", [("hello",)])],
)
def _c13() -> tuple[Build, Build]:
    return (lambda md: sa.Table("notes", md, pk(), sa.Column("body", sa.Text))), (
        lambda md: sa.Table("notes", md, pk(), sa.Column("body", sa.String(200)))
    )


@case(
    "column becomes NOT NULL (no NULLs)",
    rows={"todos": [{"id": 1, "title": "a", "owner": "o"}]},
    keeps=[("SELECT owner FROM todos", [("o",)])],
)
def _c14() -> tuple[Build, Build]:
    return (lambda md: todos(md, sa.Column("owner", sa.String(50), nullable=True))), (
        lambda md: todos(md, sa.Column("owner", sa.String(50), nullable=False))
    )


@case("column becomes nullable", rows=TODO_ROWS, keeps=[TITLES])
def _c15() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(md, title=sa.Column("title", sa.String(100), nullable=True))
    )


@case("server default added", rows=TODO_ROWS, keeps=[TITLES])
def _c16() -> tuple[Build, Build]:
    return (lambda md: todos(md, sa.Column("state", sa.String(20)))), (
        lambda md: todos(md, sa.Column("state", sa.String(20), server_default="new"))
    )


@case("server default dropped", rows=TODO_ROWS, keeps=[TITLES])
def _c17() -> tuple[Build, Build]:
    return (lambda md: todos(md, sa.Column("state", sa.String(20), server_default="new"))), (
        lambda md: todos(md, sa.Column("state", sa.String(20)))
    )


@case("server default changed", rows=TODO_ROWS, keeps=[TITLES])
def _c18() -> tuple[Build, Build]:
    return (lambda md: todos(md, sa.Column("n", sa.Integer, server_default="1"))), (
        lambda md: todos(md, sa.Column("n", sa.Integer, server_default="2"))
    )


@case(
    "nullable column becomes NOT NULL with a default",
    rows={"todos": [{"id": 1, "title": "a", "n": 5}]},
    keeps=[("SELECT n FROM todos", [(5,)])],
)
def _c19() -> tuple[Build, Build]:
    return (lambda md: todos(md, sa.Column("n", sa.Integer, nullable=True))), (
        lambda md: todos(md, sa.Column("n", sa.Integer, nullable=False, server_default="0"))
    )


@case("index added", rows=TODO_ROWS, keeps=[TITLES])
def _c20() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(md, title=sa.Column("title", sa.String(100), nullable=False, index=True))
    )


@case("index dropped", rows=TODO_ROWS, keeps=[TITLES])
def _c21() -> tuple[Build, Build]:
    return (
        lambda md: todos(md, title=sa.Column("title", sa.String(100), nullable=False, index=True))
    ), (lambda md: todos(md))


@case("unique index added", rows=TODO_ROWS, keeps=[TITLES])
def _c22() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: sa.Index("ix_title_u", todos(md).c.title, unique=True)
    )


@case("multi-column index", rows=TODO_ROWS, keeps=[TITLES])
def _c23() -> tuple[Build, Build]:
    return (lambda md: todos(md, sa.Column("n", sa.Integer))), (
        lambda md: sa.Index(
            "ix_title_n", *(lambda t: (t.c.title, t.c.n))(todos(md, sa.Column("n", sa.Integer)))
        )
    )


@case("partial index", rows=TODO_ROWS, keeps=[TITLES], dialects=("sqlite", "postgresql"))
def _c24() -> tuple[Build, Build]:
    def after(md: sa.MetaData) -> None:
        t = todos(md, sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()))
        sa.Index(
            "ix_open",
            t.c.title,
            postgresql_where=sa.text("NOT done"),
            sqlite_where=sa.text("NOT done"),
        )

    return (
        lambda md: todos(
            md, sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false())
        )
    ), after


@case("named unique constraint added", rows=TODO_ROWS, keeps=[TITLES])
def _c25() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(md, sa.UniqueConstraint("title", name="uq_title"))
    )


@case("unnamed unique constraint dropped", rows=TODO_ROWS, keeps=[TITLES])
def _c26() -> tuple[Build, Build]:
    return (
        lambda md: todos(md, title=sa.Column("title", sa.String(100), nullable=False, unique=True))
    ), (lambda md: todos(md))


@case("foreign key column added", rows=TODO_ROWS, keeps=[TITLES])
def _c27() -> tuple[Build, Build]:
    return (lambda md: (users(md), todos(md))), (
        lambda md: (users(md), todos(md, sa.Column("user_id", sa.ForeignKey("users.id"))))
    )


@case(
    "foreign key dropped, column kept",
    rows={"users": [{"id": 1, "email": "e"}], "todos": [{"id": 1, "title": "a", "user_id": 1}]},
    keeps=[("SELECT user_id FROM todos", [(1,)])],
)
def _c28() -> tuple[Build, Build]:
    return (lambda md: (users(md), todos(md, sa.Column("user_id", sa.ForeignKey("users.id"))))), (
        lambda md: (users(md), todos(md, sa.Column("user_id", sa.Integer)))
    )


@case(
    "foreign key gains ON DELETE CASCADE",
    rows={"users": [{"id": 1, "email": "e"}], "todos": [{"id": 1, "title": "a", "user_id": 1}]},
    keeps=[("SELECT user_id FROM todos", [(1,)])],
)
def _c29() -> tuple[Build, Build]:
    return (lambda md: (users(md), todos(md, sa.Column("user_id", sa.ForeignKey("users.id"))))), (
        lambda md: (
            users(md),
            todos(md, sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"))),
        )
    )


@case(
    "parent table rebuilt keeps ON DELETE CASCADE children",
    rows={"users": [{"id": 1, "email": "e"}], "todos": [{"id": 1, "title": "a", "user_id": 1}]},
    keeps=[("SELECT COUNT(*) FROM todos", [(1,)])],
)
def _c30() -> tuple[Build, Build]:
    def child(md):
        return todos(md, sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE")))  # noqa: E731

    return (lambda md: (users(md), child(md))), (
        lambda md: (
            users(md, sa.Column("name", sa.String(50), nullable=False, server_default="")),
            child(md),
        )
    )


@case("named check constraint added", rows=TODO_ROWS, keeps=[TITLES])
def _c31() -> tuple[Build, Build]:
    return (lambda md: todos(md, sa.Column("n", sa.Integer))), (
        lambda md: todos(
            md, sa.Column("n", sa.Integer), sa.CheckConstraint("n >= 0", name="ck_n_positive")
        )
    )


@case("named check constraint dropped", rows=TODO_ROWS, keeps=[TITLES])
def _c32() -> tuple[Build, Build]:
    return (
        lambda md: todos(
            md, sa.Column("n", sa.Integer), sa.CheckConstraint("n >= 0", name="ck_n_positive")
        )
    ), (lambda md: todos(md, sa.Column("n", sa.Integer)))


@case(
    "primary key becomes composite",
    rows={"tags": [{"todo_id": 1, "tag": "x"}]},
    keeps=[("SELECT tag FROM tags", [("x",)])],
)
def _c33() -> tuple[Build, Build]:
    return (
        lambda md: sa.Table(
            "tags",
            md,
            sa.Column("todo_id", sa.Integer, primary_key=True),
            sa.Column("tag", sa.String(30), nullable=False),
        )
    ), (
        lambda md: sa.Table(
            "tags",
            md,
            sa.Column("todo_id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("tag", sa.String(30), primary_key=True),
        )
    )


STATUS2 = sa.Enum("open", "done", name="todo_status")
STATUS3 = sa.Enum("open", "doing", "done", name="todo_status")


@case("enum column added", rows=TODO_ROWS, keeps=[TITLES])
def _c34() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(md, sa.Column("status", sa.Enum("open", "done", name="todo_status")))
    )


@case(
    "enum value added",
    rows={"todos": [{"id": 1, "title": "a", "status": "done"}]},
    keeps=[("SELECT status FROM todos", [("done",)])],
)
def _c35() -> tuple[Build, Build]:
    return (
        lambda md: todos(md, sa.Column("status", sa.Enum("open", "done", name="todo_status")))
    ), (
        lambda md: todos(
            md, sa.Column("status", sa.Enum("open", "doing", "done", name="todo_status"))
        )
    )


@case(
    "enum value removed (unused)",
    rows={"todos": [{"id": 1, "title": "a", "status": "done"}]},
    keeps=[("SELECT status FROM todos", [("done",)])],
)
def _c36() -> tuple[Build, Build]:
    return (
        lambda md: todos(
            md, sa.Column("status", sa.Enum("open", "doing", "done", name="todo_status"))
        )
    ), (lambda md: todos(md, sa.Column("status", sa.Enum("open", "done", name="todo_status"))))


@case(
    "enum values reordered",
    rows={"todos": [{"id": 1, "title": "a", "status": "done"}]},
    keeps=[("SELECT status FROM todos", [("done",)])],
)
def _c37() -> tuple[Build, Build]:
    return (
        lambda md: todos(md, sa.Column("status", sa.Enum("open", "done", name="todo_status")))
    ), (lambda md: todos(md, sa.Column("status", sa.Enum("done", "open", name="todo_status"))))


@case("table comment", rows=TODO_ROWS, keeps=[TITLES], dialects=("postgresql", "mysql"))
def _c38() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: sa.Table(
            "todos",
            md,
            pk(),
            sa.Column("title", sa.String(100), nullable=False),
            comment="things to do",
        )
    )


@case("column comment", rows=TODO_ROWS, keeps=[TITLES], dialects=("postgresql", "mysql"))
def _c39() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(
            md, title=sa.Column("title", sa.String(100), nullable=False, comment="what")
        )
    )


@case(
    "table split (notes move to their own table)",
    rows={"todos": [{"id": 1, "title": "a", "notes": "n"}]},
    keeps=[TITLES[:1] + ([("a",)],)],
    data_kept_on_rollback=False,
)
def _c40() -> tuple[Build, Build]:
    return (lambda md: todos(md, sa.Column("notes", sa.Text))), (
        lambda md: (
            todos(md),
            sa.Table(
                "todo_notes",
                md,
                pk(),
                sa.Column("todo_id", sa.ForeignKey("todos.id")),
                sa.Column("notes", sa.Text),
            ),
        )
    )


@case("foreign key cycle between new tables")
def _c41() -> tuple[Build, Build]:
    def after(md: sa.MetaData) -> None:
        sa.Table(
            "teams",
            md,
            pk(),
            sa.Column(
                "captain_id",
                sa.Integer,
                sa.ForeignKey("players.id", use_alter=True, name="fk_teams_captain"),
            ),
        )
        sa.Table("players", md, pk(), sa.Column("team_id", sa.ForeignKey("teams.id")))

    return (lambda md: todos(md)), (lambda md: (todos(md), after(md)))


@case("new table with a foreign key to an existing one", rows=TODO_ROWS, keeps=[TITLES])
def _c42() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: (
            todos(md),
            sa.Table(
                "comments",
                md,
                pk(),
                sa.Column("todo_id", sa.ForeignKey("todos.id", ondelete="CASCADE")),
            ),
        )
    )


@case("parent and child tables dropped", data_kept_on_rollback=False)
def _c43() -> tuple[Build, Build]:
    return (
        lambda md: (
            todos(md),
            users(md),
            sa.Table("assignments", md, pk(), sa.Column("user_id", sa.ForeignKey("users.id"))),
        )
    ), (lambda md: todos(md))


@case(
    "Boolean column added with server default false",
    rows=TODO_ROWS,
    keeps=[("SELECT title FROM todos WHERE NOT done ORDER BY id", [("a",), ("b",)])],
)
def _c44() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(
            md, sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false())
        )
    )


@case("timestamp column added with server default now()", rows=TODO_ROWS, keeps=[TITLES])
def _c45() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(
            md,
            sa.Column(
                "created_at",
                sa.DateTime,
                nullable=False,
                server_default=sa.func.current_timestamp(),
            ),
        )
    )


@case(
    "renamed column keeps its index (renamed)",
    rows=TODO_ROWS,
    renames={"todos.title": "label"},
    keeps=[("SELECT label FROM todos ORDER BY id", [("a",), ("b",)])],
)
def _c46() -> tuple[Build, Build]:
    return (
        lambda md: todos(md, title=sa.Column("title", sa.String(100), nullable=False, index=True))
    ), (lambda md: todos(md, title=sa.Column("label", sa.String(100), nullable=False, index=True)))


@case("self-referencing foreign key added", rows=TODO_ROWS, keeps=[TITLES])
def _c47() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(md, sa.Column("parent_id", sa.ForeignKey("todos.id")))
    )


@case("nullable unique column added", rows=TODO_ROWS, keeps=[TITLES])
def _c48() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (
        lambda md: todos(md, sa.Column("slug", sa.String(50), unique=True))
    )


@case("JSON column added", rows=TODO_ROWS, keeps=[TITLES])
def _c49() -> tuple[Build, Build]:
    return (lambda md: todos(md)), (lambda md: todos(md, sa.Column("meta", sa.JSON)))


@case("indexed column dropped", rows=TODO_ROWS, keeps=[TITLES])
def _c50() -> tuple[Build, Build]:
    return (lambda md: todos(md, sa.Column("n", sa.Integer, index=True))), (lambda md: todos(md))


@case(
    "column type String to Integer (values convert)",
    rows={"todos": [{"id": 1, "title": "a", "n": "42"}]},
    keeps=[("SELECT n FROM todos", [(42,)])],
)
def _c51() -> tuple[Build, Build]:
    return (lambda md: todos(md, sa.Column("n", sa.String(10)))), (
        lambda md: todos(md, sa.Column("n", sa.Integer))
    )


@case(
    "table renamed and a column added",
    rows={"tasks": [{"id": 1, "title": "a"}]},
    renames={"tasks": "todos"},
    keeps=[("SELECT title FROM todos", [("a",)])],
)
def _c52() -> tuple[Build, Build]:
    return (lambda md: todos(md, name="tasks")), (
        lambda md: todos(md, sa.Column("priority", sa.Integer))
    )


@case(
    "NOT NULL column dropped (rollback fills a placeholder)",
    rows={"todos": [{"id": 1, "title": "a", "owner": "o", "n": 3}]},
    keeps=[("SELECT title FROM todos", [("a",)])],
)
def _c53() -> tuple[Build, Build]:
    return (
        lambda md: todos(
            md,
            sa.Column("owner", sa.String(50), nullable=False),
            sa.Column("n", sa.Integer, nullable=False),
        )
    ), (lambda md: todos(md))


@case(
    "enum value added and used as the default in the same migration",
    rows={"todos": [{"id": 1, "title": "a", "status": "done"}]},
    keeps=[("SELECT status FROM todos", [("done",)])],
)
def _c54() -> tuple[Build, Build]:
    return (
        lambda md: todos(md, sa.Column("status", sa.Enum("open", "done", name="todo_status")))
    ), (
        lambda md: todos(
            md,
            sa.Column(
                "status",
                sa.Enum("open", "doing", "done", name="todo_status"),
                server_default="doing",
            ),
        )
    )


@case(
    "non-native enum with a CHECK gains a value",
    rows={"todos": [{"id": 1, "title": "a", "status": "done"}]},
    keeps=[("SELECT status FROM todos", [("done",)])],
)
def _c55() -> tuple[Build, Build]:
    def col(*values: str) -> sa.Column[str]:
        return sa.Column(
            "status", sa.Enum(*values, name="st", native_enum=False, create_constraint=True)
        )

    return (lambda md: todos(md, col("open", "done"))), (
        lambda md: todos(md, col("open", "doing", "done"))
    )
