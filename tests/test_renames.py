"""Renames keep data: decided without a terminal (printed, with the override), asked on a
terminal, overridden with --rename / --no-rename, and the same decision at boot. Only a sure
guess acts alone; an unsure one is drop + add unless someone says otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import models
from tests.helpers import AppFactory, dev_app, in_pty, run
from tests.models import variant


def _text() -> sa.Column[str]:
    return sa.Column(sa.String(200))


v_descr = variant("v1", done=None, descr=_text)
v_description = variant("v1", done=None, description=_text)
v_name = variant(
    "v1", title=None, done=None, name=lambda: sa.Column(sa.String(200), nullable=False), descr=_text
)


def v_billing(db):  # type: ignore[no-untyped-def]
    class Customer(db.Model):
        __tablename__ = "customers"
        id = sa.Column(sa.Integer, primary_key=True)
        billing_address = sa.Column(sa.String(200))


def v_shipping(db):  # type: ignore[no-untyped-def]
    class Customer(db.Model):
        __tablename__ = "customers"
        id = sa.Column(sa.Integer, primary_key=True)
        shipping_address = sa.Column(sa.String(200))


UNSURE_APPLIED = (
    "~ not treated as a rename (unsure guess, similar names): column "
    "customers.billing_address -> customers.shipping_address: billing_address was dropped "
    "and shipping_address added, its values were not moved; to take it as a rename: "
    "`flask vertz-db push --rename customers.billing_address=shipping_address` or "
    "`flask vertz-db migrate dev --name <name> --rename customers.billing_address="
    "shipping_address` (the dropped values are in the backup: `flask vertz-db restore`)"
)


def _seed_billing(make_app: AppFactory) -> None:
    app = dev_app(make_app, v_billing)
    assert run(app, "push").exit_code == 0
    with make_app.engine(app).begin() as conn:
        conn.execute(sa.text("INSERT INTO customers (billing_address) VALUES ('1 Main St')"))


def _shipping(make_app: AppFactory, app) -> list[tuple[str | None]]:  # type: ignore[no-untyped-def]
    with make_app.engine(app).connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT shipping_address FROM customers"))]


def test_boot_does_not_act_on_an_unsure_guess_and_says_so(make_app: AppFactory, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed_billing(make_app)
    capsys.readouterr()
    app = make_app(v_shipping, VERTZ_ENV="development")
    err = capsys.readouterr().err
    assert UNSURE_APPLIED in err
    assert _shipping(make_app, app) == [(None,)]  # not moved into the wrong column


def test_push_without_a_terminal_treats_an_unsure_guess_as_drop_and_add(
    make_app: AppFactory,
) -> None:
    _seed_billing(make_app)
    app = dev_app(make_app, v_shipping)
    r = run(app, "push")
    assert r.exit_code == 0, r.output
    assert UNSURE_APPLIED in r.output
    assert _shipping(make_app, app) == [(None,)]


def test_an_unsure_guess_is_a_rename_when_told(make_app: AppFactory) -> None:
    _seed_billing(make_app)
    app = dev_app(make_app, v_shipping)
    r = run(app, "push", "--rename", "customers.billing_address=shipping_address")
    assert r.exit_code == 0, r.output
    assert (
        "~ treated as a rename: column customers.billing_address -> customers.shipping_address "
        "(values kept); to drop and add instead: --no-rename customers.billing_address"
    ) in r.output
    assert _shipping(make_app, app) == [("1 Main St",)]


def test_migrate_dev_without_a_terminal_writes_drop_and_add_for_an_unsure_guess(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = dev_app(make_app, v_billing)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    app2 = dev_app(make_app, v_shipping)
    r = run(app2, "migrate", "dev", "--name", "ship", "--create-only")
    assert r.exit_code == 0, r.output
    assert (
        "~ not treated as a rename (unsure guess, similar names): column "
        "customers.billing_address -> customers.shipping_address (drop + add); to rename "
        "instead: --rename customers.billing_address=shipping_address"
    ) in r.output
    up = (tmp_path / "migrations" / "0002_ship.sql").read_text().split("-- @rollback")[0]
    assert "DROP COLUMN billing_address" in up and "RENAME" not in up


def _seed(make_app: AppFactory) -> None:
    app = dev_app(make_app, v_descr)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    with make_app.engine(app).begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title, descr) VALUES ('a', 'kept')"))


def test_without_a_terminal_the_decision_is_printed_with_its_override(make_app: AppFactory) -> None:
    _seed(make_app)
    app = dev_app(make_app, v_description)
    r = run(app, "migrate", "dev", "--name", "describe")
    assert r.exit_code == 0, r.output
    assert (
        "~ treated as a rename: column todos.descr -> todos.description (values kept); "
        "to drop and add instead: --no-rename todos.descr" in r.output
    )
    with make_app.engine(app).connect() as conn:
        assert conn.execute(sa.text("SELECT description FROM todos")).scalar() == "kept"


def test_no_rename_overrides_to_drop_and_add(make_app: AppFactory, tmp_path: Path) -> None:
    _seed(make_app)
    app = dev_app(make_app, v_description)
    r = run(
        app, "migrate", "dev", "--name", "describe", "--no-rename", "todos.descr", "--create-only"
    )
    assert r.exit_code == 0, r.output
    assert "not treated as a rename: column todos.descr -> todos.description" in r.output
    text = (tmp_path / "migrations" / "0002_describe.sql").read_text()
    assert "DROP COLUMN descr" in text and "RENAME" not in text.split("-- @rollback")[0]


def test_dissimilar_names_need_an_explicit_rename(make_app: AppFactory, tmp_path: Path) -> None:
    _seed(make_app)
    app = dev_app(make_app, v_name)
    r = run(app, "migrate", "dev", "--name", "n", "--create-only")
    assert r.exit_code == 0, r.output
    assert "not treated as a rename: column todos.title -> todos.name" in r.output
    assert "to rename instead: --rename todos.title=name" in r.output
    assert (
        "-- vertz:destructive drop column todos.title"
        in (tmp_path / "migrations" / "0002_n.sql").read_text()
    )


def test_explicit_rename_keeps_values(make_app: AppFactory) -> None:
    _seed(make_app)
    app = dev_app(make_app, v_name)
    r = run(app, "migrate", "dev", "--name", "n", "--rename", "todos.title=name")
    assert r.exit_code == 0, r.output
    with make_app.engine(app).connect() as conn:
        assert conn.execute(sa.text("SELECT name, descr FROM todos")).one() == ("a", "kept")


def test_boot_uses_the_same_decision_and_prints_it(make_app: AppFactory, capsys) -> None:  # type: ignore[no-untyped-def]
    app = make_app(v_descr)
    with make_app.engine(app).begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title, descr) VALUES ('a', 'kept')"))
    capsys.readouterr()
    app2 = make_app(v_description)
    err = capsys.readouterr().err
    assert "treated as a rename: column todos.descr -> todos.description (values kept)" in err
    with make_app.engine(app2).connect() as conn:
        assert conn.execute(sa.text("SELECT description FROM todos")).scalar() == "kept"


APP = """
import os
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_vertz import Vertz

db = SQLAlchemy()

class Todo(db.Model):
    __tablename__ = "todos"
    id = sa.Column(sa.Integer, primary_key=True)
    value = sa.Column(os.environ["COLUMN"], sa.String(200), nullable=False)

def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.environ["DB"]
    db.init_app(app)
    Vertz(app, db)
    return app
"""


def _flask_in_pty(
    cwd: Path, env: dict[str, str], args: list[str], answer: bytes
) -> tuple[int, str]:
    def reply(out: bytes) -> bytes | None:
        asked = b"a rename" in out and b"[" in out.split(b"a rename")[-1]
        return answer if asked else None

    cmd = [sys.executable, "-m", "flask", "--app", "app", *args]
    return in_pty(cmd, cwd, env, seconds=60, answer=reply)


def _flask(cwd: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _terminal_app(tmp_path: Path, column: str) -> dict[str, str]:
    (tmp_path / "app.py").write_text(APP)
    env = {**os.environ, "DB": str(tmp_path / "t.db"), "COLUMN": column, "VERTZ_AUTO_APPLY": "0"}
    env["FLASK_DEBUG"] = "1"  # a development shell
    env.pop("PYTHONPATH", None)
    _flask(tmp_path, env, "vertz-db", "migrate", "dev", "--name", "init")
    return env


def test_on_a_terminal_the_question_is_asked(tmp_path: Path) -> None:
    env = _terminal_app(tmp_path, "title")
    code, out = _flask_in_pty(
        tmp_path,
        {**env, "COLUMN": "name"},
        ["vertz-db", "migrate", "dev", "--name", "rename"],
        b"y\n",
    )
    assert code == 0, out
    assert (
        "Is column todos.title -> todos.name a rename (values kept)? No means drop + add [y/N]"
        in out
    )
    assert "treated as a rename: column todos.title -> todos.name" in out
    assert (
        "RENAME COLUMN title TO name" in (tmp_path / "migrations" / "0002_rename.sql").read_text()
    )


@pytest.mark.parametrize(
    ("old", "new", "default", "renamed"),
    [
        ("descr", "description", "[Y/n]", True),  # sure: yes by default
        ("billing_address", "shipping_address", "[y/N]", False),  # unsure: no by default
    ],
)
def test_the_default_answer_is_yes_only_for_a_sure_guess(
    tmp_path: Path, old: str, new: str, default: str, renamed: bool
) -> None:
    env = _terminal_app(tmp_path, old)
    code, out = _flask_in_pty(
        tmp_path, {**env, "COLUMN": new}, ["vertz-db", "migrate", "dev", "--name", "x"], b"\n"
    )
    assert code == 0, out
    assert (
        f"Is column todos.{old} -> todos.{new} a rename (values kept)? No means drop + add {default}"
        in out
    )
    up = (tmp_path / "migrations" / "0002_x.sql").read_text().split("-- @rollback")[0]
    assert ("RENAME COLUMN" in up) is renamed


def test_push_on_a_terminal_asks_before_it_changes_anything(tmp_path: Path) -> None:
    env = _terminal_app(tmp_path, "billing_address")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 't.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (billing_address) VALUES ('1 Main St')"))
    code, out = _flask_in_pty(
        tmp_path, {**env, "COLUMN": "shipping_address"}, ["vertz-db", "push"], b"y\n"
    )
    assert code == 0, out
    assert "todos.billing_address -> todos.shipping_address a rename (values kept)? " in out
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT shipping_address FROM todos")).scalar() == "1 Main St"
    engine.dispose()


def v_first(db):  # type: ignore[no-untyped-def]
    class Person(db.Model):
        __tablename__ = "people"
        id = sa.Column(sa.Integer, primary_key=True)
        first_name = sa.Column(sa.String(80), nullable=False)


def v_last(db):  # type: ignore[no-untyped-def]
    class Person(db.Model):
        __tablename__ = "people"
        id = sa.Column(sa.Integer, primary_key=True)
        last_name = sa.Column(sa.String(80), nullable=False)


def test_a_blocked_drop_and_add_names_the_rename_it_may_be(make_app: AppFactory) -> None:
    app = dev_app(make_app, v_first)
    assert run(app, "push").exit_code == 0
    with make_app.engine(app).begin() as conn:
        conn.execute(sa.text("INSERT INTO people (first_name) VALUES ('Ada')"))
    app2 = dev_app(make_app, v_last)
    r = run(app2, "push")
    assert r.exit_code == 1
    assert (
        "(unsure rename guess taken as drop + add: column people.first_name -> "
        "people.last_name; if it is a rename: "
        "`flask vertz-db push --rename people.first_name=last_name`)"
    ) in r.output
    r = run(app2, "migrate", "dev", "--name", "last")
    assert r.exit_code == 1
    assert "`flask vertz-db migrate dev --name last --rename people.first_name=last_name`" in (
        r.output
    )
    r = run(app2, "push", "--rename", "people.first_name=last_name")
    assert r.exit_code == 0, r.output
    with make_app.engine(app2).connect() as conn:
        assert conn.execute(sa.text("SELECT last_name FROM people")).scalar() == "Ada"


def test_rename_typo_is_refused(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0

    renamed = variant("v1", title=None, label=lambda: sa.Column(sa.String(200), nullable=False))
    app2 = dev_app(make_app, renamed)
    r = run(app2, "migrate", "dev", "--name", "x", "--rename", "todos.title=lable")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: --rename todos.title=lable: the changes do not drop column todos.title and add "
        "lable (probable renames here: todos.title)"
    )
    assert not (tmp_path / "migrations" / "0002_x.sql").exists()
